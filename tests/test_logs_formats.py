"""Every log format lrtui reads, on a real-format sample (tests/fixtures/logs, see SOURCES.md there): the
loss, LR, validation loss and steps it finds, the column it picked and why, and runs split, never blended."""

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from lrtui.logs import LogError, LogReader, read_log, read_runs
from lrtui.logs.columns import classify, pick_roles, tokens

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"


def has_tensorboard() -> bool:
    try:
        import tensorboard.backend.event_processing.event_file_loader  # noqa: F401
    except ImportError:
        return False
    return True


needs_tensorboard = pytest.mark.skipif(not has_tensorboard(), reason="pip install 'lrtui[tensorboard]'")


# -- one sample per format ----------------------------------------------------------------------------------

def test_hugging_face_trainer_state_json_and_its_checkpoint_folders():
    for path in (FIXTURES / "hf_output" / "checkpoint-600" / "trainer_state.json", FIXTURES / "hf_output",
                 FIXTURES / "hf_output" / "checkpoint-600"):
        log = read_log(path)
        assert log.source_format == "huggingface"
        assert log.columns == {"loss": "loss", "val_loss": "eval_loss", "lr": "learning_rate", "step": "step",
                               "epoch": "epoch", "grad_norm": "grad_norm"}
        np.testing.assert_array_equal(log.steps, [1] + list(range(10, 601, 10)))
        np.testing.assert_array_equal(log.val_steps, range(100, 601, 100))
        assert log.lr[0] == pytest.approx(5e-5 / 50) and log.lr[5] == pytest.approx(5e-5)  # warmup, then decay
        assert np.all(np.isfinite(log.grad_norm))
        assert log.note == ""  # the summary entry's train_loss (one value) is no rival of loss


def test_mlflow_run_folder_metrics_folder_and_one_metric_file():
    run = FIXTURES / "mlruns" / "0" / "4f1c2d8e9a7b4c3d"
    for path in (run, run / "metrics", run / "metrics" / "loss", FIXTURES / "mlruns" / "0"):
        log = read_log(path)
        assert log.source_format == "mlflow" and log.label == "bold-owl-7"
        assert log.columns == {"loss": "loss", "val_loss": "val_loss", "lr": "lr", "step": "step"}
        np.testing.assert_array_equal(log.steps, range(0, 500, 5))
        np.testing.assert_array_equal(log.val_steps, range(45, 500, 50))
        assert np.all(log.lr == 0.01)
    # Pointing at another metric file judges that metric.
    assert read_log(run / "metrics" / "val_loss").columns["loss"] == "val_loss"


def test_wandb_export_gives_one_run_per_run_name_without_the_min_max_bands():
    runs = read_runs(FIXTURES / "wandb_export.csv")
    assert runs.source_format == "wandb" and runs.parallel
    assert [r.label for r in runs.runs] == ["sunny-field-12", "misty-lake-13"]
    first, second = runs.runs
    assert first.columns["loss"] == "train/loss" and first.columns["step"] == "Step"
    np.testing.assert_array_equal(first.steps, range(0, 2000, 20))
    np.testing.assert_array_equal(second.steps, range(0, 1501, 20))  # its empty cells are left out
    rows = (FIXTURES / "wandb_export.csv").read_text().splitlines()
    assert first.loss[3] == float(rows[4].split(",")[1].strip('"'))  # the value, not its __MIN or __MAX


@pytest.mark.parametrize("name, loss, val, step, n", [
    ("python_logging.log", "Train Loss", "Val Loss", "Epoch", 19),
    ("keras_fit.txt", "loss", "val_loss", "Epoch", 15),
    ("pytorch_tutorial.log", "Loss", None, "Step", 30),
    ("nanogpt.log", "loss", "val loss", "iter", 200),
])
def test_plain_logging_text(name, loss, val, step, n):
    log = read_log(FIXTURES / name)
    assert log.source_format == "text"
    assert log.columns["loss"] == loss and log.columns.get("val_loss") == val and log.columns["step"] == step
    assert log.loss.size == n and np.all(np.isfinite(log.loss)) and np.all(np.diff(log.steps) > 0)


def test_the_issues_logging_line_and_steps_that_restart_each_epoch():
    log = read_log(FIXTURES / "python_logging.log")
    first = (FIXTURES / "python_logging.log").read_text().splitlines()[0]
    assert first.startswith("2023-05-15 22:50:") and "INFO:Epoch 1: Train Loss=" in first
    np.testing.assert_array_equal(log.steps, range(1, 20))
    assert log.loss[0] == float(first.split("Train Loss=")[1].split(",")[0])
    tutorial = read_log(FIXTURES / "pytorch_tutorial.log")  # Epoch [e/5], Step [s/600]: s restarts each epoch
    np.testing.assert_array_equal(tutorial.steps, range(100, 3001, 100))
    nano = read_log(FIXTURES / "nanogpt.log")  # eval lines say `step`, training lines `iter`
    np.testing.assert_array_equal(nano.val_steps, range(0, 2000, 250))


def test_text_variants(tmp_path):
    text = ("Train Epoch: 1 [0/60000 (0%)]\tLoss: 2.300024\nTrain Epoch: 1 [640/60000 (1%)]\tLoss: 1.213900\n"
            "\nTest set: Average loss: 0.9488, Accuracy: 9841/10000 (98%)\n\n"
            "Train Epoch: 2 [0/60000 (0%)]\tLoss: 0.800024\nTrain Epoch: 2 [640/60000 (1%)]\tLoss: 0.613900\n"
            "\x1b[32mINFO\x1b[0m step=5 loss=tensor(0.5000, device='cuda:0') lr: 1e-3\n"
            "12/20 [=====>....] - ETA: 3s - loss: 9.9\n")
    log = read_log(write(tmp_path, "mnist.log", text))
    assert log.columns["loss"] == "Loss" and log.columns["val_loss"] == "val Average loss"
    # `loss=tensor(0.5000, ...)` is the same column as `Loss:` (one spelling per key); the ETA line is skipped.
    np.testing.assert_array_equal(log.loss, [2.300024, 1.2139, 0.800024, 0.6139, 0.5])
    np.testing.assert_array_equal(log.val_loss, [0.9488])
    assert log.steps.tolist() == sorted(log.steps.tolist())  # several losses an epoch: row order is the step


def test_tensorboard_download_after_a_restart_is_two_runs():
    runs = read_runs(FIXTURES / "tensorboard_restart.csv")
    assert len(runs.runs) == 2 and not runs.parallel and runs.split_lines == (102,)
    assert runs.runs[0].steps[-1] == 990 and runs.runs[1].steps[0] == 0 and runs.runs[1].resumed_from is None


def test_keras_file_appended_by_four_trainings():
    runs = read_runs(FIXTURES / "keras_appended.csv")
    assert len(runs.runs) == 4 and runs.split_lines == (14, 26, 38)
    for r in runs.runs:
        np.testing.assert_array_equal(r.steps, range(12))
    assert np.isnan(runs.runs[3].loss[-1]) and read_log(FIXTURES / "keras_appended.csv").run == 3
    assert read_log(FIXTURES / "keras_appended.csv", run=0).loss[0] == runs.runs[0].loss[0]
    with pytest.raises(LogError, match=r"keras_appended.csv has 4 runs \(runs 0 to 3\); --run 4 is not one"):
        read_log(FIXTURES / "keras_appended.csv", run=4)


def test_a_repeated_header_starts_a_new_run(tmp_path):
    runs = read_runs(write(tmp_path, "cat.csv", "step,loss\n0,2\n1,1\n2,0.5\nstep,loss\n3,2.1\n4,1.5\n"))
    assert [r.loss.tolist() for r in runs.runs] == [[2, 1, 0.5], [2.1, 1.5]]


def test_mean_loss_among_five_other_loss_columns_and_its_nan():
    log = read_log(FIXTURES / "mean_loss.csv")
    assert log.columns["loss"] == "mean_loss"
    assert "mean loss is preferred over component losses" in log.note and "--column NAME" in log.note
    assert np.isnan(log.loss[-1]) and log.steps[np.argmax(np.isnan(log.loss))] == 380
    assert read_log(FIXTURES / "mean_loss.csv", column="kl_loss").columns["loss"] == "kl_loss"
    assert read_log(FIXTURES / "mean_loss.csv", column="KL Loss").columns["loss"] == "kl_loss"
    with pytest.raises(LogError, match=r'no column "nope" \(--column\); its loss columns are: mean_loss, '):
        read_log(FIXTURES / "mean_loss.csv", column="nope")


def test_header_spellings_are_normalised():
    log = read_log(FIXTURES / "hf_notebook_table.csv")
    assert log.columns == {"loss": "Training Loss", "val_loss": "Validation Loss", "step": "Step"}
    assert tokens("train/loss") == tokens("Train Loss") == tokens("trainLoss") == ("train", "loss")


@pytest.mark.parametrize("names, loss", [
    (["step", "train_loss_epoch", "train_loss_step"], "train_loss_step"),
    (["loss_epoch", "val_loss"], "loss_epoch"),
    (["step", "kl_loss", "recon_loss", "total_loss"], "total_loss"),
    (["step", "kl_loss", "recon_loss"], "kl_loss"),
    (["loss_scale", "loss"], "loss"),
    (["Loss/train", "Loss/test"], "Loss/train"),
    (["train/loss", "eval/loss", "train/learning_rate"], "train/loss"),
    (["epoch_loss", "validation/epoch_loss"], "epoch_loss"),
])
def test_the_loss_column_rule(names, loss):
    roles = pick_roles(names, "x.csv")
    assert roles.loss == loss
    assert classify("loss_scale") is None and classify("best_loss") is None  # not the loss's value
    assert classify("lr-Adam-momentum") is None and classify("lr-SGD/pg1").role == "lr"


@needs_tensorboard
def test_tensorboard_event_folder_and_file():
    folder = FIXTURES / "tb_run"
    event = next(folder.glob("events.out.tfevents.*"))
    for path in (folder, event):
        log = read_log(path)
        assert log.source_format == "tensorboard-events"
        assert log.columns == {"loss": "train/loss", "val_loss": "val/loss", "lr": "train/lr", "step": "step"}
        np.testing.assert_array_equal(log.steps, range(200))
        np.testing.assert_array_equal(log.val_steps, range(24, 200, 25))
        assert np.allclose(log.lr, 0.05)


def write_events(folder: Path, points, tag="loss", suffix="", wall=1000.0):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(folder), filename_suffix=suffix)
    for i, (step, value) in enumerate(points):
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
        writer.add_event(event_pb2.Event(wall_time=wall + i, step=step, summary=summary))
    writer.close()


@needs_tensorboard
def test_tensorboard_restart_keras_subfolders_and_a_folder_of_runs(tmp_path):
    run = tmp_path / "restart"
    write_events(run, [(s, 2.0 / (s + 1)) for s in range(20)], suffix=".a", wall=1000)
    write_events(run, [(s, 1.0 / (s + 1)) for s in range(10, 30)], suffix=".b", wall=5000)  # resumed at 10
    runs = read_runs(run)
    assert len(runs.runs) == 2 and runs.runs[1].resumed_from == 0 and runs.runs[1].resumed_at == 10
    np.testing.assert_array_equal(runs.runs[1].steps, range(30))
    assert runs.runs[1].loss[9] == pytest.approx(2.0 / 10) and runs.runs[1].loss[10] == pytest.approx(1.0 / 11)
    keras = tmp_path / "keras"
    write_events(keras / "train", [(s, 2.0 / (s + 1)) for s in range(15)], tag="epoch_loss")
    write_events(keras / "validation", [(s, 2.2 / (s + 1)) for s in range(15)], tag="epoch_loss")
    log = read_log(keras)  # train/ and validation/ are parts of one run, not two runs
    assert log.columns["loss"] == "train/epoch_loss" and log.columns["val_loss"] == "validation/epoch_loss"
    sweep = tmp_path / "lightning_logs"
    for v in range(3):
        write_events(sweep / f"version_{v}", [(s, (v + 1) / (s + 1)) for s in range(12)])
    runs = read_runs(sweep)
    assert runs.parallel and [r.label for r in runs.runs] == ["version_0", "version_1", "version_2"]


def test_without_tensorboard_an_event_file_gets_the_install_hint(tmp_path, monkeypatch):
    import lrtui.logs.tensorboard_format as tb

    monkeypatch.setattr(tb, "loader_class", lambda: None)
    path = write(tmp_path, "events.out.tfevents.1714.host", b"\x18\x00\x00\x00binary")
    with pytest.raises(LogError, match=r"needs TensorBoard: pip install 'lrtui\[tensorboard\]'"):
        read_log(path)


@needs_tensorboard
def test_a_corrupt_event_file_is_one_clear_error(tmp_path):
    path = write(tmp_path, "events.out.tfevents.1714.host", bytes(range(256)) * 40)
    try:
        log = read_runs(path)
    except LogError as exc:
        assert "\n" not in str(exc)
    else:
        pytest.fail(f"read {log}")


# -- reading as a file grows ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["keras_appended.csv", "lightning_metrics.csv", "run.jsonl", "python_logging.log",
                                  "wandb_export.csv", "nanogpt.log"])
def test_fed_in_random_pieces_the_reader_gets_what_a_whole_read_gets(name):
    data = (FIXTURES / name).read_bytes()
    whole = read_runs(FIXTURES / name)
    rng = random.Random(name)
    reader = LogReader(name)
    at, seen = 0, []
    while at < len(data):
        step = rng.choice([1, 2, 7, 64, 1000])
        reader.feed(data[at: at + step])
        at += step
        if reader.parser is not None and rng.random() < 0.05:
            seen.append(sum(r.loss.size for r in reader.log().runs))  # a view mid-file never fails
    reader.end()
    got = reader.log()
    assert len(got.runs) == len(whole.runs)
    for a, b in zip(got.runs, whole.runs):
        np.testing.assert_array_equal(a.steps, b.steps)
        np.testing.assert_array_equal(a.loss, b.loss)
    assert seen == sorted(seen)  # rows only ever arrive


def test_a_partial_last_line_waits_for_the_rest(tmp_path):
    reader = LogReader("live.csv")
    reader.feed(b"step,loss\n0,2.3\n1,2.1\n2,1.")
    for _ in range(40):
        reader.feed(b"")
    reader.feed(b"9\r")
    reader.feed(b"\n3,1.7\n")
    assert reader.parser is None  # a handful of lines: the format is decided on more, or at the end
    reader.end()
    assert read_runs(write(tmp_path, "same.csv", "step,loss\n0,2.3\n1,2.1\n2,1.9\n3,1.7\n")).runs[0].loss.tolist() \
        == reader.log().runs[0].loss.tolist() == [2.3, 2.1, 1.9, 1.7]


def test_json_lines_nested_objects_are_flattened(tmp_path):
    lines = [json.dumps({"step": s, "train": {"loss": 1.0 / (s + 1), "lr": 0.1}}) for s in range(5)]
    log = read_log(write(tmp_path, "m.jsonl", "\n".join(lines)))
    assert log.columns["loss"] == "train/loss" and log.columns["lr"] == "train/lr"
    assert math.isclose(log.loss[4], 0.2)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_fixture_sources_are_documented():
    sources = (FIXTURES / "SOURCES.md").read_text()
    for p in FIXTURES.iterdir():
        if p.name in ("make_logs.py", "SOURCES.md", "__pycache__") or p.name.startswith("bad_"):
            continue  # the broken logs are one row of the table
        assert f"`{p.name}{'/' if p.is_dir() else ''}`" in sources, p.name
    assert "`bad_*.csv`" in sources
