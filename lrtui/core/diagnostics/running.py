"""Running numbers about each run, updated every step with a handful of operations.

Everything else the diagnostics use is read at checkpoints (every few steps) from the history, so the
per-step cost stays small: first and best loss, largest gradient, how consecutive updates point (a bounce
shows as updates pointing against each other), how often the loss change flips sign, and the schedule's
peak and first hard cut. For a few runs of a small problem (one run of a 2-D landscape, say) a NumPy call
costs more than the arithmetic, so those are kept in Python floats; both paths do the same arithmetic.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.frame import StepFrame

BOUNCE_EMA = 0.9  # weight of the past in the running cosine and flip rate (about ten steps)
HARD_CUT = 100.0  # a schedule's LR at or below 1/100 of its peak so far has been cut hard
SMALL = (4, 16)  # up to this many runs of up to this many parameters: Python floats

_ARRAYS = ("first_loss", "best_loss", "max_grad", "cos_update", "flip_rate", "schedule_peak", "cut_step",
           "prev_loss", "prev_change", "prev_norm")
_BLOCKS = ("prev_params", "prev_update")


def running_stats(n_runs: int, n_params: int) -> "RunningStats | SmallRunningStats":
    """The running numbers for n_runs runs: in Python floats when that is the faster way."""
    stats = RunningStats(n_runs, n_params)
    return SmallRunningStats.of(stats) if n_runs <= SMALL[0] and n_params <= SMALL[1] else stats


class RunningStats:
    """Per run: first and best loss, largest gradient norm, update cosine and loss-flip averages, schedule cut."""

    def __init__(self, n_runs: int, n_params: int):
        self.n_runs, self.n_params = n_runs, n_params
        self.count = 0
        self.first_loss = np.full(n_runs, np.nan)
        self.best_loss = np.full(n_runs, np.inf)
        self.max_grad = np.zeros(n_runs)
        self.cos_update = np.zeros(n_runs)  # running mean of cos(update_t, update_t-1)
        self.flip_rate = np.zeros(n_runs)  # running mean of "the loss change reversed"
        self.schedule_peak = np.zeros(n_runs)
        self.cut_step = np.full(n_runs, -1, dtype=np.int64)  # first step the schedule's LR sat at <= peak / 100
        self.prev_loss = np.zeros(n_runs)
        self.prev_change = np.zeros(n_runs)
        self.prev_norm = np.zeros(n_runs)  # |previous update|^2
        self.prev_params = np.zeros((n_runs, n_params))
        self.prev_update = np.zeros((n_runs, n_params))

    def add_runs(self, parents: list[int]) -> "RunningStats":
        """The numbers with forked runs appended, each starting with its parent's (returns the new holder)."""
        idx = np.asarray(parents, dtype=np.int64)
        for name in _ARRAYS + _BLOCKS:
            value = getattr(self, name)
            setattr(self, name, np.concatenate([value, value[idx]]))
        self.n_runs += idx.size
        return self

    def uncut(self, runs: np.ndarray) -> None:
        """Forget a cut: the run's schedule or LR was changed by hand, so its history starts again."""
        self.cut_step[runs], self.schedule_peak[runs] = -1, 0.0

    def update(self, frame: StepFrame) -> None:
        self._update_arrays(frame)
        self.count += 1

    def _update_arrays(self, frame: StepFrame) -> None:
        loss, params = frame.loss, frame.params
        all_finite = bool(np.isfinite(np.add.reduce(loss)))  # one sum says whether every loss is finite
        if self.count == 0:
            self.first_loss = np.array(loss, dtype=np.float64)
        else:
            update = params - self.prev_params
            norm = np.einsum("ij,ij->i", update, update)
            dot = np.einsum("ij,ij->i", update, self.prev_update)
            norms = np.sqrt(norm * self.prev_norm)
            cosine = dot / np.where(norms > 0, norms, np.inf)  # 0 where either update is zero
            change = loss - self.prev_loss
            if self.count >= 2:
                flipped = change * self.prev_change < 0
                if all_finite:
                    self.cos_update = self.cos_update * BOUNCE_EMA + (1 - BOUNCE_EMA) * cosine
                    self.flip_rate = self.flip_rate * BOUNCE_EMA + (1 - BOUNCE_EMA) * flipped
                else:  # a run whose loss is not finite keeps its averages
                    finite = np.isfinite(loss)
                    self.cos_update = np.where(finite, self.cos_update * BOUNCE_EMA + (1 - BOUNCE_EMA) * cosine,
                                               self.cos_update)
                    self.flip_rate = np.where(finite, self.flip_rate * BOUNCE_EMA + (1 - BOUNCE_EMA) * flipped,
                                              self.flip_rate)
            self.prev_update, self.prev_change, self.prev_norm = update, change, norm
        # fmin and fmax skip NaN; an infinite loss or gradient is left out explicitly.
        if all_finite:
            self.best_loss = np.fmin(self.best_loss, loss)
            self.max_grad = np.fmax(self.max_grad, frame.grad_norm)
        else:
            finite = np.isfinite(loss)
            self.best_loss = np.fmin(self.best_loss, np.where(finite, loss, np.inf))
            self.max_grad = np.fmax(self.max_grad, np.where(finite, frame.grad_norm, np.nan))
        schedule_lr = frame.schedule_lr
        cut = (schedule_lr <= self.schedule_peak * (1 + 1e-9) / HARD_CUT) & (self.schedule_peak > 0)
        if cut.any():
            self.cut_step = np.where(cut & (self.cut_step < 0), frame.step, self.cut_step)
        self.schedule_peak = np.fmax(self.schedule_peak, schedule_lr)
        self.prev_params, self.prev_loss = params, loss


class SmallRunningStats:
    """The same numbers for a few runs of a small problem, in Python lists; arrays on reading."""

    n_runs: int
    n_params: int
    count: int
    values: dict[str, list]

    @classmethod
    def of(cls, stats: RunningStats) -> "SmallRunningStats":
        small = cls()
        small.n_runs, small.n_params, small.count = stats.n_runs, stats.n_params, stats.count
        small.values = {name: getattr(stats, name).tolist() for name in _ARRAYS + _BLOCKS}
        return small

    def arrays(self) -> RunningStats:
        stats = RunningStats(self.n_runs, self.n_params)
        stats.count = self.count
        for name in _ARRAYS + _BLOCKS:
            dtype = np.int64 if name == "cut_step" else np.float64
            setattr(stats, name, np.array(self.values[name], dtype=dtype).reshape(getattr(stats, name).shape))
        return stats

    def __getattr__(self, name):  # only for names not set on the instance: the arrays, on reading
        if name in _ARRAYS:
            return np.array(self.values[name], dtype=np.int64 if name == "cut_step" else np.float64)
        raise AttributeError(name)

    def add_runs(self, parents: list[int]) -> RunningStats | "SmallRunningStats":
        grown = self.arrays().add_runs(parents)
        return SmallRunningStats.of(grown) if grown.n_runs <= SMALL[0] else grown

    def uncut(self, runs: np.ndarray) -> None:
        for run in np.asarray(runs).reshape(-1).tolist():
            self.values["cut_step"][run], self.values["schedule_peak"][run] = -1, 0.0

    def update(self, frame: StepFrame) -> None:
        self._update_small(frame)
        self.count += 1

    def _update_small(self, frame: StepFrame) -> None:
        v = self.values
        loss, grad_norm = frame.loss.tolist(), frame.grad_norm.tolist()
        schedule_lr, params = frame.schedule_lr.tolist(), frame.params.tolist()
        first = self.count == 0
        for r in range(self.n_runs):
            value, finite = loss[r], math.isfinite(loss[r])
            if first:
                v["first_loss"][r] = value
            else:
                update = [p - q for p, q in zip(params[r], v["prev_params"][r])]
                norm = sum(x * x for x in update)
                dot = sum(a * b for a, b in zip(update, v["prev_update"][r]))
                both = math.sqrt(norm * v["prev_norm"][r])
                cosine = dot / both if both > 0 else 0.0
                change = value - v["prev_loss"][r]
                if self.count >= 2 and finite:
                    flipped = 1.0 if change * v["prev_change"][r] < 0 else 0.0
                    v["cos_update"][r] = v["cos_update"][r] * BOUNCE_EMA + (1 - BOUNCE_EMA) * cosine
                    v["flip_rate"][r] = v["flip_rate"][r] * BOUNCE_EMA + (1 - BOUNCE_EMA) * flipped
                v["prev_update"][r], v["prev_change"][r], v["prev_norm"][r] = update, change, norm
            if finite:
                v["best_loss"][r] = min(v["best_loss"][r], value)
                if grad_norm[r] > v["max_grad"][r]:
                    v["max_grad"][r] = grad_norm[r]
            lr = schedule_lr[r]
            if v["cut_step"][r] < 0 and 0 < v["schedule_peak"][r] and lr <= v["schedule_peak"][r] * (1 + 1e-9) / HARD_CUT:
                v["cut_step"][r] = frame.step
            if lr > v["schedule_peak"][r]:
                v["schedule_peak"][r] = lr
            v["prev_params"][r], v["prev_loss"][r] = params[r], value

