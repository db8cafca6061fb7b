"""The interface every loss implements.

A loss is evaluated on a batch of R runs at once: parameters have shape (R, n),
values shape (R,), gradients shape (R, n). Everything is float64.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

MAX_PARAMS = 1_000_000  # parameters of one run's model, checked before anything that size is allocated


@dataclass(frozen=True)
class Window:
    """The rectangle a 2-D landscape is drawn over."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float


class Loss(ABC):
    """Base class. Subclasses implement `value_and_grad`, and may override `hvp`.

    Attributes a subclass sets:
      name           the registry name ("rosenbrock")
      n_params       number of parameters per run
      start          default starting point, shape (n_params,)
      minima         known global minimisers, shape (k, n_params), or None
      min_value      the known global minimum value, or None
      window         plotting window for 2-D losses, or None
      exact_hessian  True when `hvp` is analytic rather than a finite difference
    """

    name: str = "loss"
    n_params: int = 0
    start: np.ndarray
    minima: np.ndarray | None = None
    min_value: float | None = None
    window: Window | None = None
    exact_hessian: bool = False
    # Data models set these (and override `evaluate`); pure functions leave them alone.
    is_model: bool = False
    batch_size: int | None = None
    n_train: int = 0  # training samples

    @abstractmethod
    def value_and_grad(self, params: np.ndarray, batch: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Loss (R,) and gradient (R, n) at params (R, n).

        `batch` selects training samples for mini-batch models; functions ignore it.
        """

    def value(self, params: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        return self.value_and_grad(params, batch)[0]

    def fit_window(self, starts: list) -> None:
        """Fit the 2-D window to where the runs start (each a point, or None for the loss's own start). Only a loss
        that draws its window from its start (a quadratic) changes it; a curated window stays."""

    def grad(self, params: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        return self.value_and_grad(params, batch)[1]

    def evaluate(self, params: np.ndarray) -> dict[str, np.ndarray]:
        """A data model's train and test metrics, each (R,); only data models (`is_model`) have them."""
        raise NotImplementedError(f"{self.name} is not a data model: it has no train or test metrics")

    def hvp(self, params: np.ndarray, vectors: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        """Hessian-vector products H(params) @ v, one per run, shape (R, n).

        The default is a central difference of gradients. The step is scaled to
        the size of the parameters so that it stays well above rounding error.
        """
        params = np.asarray(params, dtype=np.float64)
        vectors = np.asarray(vectors, dtype=np.float64)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        safe = np.where(norms > 0, norms, 1.0)
        unit = vectors / safe
        scale = np.maximum(1.0, np.linalg.norm(params, axis=1, keepdims=True))
        eps = 1e-4 * scale
        g_plus = self.grad(params + eps * unit, batch)
        g_minus = self.grad(params - eps * unit, batch)
        return (g_plus - g_minus) / (2.0 * eps) * norms

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """Full Hessians (R, n, n), assembled column by column from `hvp`."""
        params = np.asarray(params, dtype=np.float64)
        runs, n = params.shape
        out = np.empty((runs, n, n))
        for j in range(n):
            e = np.zeros((runs, n))
            e[:, j] = 1.0
            out[:, :, j] = self.hvp(params, e)
        return out

    def describe(self) -> str:
        return self.name

    def rows(self, indices) -> "Loss":
        """The loss for the runs at `indices` of a batch, in that order. An ordinary loss is the same function
        for every run, so it is itself; a stacked loss (lrtui.core.losses.stacked) gives its rows' own."""
        return self

    def members_of(self, n_rows: int) -> np.ndarray:
        """For each of `n_rows` runs, which function it is: equal numbers, the same function (all 0 here)."""
        return np.zeros(int(n_rows), dtype=np.int64)


def as_batch(params: np.ndarray) -> np.ndarray:
    """Accept (n,) or (R, n) parameters and return a float64 (R, n) array."""
    arr = np.asarray(params, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    return arr


def check_count(name: str, value, minimum: int, maximum: int) -> int:
    """A whole number from minimum to maximum (a count of dimensions, units, samples...)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number from {minimum:,} to {maximum:,}, got {value!r}")
    if not minimum <= int(value) <= maximum:
        raise ValueError(f"{name} must be from {minimum:,} to {maximum:,}, got {value!r}")
    return int(value)


def check_finite(name: str, value) -> float:
    """A finite real number (True and "1" are refused, as a scenario file would mean something else)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number
