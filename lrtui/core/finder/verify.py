"""Check a range test's suggestions against what actually trains best.

Every suggestion and every LR of a log grid trains for the same budget, from
the same start, with the same mini-batches, as one batched Simulation. The
schedule is replaced by a constant LR, as in the range test, and the run's
mid-run changes are left out, so the runs differ in their learning rate and
nothing else.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from lrtui.core.finder.range_test import RangeTest
from lrtui.core.finder.rules import RULES
from lrtui.core.losses.base import Loss
from lrtui.core.run_spec import RunSpec
from lrtui.core.simulation import Simulation

MAX_GRID_POINTS = 1000


def verify_suggestions(loss: Loss, spec: RunSpec, result: RangeTest, *, steps: int, seed: int = 0,
                       grid_points: int = 13, eval_every: int | None = None) -> dict:
    """Train `steps` steps at each rule's LR and at `grid_points` LRs spaced evenly in log over the
    LRs the range test took; JSON-ready (no NaN or infinity: a missing number is None).

    The final loss is the full training loss for data models (their test accuracy comes too) and the
    loss itself otherwise. `eval_every` only sets how often models are evaluated along the way; the
    final numbers are always measured at the last step.
    """
    steps = _whole(steps, "steps", 1)
    grid_points = _whole(grid_points, "grid_points", 2, MAX_GRID_POINTS)
    if result.lr[-1] > result.lr[0]:
        # Spaced in log10 and raised to a power: geomspace overflows on its way to LRs near the largest float.
        exponents = np.linspace(np.log10(result.lr[0]), np.log10(result.lr[-1]), grid_points)
        with np.errstate(over="ignore"):
            grid = np.minimum(10.0 ** exponents, result.lr[-1])
        grid[0], grid[-1] = result.lr[0], result.lr[-1]
    else:
        grid = np.full(1, float(result.lr[0]))
    picked = sorted({lr for lr in result.suggestions.values() if lr is not None})
    lrs = [float(lr) for lr in grid] + picked
    # Without the run's mid-run changes: a fix applied to it (an LR set at step 0) had set every grid run's LR
    # back to the fix's, and the table showed one loss for every LR (walkthrough 15b, G1).
    runs = [spec.copy(label=f"lr={lr:.4g}", optimizer_params={**spec.optimizer_params, "lr": lr},
                      schedule="constant", schedule_params={}, changes=[]) for lr in lrs]
    sim = Simulation(loss, runs, seed=seed, eval_every=steps if eval_every is None else eval_every,
                     diagnostics=False)
    sim.run(steps)
    final, accuracy = _final_numbers(sim)
    diverged = sim.diverged_at >= 0
    floor = 0.0 if loss.min_value is None else float(loss.min_value)

    def entry(run: int) -> dict:
        return {"lr": lrs[run], "final_loss": None if diverged[run] else _number(final[run]),
                "test_accuracy": None if accuracy is None or diverged[run] else _number(accuracy[run]),
                "diverged": bool(diverged[run])}

    rows = [entry(run) for run in range(grid.size)]
    usable = [run for run in range(grid.size) if rows[run]["final_loss"] is not None]
    best = min(usable, key=lambda run: final[run]) if usable else None
    rules: dict[str, dict | None] = {}
    for name in RULES:
        lr = result.suggestions[name]
        if lr is None:
            rules[name] = None
            continue
        run = grid.size + picked.index(lr)
        best_value = math.nan if best is None else final[best]  # with no best, _ratio does not read it
        rules[name] = dict(entry(run), ratio=_ratio(final[run], best_value, floor, diverged[run], best))
    return {
        "steps": steps,
        "seed": int(seed),
        "measure": "full training loss" if loss.is_model else "loss",
        "grid": rows,
        "best": None if best is None else {key: rows[best][key] for key in ("lr", "final_loss", "test_accuracy")},
        "rules": rules,
    }


def _final_numbers(sim: Simulation) -> tuple[np.ndarray, np.ndarray | None]:
    if not sim.loss.is_model:
        return np.array(sim.loss_now, dtype=np.float64), None
    with np.errstate(all="ignore"):
        metrics = sim.loss.evaluate(sim.params)
    return np.asarray(metrics["train_loss"], dtype=np.float64), np.asarray(metrics["test_accuracy"], dtype=np.float64)


def _ratio(value: float, best_value: float, floor: float, diverged: bool, best: int | None) -> float | None:
    """How many times the best final loss this is, both measured above the loss's floor (its known
    minimum, else 0); None when it diverged or there is nothing to compare with."""
    if diverged or best is None or not math.isfinite(value):
        return None
    gap, best_gap = value - floor, best_value - floor
    if best_gap <= 0:
        return 1.0 if gap <= 0 else None
    return float(gap / best_gap)


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _whole(value, name: str, minimum: int, maximum: int | None = None) -> int:
    ok = not isinstance(value, bool) and isinstance(value, numbers.Integral) and int(value) >= minimum
    if ok and maximum is not None:
        ok = int(value) <= maximum
    if not ok:
        allowed = f"from {minimum} to {maximum:,}" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{name} must be a whole number {allowed}, got {value!r}")
    return int(value)
