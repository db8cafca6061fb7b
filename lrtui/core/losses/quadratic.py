"""Quadratics f(w) = 1/2 (w - c)^T A (w - c): the one place where LR theory is exact."""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.losses.base import Loss, Window, check_count, check_finite

MAX_DIMS = 1_000  # the matrix is dense: dims² numbers, and every step multiplies by it


def _numbers(name: str, value, example: str) -> np.ndarray:
    """A non-empty list of finite numbers, or a ValueError that shows the expected form."""
    ok = isinstance(value, (list, tuple, np.ndarray)) and len(value) > 0
    if ok:
        ok = not any(isinstance(v, (bool, np.bool_)) for v in value)
    if ok:
        try:
            arr = np.asarray(value, dtype=np.float64).ravel()
        except (TypeError, ValueError, OverflowError):
            ok = False
    if not ok or isinstance(value, (str, bytes)) or arr.size != len(value):
        raise ValueError(f"{name} must be a list of numbers such as {example}, got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite numbers, got {value!r}")
    return arr


def _rotation(dims: int, angle_degrees: float, seed: int | None) -> np.ndarray:
    """An orthogonal matrix: a seeded random rotation, then `angle` in the (x0, x1) plane."""
    q = np.eye(dims)
    if seed is not None and dims > 1:
        gaussian = np.random.default_rng(seed).standard_normal((dims, dims))
        q, r = np.linalg.qr(gaussian)
        q = q * np.sign(np.diag(r))  # makes the factorisation unique
    if angle_degrees and dims >= 2:
        t = math.radians(angle_degrees)
        plane = np.eye(dims)
        plane[:2, :2] = [[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]]
        q = plane @ q
    return q


class Quadratic(Loss):
    """A quadratic with a chosen eigenvalue spectrum (the Hessian's), optionally rotated.

    Give `eigenvalues` directly, or `condition_number` (and `dims`) for a
    spectrum spaced evenly in log from 1 to the condition number.
    """

    name = "quadratic"
    exact_hessian = True

    def __init__(
        self,
        eigenvalues=None,
        condition_number=None,
        dims=2,
        angle=0.0,
        rotation_seed=None,
        center=None,
        start=None,
    ):
        if eigenvalues is not None and condition_number is not None:
            raise ValueError("give either eigenvalues or condition_number, not both")
        if eigenvalues is None:
            kappa = 10.0 if condition_number is None else condition_number
            if isinstance(kappa, bool) or not isinstance(kappa, (int, float)) or not 1.0 <= kappa < math.inf:
                raise ValueError(f"condition_number must be a finite number >= 1, got {condition_number!r}")
            eigenvalues = np.geomspace(1.0, float(kappa), check_count("dims", dims, 1, MAX_DIMS))
        lam = _numbers("eigenvalues", list(eigenvalues) if isinstance(eigenvalues, np.ndarray) else eigenvalues,
                       "[1.0, 50.0]")
        if lam.size > MAX_DIMS:
            raise ValueError(f"eigenvalues must have at most {MAX_DIMS:,} values (the matrix is dense), "
                             f"got {lam.size:,}")
        self.eigenvalues = lam
        self.n_params = lam.size
        if rotation_seed is not None and (isinstance(rotation_seed, bool) or not isinstance(rotation_seed, int)
                                          or rotation_seed < 0):
            raise ValueError(f"rotation_seed must be a whole number >= 0, got {rotation_seed!r}")
        self.eigenvectors = _rotation(self.n_params, check_finite("angle", angle), rotation_seed)
        # Symmetrise so that rounding in Q diag(lam) Q^T cannot break symmetry; halve first so that
        # eigenvalues near float64's largest do not overflow in the sum.
        with np.errstate(all="ignore"):
            a = (self.eigenvectors * lam) @ self.eigenvectors.T
            self.matrix = 0.5 * a + 0.5 * a.T
        if not np.all(np.isfinite(self.matrix)):
            raise ValueError("eigenvalues are too large to build the matrix in float64; keep them below 1e300")
        self.center = np.zeros(self.n_params) if center is None else _numbers("center", center, "[0.0, 0.0]")
        if self.center.shape != (self.n_params,):
            raise ValueError(f"center must have {self.n_params} values, got {self.center.size}")
        self.start = np.ones(self.n_params) if start is None else _numbers("start", start, "[1.0, 1.0]")
        if self.start.shape != (self.n_params,):
            raise ValueError(f"start must have {self.n_params} values, got {self.start.size}")
        if np.all(lam > 0):
            self.minima = self.center[None, :].copy()
            self.min_value = 0.0
        else:
            self.minima, self.min_value = None, None
        self.window = self._default_window() if self.n_params == 2 else None

    @property
    def sharpness(self) -> float:
        return float(self.eigenvalues.max())

    def _default_window(self, starts: np.ndarray | None = None) -> Window:
        points = self.start[None, :] if starts is None else starts
        reach = 1.5 * max(1e-12, float(np.max(np.abs(points - self.center))))
        cx, cy = self.center
        return Window(cx - reach, cx + reach, cy - reach, cy + reach)

    def fit_window(self, starts: list) -> None:
        """The window around the centre, 1.5 times as far as the farthest start: lesson 16's runs start at (2, 0.5),
        and a window made for the default start (1, 1) had them "off the map" at step 0 (walkthrough 17b, M5)."""
        if self.n_params != 2 or not starts:
            return
        points = np.array([self.start if s is None else np.asarray(s, dtype=np.float64) for s in starts])
        if points.shape[1:] == (2,) and np.all(np.isfinite(points)):
            self.window = self._default_window(points)

    def value_and_grad(self, params, batch=None):
        with np.errstate(all="ignore"):
            d = params - self.center
            g = d @ self.matrix
            f = 0.5 * np.sum(d * g, axis=1)
        return f, g

    def hvp(self, params, vectors, batch=None):
        with np.errstate(all="ignore"):
            return vectors @ self.matrix

    def hessian(self, params):
        return np.broadcast_to(self.matrix, (params.shape[0],) + self.matrix.shape).copy()

    def coordinates(self, params: np.ndarray) -> np.ndarray:
        """Offsets from the centre along each eigenvector, shape (R, n)."""
        return (np.asarray(params, dtype=np.float64) - self.center) @ self.eigenvectors
