"""Targets 4 and 5: drawing the main screen with 8 runs, and the memory of 8 runs x 1,000,000 steps.

The real app runs headless at 160x50 (Textual's run_test) on a scenario of
eight Adam runs on Rosenbrock, stepped to 1,000, 100,000 and 1,000,000 steps.
A frame is the app's redraw (every panel builds its picture and plotext its
canvas) plus Textual laying out and rendering the screen, until it is idle.
Each frame follows one more step (untimed), as while playing: the panels
skip work when their input has not changed, and a frame with nothing new
would measure only that. The checkpoint is reached on the last frame.
It is timed in CPU seconds of this process, because waiting for idle sleeps
and the machine is shared; the CPU time of an idle wait with nothing to draw
is subtracted. The best of several frames counts, taken in three bursts a
second apart, because CPU time too grows when other processes load the machine.

Memory is the peak resident set size (VmHWM) of this same process: the app,
Textual and all eight runs' histories and diagnostics at step 1,000,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from benchmarks.common import Result, run_in, verdict

RUNS_LRS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2]
CHECKPOINTS = (1_000, 100_000, 1_000_000)
SIZE = (160, 50)
FRAME_LIMIT_MS = 30.0  # at 100,000 steps
GROWTH_LIMIT = 1.5  # frame at 1,000,000 steps over frame at 1,000
MEMORY_LIMIT_MB = 200.0
BURSTS, BURST_PAUSE = 3, 1.0  # the frames at a checkpoint come in bursts this many seconds apart


def scenario(steps: int):
    from lrtui.scenario.loader import scenario_from_data

    data = {"name": "benchmark: 8 runs", "steps": steps, "seed": 0, "loss": {"type": "rosenbrock"},
            "optimizer": {"type": "adam", "lr": 1e-3}, "sweep": {"optimizer.lr": RUNS_LRS}}
    return scenario_from_data(data, "benchmark")


def rss_mb(field: str = "VmHWM") -> float:
    """The peak (VmHWM) or current (VmRSS) resident set size of this process, from Linux's /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _frames(frames: int, last: int) -> dict:
    from lrtui.tui.app import LrtuiApp

    app = LrtuiApp([scenario(last)])
    out = {"frame_ms": {}, "redraw_ms": {}, "rss_mb": {}, "step_seconds": 0.0}
    async with app.run_test(size=SIZE) as pilot:
        exp = app.session.experiment
        idle = []
        for _ in range(3):
            started = time.process_time()
            await pilot.pause()
            idle.append(time.process_time() - started)
        baseline = min(idle)
        for checkpoint in CHECKPOINTS:
            started = time.perf_counter()
            while exp.step_count < checkpoint - BURSTS * frames:
                exp.step(min(50_000, checkpoint - BURSTS * frames - exp.step_count))
            out["step_seconds"] += time.perf_counter() - started
            frame, redraw = [], []
            for index in range(BURSTS * frames):
                if index and index % frames == 0:
                    await asyncio.sleep(BURST_PAUSE)  # so one burst of load from elsewhere cannot spoil every frame
                exp.step(1)
                started = time.process_time()
                app.redraw()
                drawn = time.process_time()
                await pilot.pause()
                frame.append(time.process_time() - started - baseline)
                redraw.append(drawn - started)
            out["rss_mb"][checkpoint] = rss_mb("VmRSS")
            out["frame_ms"][checkpoint] = 1e3 * min(frame)
            out["redraw_ms"][checkpoint] = 1e3 * min(redraw)
    out["peak_rss_mb"] = rss_mb()
    return out


def measure(frames: int = 5, last: int = CHECKPOINTS[-1]) -> dict:
    return asyncio.run(_frames(frames, last))


def results(frames: int = 5) -> list[Result]:
    # In a process of its own: a peak RSS taken after the other benchmarks would be theirs.
    m = run_in(None, "drawing", "--frames", str(frames))
    m = {key: ({int(n): v for n, v in value.items()} if isinstance(value, dict) else value)
         for key, value in m.items()}
    f, r = m["frame_ms"], m["redraw_ms"]
    small, mid, big = CHECKPOINTS
    growth = f[big] / f[small]
    note = "; ".join(f"{n:,} steps: frame {f[n]:.1f} ms (redraw {r[n]:.1f})" for n in CHECKPOINTS)
    return [
        Result("frame of the main screen, 160x50, 8 runs at 100,000 steps (ms)", f"{f[mid]:.1f}",
               f"<= {FRAME_LIMIT_MS:.0f}", verdict(f[mid] <= FRAME_LIMIT_MS), note),
        Result("frame at 1,000,000 steps / frame at 1,000 steps", f"{growth:.2f}x", f"<= {GROWTH_LIMIT}x",
               verdict(growth <= GROWTH_LIMIT), "same frames as above"),
        Result("peak RSS, the app with 8 runs x 1,000,000 steps (MB)", f"{m['peak_rss_mb']:.0f}",
               f"< {MEMORY_LIMIT_MB:.0f}", verdict(m["peak_rss_mb"] < MEMORY_LIMIT_MB),
               "headless app incl. Textual, history + diagnostics; RSS after drawing at "
               + ", ".join(f"{n:,} steps {m['rss_mb'][n]:.0f} MB" for n in CHECKPOINTS)
               + f"; stepping took {m['step_seconds']:.0f} s"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5)
    print(json.dumps(measure(parser.parse_args().frames)))
