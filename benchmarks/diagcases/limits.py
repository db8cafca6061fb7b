"""The too_slow cap of the contracts (version 2, clause 4): how large an LR the run itself could take.

cap = 0.9 * C / s_max, where C is the optimizer's limit constant (theory.md section 1, restated here with the
oracle's own code) and s_max the largest top eigenvalue met along the case's own run, sampled at about 20
evenly spaced steps: of the Hessian H for SGD, of P^-1 H for the adaptive optimizers, P = lr / effective_lr
per parameter. Only LRs of the grid at or under the cap count as "a larger LR"; where the cap is above the
grid's largest LR, 0.5 * cap and 0.9 * cap are tried too (not for schedules driven by a max_lr).

Nothing here imports lrtui: the constant is computed from the optimizer's table and the schedule's own
momentum curve (benchmarks.diagcases.schedules); the eigenvalues come from benchmarks.diagcases.curvature.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.diagcases import curvature, schedules

CAP_SHARE = 0.9  # the cap is 90% of the run's own stable limit
EXTRA_SHARES = (0.5, 0.9)  # LRs tried beyond the grid where the cap is above it: 0.5 * cap and 0.9 * cap
SAMPLES = 20  # about this many evenly spaced steps of the run, 0..B
ADAPTIVE = ("adagrad", "rmsprop", "adam", "adamw", "nadam")
MAX_LR_SCHEDULES = ("onecycle", "cyclic")


def sample_steps(steps: int, adaptive: bool) -> np.ndarray:
    """t = 0..B at about SAMPLES + 1 evenly spaced points; without t = 0 for the adaptive optimizers, which have
    no denominator before their first update."""
    t = np.unique(np.round(np.linspace(0, steps, SAMPLES + 1)).astype(int))
    return t[t > 0] if adaptive else t


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


def s_max_of(grad_fn, samples: list[tuple[int, np.ndarray, np.ndarray | None]]) -> tuple[float, int]:
    """(the largest top eigenvalue over the samples, the step where it was met); samples are (t, w_t, P^-1 or
    None). Samples with a non-finite point or preconditioner are left out (a run that diverged)."""
    best, at = -math.inf, -1
    for t, w, inv in samples:
        if not np.all(np.isfinite(w)) or (inv is not None and not np.all(np.isfinite(inv) & (inv > 0))):
            continue
        with np.errstate(all="ignore"):  # a point far out can overflow a difference: then it is left out
            top = top_eigenvalue(grad_fn, w, inv)
        if np.isfinite(top) and top > best:
            best, at = float(top), int(t)
    return best, at


def cap_of(constant: float, s_max: float) -> float:
    """0.9 * C / s_max; +inf where the run met no positive curvature (nothing bounds a larger LR)."""
    if not (math.isfinite(s_max) and s_max > 0.0):
        return math.inf
    return CAP_SHARE * constant / s_max


def extra_lrs(case: dict, cap: float, grid_top: float) -> list[float]:
    """0.5 * cap and 0.9 * cap where the cap is finite and above the grid's largest LR, except for schedules
    driven by a max_lr (onecycle, cyclic)."""
    sched = (case.get("schedule") or {"type": "constant"})["type"]
    if sched in MAX_LR_SCHEDULES or not math.isfinite(cap) or cap <= grid_top:
        return []
    return [share * cap for share in EXTRA_SHARES]
