"""SGD (plain, heavy ball, Nesterov) on f(w) = 1/2 w^T A w, computed exactly in A's eigenbasis.

Along eigenvector i with eigenvalue lam_i the iteration is a scalar recurrence (plain SGD) or a 2x2 linear
one (a parameter and its momentum buffer), so a whole LR grid is a (runs, dims) array program. Nothing here
imports lrtui: the rotation is rebuilt from its definition (QR of a seeded Gaussian matrix, signs fixed by
R's diagonal, then `angle` in the first plane), the schedules come from benchmarks.diagcases.schedules.
Loss, gradient norm and the cosine between updates are rotation invariant, so only z0 = Q^T (w0 - c) is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from benchmarks.diagcases import schedules


def rotation(dims: int, angle: float = 0.0, seed: int | None = None) -> np.ndarray:
    q = np.eye(dims)
    if seed is not None and dims > 1:
        q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dims, dims)))
        q = q * np.sign(np.diag(r))
    if angle and dims >= 2:
        t = math.radians(angle)
        plane = np.eye(dims)
        plane[:2, :2] = [[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]]
        q = plane @ q
    return q


def eigen_start(loss: dict) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues, start in the eigenbasis) of a scenario's quadratic loss table (with `eigenvalues`)."""
    lam = np.asarray(loss["eigenvalues"], dtype=float)
    q = rotation(lam.size, float(loss.get("angle", 0.0)), loss.get("rotation_seed"))
    start = np.ones(lam.size) if loss.get("start") is None else np.asarray(loss["start"], dtype=float)
    center = np.zeros(lam.size) if loss.get("center") is None else np.asarray(loss["center"], dtype=float)
    return lam, q.T @ (start - center)


@dataclass
class QuadRuns:
    loss: np.ndarray  # (B + 1, R): L(t) per run; NaN from a run's divergence on
    grad_norm: np.ndarray  # (B + 1, R)
    lr: np.ndarray  # (B, R): the LR update t + 1 used
    diverged_at: np.ndarray  # (R,), -1 when never
    updates: np.ndarray  # (k, n): the tracked run's updates w_{t+1} - w_t over the last quarter (+1)


def run(lam: np.ndarray, z0: np.ndarray, steps: int, base_lr: float, schedule: dict, momentum: float,
        nesterov: bool, track: int = 0, factors=(1.0,)) -> QuadRuns:
    """R = len(factors) runs of torch SGD (dampening 0, no weight decay) under one schedule.

    `base_lr` and `schedule` are the case's own; run r is the case with every LR times factors[r]. Its LR
    curve is the case's curve times factors[r] (every schedule is homogeneous in its LRs), except plateau,
    which reacts to each run's own loss.
    """
    factors = np.asarray(factors, dtype=float)
    n_runs = factors.size
    sched = schedules.full(schedule)
    plateau = None
    if sched["type"] == "plateau":
        plateau = schedules.Plateau(sched, float(base_lr) * factors, factors)
        lrs, cycled = None, None
    else:
        curve, cycled = schedules.curve(sched, float(base_lr), steps)
        lrs = curve[:, :1] * factors[None, :]
    beta = np.full(steps, float(momentum)) if cycled is None else np.asarray(cycled, dtype=float)
    uses_buffer = bool(np.any(beta != 0.0))
    z = np.tile(z0, (n_runs, 1))
    buf = None
    loss = np.full((steps + 1, n_runs), np.nan)
    gnorm = np.full((steps + 1, n_runs), np.nan)
    lr_used = np.empty((steps, n_runs))
    diverged = np.full(n_runs, -1, dtype=np.int64)
    first_kept = steps - steps // 4 - 1  # updates from w_{s-1} to w_B, s = B - B // 4
    updates = np.empty((steps - max(first_kept, 0), z0.size))
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            g = lam * z
            loss[t] = 0.5 * np.sum(lam * z * z, axis=1)
            gnorm[t] = np.sqrt(np.sum(g * g, axis=1))
            bad = (diverged < 0) & ~(np.isfinite(loss[t]) & np.all(np.isfinite(z), axis=1))
            diverged[bad] = t
            if t == steps:
                break
            lr_t = plateau.lr.copy() if plateau is not None else lrs[t]
            lr_used[t] = lr_t
            if uses_buffer:
                buf = g.copy() if buf is None else beta[t] * buf + g
                direction = g + beta[t] * buf if nesterov else buf
            else:
                direction = g
            step = -lr_t[:, None] * direction
            if t >= first_kept:
                updates[t - first_kept] = step[track]
            z = z + step
            if plateau is not None:
                plateau.observe(loss[t])
    for r in np.flatnonzero(diverged >= 0):
        loss[diverged[r]:, r] = np.nan
        gnorm[diverged[r]:, r] = np.nan
    return QuadRuns(loss, gnorm, lr_used, diverged, updates)
