"""Target 2: one 2-D run steps at least 20,000 times a second with history and diagnostics on.

The run is Adam at lr 0.01 on Rosenbrock with a budget of 20,000 steps (as `lrtui run` gives a long run
its budget), stepped through the public API in calls of 1,000 steps, as `lrtui run` and the app's
playback do. The time includes recording the history and the diagnostics: every step's running numbers,
and a checkpoint (evidence, sharpness, the rule table, any checks) every max(5, budget / 200) steps. A
short budget checkpoints every 5 steps and runs slower per step; that rate is reported beside.
"""

from __future__ import annotations

import argparse
import json

from benchmarks.common import Result, best_time, fmt_rate, verdict

LIMIT = 20_000  # steps per second
STEPS = 1_000  # per timed call
WARM_UP = 1_000
BUDGET = 20_000
SHORT_BUDGET = 1_000


def measure(repeats: int = 7) -> dict:
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    loss = build_loss("rosenbrock")
    spec = RunSpec(optimizer="adam", optimizer_params={"lr": 0.01})
    rates = {}
    for name, diagnostics in (("with_diagnostics", True), ("without_diagnostics", False)):
        sim = Simulation(loss, [spec], diagnostics=diagnostics, budget=BUDGET)
        sim.step(WARM_UP)
        rates[name] = STEPS / best_time(lambda: sim.step(STEPS), repeats)
    # A whole short run, its budget stepped in one call (a fresh simulation each time).
    sims = iter([Simulation(loss, [spec], budget=SHORT_BUDGET) for _ in range(repeats)])
    rates["short_budget"] = SHORT_BUDGET / best_time(lambda: next(sims).step(SHORT_BUDGET), repeats)
    return rates


def results(repeats: int = 7) -> list[Result]:
    m = measure(repeats)
    return [Result("single 2-D run, history + diagnostics (steps/s)", fmt_rate(m["with_diagnostics"]),
                   f">= {fmt_rate(LIMIT)}", verdict(m["with_diagnostics"] >= LIMIT),
                   f"Adam on Rosenbrock, budget {BUDGET:,} (a checkpoint every {BUDGET // 200} steps), best of "
                   f"{repeats} x {STEPS:,} steps; without diagnostics {fmt_rate(m['without_diagnostics'])}; with a "
                   f"{SHORT_BUDGET:,}-step budget (a checkpoint every 5 steps) {fmt_rate(m['short_budget'])}")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    print(json.dumps(measure(parser.parse_args().repeats)))
