"""`lrtui find`: the table, the plot, the JSON, --verify, and exit 2 with one line for bad input."""

import json
import subprocess
import sys

import pytest

from lrtui.cli import main
from lrtui.core.finder import RULES

SCENARIO = """\
name = "two quadratics"
steps = 60

[loss]
type = "quadratic"
eigenvalues = [1.0, 20.0]
start = [1.0, 1.0]

[optimizer]
type = "sgd"
lr = 0.05

[[runs]]
label = "plain"

[[runs]]
label = "momentum"
optimizer.momentum = 0.9
"""


@pytest.fixture
def quad(tmp_path):
    path = tmp_path / "quad.toml"
    path.write_text(SCENARIO)
    return str(path)


def test_table_names_the_run_the_ramp_and_every_rule(capsys, quad):
    assert main(["find", quad]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == ""
    assert lines[0] == "LR range test: two quadratics, run 0 (plain): sgd on quadratic"
    assert lines[1].startswith("ramp: exp from 1e-07 to 10 over 100 steps, EMA beta 0.98; smoothed loss exceeded 4x")
    assert "┌" not in out  # stdout is not a terminal: no plot unless asked
    rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in RULES}
    assert list(rows) == list(RULES)
    assert rows["valley"].split()[1] == "-" and "first point" in rows["valley"]  # noiseless: valley declines
    assert rows["minimum"].split()[2] == "recommended"
    lr = float(rows["minimum"].split()[1])
    assert lines[-1] == f"try: lrtui run {quad} --set optimizer.lr={lr:.3g}   (minimum, recommended)"


def test_plot_has_a_log_lr_axis_and_marks_each_pick(capsys, quad):
    assert main(["find", quad, "--plot"]) == 0
    out = capsys.readouterr().out
    assert "┌" in out and "1e-7" in out and "1e-3" in out
    picked = [name for name in RULES if name != "valley"]
    assert all(name in out.split("rule ")[0] for name in picked)  # each pick is labelled on the chart


def test_run_option_picks_another_run_and_set_overrides_apply(capsys, quad):
    assert main(["find", quad, "--run", "1", "--set", "optimizer.momentum=0.5", "--num-it", "80"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("LR range test: two quadratics, run 1 (momentum): sgd on quadratic")
    assert "over 80 steps" in out


def test_json_has_the_documented_schema(capsys, quad):
    assert main(["find", quad, "--format", "json", "--mode", "linear", "--start-lr", "0.001", "--end-lr", "0.5",
                 "--num-it", "50"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["curve", "suggestions", "recommended", "notes", "verify"]
    curve = data["curve"]
    assert len(curve["lr"]) == len(curve["loss"]) == len(curve["smoothed"]) <= 50
    assert curve["lr"][0] == 0.001 and curve["stop_reason"]
    assert list(data["suggestions"]) == list(RULES)
    assert data["recommended"]["lr"] == data["suggestions"][data["recommended"]["rule"]]
    assert set(data["notes"]) == {name for name, lr in data["suggestions"].items() if lr is None}
    assert data["verify"] is None


def test_json_writes_a_non_finite_loss_as_null(capsys, quad):
    assert main(["find", quad, "--format", "json", "--end-lr", "1e6", "--num-it", "400"]) == 0
    text = capsys.readouterr().out
    data = json.loads(text)
    assert "NaN" not in text and "Infinity" not in text
    assert data["curve"]["stop_reason"] == "smoothed loss exceeded 4x the best"


def test_verify_prints_the_grid_its_best_and_each_rule_against_it(capsys, quad):
    assert main(["find", quad, "--verify", "--grid-points", "7"]) == 0
    out = capsys.readouterr().out
    assert "verify: 60 steps at each constant LR, seed 0; final loss" in out
    grid = out.split("verify:", 1)[1].split("\n\n")[0].splitlines()[2:]
    assert len(grid) == 7 and sum("<- best on the grid" in line for line in grid) == 1
    ranked = out.split("x best", 1)[1].splitlines()[1:6]
    assert [line.split()[0] for line in ranked] == list(RULES)


def test_verify_json_reports_accuracy_for_a_model(capsys):
    assert main(["find", "digits-lr-classic", "--verify", "--grid-points", "3", "--set", "steps=30",
                 "--format", "json"]) == 0
    verify = json.loads(capsys.readouterr().out)["verify"]
    assert verify["steps"] == 30 and verify["measure"] == "full training loss" and len(verify["grid"]) == 3
    assert set(verify["rules"]) == set(RULES)
    picked = [entry for entry in verify["rules"].values() if entry is not None]
    assert picked and all(0 <= e["test_accuracy"] <= 1 and e["ratio"] > 0 for e in picked if not e["diverged"])
    assert set(verify["best"]) == {"lr", "final_loss", "test_accuracy"}


@pytest.mark.parametrize("args, message", [
    (["--start-lr", "0"], "--start-lr must be a finite number > 0, got 0.0"),
    (["--start-lr", "1", "--end-lr", "0.1"], "--end-lr must be larger than start_lr (1), got 0.1"),
    (["--num-it", "1"], "--num-it must be a whole number from 2 to 1,000,000, got 1"),
    (["--verify", "--grid-points", "1"], "--grid-points must be a whole number from 2 to 1,000, got 1"),
    (["--run", "2"], "--run must be from 0 to 1 (the runs of two quadratics), got 2"),
    (["--set", "optimizer.lr"], "expected KEY=VALUE"),
])
def test_bad_values_are_one_line_errors_with_exit_2(capsys, quad, args, message):
    assert main(["find", quad, *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and message in err


def test_unknown_scenario_and_bad_choices_exit_2(capsys):
    assert main(["find", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no built-in scenario" in err
    with pytest.raises(SystemExit) as stop:
        main(["find", "just-right", "--mode", "log"])
    assert stop.value.code == 2 and "invalid choice: 'log'" in capsys.readouterr().err


def test_find_has_help_with_examples_and_never_imports_textual(quad):
    out = subprocess.run([sys.executable, "-m", "lrtui", "find", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "examples:" in out.stdout and "docs/finder.md" in out.stdout
    code = (f"import sys; from lrtui.cli import main; main(['find', {quad!r}, '--verify', '--plot']); "
            "print('TEXTUAL' if any(m.startswith('textual') for m in sys.modules) else 'CLEAN', file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stderr.strip().endswith("CLEAN"), run.stderr
