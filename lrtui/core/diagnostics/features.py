"""Running evidence about each run, updated in O(1) per step from what the simulation just computed.

Everything here is an array over the runs of one simulation, so a sweep of a
thousand runs costs a few array operations per step, not a Python loop.
"""

from __future__ import annotations

import numpy as np

EMA = 0.9  # weight of the past in the running cosines and flip rate (about 10 steps)
SMOOTH = 0.9  # TensorBoard-style debiased EMA of the loss
WINDOW = 32  # steps over which the progress rate is measured
LONG_WINDOW = 96  # ...and the slower, steadier rate that "too slow" is judged on


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        num = np.einsum("ij,ij->i", a, b)
        den = np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


class Features:
    def __init__(self, n_runs: int, n_params: int, floor: float | None):
        self.n_runs = n_runs
        self.known_floor = floor
        self.count = 0
        z = np.zeros(n_runs)
        self.first_loss = z.copy()
        self.max_grad = z.copy()
        self.best_loss = np.full(n_runs, np.inf)
        self.best_smooth = np.full(n_runs, np.inf)
        self._ema = z.copy()
        self.smooth = z.copy()
        self.cos_grad = z.copy()
        self.cos_update = z.copy()
        self.flip_rate = z.copy()
        self.secant = np.full(n_runs, np.nan)
        self.lr_max = z.copy()
        self.schedule_lr = z.copy()
        self.schedule_lr_max = z.copy()
        self.gap_at_cut = np.full(n_runs, np.nan)
        self.cut_step = np.full(n_runs, -1)
        self._gaps = np.full((LONG_WINDOW + 1, n_runs), np.nan)
        self._prev_loss = z.copy()
        self._prev_dloss = z.copy()
        self._prev_grad = np.zeros((n_runs, n_params))
        self._prev_params = np.zeros((n_runs, n_params))
        self._prev_update = np.zeros((n_runs, n_params))
        self.loss = z.copy()
        self.grad_norm = z.copy()
        self.lr = z.copy()

    # -- derived -------------------------------------------------------------
    @property
    def floor(self) -> np.ndarray:
        """The loss's lower reference: its known minimum, else 0 (or the best seen, if below 0)."""
        if self.known_floor is not None:
            return np.full(self.n_runs, self.known_floor)
        return np.minimum(0.0, self.best_loss)

    def gap(self, values: np.ndarray) -> np.ndarray:
        """How far above the floor, as a fraction of where the run started."""
        floor = self.floor
        with np.errstate(all="ignore"):
            start = np.maximum(self.first_loss - floor, 1e-300)
            return np.maximum(values - floor, 0.0) / start

    @property
    def rate(self) -> np.ndarray:
        """Mean decrease per step of log(smoothed gap) over the last WINDOW steps (NaN until known)."""
        return self._rate_over(WINDOW)

    @property
    def long_rate(self) -> np.ndarray:
        """The same over LONG_WINDOW steps, or over all steps so far while fewer."""
        return self._rate_over(min(LONG_WINDOW, self.count - 1))

    def _rate_over(self, span: int) -> np.ndarray:
        # Even spans, so that a two-step bounce compares like with like.
        span -= span % 2
        if self.count <= WINDOW or span < 2:
            return np.full(self.n_runs, np.nan)
        ring = LONG_WINDOW + 1
        oldest = self._gaps[(self.count - 1 - span) % ring]
        newest = self._gaps[(self.count - 1) % ring]
        with np.errstate(all="ignore"):
            return (np.log(np.maximum(oldest, 1e-300)) - np.log(np.maximum(newest, 1e-300))) / span

    # -- updating ------------------------------------------------------------
    def observe(self, loss, grad, params, lr, schedule_lr, step: int) -> None:
        with np.errstate(all="ignore"):
            self._observe(loss, grad, params, lr, schedule_lr, step)

    def _observe(self, loss, grad, params, lr, schedule_lr, step) -> None:
        grad_norm = np.sqrt(np.einsum("ij,ij->i", grad, grad))
        finite = np.isfinite(loss)
        if self.count == 0:
            self.first_loss = loss.copy()
        self.max_grad = np.where(finite, np.fmax(self.max_grad, grad_norm), self.max_grad)
        self.best_loss = np.fmin(self.best_loss, np.where(finite, loss, np.inf))
        n = self.count + 1
        self._ema = np.where(finite, SMOOTH * self._ema + (1 - SMOOTH) * loss, self._ema)
        self.smooth = self._ema / (1 - SMOOTH**n)
        self.best_smooth = np.fmin(self.best_smooth, self.smooth)
        if self.count >= 1:
            dloss = loss - self._prev_loss
            update = params - self._prev_params
            self.cos_grad = EMA * self.cos_grad + (1 - EMA) * _cosine(grad, self._prev_grad)
            if self.count >= 2:
                flip = (dloss * self._prev_dloss < 0).astype(float)
                self.flip_rate = EMA * self.flip_rate + (1 - EMA) * flip
                self.cos_update = EMA * self.cos_update + (1 - EMA) * _cosine(update, self._prev_update)
            step_sq = np.einsum("ij,ij->i", update, update)
            curvature = np.einsum("ij,ij->i", grad - self._prev_grad, update) / np.where(step_sq > 0, step_sq, np.nan)
            self.secant = curvature
            self._prev_dloss = dloss
            self._prev_update = update
        self._gaps[self.count % (LONG_WINDOW + 1)] = self.gap(self.smooth)
        cut_now = (schedule_lr <= self.schedule_lr_max / 100.0 * (1 + 1e-9)) & (self.cut_step < 0)
        self.gap_at_cut = np.where(cut_now, self.gap(self.smooth), self.gap_at_cut)
        self.cut_step = np.where(cut_now, step, self.cut_step)
        self.schedule_lr_max = np.fmax(self.schedule_lr_max, schedule_lr)
        self.schedule_lr = schedule_lr
        self.lr_max = np.fmax(self.lr_max, lr)
        self._prev_loss, self._prev_grad, self._prev_params = loss, grad, params
        self.loss, self.grad_norm, self.lr = loss, grad_norm, lr
        self.count = n

    def add_runs(self, parents: list[int]) -> None:
        idx = np.asarray(parents, dtype=np.int64)
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray) and value.shape[:1] == (self.n_runs,):
                setattr(self, name, np.concatenate([value, value[idx]]))
        self._gaps = np.concatenate([self._gaps, self._gaps[:, idx]], axis=1)
        self.n_runs += idx.size
