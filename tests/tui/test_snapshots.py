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
