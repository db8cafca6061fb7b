"""Hessian extremes at a point, the oracle's own: central differences of the loss's gradient.

Only the loss's value_and_grad is used (lrtui's losses are torch-exact and not the rules being graded);
neither lrtui.core.sharpness nor any loss's own Hessian is. Up to FULL_LIMIT parameters the whole Hessian
is assembled from 2n gradients (one batched call) and symmetrised; above that, Lanczos iteration with full
reorthogonalisation runs on the same difference Hessian-vector products. Both give (lambda_min, lambda_max).
"""

from __future__ import annotations

import numpy as np

FULL_LIMIT = 64
LANCZOS_STEPS = 60
REL_STEP = 1e-4  # difference step: REL_STEP * max(1, |w|)


def _step(w: np.ndarray) -> float:
    return REL_STEP * max(1.0, float(np.linalg.norm(w)))


def full_hessian(grad_fn, w: np.ndarray) -> np.ndarray:
    """grad_fn maps (R, n) points to (R, n) gradients."""
    n = w.size
    h = _step(w)
    eye = np.eye(n)
    points = np.concatenate([w[None, :] + h * eye, w[None, :] - h * eye])
    g = grad_fn(points)
    hess = (g[:n] - g[n:]) / (2.0 * h)  # row j: d grad / d w_j
    return 0.5 * (hess + hess.T)


def hvp(grad_fn, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    h = _step(w)
    g = grad_fn(np.stack([w + h * v, w - h * v]))
    return (g[0] - g[1]) / (2.0 * h)


def lanczos_extremes(matvec, n: int, steps: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    basis = [q]
    alphas, betas = [], []
    for k in range(min(steps, n)):
        z = matvec(basis[-1])
        alpha = float(basis[-1] @ z)
        alphas.append(alpha)
        for b in basis:  # full reorthogonalisation, twice is enough
            z -= (b @ z) * b
        for b in basis:
            z -= (b @ z) * b
        beta = float(np.linalg.norm(z))
        if not np.isfinite(beta) or beta <= 1e-14 * max(1.0, max(abs(a) for a in alphas)) or k == min(steps, n) - 1:
            break
        betas.append(beta)
        basis.append(z / beta)
    m = len(alphas)
    if not np.all(np.isfinite(alphas)) or not np.all(np.isfinite(betas[: m - 1])):
        return np.nan, np.nan
    tri = np.diag(alphas) + np.diag(betas[: m - 1], 1) + np.diag(betas[: m - 1], -1)
    ritz = np.linalg.eigvalsh(tri)
    return float(ritz[0]), float(ritz[-1])


def extremes(grad_fn, w: np.ndarray, seed: int = 0) -> tuple[float, float, str]:
    """(lambda_min, lambda_max, method) of the Hessian at w."""
    w = np.asarray(w, dtype=float)
    if w.size <= FULL_LIMIT:
        hess = full_hessian(grad_fn, w)
        if not np.all(np.isfinite(hess)):  # a point so far out that a difference overflowed
            return np.nan, np.nan, "fd-full-nonfinite"
        ev = np.linalg.eigvalsh(hess)
        return float(ev[0]), float(ev[-1]), "fd-full"
    lo, hi = lanczos_extremes(lambda v: hvp(grad_fn, w, v), w.size, LANCZOS_STEPS, seed)
    return lo, hi, f"fd-lanczos{LANCZOS_STEPS}"


def preconditioned_top(grad_fn, w: np.ndarray, diag: np.ndarray, seed: int = 0, legacy_step: bool = False) -> float:
    """Largest eigenvalue of D^-1 H (as D^-1/2 H D^-1/2), D a positive diagonal: adaptive optimizers' sharpness.

    legacy_step: Lanczos differences of step h * D^-1/2 v, as before the unit-direction fix; kept only for the
    generator's reference LR, so that every seed still draws the case it drew (README, DECISION 16)."""
    w = np.asarray(w, dtype=float)
    s = 1.0 / np.sqrt(diag)
    if w.size <= FULL_LIMIT:
        h = s[:, None] * full_hessian(grad_fn, w) * s[None, :]
        return float(np.linalg.eigvalsh(h)[-1]) if np.all(np.isfinite(h)) else np.nan
    def matvec(v):
        # The difference is taken along the unit direction of s * v, then scaled back (H is linear): s can span
        # eight decades (Adam/RMSprop's 1/eps on a parameter with no gradient), and a step of h * s * v would
        # leave the region the difference is meant to measure (crossing a ReLU's kink, for a dead unit).
        u = s * v
        norm = float(np.linalg.norm(u))
        if not norm > 0.0:
            return np.zeros_like(v)
        return s * (norm * hvp(grad_fn, w, u / norm))

    if legacy_step:
        _, hi = lanczos_extremes(lambda v: s * hvp(grad_fn, w, s * v), w.size, 30, seed)
        return hi
    _, hi = lanczos_extremes(matvec, w.size, 30, seed)
    return hi
