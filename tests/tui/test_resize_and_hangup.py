"""Terminals get resized and SSH links drop (issue 8, item 4).

Random resizes from 10x5 to 300x100 while the app plays: no crash, and at a normal size again the layout
is whole. A hangup (SIGHUP, or the terminal's master side closing) ends the real `lrtui` promptly, with
no traceback and no process left spinning on a dead terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import random
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest
from textual.events import Resize
from textual.geometry import Region, Size

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from tests.tui.test_real_terminal import drain_until_exit, read_until

RESIZES = 200
SMALLEST, LARGEST = (10, 5), (300, 100)
# A window dragged by its edge sends resizes faster than anything can paint them; the app paints
# when it gets a moment. Here every resize is handled and every fifth one is also painted in full.
PAINT_EVERY = 5
EXTREMES = [(10, 5), (300, 100), (10, 100), (300, 5), (11, 6), (299, 99)]


def rendered_text(widget) -> str:
    """The characters the widget shows on screen now, row by row."""
    width, height = widget.region.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


async def resize(pilot, width: int, height: int, paint: bool) -> None:
    size = Size(width, height)
    pilot.app._driver._size = size  # what the headless driver reports, as Pilot.resize_terminal sets it
    pilot.app.post_message(Resize(size, size))
    if paint:
        await pilot.pause()


@pytest.mark.parametrize("scenario, seed", [("rosenbrock-sgd-vs-adam", 8), ("lr-sweep", 9)])
async def test_random_resizes_while_playing_then_a_normal_size_shows_everything(scenario, seed):
    rng = random.Random(seed)
    app = LrtuiApp([find_builtin(scenario).load()], fps=10)
    started = time.perf_counter()
    async with app.run_test(size=(100, 30)) as pilot:
        session = app.session
        session.speed_index = 0  # one step a frame: the budget lasts the whole test
        await pilot.press("space")
        await pilot.pause()
        assert session.playing
        sizes = EXTREMES + [(rng.randint(SMALLEST[0], LARGEST[0]), rng.randint(SMALLEST[1], LARGEST[1]))
                            for _ in range(RESIZES // 2 - len(EXTREMES))]
        for i, (width, height) in enumerate(sizes):
            await resize(pilot, width, height, paint=i < len(EXTREMES) or i % PAINT_EVERY == 0)
        await pilot.pause()
        assert app.size == Size(*sizes[-1]) and app.screen.size == Size(*sizes[-1])
        played = session.experiment.step_count
        assert played > 0 and session.playing  # it kept training through the resizes

        await resize(pilot, 100, 30, paint=True)
        await pilot.press("space")  # pause, so that the step on the status line stays put
        exp = session.experiment
        screen = app.screen
        status = screen.query_one("#status")
        shown = ""
        for _ in range(30):  # a chunk of play may still be finishing: the next frame shows where it ended
            await pilot.pause(0.1)
            shown = rendered_text(status)
            if f"step {exp.step_count}/{session.scenario.steps}  paused" in shown:
                break
        assert not session.playing and exp.step_count >= played
        assert screen.size == Size(100, 30)
        assert f"step {exp.step_count}/{session.scenario.steps}  paused" in shown, shown
        for name in ("#loss", "#lr", "#status", "#diagnostics"):
            region = screen.query_one(name).region
            assert region.width > 0 and region.height > 0, (name, region)
            assert Region(0, 0, 100, 30).contains_region(region), (name, region)
        loss = screen.query_one("#loss")
        assert loss.region.width >= 40 and loss.region.height >= 5
        # Both charts are drawn again at the new size: title, y ticks on the frame, and curves.
        for name, title in (("#loss", "loss"), ("#lr", "learning rate")):
            drawn = rendered_text(screen.query_one(name))
            assert title in drawn and drawn.count("┤") >= 2, drawn
            assert sum("⠁" <= ch <= "⣿" or ch == "•" for ch in drawn) > 10, drawn  # braille dots of the curves
    assert time.perf_counter() - started < 60  # about 10 s alone; 2 cores shared with other work


async def test_the_loss_chart_of_a_sweep_with_a_run_near_overflow_is_drawn():
    # A run that diverges passes through losses near 1e278 first (lr-sweep by step 10): the chart once drew
    # nothing but one x tick then.
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("N")
        await pilot.pause()
        assert app.session.experiment.diverged_at(7) >= 0
        drawn = rendered_text(app.screen.query_one("#loss"))
        assert "loss" in drawn and "┤" in drawn, drawn


# -- hangups -------------------------------------------------------------------------------------------
# The app's own stderr goes to a file, so that a traceback shows even after the terminal is gone;
# Textual draws on the real stderr (the terminal), which it keeps as sys.__stderr__.
LAUNCH = ("import sys; sys.stderr = open(sys.argv[1], 'w', buffering=1); from lrtui.cli import main; "
          "raise SystemExit(main(sys.argv[2:]))")
HANGUP_SECONDS = 5.0
HUNG_UP = (-signal.SIGHUP, 128 + signal.SIGHUP)  # killed by SIGHUP, or exited as a shell reports that


def start_playing(tmp_path, controlling_terminal: bool):
    """The real app in a new pseudo-terminal, started playing; returns (process, master fd, stderr log)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    log = tmp_path / "stderr.log"

    def new_session():
        os.setsid()
        if controlling_terminal:  # as a login shell's children have: the kernel sends SIGHUP on hangup
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(log), "rosenbrock-sgd-vs-adam"], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True, preexec_fn=new_session,
                            cwd=tmp_path)
    os.close(slave)
    try:
        assert b"step 0/1000" in read_until(master, b"step 0/1000", 20)
        os.write(master, b" ")
        assert b"playing" in read_until(master, b"playing", 10)
        read_until(master, b"\0never", 0.5)  # let it play a few frames
    except BaseException:
        proc.kill()
        os.close(master)
        raise
    return proc, master, log


def wait_without_reading(proc, seconds: float):
    try:
        return proc.wait(seconds)
    except subprocess.TimeoutExpired:
        return None


def assert_ended_cleanly(proc, code, log, seconds: float) -> None:
    if code is None:
        proc.kill()
        proc.wait(10)
    assert code is not None, f"still running {seconds:g} s after the hangup"
    assert code in HUNG_UP + (0,), code
    errors = log.read_text()
    assert "Traceback" not in errors and "Error" not in errors, errors
    assert not [p.name for p in log.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("controlling_terminal", [True, False])
def test_sighup_ends_the_playing_app_promptly_without_a_traceback(tmp_path, controlling_terminal):
    proc, master, log = start_playing(tmp_path, controlling_terminal)
    try:
        started = time.monotonic()
        proc.send_signal(signal.SIGHUP)
        code = drain_until_exit(master, proc, HANGUP_SECONDS)  # keep reading: a full pty would block it
        screen = read_until(master, b"\0never", 0.2)
    finally:
        os.close(master)
    assert_ended_cleanly(proc, code, log, HANGUP_SECONDS)
    assert time.monotonic() - started < HANGUP_SECONDS and b"Traceback" not in screen


def test_closing_the_terminal_ends_the_app_it_controls(tmp_path):
    proc, master, log = start_playing(tmp_path, controlling_terminal=True)
    os.close(master)  # the SSH link drops: sshd closes its side of the pseudo-terminal
    code = wait_without_reading(proc, HANGUP_SECONDS)
    assert_ended_cleanly(proc, code, log, HANGUP_SECONDS)


def test_closing_a_terminal_that_sends_no_sighup_still_ends_the_app(tmp_path):
    # No controlling terminal (or SIGHUP not delivered): the app only sees its terminal read as
    # end-of-file and fail to write. It must notice, not spin on the dead terminal forever.
    proc, master, log = start_playing(tmp_path, controlling_terminal=False)
    os.close(master)
    code = wait_without_reading(proc, HANGUP_SECONDS)
    assert_ended_cleanly(proc, code, log, HANGUP_SECONDS)
