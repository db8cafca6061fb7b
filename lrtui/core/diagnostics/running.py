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

    def add_runs(self, parents: list[int]) -> None:
        """Forked runs start with their parent's numbers."""
        idx = np.asarray(parents, dtype=np.int64)
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray) and value.shape[:1] == (self.n_runs,):
                setattr(self, name, np.concatenate([value, value[idx]]))
        self.n_runs += idx.size

    def update(self, frame: StepFrame) -> None:
        loss, params = frame.loss, frame.params
        finite = np.isfinite(loss)
        if self.count == 0:
            self.first_loss = np.array(loss, dtype=np.float64)
        else:
            update = params - self.prev_params
            dot = np.einsum("ij,ij->i", update, self.prev_update)
            norms = np.sqrt(np.einsum("ij,ij->i", update, update) * np.einsum("ij,ij->i", self.prev_update,
                                                                                self.prev_update))
            cosine = np.where(norms > 0, dot / np.where(norms > 0, norms, 1.0), 0.0)
            change = loss - self.prev_loss
            flipped = (change * self.prev_change < 0).astype(np.float64)
            if self.count >= 2:
                self.cos_update = np.where(finite, BOUNCE_EMA * self.cos_update + (1 - BOUNCE_EMA) * cosine,
                                           self.cos_update)
                self.flip_rate = np.where(finite, BOUNCE_EMA * self.flip_rate + (1 - BOUNCE_EMA) * flipped,
                                          self.flip_rate)
            self.prev_update, self.prev_change = update, change
        self.best_loss = np.fmin(self.best_loss, np.where(finite, loss, np.inf))
        self.max_grad = np.fmax(self.max_grad, np.where(finite, frame.grad_norm, np.nan))
        schedule_lr = frame.schedule_lr
        cut = (self.cut_step < 0) & (schedule_lr <= self.schedule_peak / HARD_CUT * (1 + 1e-9))
        if cut.any():
            self.cut_step = np.where(cut, frame.step, self.cut_step)
        self.schedule_peak = np.fmax(self.schedule_peak, schedule_lr)
        self.prev_params, self.prev_loss = params, loss
        self.count += 1

    def uncut(self, runs: np.ndarray) -> None:
        """Forget a cut: the run's schedule or LR was changed by hand, so its history starts again."""
        self.cut_step[runs] = -1
        self.schedule_peak[runs] = 0.0
