"""Extreme Hessian eigenvalues ("sharpness") for a batch of runs.

Small problems use the full Hessian and an exact symmetric eigensolver. Large
ones use Lanczos iteration (power iteration that keeps its whole Krylov basis)
on Hessian-vector products, so a couple of dozen products give both ends of
the spectrum. `Lanczos` can be advanced a few products at a time, stop once
both ends have converged, and start from the previous estimate's top and
bottom vectors (sharpness changes slowly), so a model's estimate can be spread
over several training steps instead of stalling one.

An optional diagonal preconditioner P (as Adam divides by sqrt(v) + eps)
gives the eigenvalues of P^-1 H, computed through the symmetric
P^-1/2 H P^-1/2, which has the same spectrum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXACT_LIMIT = 16  # up to this many parameters the full Hessian is cheap
WARM_NOISE = 1e-3  # random admixture to a warm start, so that no direction is missing from the Krylov space


@dataclass
class Spectrum:
    top: np.ndarray  # largest eigenvalue per run, shape (R,)
    bottom: np.ndarray  # smallest eigenvalue per run, shape (R,)
    vector: np.ndarray | None  # eigenvector of `top`, shape (R, n), reused as a warm start (None: not asked for)
    bottom_vector: np.ndarray | None = None  # eigenvector of `bottom` (Lanczos only)
    products: int = 0  # Hessian-vector products used per run (0: the exact Hessian)

    @property
    def warm_start(self) -> np.ndarray | None:
        """A start that holds both ends of the spectrum, so that both converge in few products."""
        if self.vector is None or self.bottom_vector is None:
            return self.vector
        return self.vector + self.bottom_vector


def extreme_eigenvalues(loss, params, preconditioner=None, warm_start=None, iterations=20, batch=None,
                        tolerance: float = 0.0, vectors: bool = True) -> Spectrum:
    """`vectors` False lets a small problem skip its eigenvectors (`vector` is then None)."""
    params = np.asarray(params, dtype=np.float64)
    with np.errstate(all="ignore"):
        if params.shape[1] <= EXACT_LIMIT:
            return _exact(loss, params, preconditioner_scale(preconditioner), vectors)
        solver = Lanczos(loss, params, preconditioner, warm_start, iterations, batch, tolerance)
        solver.advance(iterations)
        return solver.spectrum()


def preconditioner_scale(preconditioner) -> np.ndarray | None:
    return None if preconditioner is None else 1.0 / np.sqrt(np.asarray(preconditioner, dtype=np.float64))


def _exact(loss, params, scale, want_vectors: bool = True) -> Spectrum:
    return hessian_spectrum(loss.hessian(params), scale, want_vectors)


def hessian_spectrum(h: np.ndarray, scale: np.ndarray | None = None, want_vectors: bool = True) -> Spectrum:
    """The extreme eigenvalues of Hessians h (R, n, n), scaled on both sides by `scale` (R, n) when given
    (the symmetric form of P^-1 H, scale = P^-1/2)."""
    params = h[:, :, 0]  # for the shapes only
    if scale is not None:
        h = scale[:, :, None] * h * scale[:, None, :]
    h = 0.5 * (h + np.swapaxes(h, 1, 2))
    top = np.full(params.shape[0], np.nan)
    bottom = np.full(params.shape[0], np.nan)
    ok = np.all(np.isfinite(h), axis=(1, 2))
    stack = h if ok.all() else h[ok]
    # Without eigenvectors, 1x1 and 2x2 Hessians (every 2-D landscape, in every run of a sweep) take the closed
    # form, many times faster than LAPACK's loop over matrices; from 3x3 on it is eigh.
    if not want_vectors and params.shape[1] == 2:
        values = _eigenvalues_2x2(stack)
        vector = None
    elif not want_vectors and params.shape[1] == 1:
        values = stack[:, :, 0]
        vector = None
    else:
        values, vectors = np.linalg.eigh(stack)
        vector = np.zeros_like(params)
        vector[ok] = vectors[:, :, -1]
    top[ok], bottom[ok] = values[:, -1], values[:, 0]
    return Spectrum(top, bottom, vector)


def _eigenvalues_2x2(h: np.ndarray) -> np.ndarray:
    """Both eigenvalues of symmetric 2x2 matrices (k, 2, 2), ascending: the closed form, as accurate as eigvalsh
    (the larger root from the mean and the radius, the smaller from the determinant where that is stabler)."""
    a, b, d = h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]
    mean, half = 0.5 * (a + d), 0.5 * (a - d)
    radius = np.hypot(half, b)
    big = np.where(mean >= 0, mean + radius, mean - radius)  # the root of larger magnitude, without cancellation
    det = a * d - b * b
    with np.errstate(all="ignore"):
        small = np.where(big != 0, det / big, mean - np.copysign(radius, mean))
    low, high = np.minimum(big, small), np.maximum(big, small)
    return np.stack([low, high], axis=1)


class Lanczos:
    """Lanczos with full reorthogonalisation at fixed parameters, advanced a few products at a time.

    With `tolerance` > 0 it stops once, for every run, the residual norms of both extreme
    Ritz pairs are below tolerance x the spectrum's extent: each Ritz value is then within
    that distance of an eigenvalue (the top from below, the bottom from above).
    """

    def __init__(self, loss, params, preconditioner=None, warm_start=None, iterations=20, batch=None,
                 tolerance: float = 0.0):
        self.loss, self.batch, self.tolerance = loss, batch, float(tolerance)
        self.params = np.asarray(params, dtype=np.float64)
        self.scale = preconditioner_scale(preconditioner)
        runs, n = self.params.shape
        self.size = max(2, min(int(iterations), n))
        start = np.random.default_rng(0).standard_normal((runs, n))
        if warm_start is not None and warm_start.shape == self.params.shape and np.all(np.isfinite(warm_start)):
            unit = warm_start / np.maximum(np.linalg.norm(warm_start, axis=1, keepdims=True), 1e-300)
            start = unit + WARM_NOISE * start / np.sqrt(n)  # keep every direction present
        self.basis = np.zeros((runs, self.size, n))
        self.alpha = np.zeros((runs, self.size))
        self.beta = np.zeros((runs, self.size))
        self.v = start / np.maximum(np.linalg.norm(start, axis=1, keepdims=True), 1e-300)
        self.taken = 0  # products so far
        self.done = False

    def _apply(self, v):
        if self.scale is None:
            return self.loss.hvp(self.params, v, self.batch)
        return self.scale * self.loss.hvp(self.params, self.scale * v, self.batch)

    def advance(self, products: int) -> bool:
        """Up to `products` more Hessian-vector products; True once the estimate is final."""
        with np.errstate(all="ignore"):
            for _ in range(int(products)):
                if self.done:
                    break
                self._iterate()
        return self.done

    def _iterate(self) -> None:
        j, basis = self.taken, self.basis
        basis[:, j] = self.v
        w = self._apply(self.v)
        self.alpha[:, j] = np.sum(w * self.v, axis=1)
        # Twice-applied Gram-Schmidt against the whole basis keeps it orthogonal in float64.
        for _ in range(2):
            w = w - np.einsum("rj,rjn->rn", np.einsum("rjn,rn->rj", basis[:, : j + 1], w), basis[:, : j + 1])
        norm = np.linalg.norm(w, axis=1)
        self.taken = j + 1
        if self.taken == self.size:
            self.done = True
            return
        self.beta[:, j] = norm
        if np.all(norm < 1e-12 * np.maximum(1.0, np.abs(self.alpha[:, j]))):
            self.done = True  # the Krylov space is exhausted: its eigenvalues are exact
            return
        self.v = np.where(norm[:, None] > 0, w / np.where(norm > 0, norm, 1.0)[:, None], 0.0)
        if self.tolerance > 0 and self.taken >= 2:
            self.done = self._converged(norm)

    def _ritz(self):
        """Ritz values (runs, m) and vectors of T (runs, m, m), NaN rows where T is not finite, and which are finite."""
        used, runs = self.taken, self.params.shape[0]
        t = np.zeros((runs, used, used))
        idx = np.arange(used)
        t[:, idx, idx] = self.alpha[:, :used]
        t[:, idx[:-1], idx[1:]] = self.beta[:, : used - 1]
        t[:, idx[1:], idx[:-1]] = self.beta[:, : used - 1]
        ok = np.all(np.isfinite(t), axis=(1, 2))
        values = np.full((runs, used), np.nan)
        vectors = np.zeros((runs, used, used))
        if np.any(ok):
            values[ok], vectors[ok] = np.linalg.eigh(t[ok])
        return values, vectors, ok

    def _converged(self, norm: np.ndarray) -> bool:
        values, vectors, ok = self._ritz()
        extent = np.maximum(np.abs(values[:, -1]), np.abs(values[:, 0]))
        # The residual of Ritz pair (value, y) is |next beta| x |last entry of y|.
        residual = norm[:, None] * np.abs(vectors[:, -1, [0, -1]])
        fine = np.all(residual <= self.tolerance * extent[:, None], axis=1)
        return bool(np.all(fine | ~ok))

    def spectrum(self) -> Spectrum:
        runs, n = self.params.shape
        values, vectors, ok = self._ritz()
        top, bottom = values[:, -1].copy(), values[:, 0].copy()
        top[~ok] = bottom[~ok] = np.nan
        basis = self.basis[:, : self.taken]
        vector = np.einsum("rj,rjn->rn", vectors[:, :, -1], basis)
        bottom_vector = np.einsum("rj,rjn->rn", vectors[:, :, 0], basis)
        vector[~ok] = bottom_vector[~ok] = 0.0
        return Spectrum(top, bottom, vector, bottom_vector, self.taken)
