"""Target 2: one 2-D run steps at least 20,000 times a second with history and diagnostics on.

The run is Adam at lr 0.01 on Rosenbrock, stepped through the public API in
calls of 1,000 steps, as `lrtui run` and the app's playback do. The time
includes recording the history and judging every step (the diagnostics).
"""

from __future__ import annotations

import argparse
import json

from benchmarks.common import Result, best_time, fmt_rate, verdict

LIMIT = 20_000  # steps per second
STEPS = 1_000  # per timed call
WARM_UP = 1_000


def measure(repeats: int = 7) -> dict:
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    loss = build_loss("rosenbrock")
    spec = RunSpec(optimizer="adam", optimizer_params={"lr": 0.01})
    rates = {}
    for diagnostics in (True, False):
        sim = Simulation(loss, [spec], diagnostics=diagnostics)
        sim.step(WARM_UP)
        rates[diagnostics] = STEPS / best_time(lambda: sim.step(STEPS), repeats)
    return {"with_diagnostics": rates[True], "without_diagnostics": rates[False]}


def results(repeats: int = 7) -> list[Result]:
    m = measure(repeats)
    return [Result("single 2-D run, history + diagnostics (steps/s)", fmt_rate(m["with_diagnostics"]),
                   f">= {fmt_rate(LIMIT)}", verdict(m["with_diagnostics"] >= LIMIT),
                   f"Adam on Rosenbrock, best of {repeats} x {STEPS:,} steps; "
                   f"without diagnostics {fmt_rate(m['without_diagnostics'])}")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    print(json.dumps(measure(parser.parse_args().repeats)))
