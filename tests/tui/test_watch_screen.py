"""`lrtui watch` on screen: a writer thread appends to a log while a Pilot reads what the panels show."""

import math
import os
import threading
import time

import pytest

from lrtui.logs.live import LiveLog
from lrtui.tui.watch_app import WatchApp
from lrtui.watch_command import Follower

SIZE = (100, 30)


def make_app(path, fps=10.0, ascii_only=False, **live):
    return WatchApp(Follower(LiveLog(path, **live)), fps=fps, ascii_only=ascii_only)


def shown(app, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}").render())


async def until(pilot, condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out; the screen says:\n" + shown(pilot.app, "status"))
        await pilot.pause(0.1)


class Writer(threading.Thread):
    """A training loop that logs a row per step: healthy at first, then the LR jumps and the loss blows up."""

    def __init__(self, path, steps: int, calm: int, delay: float = 0.005):
        super().__init__(daemon=True)
        self.path, self.steps, self.calm, self.delay = path, steps, calm, delay
        self.written = 0

    def run(self):
        with open(self.path, "a") as f:
            if f.tell() == 0:
                f.write("step,loss,lr\n")
            for i in range(self.steps):
                if i < self.calm:
                    lr, loss = 0.1, 2.3 * math.exp(-i / 40) + 0.1 + 0.02 * ((i * 7919) % 13) / 13
                else:
                    lr, loss = 3.0, 0.2 * 1.15 ** (i - self.calm)
                f.write(f"{i},{loss:.6g},{lr}\n")
                f.flush()
                self.written = i + 1
                time.sleep(self.delay)


async def test_the_step_loss_and_verdict_change_as_a_writer_appends(tmp_path):
    path = tmp_path / "train.csv"
    writer = Writer(path, steps=400, calm=250)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "does not exist yet" in shown(app, "status"))
        writer.start()
        await until(pilot, lambda: "improving" in shown(app, "status") or "converged" in shown(app, "status"))
        first = app.frame.log.steps[-1]
        assert "CSV" in shown(app, "status") and "lr 0.1" in shown(app, "status")
        assert "learning rate" in app.screen.query_one("#lr").picture.title
        await until(pilot, lambda: "diverged" in shown(app, "status"), timeout=30)
        writer.join()
        await until(pilot, lambda: app.frame.log.steps[-1] == 399)
        assert app.frame.log.steps[-1] > first
        status = shown(app, "status")
        assert "step 399" in status and "lr 3" in status
        assert "diverged" in shown(app, "verdict") and "the LR is too high" in shown(app, "verdict")
        assert any(line.marker == "!" for line in app.screen.query_one("#loss").picture.lines)


async def test_truncation_and_rotation_mid_watch(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("step,loss,lr\n" + "".join(f"{i},{2 / (i + 1):.5f},0.1\n" for i in range(100)))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "step 99 " in shown(app, "status"))
        with path.open("w") as f:  # truncated: a new training opened the log with "w"
            f.write("step,loss,lr\n")
        await until(pilot, lambda: "truncated" in shown(app, "status"))
        assert app.frame.report is None  # nothing of the old run is shown as the new one
        with path.open("a") as f:
            f.write("".join(f"{i},{3 / (i + 1):.5f},0.01\n" for i in range(30)))
        await until(pilot, lambda: "step 29 " in shown(app, "status") and "lr 0.01" in shown(app, "status"))
        path.rename(tmp_path / "train.csv.1")  # rotated: moved away, then a new file under the name
        await until(pilot, lambda: "moved or deleted" in shown(app, "status"))
        assert "step 29 " in shown(app, "status")  # what was read stays while the name points nowhere
        path.write_text("step,loss,lr\n" + "".join(f"{i},{1 / (i + 1):.5f},0.5\n" for i in range(12)))
        await until(pilot, lambda: "step 11 " in shown(app, "status") and "lr 0.5" in shown(app, "status"))
        assert "a new file replaced it" in shown(app, "status")


async def test_a_partial_line_waits_and_a_stopped_writer_is_named(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(f'{{"step": {i}, "loss": {2 / (i + 1)}}}\n' for i in range(20)) + '{"step": 20, "lo')
    app = make_app(path, stopped_after=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "step 19 " in shown(app, "status"))
        with path.open("a") as f:
            f.write('ss": 0.05}\n')
            f.flush()
        await until(pilot, lambda: "step 20 " in shown(app, "status"))
        assert "loss 0.05" in shown(app, "status")
        await until(pilot, lambda: "has the writer stopped?" in shown(app, "status"))
        with path.open("a") as f:
            f.write('{"step": 21, "loss": 0.04}\n')
        await until(pilot, lambda: "following: last data at" in shown(app, "status"))
        assert "step 21 " in shown(app, "status")


async def test_a_partial_line_is_said_to_wait_for_its_line_end(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("step,loss\n0,1.0\n1,0.9\n2,0.8\n3,0.")
    os.utime(path)  # just written: the writer is live
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "a last line of 4 bytes waits for its line end" in shown(app, "status"))
        assert "step 2 " in shown(app, "status")


async def test_keys_log_axis_pause_and_quit(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("".join(f"step={i} loss={10 ** (-i / 20):.6g} lr=0.1\n" for i in range(100)))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.frame is not None and app.frame.report is not None)
        await pilot.pause(0.3)
        loss = app.screen.query_one("#loss")
        assert loss.picture.log_y and "log10, auto" in loss.picture.title  # five decades: log10 on its own
        await pilot.press("l")
        await pilot.pause(0.2)
        assert not loss.picture.log_y and "linear" in loss.picture.title
        await pilot.press("p")
        await pilot.pause(0.2)
        assert "paused (p goes on)" in shown(app, "status")
        frames = app.frames
        with path.open("a") as f:
            f.write("step=100 loss=1e-5 lr=0.1\n")
        await until(pilot, lambda: app.frames > frames + 2)
        assert "step 99 " in shown(app, "status")  # drawing waits while paused; the log is still read
        await pilot.press("p")
        await until(pilot, lambda: "step 100 " in shown(app, "status"))
        await pilot.press("q")
    assert app.return_code in (None, 0)


async def test_moving_through_the_findings_shows_each_in_the_verdict_panel(tmp_path):
    path = tmp_path / "train.csv"
    rows = [f"{i},{2.3 * math.exp(-i / 30) + 0.1:.5f},{0.1}" for i in range(150)]
    rows[80] = "80,9.0,0.1"  # a spike: a finding beside the verdict
    path.write_text("step,loss,lr\n" + "\n".join(rows) + "\n")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.frame is not None and app.frame.report is not None)
        await pilot.pause(0.3)
        findings = app.screen.query_one("#findings")
        assert len(findings.findings) >= 2, [d.code for d in findings.findings]
        verdict_before = shown(app, "verdict")
        findings.focus()
        await pilot.press("down")
        await pilot.pause(0.2)
        second = findings.findings[1]
        assert shown(app, "verdict") != verdict_before
        assert second.code.replace("_", " ") in shown(app, "verdict")


@pytest.mark.parametrize("ascii_only", [False, True])
async def test_ascii_and_no_color(tmp_path, monkeypatch, ascii_only):
    monkeypatch.setenv("NO_COLOR", "1")
    path = tmp_path / "train.csv"
    path.write_text("step,loss,lr,val_loss\n" + "".join(
        f"{i},{2 / (i + 1):.5f},0.1,{2.2 / (i + 1) if i % 10 == 0 else ''}\n" for i in range(200)))
    app = make_app(path, ascii_only=ascii_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.frame is not None and app.frame.report is not None)
        await pilot.pause(0.3)
        assert app.no_color
        chart = app.screen.query_one("#loss")
        assert chart.resolve(0) == chart.resolve(1) == chart.resolve("diverged") == "default"
        assert chart.picture.lines[1].marker == "*"  # the smoothed loss: run 0's marker
        assert chart.picture.lines[2].marker == "+"  # without colour the validation loss has its own marker
        if ascii_only:
            for widget_id in ("loss", "lr", "status", "verdict"):
                assert shown(app, widget_id).isascii(), widget_id


async def test_text_from_the_log_is_shown_inert(tmp_path):
    path = tmp_path / "run\x1b]0;owned\x07\u202e.csv"
    path.write_text("step,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(30)))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.frame is not None and app.frame.report is not None)
        status = shown(app, "status")
        assert "run\\x1b]0;owned\\x07\\u202e.csv" in status
        assert "\x1b" not in status and "\u202e" not in status
