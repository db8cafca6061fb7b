"""`lrtui watch` without a screen: the Follower's verdict as a log grows, and the command's refusals."""

import math
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from lrtui.logs.live import LiveLog
from lrtui.watch_command import Follower


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_verdict_follows_the_curve_as_it_grows(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("step,loss,lr\n")
    clock = Clock()
    follower = Follower(LiveLog(path), clock=clock)  # judging is always due: each step is 10 s after the last
    clock.now += 10
    frame = follower.step()
    assert frame.report is None and "no rows" in frame.problem
    with path.open("a") as f:
        f.write("".join(f"{i},{2.3 * math.exp(-i / 40) + 0.1:.6g},0.1\n" for i in range(200)))
    clock.now += 10
    frame = follower.step()
    assert frame.report.verdict in ("improving", "converged") and frame.log.steps[-1] == 199
    with path.open("a") as f:
        f.write("".join(f"{i},{0.2 * 1.2 ** (i - 200):.6g},3.0\n" for i in range(200, 300)))
    clock.now += 10
    frame = follower.step()
    assert frame.report.verdict == "diverged" and frame.log.steps[-1] == 299
    path.write_text("step,loss,lr\n")  # truncated: the old verdict is not kept for the new run
    clock.now += 10
    frame = follower.step()
    assert frame.report is None and "truncated" in frame.status.notes[-1]


def test_judging_waits_while_the_last_judgement_was_costly(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(f'{{"step": {i}, "loss": {1 / (i + 1)}}}\n' for i in range(50)))
    clock = Clock()
    follower = Follower(LiveLog(path, clock=clock), clock=clock)
    judged = []
    real = follower.judged

    def costly():
        frame = replace(real(), seconds=1.0)  # as if judging took a second
        judged.append(frame)
        return frame

    follower.judged = costly
    follower.step()
    with path.open("a") as f:
        f.write('{"step": 50, "loss": 0.01}\n')
    follower.step()  # changed, but a second of judging allows the next only 1 / JUDGE_SHARE seconds later
    assert len(judged) == 1
    clock.now += 5.0
    frame = follower.step()
    assert len(judged) == 2 and frame.log.steps[-1] == 50


def lrtui(*args, **kw):
    return subprocess.run([sys.executable, "-m", "lrtui", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, **kw)


@pytest.mark.parametrize("args, says", [
    (["--fps", "0"], "--fps must be a positive number"),
    (["--fps", "nan"], "--fps must be a positive number"),
    (["--window", "-1"], "--window must be a positive number"),
])
def test_bad_options_get_one_line(tmp_path, args, says):
    out = lrtui("watch", str(tmp_path / "x.csv"), *args)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and says in out.stderr


def test_not_a_log_and_not_a_terminal_get_one_line(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><body>TensorBoard</body></html>\n")
    out = lrtui("watch", str(page))
    assert out.returncode == 2 and "HTML" in out.stderr and out.stderr.count("\n") == 1
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    out = lrtui("watch", str(fifo))
    assert out.returncode == 2 and "not a regular file" in out.stderr
    log = tmp_path / "ok.csv"
    log.write_text("step,loss\n0,1\n")
    out = lrtui("watch", str(log))  # stdout is a pipe here
    assert out.returncode == 2 and "draws in a terminal" in out.stderr and "lrtui diagnose" in out.stderr


def test_help_names_the_keys_and_the_folders():
    out = lrtui("watch", "--help")
    assert out.returncode == 0 and "q quits" in out.stdout and "lightning_logs" in out.stdout
    assert "lrtui watch LOG_OR_DIR" in lrtui("--help").stdout


def test_a_steady_fall_is_not_too_slow_while_the_writer_goes_on_and_is_once_it_stops(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("step,loss,lr\n" + "".join(f"{i},{2.3 * 0.999 ** i:.6g},1e-4\n" for i in range(300)))
    os.utime(path)  # being written
    clock = Clock()
    live_clock = Clock()
    follower = Follower(LiveLog(path, clock=live_clock, stopped_after=30), clock=clock)
    frame = follower.step()
    assert frame.live and frame.report.verdict == "improving" and frame.report.diagnoses[0].severity == "info"
    assert "improving, steadily" in frame.report.diagnoses[0].message and "more steps" in frame.report.diagnoses[0].message
    live_clock.now += 31  # the writer stopped: judged as a finished run, as lrtui diagnose does
    clock.now += 10
    frame = follower.step()
    assert not frame.live and frame.report.verdict == "too_slow"
