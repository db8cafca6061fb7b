"""Snapshots of the main screen, paused at fixed steps, at 100x30 and 80x24."""

from pathlib import Path

import pytest

APP = Path(__file__).with_name("snapshot_app.py")


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
@pytest.mark.parametrize("scenario", ["too-high-oscillation", "digits-lr-classic"])
def test_main_screen(snap_compare, size, scenario):
    assert snap_compare(str(APP), terminal_size=size, press=["N", "N", "N"],
                        run_before=lambda pilot: pilot.app.open_named(scenario))


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_finder_screen(snap_compare, size):
    async def open_finder(pilot):
        pilot.app.open_named("too-high-oscillation")
        await pilot.press("N", "f")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(str(APP), terminal_size=size, run_before=open_finder)


# One scenario per lesson of the seeds (too high, too low, schedules, adaptive optimizers, diagnosing and
# fixing, digits): its task as the lesson opens, and its outcome table once the budget is used up.
LESSONS = ["too-high-oscillation", "too-low-slow", "step-decay", "rosenbrock-sgd-vs-adam", "lr-sweep",
           "digits-lr-classic"]


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
@pytest.mark.parametrize("scenario", LESSONS)
def test_lesson_task(snap_compare, size, scenario):
    async def opened(pilot):
        pilot.app.open_named(scenario)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(str(APP), terminal_size=size, run_before=opened)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
@pytest.mark.parametrize("scenario", LESSONS[:-1])  # digits: its outcome sweep trains a network for ~40 s
def test_lesson_outcome(snap_compare, size, scenario):
    async def finish(pilot):
        app = pilot.app
        app.open_finished(scenario)  # trained once for both sizes
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(str(APP), terminal_size=size, run_before=finish)
