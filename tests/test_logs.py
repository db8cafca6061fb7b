"""Reading training logs: every supported format, and a one-line LogError for every bad input."""

import io
import math
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from lrtui.logs import sources
from lrtui.logs import LogError, read_log, read_runs

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"


def test_keras_csvlogger():
    log = read_log(FIXTURES / "keras.csv")
    assert log.source_format == "keras"
    assert log.columns == {"loss": "loss", "val_loss": "val_loss", "step": "epoch", "lr": "learning_rate"}
    np.testing.assert_array_equal(log.steps, np.arange(30))
    assert log.loss.size == 30 and log.val_loss.size == 30
    np.testing.assert_array_equal(log.val_steps, np.arange(30))
    assert np.allclose(log.lr, 0.0010000000474974513)
    assert log.loss[0] == pytest.approx(2.3029272004855117)


def test_lightning_metrics_csv_with_blank_cells_on_alternating_rows():
    log = read_log(FIXTURES / "lightning_metrics.csv")
    assert log.source_format == "lightning"
    assert log.columns["loss"] == "train_loss_step" and log.columns["lr"] == "lr-Adam"
    # Training rows every 50 steps; the LR, validation and epoch-mean rows are separate lines.
    np.testing.assert_array_equal(log.steps, np.arange(49, 2000, 50))
    np.testing.assert_array_equal(log.val_steps, np.arange(249, 2000, 250))
    assert log.lr[0] == pytest.approx(1e-3 * 0.5 * (1 + math.cos(math.pi * 49 / 2000)))
    assert np.all(np.diff(log.lr) < 0)  # the cosine schedule, aligned to each loss step
    assert np.all(np.isfinite(log.loss))


def test_tensorboard_scalar_download():
    log = read_log(FIXTURES / "tensorboard.csv")
    assert log.source_format == "tensorboard"
    assert log.columns == {"loss": "Value", "step": "Step"}
    np.testing.assert_array_equal(log.steps, np.arange(0, 5000, 10))
    assert log.lr is None and log.val_loss is None


def test_json_lines_with_separate_validation_lines_and_nan():
    log = read_log(FIXTURES / "run.jsonl")
    assert log.source_format == "jsonl"
    assert log.loss.size == 370 and np.isnan(log.loss[-1]) and np.all(np.isfinite(log.loss[:365]))
    np.testing.assert_array_equal(log.val_steps, np.arange(0, 740, 100))
    assert np.all(log.lr == 0.3)


def test_lrtui_own_csv_export_one_run_and_a_sweep(tmp_path):
    from lrtui.cli import main

    whole = tmp_path / "all.csv"
    with redirect_stdout(io.StringIO()):
        assert main(["run", "too-high-divergence", "--format", "csv", "-o", str(whole)]) == 0
    lines = whole.read_text().splitlines()
    one = tmp_path / "one.csv"
    one.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.startswith("0,")]) + "\n")
    log = read_log(one)
    assert log.source_format == "lrtui" and log.columns["loss"] == "loss" and log.columns["lr"] == "lr"
    assert log.steps[0] == 0 and np.isinf(log.loss[-1]) and np.all(log.lr == 0.003)
    # The whole export: one run per value of the run column, side by side, labelled as in the file.
    both = read_runs(whole)
    assert both.parallel and [r.label for r in both.runs] == ["too high: lr=0.003", "safe: lr=0.0003"]
    assert np.all(both.runs[1].lr == 0.0003) and both.runs[1].steps[-1] == 300
    np.testing.assert_array_equal(both.runs[0].loss, log.loss)


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_separators_byte_order_mark_and_case(tmp_path):
    for text in ("Step;Loss\n0;2.3\n1;2.1\n", "step\tloss\n0\t2.3\n1\t2.1\n", "\ufeffstep,LOSS\n0,2.3\n1,2.1\n",
                 'step,loss,label\r\n0,2.3,"a, b"\r\n1,2.1,c\r\n'):
        log = read_log(write(tmp_path, "a.csv", text))
        np.testing.assert_array_equal(log.loss, [2.3, 2.1])
        np.testing.assert_array_equal(log.steps, [0, 1])


def test_without_a_step_column_the_row_number_is_the_step(tmp_path):
    log = read_log(write(tmp_path, "a.csv", "loss,acc\n2.3,0.1\n\n2.0,0.2\n1.8,0.3\n"))
    np.testing.assert_array_equal(log.steps, [0, 1, 2])
    assert "step" not in log.columns


def test_loss_name_preferences(tmp_path):
    log = read_log(write(tmp_path, "m.csv", "step,train_loss_epoch,train_loss_step\n1,,2.0\n2,1.5,\n3,,1.0\n"))
    assert log.columns["loss"] == "train_loss_step"
    np.testing.assert_array_equal(log.steps, [1, 3])
    log = read_log(write(tmp_path, "m.csv", "step,val_loss,loss\n1,3.0,2.0\n"))
    assert log.columns["loss"] == "loss" and log.columns["val_loss"] == "val_loss"


def test_a_resumed_run_is_split_and_judged_with_the_rows_before_its_checkpoint(tmp_path):
    runs = read_runs(write(tmp_path, "r.csv", "step,loss\n0,3\n1,2\n2,1.5\n1,2.2\n2,1.4\n3,1.2\n"))
    first, second = runs.runs
    np.testing.assert_array_equal(first.loss, [3, 2, 1.5])  # the first attempt alone
    np.testing.assert_array_equal(second.steps, [0, 1, 2, 3])  # the resumed one: run 0's step 0, then its own
    np.testing.assert_array_equal(second.loss, [3, 2.2, 1.4, 1.2])
    assert second.resumed_from == 0 and second.resumed_at == 1 and runs.split_lines == (5,)


def test_json_lines_accepts_nan_infinity_and_numeric_strings(tmp_path):
    text = '{"step": 0, "loss": "2.5"}\n{"step": 1, "loss": Infinity}\n{"step": 2, "loss": NaN, "lr": 0.1}\n'
    log = read_log(write(tmp_path, "r.log", text))
    assert log.loss[0] == 2.5 and np.isinf(log.loss[1]) and np.isnan(log.loss[2])
    np.testing.assert_array_equal(log.lr, [0.1, 0.1, 0.1])  # the first LR also covers the steps before it


BAD = [
    ("bad_no_loss.csv", 'bad_no_loss.csv: no loss column; found columns epoch, acc. Name the column "loss" '
                        "(or train_loss)"),
    ("bad_non_numeric.csv", 'bad_non_numeric.csv line 4: loss is "tensor(1.95)", not a number; log loss.item(), '
                            "not the tensor"),
    ("bad_empty.csv", "bad_empty.csv is empty"),
    ("bad_header_only.csv", "bad_header_only.csv has a header but no rows"),
    ("bad_binary.bin", "bad_binary.bin is a binary file"),
    ("bad_latin1.csv", "bad_latin1.csv line 2: not UTF-8 text"),
    ("bad_json.jsonl", "bad_json.jsonl line 3: not valid JSON"),
    ("bad_missing_step.csv", "bad_missing_step.csv line 3: step is empty"),
]


@pytest.mark.parametrize("name, message", BAD)
def test_bad_fixtures_give_one_clear_line(name, message):
    with pytest.raises(LogError) as info:
        read_log(FIXTURES / name)
    text = str(info.value)
    assert text.startswith(message) and "\n" not in text
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("name, content, message", [
    ("a.csv", "step,loss\n0,2.3,7,8\n", "a.csv line 2: 4 cells but the header has 2 columns"),
    ("a.csv", "step,loss\n0,\n1,\n", 'a.csv: the column "loss" has no values'),
    ("a.csv", "step,loss\n0,2.3\nx,2.1\n", 'a.csv line 3: step is "x", not a number'),
    ("a.csv", "step,loss\n0,np.float64(2.3)\n",
     'a.csv line 2: loss is "np.float64(2.3)", not a number; write float(x)'),
    ("a.csv", "\n\n   \n", "a.csv is empty"),
    ("a.jsonl", '{"loss": true}\n', "a.jsonl line 1: loss is true, not a number"),
    ("a.jsonl", '{"loss": 1}\n[1, 2]\n', "a.jsonl line 2: a JSON Lines log needs one object per line"),
    ("a.json", "[1, 2]\n", "a.json item 1: not an object"),
    ("a.json", '{\n "runs": []\n}\n', "a.json: a JSON document without a log_history list"),
    ("a.json", '{\n "log_history": [\n', "a.json line 2: not valid JSON"),
])
def test_malformed_contents(tmp_path, name, content, message):
    with pytest.raises(LogError) as info:
        read_log(write(tmp_path, name, content))
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_missing_file_folders_and_size_cap(tmp_path, monkeypatch):
    with pytest.raises(LogError, match="nope.csv: no such file"):
        read_log(tmp_path / "nope.csv")
    (tmp_path / "version_0").mkdir()
    (tmp_path / "version_0" / "metrics.csv").write_text("step,loss\n0,1\n1,0.5\n")
    assert read_log(tmp_path / "version_0").loss.tolist() == [1, 0.5]  # a Lightning version folder
    (tmp_path / "empty").mkdir()
    with pytest.raises(LogError, match="empty is a folder without a log lrtui reads"):
        read_log(tmp_path / "empty")
    monkeypatch.setattr(sources, "MAX_BYTES", 10)
    with pytest.raises(LogError, match="big.csv: 0 MB is more than lrtui reads .*keep every k-th row"):
        read_log(write(tmp_path, "big.csv", "step,loss\n0,1\n1,2\n"))


def test_a_big_log_reads_quickly(tmp_path):
    import time

    n = 200_000
    rng = np.random.default_rng(0)
    loss = 2.3 * np.exp(-np.arange(n) / 50_000) * np.exp(0.2 * rng.standard_normal(n))
    rows = "\n".join(f"{i},{float(v)!r},0.001" for i, v in enumerate(loss))
    path = write(tmp_path, "big.csv", "step,loss,lr\n" + rows + "\n")
    started = time.perf_counter()
    log = read_log(path)
    assert time.perf_counter() - started < 5.0
    assert log.loss.size == n and log.loss[123] == loss[123]


def test_fixtures_are_what_the_generator_writes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_logs", FIXTURES / "make_logs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    for generate in module.GENERATORS:
        generate()

    def files(root):
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                      and p.suffix != ".py" and "tb_run" not in p.parts and "__pycache__" not in p.parts
                      and p.name != "SOURCES.md")

    made = files(tmp_path)
    assert made == files(FIXTURES)
    for name in made:
        fresh, kept = tmp_path / name, FIXTURES / name
        if name.startswith(("bad_", "escapes")) or "mlruns" in name or name.endswith(".json"):
            assert fresh.read_bytes() == kept.read_bytes(), name
            continue
        # Numbers may differ in the last bit between maths libraries; the shapes may not.
        a, b = read_runs(fresh), read_runs(kept)
        assert len(a.runs) == len(b.runs), name
        for x, y in zip(a.runs, b.runs):
            np.testing.assert_array_equal(x.steps, y.steps)
            np.testing.assert_allclose(x.loss, y.loss, rtol=1e-12)
            assert x.columns == y.columns


def test_reading_and_judging_import_no_ui():
    import subprocess
    import sys

    code = ("import sys, lrtui.logs, lrtui.core.diagnostics.curve\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('textual', 'textual_plotext', 'plotext', 'rich'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
