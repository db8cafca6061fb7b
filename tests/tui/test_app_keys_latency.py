"""While playing at top speed, a key press is handled within 50 ms, and frames come at about --fps.

Timings on a shared machine are noisy, so the checks use the median and a
generous tail, over many presses sent at random moments of the frame.
"""

import asyncio
import random
import statistics
import time

import pytest

from benchmarks.latency import key_latencies, long_scenario, timed_app_class
from lrtui.tui.session import SPEEDS, Session

KEY_BUDGET = 0.050
TimedApp = timed_app_class()  # the app `make bench` times: keys note when they were handled


VIEW_KEYS, LR_KEYS = [("l", "l")], [("plus", "+"), ("minus", "-")]


# lr-sweep: eight 2-D runs. On the digits MLP `+` waits for the step in progress, and this test process
# runs BLAS on every core (the app itself uses one), so under CI load only its view key is held to 50 ms
# here; `make bench` measures both kinds of key on both scenarios as the app runs.
@pytest.mark.parametrize("name, keys", [("lr-sweep", VIEW_KEYS), ("lr-sweep", LR_KEYS),
                                        ("digits-lr-classic", VIEW_KEYS)], ids=["view", "lr", "digits-view"])
async def test_a_key_is_handled_within_50_ms_while_playing_at_top_speed(name, keys):
    random.seed(5)
    # Other work on a shared machine can stall any process for a while, so a slow round is measured
    # again; stepping on the UI thread (a 50-700 ms MLP step, a 30 ms chunk) fails every round.
    for _ in range(3):
        app = TimedApp([long_scenario(name)])
        async with app.run_test(size=(100, 30)) as pilot:
            app.session.speed_index = len(SPEEDS) - 1
            await pilot.press("space")
            await pilot.pause(0.3)
            latencies = sorted(await key_latencies(app, keys, 30))
            await pilot.pause()
            # Still playing: on a loaded machine one slow MLP step may have been in flight all along.
            assert app.session.playing and app.session.experiment.step_count > 0
        if statistics.median(latencies) < KEY_BUDGET and latencies[int(0.8 * len(latencies))] < KEY_BUDGET:
            break
    assert statistics.median(latencies) < KEY_BUDGET, latencies
    assert latencies[int(0.8 * len(latencies))] < KEY_BUDGET, latencies


async def test_frames_come_at_about_the_requested_rate_while_playing():
    app = TimedApp([long_scenario("too-high-oscillation")], fps=15)
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.speed_index = len(SPEEDS) - 1
        await pilot.press("space")
        await pilot.pause(0.2)
        frames, started = app.frames, time.perf_counter()
        await asyncio.sleep(1.5)
        rate = (app.frames - frames) / (time.perf_counter() - started)
        assert app.session.playing
    assert 5 <= rate <= 16, rate  # capped at --fps; a loaded machine may drop some frames


def test_one_frame_of_stepping_keeps_to_its_time_budget():
    """Session.play asks for no more steps than the last frame's pace says fit in the budget."""
    session = Session([long_scenario("lr-sweep")])
    session.speed_index = len(SPEEDS) - 1
    top = session.speed
    session.play(0.02)  # learn the pace
    times = []
    for _ in range(20):
        started = time.perf_counter()
        done = session.play(0.02)
        times.append(time.perf_counter() - started)
        assert 0 < done < top  # bounded by time, not by the speed
    assert statistics.median(times) < 0.035, times
