"""The LR range test (Smith, 2015): train while the learning rate ramps up, and watch the loss.

The test works on copies: it builds its own optimizer state and parameters
from the run's spec and never writes to the loss, the spec or anything else
the caller holds, so there is nothing to restore afterwards.

Point i of the curve is the i-th LR of the ramp and the loss measured just
after the update that used it (on the mini-batch the next update trains on,
exactly the batches a normal run of the same seed sees). fastai pairs each LR
with the loss computed just before its update instead, which puts its curve one
step (a factor 1.2 at the defaults) to the right of ours.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from lrtui.core.batching import BatchSampler
from lrtui.core.finder.rules import RULES, Pick, suggest
from lrtui.core.losses.base import Loss
from lrtui.core.optimizers import build_optimizer
from lrtui.core.run_spec import RunSpec

MODES = ("exp", "linear")
MAX_NUM_IT = 1_000_000
# When valley cannot pick, the next rule is the one whose answer tends to be safest.
RECOMMENDATION_ORDER = ("valley", "minimum", "steep", "gradient", "slide")
STOP_END = "reached end_lr"
STOP_NON_FINITE = "loss became non-finite"


@dataclass
class RangeTest:
    """The curve of a range test and what every rule reads off it."""

    lr: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    stop_reason: str
    picks: dict[str, Pick]
    recommended: str
    settings: dict = field(default_factory=dict)

    @property
    def suggestions(self) -> dict[str, float | None]:
        return {name: self.picks[name].lr for name in RULES}

    @property
    def notes(self) -> dict[str, str]:
        """Why each rule that gave no LR could not pick."""
        return {name: pick.reason for name, pick in self.picks.items() if pick.lr is None}

    @property
    def recommended_lr(self) -> float | None:
        return self.picks[self.recommended].lr


def ramp(start_lr: float, end_lr: float, num_it: int, mode: str = "exp") -> np.ndarray:
    """The LRs of the ramp: num_it values from start_lr to end_lr, both included."""
    fraction = np.arange(num_it) / (num_it - 1)
    if mode == "exp":
        # In logs: end_lr / start_lr overflows for a start_lr near the smallest float (5e-324).
        lrs = np.exp(math.log(start_lr) + (math.log(end_lr) - math.log(start_lr)) * fraction)
        lrs[0], lrs[-1] = start_lr, end_lr
        return lrs
    return start_lr + (end_lr - start_lr) * fraction


def range_test(loss: Loss, spec: RunSpec, *, seed: int = 0, start_lr: float = 1e-7, end_lr: float = 10.0,
               num_it: int = 100, mode: str = "exp", beta: float = 0.98, diverge_factor: float = 4.0) -> RangeTest:
    """Ramp the LR with the spec's optimizer from its start (the schedule is ignored) and suggest an LR."""
    start_lr, end_lr, num_it, beta, diverge_factor, seed = _checked(start_lr, end_lr, num_it, mode, beta,
                                                                    diverge_factor, seed)
    lrs = ramp(start_lr, end_lr, num_it, mode)
    optimizer = build_optimizer(spec.optimizer, **spec.optimizer_params)
    start = loss.start if spec.start is None else spec.start
    params = np.array(start, dtype=np.float64).reshape(1, -1)
    if params.shape[1] != loss.n_params:
        raise ValueError(f"start must have {loss.n_params} values, got {params.shape[1]}")
    state = optimizer.init(params)
    sampler = BatchSampler(loss.n_train, loss.batch_size, seed) if loss.batch_size is not None else None
    floor = 0.0 if loss.min_value is None else float(loss.min_value)

    def batch(step: int):
        return None if sampler is None else sampler.indices(step)

    raw, smoothed = np.empty(num_it), np.empty(num_it)
    average, best = 0.0, math.inf
    stop_reason, taken = STOP_END, num_it
    with np.errstate(all="ignore"):
        _, grad = loss.value_and_grad(params, batch(0))
        for i in range(num_it):
            params, state = optimizer.update(grad, state, params, float(lrs[i]))
            value, grad = loss.value_and_grad(params, batch(i + 1))
            raw[i] = value[0] if np.isfinite(params).all() else math.nan
            average = beta * average + (1.0 - beta) * raw[i]
            smoothed[i] = average / (1.0 - beta ** (i + 1))
            if not math.isfinite(smoothed[i]):
                stop_reason, taken = STOP_NON_FINITE, i + 1
                break
            best = min(best, smoothed[i])
            # Heights are measured above the loss's known minimum (0 when unknown), so the test
            # also works for losses whose minimum is negative; at or below it the rule cannot apply.
            if best > floor and smoothed[i] - floor > diverge_factor * (best - floor):
                stop_reason, taken = f"smoothed loss exceeded {diverge_factor:g}x the best", i + 1
                break
    lr_taken, raw, smoothed = lrs[:taken].copy(), raw[:taken], smoothed[:taken]
    picks = suggest(lr_taken, smoothed, num_it)
    recommended = next((name for name in RECOMMENDATION_ORDER if picks[name].lr is not None), "valley")
    settings = {"start_lr": start_lr, "end_lr": end_lr, "num_it": num_it, "mode": mode, "beta": beta,
                "diverge_factor": diverge_factor, "seed": seed, "optimizer": spec.optimizer}
    return RangeTest(lr_taken, raw, smoothed, stop_reason, picks, recommended, settings)


def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _checked(start_lr, end_lr, num_it, mode, beta, diverge_factor, seed):
    start_lr = _positive(start_lr, "start_lr")
    end_lr = _positive(end_lr, "end_lr")
    if end_lr <= start_lr:
        raise ValueError(f"end_lr must be larger than start_lr ({start_lr:g}), got {end_lr:g}")
    if isinstance(num_it, bool) or not isinstance(num_it, numbers.Integral) or not 2 <= int(num_it) <= MAX_NUM_IT:
        raise ValueError(f"num_it must be a whole number from 2 to {MAX_NUM_IT:,}, got {num_it!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= float(beta) < 1:
        raise ValueError(f"beta must be a number from 0 up to (not including) 1, got {beta!r}")
    if _positive(diverge_factor, "diverge_factor") <= 1:
        raise ValueError(f"diverge_factor must be larger than 1, got {diverge_factor!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    return start_lr, end_lr, int(num_it), float(beta), float(diverge_factor), int(seed)
