"""Following a log as it grows (lrtui.logs.tail, lrtui.logs.live): what is new is read, the rest survives.

A fake clock drives the "writer stopped" rules; the files are real and written as trainers write them.
"""

import json
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from lrtui.logs import read_log
from lrtui.logs.live import LiveLog
from lrtui.logs.tail import FileTail
from lrtui.logs.window import thinned

needs_tensorboard = pytest.mark.skipif(
    __import__("importlib").util.find_spec("tensorboard") is None, reason="TensorBoard is not installed")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def rows(start, stop, lr=0.1):
    return "".join(f"{i},{2.0 / (i + 1):.6g},{lr}\n" for i in range(start, stop))


def append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


def losses(live: LiveLog) -> np.ndarray:
    return live.logfile().runs[-1].loss


def test_the_tail_reads_only_what_was_appended(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(b"x" * 1000)
    tail = FileTail(path)
    assert [c.kind for c in tail.poll()] == ["appeared", "data"]
    append(path, "yz")
    changes = tail.poll()
    assert [(c.kind, c.data) for c in changes] == [("data", b"yz")]
    assert tail.poll() == [] and tail.offset == 1002


def test_a_missing_file_is_waited_for_then_read_from_its_start(tmp_path):
    path = tmp_path / "later" / "train.csv"
    live = LiveLog(path, clock=Clock())
    assert not live.poll() and live.logfile() is None
    assert live.status().waiting == f"{path} does not exist yet: waiting for it"
    path.parent.mkdir()
    path.write_text("step,loss,lr\n" + rows(0, 3))
    assert live.poll()
    np.testing.assert_allclose(losses(live), [2.0, 1.0, 2 / 3], rtol=1e-5)
    assert live.status().waiting == "" and live.status().following == "train.csv"


def test_a_partial_last_line_waits_for_its_line_end(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("step,loss,lr\n" + rows(0, 3) + "3,0.4")  # the writer is in the middle of a row
    clock = Clock()
    live = LiveLog(path, clock=clock)
    live.poll()
    assert losses(live).size == 3 and live.status().pending == len("3,0.4")
    append(path, "9,0.1\n")
    live.poll()
    assert losses(live)[-1] == pytest.approx(0.49) and live.status().pending == 0


def test_a_writer_that_stops_mid_line_gets_that_line_counted_and_reread_if_it_goes_on(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("step,loss\n0,2.0\n1,1.5\n2,1.2")
    clock = Clock()
    live = LiveLog(path, clock=clock, stopped_after=30)
    live.poll()
    assert losses(live).size == 2 and not live.status().stopped
    clock.now += 31
    assert live.poll()  # stopped: the held-back line is counted
    assert list(losses(live)) == [2.0, 1.5, 1.2] and live.status().counted_pending
    assert "stopped mid-line" in live.status().notes[-1]
    append(path, "5\n3,1.0\n")  # it went on after all: 1.25, not 1.2
    live.poll()
    assert list(losses(live)) == [2.0, 1.5, 1.25, 1.0] and not live.status().counted_pending


def test_half_a_json_object_left_by_a_stopped_writer_is_left_out(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"step": 0, "loss": 2.0}\n{"step": 1, "loss": 1.5}\n{"step": 2, "loss": 1.2')
    clock = Clock()
    live = LiveLog(path, clock=clock, stopped_after=30)
    live.poll()
    clock.now += 31
    live.poll()
    assert list(losses(live)) == [2.0, 1.5] and live.status().error == ""
    append(path, '5}\n{"step": 3, "loss": 1.0}\n')
    live.poll()
    assert list(losses(live)) == [2.0, 1.5, 1.25, 1.0]


def test_a_log_written_before_the_watch_counts_as_quiet_since_it_changed(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("step,loss\n0,1\n1,0.5")
    os.utime(path, (1_000_000, 1_000_000))  # written long ago, without a last line end
    live = LiveLog(path, clock=Clock())
    live.poll()
    status = live.status()
    assert status.stopped and status.data_time == pytest.approx(1_000_000)
    assert list(losses(live)) == [1.0, 0.5]  # the writer is long gone: its last line counts at once


def test_truncation_starts_the_reading_over(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("step,loss,lr\n" + rows(0, 50))
    live = LiveLog(path, clock=Clock())
    live.poll()
    assert losses(live).size == 50
    with path.open("w") as f:  # a new training opened the log with "w"
        f.write("step,loss,lr\n" + rows(0, 5, lr=0.01))
    assert live.poll()
    log = live.logfile().runs[-1]
    assert log.loss.size == 5 and np.all(log.lr == 0.01)
    assert "truncated: reading it from its start" in live.status().notes[-1]


def test_a_rewrite_in_place_that_grew_is_noticed(tmp_path):
    # Lightning rewrites metrics.csv whole when a new metric adds a column: bigger, and a new header.
    path = tmp_path / "metrics.csv"
    path.write_text("step,train_loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(20)))
    live = LiveLog(path, clock=Clock())
    live.poll()
    path.write_text("step,train_loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},{2 / (i + 1)}\n" for i in range(30)))
    live.poll()
    log = live.logfile().runs[-1]
    assert log.loss.size == 30 and log.val_loss is not None and live.logfile().runs.__len__() == 1
    assert "rewritten from its start" in live.status().notes[-1]


@pytest.mark.parametrize("how", ["rename", "replace"])
def test_rotation_follows_the_new_file_under_the_same_name(tmp_path, how):
    path = tmp_path / "train.log"
    path.write_text("".join(f"step={i} loss={2 / (i + 1):.4f}\n" for i in range(40)))
    live = LiveLog(path, clock=Clock())
    live.poll()
    assert losses(live).size == 40
    if how == "rename":  # logrotate: move the old file away, then the writer creates a new one
        path.rename(tmp_path / "train.log.1")
        live.poll()
        assert "moved or deleted" in live.status().notes[-1]
        assert losses(live).size == 40  # what was read stays while the name points nowhere
        path.write_text("step=0 loss=3.0\nstep=1 loss=2.5\n")
    else:  # written beside it and moved over it (os.replace), as careful writers do
        (tmp_path / "new").write_text("step=0 loss=3.0\nstep=1 loss=2.5\n")
        os.replace(tmp_path / "new", path)
    live.poll()
    assert list(losses(live)) == [3.0, 2.5]
    assert "a new file replaced it" in live.status().notes[-1]


def test_a_file_that_is_not_a_log_stops_the_reading_with_one_line(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x00\x01binary" * 100)
    live = LiveLog(path, clock=Clock())
    live.poll()
    assert "binary file" in live.status().error
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    live = LiveLog(fifo, clock=Clock())
    live.poll()  # never blocks on the FIFO
    assert "not a regular file" in live.status().error


def test_the_format_is_read_from_the_first_lines_and_decided_again_later(tmp_path):
    path = tmp_path / "run.log"
    path.write_text("Namespace(lr=0.1, epochs=3)\nepoch 1 loss=2.0\n")
    live = LiveLog(path, clock=Clock())
    live.poll()
    assert list(losses(live)) == [2.0]
    append(path, "".join(f"epoch {i} loss={2 / i}\n" for i in range(2, 40)))
    live.poll()
    log = live.logfile().runs[-1]
    assert log.loss.size == 39 and log.source_format == "text"


def test_a_new_training_appended_to_the_log_becomes_the_last_run(tmp_path):
    path = tmp_path / "training.log"  # Keras CSVLogger(append=True)
    path.write_text("epoch,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(10)))
    live = LiveLog(path, clock=Clock())
    live.poll()
    append(path, "epoch,loss\n0,5.0\n1,4.0\n")
    live.poll()
    logfile = live.logfile()
    assert len(logfile.runs) == 2 and list(logfile.runs[-1].loss) == [5.0, 4.0]


def test_the_window_rolls_and_keeps_the_run_from_its_start_thinned(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("step,loss,lr\n")
    live = LiveLog(path, clock=Clock(), window_bytes=64 * 1024, window_records=2_000)
    total = 0
    for _ in range(30):  # 30 x 1,000 rows: the window rolls many times
        append(path, rows(total, total + 1000))
        total += 1000
        live.poll()
    log = live.logfile().runs[-1]
    status = live.status()
    assert status.windows >= 10 and status.carried > 0
    assert log.steps[0] == 0 and log.steps[-1] == total - 1  # from its start to now
    assert np.all(np.diff(log.steps) > 0) and log.loss.size < 25_000
    assert log.loss[0] == pytest.approx(2.0) and log.loss[-1] == pytest.approx(2.0 / total, rel=1e-4)
    assert live.source.records <= 2_000 + 1000


def test_the_window_keeps_a_text_logs_epoch_and_its_row_numbers(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("")
    live = LiveLog(path, clock=Clock(), window_records=300)
    for epoch in range(4):  # no step: the epoch is carried from its line, and the row number is the step
        append(path, f"Epoch {epoch}\n" + "".join(f"  batch loss: {1 / (epoch * 500 + i + 1):.5f}\n"
                                                   for i in range(500)))
        live.poll()
    log = live.logfile().runs[-1]
    assert live.status().windows >= 3 and len(live.logfile().runs) == 1
    np.testing.assert_array_equal(log.steps, range(2000))
    assert log.loss[-1] == pytest.approx(1 / 2000, rel=1e-3)


def test_thinning_keeps_the_first_non_finite_loss():
    from lrtui.logs.assemble import TrainingLog

    loss = np.linspace(2, 1, 100_000)
    loss[54_321] = np.nan
    log = TrainingLog(np.arange(100_000.0), loss, None, None, None, "csv")
    small = thinned(log, 1000)
    assert small.loss.size <= 1002 and 54_321 in small.steps and small.steps[-1] == 99_999


def test_a_long_watch_holds_bounded_memory(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text("")
    live = LiveLog(path, clock=Clock(), window_bytes=256 * 1024, window_records=5_000)
    step = 0

    def grow(n):
        nonlocal step
        append(path, "".join(json.dumps({"step": s, "loss": 1 / (s + 1), "lr": 0.1}) + "\n"
                             for s in range(step, step + n)))
        step += n
        live.poll()
        live.logfile()

    for _ in range(10):
        grow(5_000)
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    for _ in range(16):  # another 80,000 rows, 16 windows: memory must not grow with them
        grow(5_000)
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(base, "filename"))
    tracemalloc.stop()
    assert grown < 3 * 2**20, grown
    assert live.logfile().runs[-1].steps[-1] == step - 1


def test_a_trainer_state_is_read_again_whole_and_the_newest_checkpoint_followed(tmp_path):
    out = tmp_path / "output"
    live = LiveLog(out, clock=Clock())
    live.poll()
    assert "does not exist yet" in live.status().waiting

    def save(step):
        folder = out / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        history = [{"step": s, "loss": 2 / s, "learning_rate": 1e-3} for s in range(10, step + 1, 10)]
        # json.dump writes no line end after the closing brace
        (folder / "trainer_state.json").write_text(json.dumps({"log_history": history}, indent=2))

    save(50)
    live.poll()
    assert live.logfile().runs[-1].loss.size == 5 and live.status().following == "output/checkpoint-50/trainer_state.json"
    save(100)
    live._relocate_at = 0  # do not wait RELOCATE_SECONDS for the folder to be looked at again
    live.poll()
    assert live.logfile().runs[-1].loss.size == 10 and "checkpoint-100" in live.status().following


def test_a_folder_of_runs_follows_the_newest(tmp_path):
    logs = tmp_path / "lightning_logs"
    for version, mtime in (("version_0", 1_000_000), ("version_1", 2_000_000)):
        (logs / version).mkdir(parents=True)
        csv = logs / version / "metrics.csv"
        csv.write_text("step,train_loss\n0,1.0\n1,0.5\n" if version == "version_1" else "step,train_loss\n0,9\n")
        os.utime(csv, (mtime, mtime))
        os.utime(logs / version, (mtime, mtime))
    live = LiveLog(logs, clock=Clock())
    live.poll()
    assert live.status().following == "lightning_logs/version_1/metrics.csv"
    assert list(losses(live)) == [1.0, 0.5]


def test_mlflow_metric_files_are_tailed_and_new_ones_picked_up(tmp_path):
    metrics = tmp_path / "mlruns" / "0" / "abc" / "metrics"
    metrics.mkdir(parents=True)
    (metrics / "loss").write_text("".join(f"{1000 + s} {2 / (s + 1)} {s}\n" for s in range(10)))
    live = LiveLog(metrics.parent, clock=Clock())
    live.poll()
    assert losses(live).size == 10 and live.logfile().runs[-1].lr is None
    append(metrics / "loss", "".join(f"{1000 + s} {2 / (s + 1)} {s}\n" for s in range(10, 15)))
    (metrics / "lr").write_text("".join(f"{1000 + s} 0.1 {s}\n" for s in range(15)))
    live._relocate_at = 0
    live.poll()
    log = live.logfile().runs[-1]
    assert log.loss.size == 15 and log.lr is not None and np.all(log.lr == 0.1)


@needs_tensorboard
def test_tensorboard_events_are_read_incrementally_as_they_are_written(tmp_path):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    run = tmp_path / "runs" / "exp1"
    live = LiveLog(run, clock=Clock())
    live.poll()
    assert "does not exist yet" in live.status().waiting
    writer = EventFileWriter(str(run))

    def add(step, value):
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="train/loss", simple_value=value)])
        writer.add_event(event_pb2.Event(wall_time=1000.0 + step, step=step, summary=summary))

    for s in range(10):
        add(s, 2.0 / (s + 1))
    writer.flush()
    live.poll()
    assert losses(live).size == 10
    loaders = dict(live.source.loaders)
    for s in range(10, 25):
        add(s, 2.0 / (s + 1))
    writer.flush()
    live.poll()
    assert losses(live).size == 25 and live.source.loaders == loaders  # the same loader read on
    writer.close()
    np.testing.assert_allclose(losses(live), read_log(run).loss)
