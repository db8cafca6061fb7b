"""Running numbers about each run, updated every step in a handful of array operations over all runs.

Everything else the diagnostics use is read at checkpoints (every few steps) from the history, so the
per-step cost stays small: best loss, largest gradient, how consecutive updates point (a bounce shows as
updates pointing against each other), how often the loss change flips sign, and the schedule's peak and
first hard cut.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.frame import StepFrame

BOUNCE_EMA = 0.9  # weight of the past in the running cosine and flip rate (about ten steps)
HARD_CUT = 100.0  # a schedule's LR at or below 1/100 of its peak so far has been cut hard


class RunningStats:
    """Per run: first and best loss, largest gradient norm, update cosine and loss-flip averages, schedule cut."""

    def __init__(self, n_runs: int, n_params: int):
        self.n_runs = n_runs
        self.count = 0
        self.first_loss = np.full(n_runs, np.nan)
        self.best_loss = np.full(n_runs, np.inf)
        self.max_grad = np.zeros(n_runs)
        self.cos_update = np.zeros(n_runs)  # running mean of cos(update_t, update_t-1)
        self.flip_rate = np.zeros(n_runs)  # running mean of "the loss change reversed"
        self.schedule_peak = np.zeros(n_runs)
        self.cut_step = np.full(n_runs, -1, dtype=np.int64)  # first step the schedule's LR sat at <= peak / 100
        self.prev_params = np.zeros((n_runs, n_params))
        self.prev_update = np.zeros((n_runs, n_params))
        self.prev_loss = np.zeros(n_runs)
        self.prev_change = np.zeros(n_runs)
        self.prev_norm = np.zeros(n_runs)  # |previous update|^2

    def add_runs(self, parents: list[int]) -> None:
        """Forked runs start with their parent's numbers."""
        idx = np.asarray(parents, dtype=np.int64)
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray) and value.shape[:1] == (self.n_runs,):
                setattr(self, name, np.concatenate([value, value[idx]]))
        self.n_runs += idx.size

    def update(self, frame: StepFrame) -> None:
        loss, params = frame.loss, frame.params
        all_finite = bool(np.isfinite(np.add.reduce(loss)))  # one sum says whether every loss is finite
        if self.count == 0:
            self.first_loss = np.array(loss, dtype=np.float64)
            self.prev_norm = np.zeros(self.n_runs)
        else:
            update = params - self.prev_params
            norm = np.einsum("ij,ij->i", update, update)
            dot = np.einsum("ij,ij->i", update, self.prev_update)
            norms = np.sqrt(norm * self.prev_norm)
            cosine = dot / np.where(norms > 0, norms, np.inf)  # 0 where either update is zero
            change = loss - self.prev_loss
            if self.count >= 2:
                flipped = change * self.prev_change < 0
                fresh = (1 - BOUNCE_EMA) * np.stack([cosine, flipped])
                averages = np.stack([self.cos_update, self.flip_rate]) * BOUNCE_EMA + fresh
                if not all_finite:  # a run whose loss is not finite keeps its averages
                    averages = np.where(np.isfinite(loss), averages, np.stack([self.cos_update, self.flip_rate]))
                self.cos_update, self.flip_rate = averages[0], averages[1]
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
        cut = schedule_lr <= self.schedule_peak * (1 + 1e-9) / HARD_CUT
        if cut.any():
            self.cut_step = np.where(cut & (self.cut_step < 0), frame.step, self.cut_step)
        self.schedule_peak = np.fmax(self.schedule_peak, schedule_lr)
        self.prev_params, self.prev_loss = params, loss
        self.count += 1

    def uncut(self, runs: np.ndarray) -> None:
        """Forget a cut: the run's schedule or LR was changed by hand, so its history starts again."""
        self.cut_step[runs] = -1
        self.schedule_peak[runs] = 0.0
