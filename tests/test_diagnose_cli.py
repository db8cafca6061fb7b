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


def test_the_diverged_log_suggests_a_tenth_of_its_lr(capsys):
    assert main(["diagnose", str(FIXTURES / "run.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "step 730  error    diverged: the loss became nan at step 730" in out
    assert "    suggestion: optimizer.lr = 0.03" in out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_report(name, capsys):
    assert main(["diagnose", str(FIXTURES / name), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == EXPECTED[name][0] and data["rules"] == "curve-only"
    assert data["diagnoses"] and all(
        set(d) >= {"code", "step", "severity", "message", "explanation", "suggestion"} for d in data["diagnoses"])
    assert data["log"]["points"] > 0 and "loss" in data["log"]["columns"]


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


@pytest.mark.parametrize("name", BAD + ["does-not-exist.csv", "."])
def test_bad_input_exits_2_with_one_line(name, capsys):
    path = FIXTURES / name
    for extra in ([], ["--format", "json"]):
        assert main(["diagnose", str(path), *extra]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert len(err.splitlines()) == 1 and err.strip()
        assert "Traceback" not in err


def test_messages_name_the_file_and_the_fix(capsys):
    main(["diagnose", str(FIXTURES / "bad_no_loss.csv")])
    assert capsys.readouterr().err == ('bad_no_loss.csv: no loss column; found columns epoch, acc. Name the column '
                                       '"loss" (or train_loss)\n')
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
    assert "lrtui diagnose lightning_logs/version_0/metrics.csv" in capsys.readouterr().out


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
    assert data["log"]["format"] == "lrtui" and data["diagnoses"][0]["suggestion"] == {"optimizer.lr": 0.0003}
    assert main(["diagnose", str(one_run(tmp_path, lines, 1)), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] in ("improving", "converged")
    assert main(["diagnose", str(tmp_path / "too-high-divergence.csv")]) == 2
    assert "holds 2 runs" in capsys.readouterr().err


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
