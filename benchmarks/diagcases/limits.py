"""The too_slow cap of the contracts (version 2b, clause 4'): how large an LR the run itself could take now.

cap = 0.9 * C / s_end, where C is the optimizer's limit constant (theory.md section 1, restated here with the
oracle's own code) and s_end the top eigenvalue at the case's own final point w_B: of the Hessian H for SGD,
of P^-1 H for the adaptive optimizers, P^-1 = effective_lr / lr per parameter from the optimizer's state at
step B. Only LRs of the grid at or under the cap count as "a larger LR"; where the cap is above the grid's
largest LR, 0.5 * cap and 0.9 * cap are tried too (not for schedules driven by a max_lr).

(Version 2 took s_max, the largest top eigenvalue met along the run. An adaptive optimizer's preconditioned
sharpness can be enormous on the way, while its accumulators are small, and says nothing about the LR it
could take at the end: caps of 1e-4 times the run's own LR blocked larger LRs that are stable and far better.)

Nothing here imports lrtui: the constant is computed from the optimizer's table and the schedule's own
momentum curve (benchmarks.diagcases.schedules); the eigenvalues come from benchmarks.diagcases.curvature.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.diagcases import curvature, schedules

CAP_SHARE = 0.9  # the cap is 90% of the run's own stable limit
EXTRA_SHARES = (0.5, 0.9)  # LRs tried beyond the grid where the cap is above it: 0.5 * cap and 0.9 * cap
ADAPTIVE = ("adagrad", "rmsprop", "adam", "adamw", "nadam")
MAX_LR_SCHEDULES = ("onecycle", "cyclic")


def _constant(kind: str, opt: dict, momentum: float | None) -> float:
    """C for one momentum value (None: the optimizer's own)."""
    if kind == "sgd":
        b = float(opt.get("momentum", 0.0)) if momentum is None else momentum
        if b == 0.0:
            return 2.0
        if opt.get("nesterov", False):
            return (2.0 + 2.0 * b) / (1.0 + 2.0 * b)
        return (2.0 + 2.0 * b) / (1.0 - float(opt.get("dampening", 0.0)))
    if kind in ("adam", "adamw", "nadam"):
        b1 = float(opt.get("betas", (0.9, 0.999))[0]) if momentum is None else momentum
        return (2.0 + 2.0 * b1) / (1.0 - b1)
    if kind == "rmsprop":
        b = float(opt.get("momentum", 0.0)) if momentum is None else momentum
        return 2.0 + 2.0 * b
    if kind == "adagrad":
        return 2.0
    raise ValueError(f"no stable-limit constant for optimizer {kind!r}")


def limit_constant(case: dict) -> float:
    """C of the case's optimizer. Where a schedule cycles the momentum (or Adam's beta1), the smallest C over
    the values in force during the budget: the limit must hold at every step."""
    opt = case["optimizer"]
    kind = opt["type"]
    sched = case.get("schedule") or {"type": "constant"}
    cycled = None
    if sched["type"] in MAX_LR_SCHEDULES:
        _, cycled = schedules.curve(sched, float(opt.get("lr", 1e-3)), int(case["steps"]))
    if cycled is None or kind == "adagrad":
        return _constant(kind, opt, None)
    return float(min(_constant(kind, opt, float(b)) for b in np.unique(cycled)))


def top_eigenvalue(grad_fn, w: np.ndarray, inv_precond: np.ndarray | None, seed: int = 0) -> float:
    """Largest eigenvalue of H(w), or of P^-1 H(w) with P^-1 = inv_precond (a positive diagonal)."""
    if inv_precond is None:
        return curvature.extremes(grad_fn, w, seed=seed)[1]
    return curvature.preconditioned_top(grad_fn, w, 1.0 / inv_precond, seed=seed)


def s_end_of(grad_fn, w: np.ndarray, inv_precond: np.ndarray | None) -> float:
    """The top eigenvalue at w = w_B: of H, or of P^-1 H with P^-1 = inv_precond (None for SGD). NaN where the
    point or the preconditioner is not finite and positive (a run that diverged) or the curvature overflows:
    the cap is then +inf (a diverged case is labelled diverged before the cap matters)."""
    if not np.all(np.isfinite(w)) or (inv_precond is not None and not np.all(np.isfinite(inv_precond)
                                                                            & (inv_precond > 0))):
        return math.nan
    with np.errstate(all="ignore"):  # a point far out can overflow a difference
        top = top_eigenvalue(grad_fn, w, inv_precond)
    return float(top) if np.isfinite(top) else math.nan


def cap_of(constant: float, s_end: float) -> float:
    """0.9 * C / s_end; +inf where w_B has no positive curvature (nothing bounds a larger LR) or none could be
    measured (NaN: a diverged run)."""
    if not (math.isfinite(s_end) and s_end > 0.0):
        return math.inf
    return CAP_SHARE * constant / s_end


def extra_lrs(case: dict, cap: float, grid_top: float) -> list[float]:
    """0.5 * cap and 0.9 * cap where the cap is finite and above the grid's largest LR, except for schedules
    driven by a max_lr (onecycle, cyclic)."""
    sched = (case.get("schedule") or {"type": "constant"})["type"]
    if sched in MAX_LR_SCHEDULES or not math.isfinite(cap) or cap <= grid_top:
        return []
    return [share * cap for share in EXTRA_SHARES]
