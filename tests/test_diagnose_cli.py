"""`lrtui diagnose LOG`: the report, the JSON, the plot, and exit 2 with one line for bad input."""

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from lrtui.cli import main
from lrtui.diagnose_command import RULES_LINE, decade_ticks

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"

EXPECTED = {  # fixture: (verdict, the codes found with their steps)
    "keras.csv": ("improving", {("improving", 29), ("overfitting", 12)}),
    "lightning_metrics.csv": ("converged", None),
    "tensorboard.csv": ("improving", {("improving", 4990)}),
    "run.jsonl": ("diverged", {("diverged", 730)}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_text_report_for_every_format(name, capsys):
    assert main(["diagnose", str(FIXTURES / name)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    verdict, found = EXPECTED[name]
    assert lines[0].startswith(f"{verdict}: ")
    assert lines[1] == RULES_LINE == "rules: curve-only (no known minimum or Hessian for a log)"
    assert lines[2].startswith(f"log: {name} (")
    assert "┌" not in out  # stdout is not a terminal: no plot unless asked
    assert err == ""
    steps = [line for line in lines if line.startswith("step ")]
    assert steps and all(line.split()[2] in ("info", "warning", "error") for line in steps)
    if found is not None:
        assert {(line.split()[3].rstrip(":,"), int(line.split()[1])) for line in steps} == found


def test_the_diverged_log_suggests_a_tenth_of_its_lr_untried(capsys):
    assert main(["diagnose", str(FIXTURES / "run.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "step 730  error    diverged: the loss became nan at step 730" in out
    assert "    fix to try: optimizer.lr = 0.03 (not tried: lrtui cannot re-run your training)" in out
    assert "(the LR was constant at 0.3)" in " ".join(out.split())  # what the LR was doing, from the log


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_report(name, capsys):
    assert main(["diagnose", str(FIXTURES / name), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == EXPECTED[name][0] and data["rules"] == "curve-only"
    assert data["diagnoses"] and all(
        list(d) == ["code", "severity", "step", "run", "message", "explanation", "fix", "tried"]
        for d in data["diagnoses"])
    assert all(d["tried"] is None for d in data["diagnoses"])  # a log cannot be re-run
    assert data["log"]["points"] > 0 and "loss" in data["log"]["columns"]
    assert data["runs"][data["run"]]["verdict"] == data["verdict"] and data["evidence"]["points"] > 0


def test_plot_marks_flagged_steps_and_uses_a_log_axis_for_a_blow_up(capsys):
    assert main(["diagnose", str(FIXTURES / "run.jsonl"), "--plot"]) == 0
    out = capsys.readouterr().out
    chart = out.split(RULES_LINE, 1)[1]
    assert "┌" in chart and "log scale" in chart and "vertical lines mark the flagged steps" in chart
    assert "\x1b[" not in chart  # no colour codes when stdout is not a terminal
    assert "10┤" in chart and "0.1┤" in chart  # our own decade labels on the log10 axis, fitted to the data


def test_plot_on_a_linear_axis_and_no_plot_flag(capsys):
    assert main(["diagnose", str(FIXTURES / "keras.csv"), "--plot"]) == 0
    out = capsys.readouterr().out
    assert "┌" in out and "log scale" not in out and out.splitlines()[-1].strip() == "epoch"
    assert main(["diagnose", str(FIXTURES / "keras.csv"), "--no-plot"]) == 0
    assert "┌" not in capsys.readouterr().out


def test_decade_ticks():
    assert decade_ticks(-2.3, 0.4) == ([-3.0, -2.0, -1.0, 0.0, 1.0], ["1e-3", "1e-2", "0.1", "1", "10"])
    ticks, _ = decade_ticks(-300, 5)
    assert len(ticks) <= 8


BAD = ["bad_no_loss.csv", "bad_non_numeric.csv", "bad_empty.csv", "bad_header_only.csv", "bad_binary.bin",
       "bad_latin1.csv", "bad_json.jsonl", "bad_missing_step.csv"]


@pytest.mark.parametrize("name", BAD + ["does-not-exist.csv", "bad_page.html", "no-logs-folder"])
def test_bad_input_exits_2_with_one_line(name, capsys, tmp_path):
    path = FIXTURES / name
    if name == "no-logs-folder":
        path = tmp_path
        (tmp_path / "notes.txt").write_text("nothing here\n")
    for extra in ([], ["--format", "json"]):
        assert main(["diagnose", str(path), *extra]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert len(err.splitlines()) == 1 and err.strip()
        assert "Traceback" not in err


def test_messages_name_the_file_and_the_fix(capsys):
    main(["diagnose", str(FIXTURES / "bad_no_loss.csv")])
    assert capsys.readouterr().err == ('bad_no_loss.csv: no loss column; found columns epoch, acc. Name the column '
                                       '"loss" (or train_loss), or choose one with --column NAME\n')
    main(["diagnose", str(FIXTURES / "bad_non_numeric.csv")])
    assert capsys.readouterr().err.startswith('bad_non_numeric.csv line 4: loss is "tensor(1.95)", not a number')


def test_usage_errors_exit_2(capsys):
    assert_exit = pytest.raises(SystemExit)
    with assert_exit as info:
        main(["diagnose"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["diagnose", str(FIXTURES / "keras.csv"), "--format", "xml"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["diagnose", "--help"])
    assert info.value.code == 0
    help_text = capsys.readouterr().out
    assert "lrtui diagnose lightning_logs/version_0/metrics.csv" in help_text
    assert "--column NAME" in help_text and "--run N" in help_text


def run_export(tmp_path, scenario) -> list[str]:
    path = tmp_path / f"{scenario}.csv"
    with redirect_stdout(io.StringIO()):
        assert main(["run", scenario, "--format", "csv", "-o", str(path)]) == 0
    return path.read_text().splitlines()


def one_run(tmp_path, lines, run) -> Path:
    path = tmp_path / f"run{run}.csv"
    path.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.split(",")[0] == str(run)]) + "\n")
    return path


def test_lrtuis_own_csv_export(tmp_path, capsys):
    lines = run_export(tmp_path, "too-high-divergence")
    assert main(["diagnose", str(one_run(tmp_path, lines, 0)), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "diverged" and data["diagnoses"][0]["step"] == 7
    assert data["log"]["format"] == "lrtui" and data["diagnoses"][0]["fix"] == {"optimizer.lr": 0.0003}


def test_lrtuis_multi_run_export_gets_one_verdict_per_run(tmp_path, capsys):
    run_export(tmp_path, "too-high-divergence")
    whole = tmp_path / "too-high-divergence.csv"
    assert main(["diagnose", str(whole), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["run"], r["label"], r["verdict"]) for r in data["runs"]] == [
        (0, "too high: lr=0.003", "diverged"), (1, "safe: lr=0.0003", "too_slow")]
    assert data["run"] == 1 and data["log"]["parallel"] is True
    # The slow run's fix would raise the LR to 0.003, where its sibling diverged: capped below that.
    fix = data["runs"][1]["diagnoses"][0]["fix"]["optimizer.lr"]
    assert fix == 0.001 and "diverged at lr 0.003" in data["runs"][1]["diagnoses"][0]["explanation"]
    assert main(["diagnose", str(whole)]) == 0
    out = capsys.readouterr().out
    assert 'run 0 "too high: lr=0.003": diverged;' in out and 'run 1 "safe: lr=0.0003": too slow (LR too low);' in out
    assert main(["diagnose", str(whole), "--run", "0", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "diverged"
    assert main(["diagnose", str(whole), "--run", "5"]) == 2
    assert capsys.readouterr().err == "too-high-divergence.csv has 2 runs (runs 0 to 1); --run 5 is not one of them\n"


@pytest.mark.parametrize("scenario, verdict", [("too-high-oscillation", "oscillating"),
                                               ("schedule-too-aggressive", "schedule_too_aggressive"),
                                               ("too-low-slow", "too_slow")])
def test_scenario_exports_get_the_verdict_the_scenario_teaches(tmp_path, capsys, scenario, verdict):
    lines = run_export(tmp_path, scenario)
    assert main(["diagnose", str(one_run(tmp_path, lines, 0)), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == verdict


def test_the_command_runs_as_a_program_without_textual():
    code = ("import sys\nfrom lrtui.cli import main\n"
            f"status = main(['diagnose', {str(FIXTURES / 'run.jsonl')!r}, '--plot'])\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext'))\n"
            "print(status, ','.join(bad) or 'none', file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "0 none"
    done = subprocess.run([sys.executable, "-m", "lrtui", "diagnose", str(FIXTURES / "bad_json.jsonl")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and done.stdout == ""


SAMPLES = {  # every real-format sample: (verdict, fragment of the first line)
    "keras_appended.csv": ("diverged", "the loss became nan at step 9"),
    "tensorboard_restart.csv": ("diverged", "where it started"),
    "hf_output": ("improving", "falling"),
    "mlruns/0/4f1c2d8e9a7b4c3d": ("improving", "falling"),
    "wandb_export.csv": ("too_slow", "falls steadily"),
    "python_logging.log": ("improving", "no clear trend"),
    "keras_fit.txt": ("improving", "falling"),
    "pytorch_tutorial.log": ("improving", "falling"),
    "nanogpt.log": ("improving", "falling"),
    "mean_loss.csv": ("diverged", "nan at step 380"),
    "hf_notebook_table.csv": ("improving", "falling"),
    "digits_lr20.csv": ("diverged", "25"),
    "climb_to_nan.jsonl": ("diverged", "nan at step 12"),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_is_read_and_judged(name, capsys):
    assert main(["diagnose", str(FIXTURES / name), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    verdict, fragment = SAMPLES[name]
    assert data["verdict"] == verdict, data["diagnoses"][0]["message"]
    assert fragment in data["diagnoses"][0]["message"]


def test_the_issues_blow_ups(capsys):
    main(["diagnose", str(FIXTURES / "digits_lr20.csv")])
    out = capsys.readouterr().out
    assert out.startswith("diverged: the loss is 25") and "where it started (2.3)" in out.splitlines()[0]
    main(["diagnose", str(FIXTURES / "climb_to_nan.jsonl")])
    out = " ".join(capsys.readouterr().out.split())
    assert "was 12.5 at its best (step 0)" in out and "6.58e+05" not in out


def test_overfitting_over_19_noisy_epochs_is_found(capsys):
    main(["diagnose", str(FIXTURES / "python_logging.log")])
    out = capsys.readouterr().out
    assert "warning  overfitting: val_loss is rising since step" in out


def test_column_choice_is_reported_and_can_be_overridden(capsys):
    main(["diagnose", str(FIXTURES / "mean_loss.csv")])
    out = capsys.readouterr().out
    assert "note: loss column mean_loss of 6 loss columns (a mean loss is preferred over component losses" in out
    assert main(["diagnose", str(FIXTURES / "mean_loss.csv"), "--column", "value_loss", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["log"]["columns"]["loss"] == "value_loss" and "--column" in data["log"]["note"]
    assert main(["diagnose", str(FIXTURES / "mean_loss.csv"), "--column", "nope"]) == 2
    assert capsys.readouterr().err.startswith('mean_loss.csv: no column "nope" (--column); its loss columns are:')


def test_appended_runs_are_listed_and_the_last_is_shown(capsys):
    main(["diagnose", str(FIXTURES / "keras_appended.csv")])
    out = capsys.readouterr().out
    assert "note: the steps go back at line 14, 26, 38: 4 runs appended to one log, split and judged apart" in out
    assert "runs (4, one after another):" in out and "run 3: diverged;" in out and "(shown below)" in out
    assert "run 3 of 4 (runs 0 to 3; --run N picks one)" in out
    main(["diagnose", str(FIXTURES / "keras_appended.csv"), "--run", "0"])
    assert capsys.readouterr().out.startswith("improving")
