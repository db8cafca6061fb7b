"""Extreme Hessian eigenvalues ("sharpness") for a batch of runs.

Small problems use the full Hessian and an exact symmetric eigensolver. Large
ones use Lanczos iteration (power iteration that keeps its whole Krylov basis)
on Hessian-vector products, warm-started from the previous top vector, so a
couple of dozen products every k steps give both ends of the spectrum.

An optional diagonal preconditioner P (as Adam divides by sqrt(v) + eps)
gives the eigenvalues of P^-1 H, computed through the symmetric
P^-1/2 H P^-1/2, which has the same spectrum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXACT_LIMIT = 16  # up to this many parameters the full Hessian is cheap


@dataclass
class Spectrum:
    top: np.ndarray  # largest eigenvalue per run, shape (R,)
    bottom: np.ndarray  # smallest eigenvalue per run, shape (R,)
    vector: np.ndarray  # eigenvector of `top`, shape (R, n), reused as a warm start


def extreme_eigenvalues(loss, params, preconditioner=None, warm_start=None, iterations=20, batch=None) -> Spectrum:
    params = np.asarray(params, dtype=np.float64)
    scale = None if preconditioner is None else 1.0 / np.sqrt(np.asarray(preconditioner, dtype=np.float64))
    with np.errstate(all="ignore"):
        if params.shape[1] <= EXACT_LIMIT:
            return _exact(loss, params, scale)
        return _lanczos(loss, params, scale, warm_start, iterations, batch)


def _exact(loss, params, scale) -> Spectrum:
    h = loss.hessian(params)
    if scale is not None:
        h = scale[:, :, None] * h * scale[:, None, :]
    h = 0.5 * (h + np.swapaxes(h, 1, 2))
    top = np.full(params.shape[0], np.nan)
    bottom = np.full(params.shape[0], np.nan)
    vector = np.zeros_like(params)
    ok = np.all(np.isfinite(h), axis=(1, 2))
    if np.any(ok):
        values, vectors = np.linalg.eigh(h[ok])
        top[ok], bottom[ok] = values[:, -1], values[:, 0]
        vector[ok] = vectors[:, :, -1]
    return Spectrum(top, bottom, vector)


def _lanczos(loss, params, scale, warm_start, iterations, batch) -> Spectrum:
    """Lanczos with full reorthogonalisation: a Krylov refinement of power iteration
    that resolves both ends of the spectrum in the same few Hessian-vector products."""

    def apply(v):
        if scale is None:
            return loss.hvp(params, v, batch)
        return scale * loss.hvp(params, scale * v, batch)

    runs, n = params.shape
    k = max(2, min(iterations, n))
    start = np.random.default_rng(0).standard_normal((runs, n))
    if warm_start is not None and warm_start.shape == params.shape and np.all(np.isfinite(warm_start)):
        start = warm_start + 1e-3 * start  # keep every direction present, or the bottom is never seen
    basis = np.zeros((runs, k, n))
    alpha = np.zeros((runs, k))
    beta = np.zeros((runs, k))
    v = start / np.maximum(np.linalg.norm(start, axis=1, keepdims=True), 1e-300)
    used = k
    for j in range(k):
        basis[:, j] = v
        w = apply(v)
        alpha[:, j] = np.sum(w * v, axis=1)
        # Twice-applied Gram-Schmidt against the whole basis keeps it orthogonal in float64.
        for _ in range(2):
            w = w - np.einsum("rj,rjn->rn", np.einsum("rjn,rn->rj", basis[:, : j + 1], w), basis[:, : j + 1])
        norm = np.linalg.norm(w, axis=1)
        if j + 1 < k:
            beta[:, j] = norm
            if np.all(norm < 1e-12 * np.maximum(1.0, np.abs(alpha[:, j]))):
                used = j + 1  # the Krylov space is exhausted: its eigenvalues are exact
                break
            v = np.where(norm[:, None] > 0, w / np.where(norm > 0, norm, 1.0)[:, None], 0.0)
    t = np.zeros((runs, used, used))
    idx = np.arange(used)
    t[:, idx, idx] = alpha[:, :used]
    t[:, idx[:-1], idx[1:]] = beta[:, : used - 1]
    t[:, idx[1:], idx[:-1]] = beta[:, : used - 1]
    top = np.full(runs, np.nan)
    bottom = np.full(runs, np.nan)
    vector = np.zeros((runs, n))
    ok = np.all(np.isfinite(t), axis=(1, 2))
    if np.any(ok):
        values, vectors = np.linalg.eigh(t[ok])
        top[ok], bottom[ok] = values[:, -1], values[:, 0]
        vector[ok] = np.einsum("rj,rjn->rn", vectors[:, :, -1], basis[ok, :used])
    return Spectrum(top, bottom, vector)
