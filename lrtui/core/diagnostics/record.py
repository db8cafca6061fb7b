"""A bounded record of what the monitor measured at each sharpness update, for the app's panels.

Samples are taken only when the monitor estimates sharpness (every few steps),
so recording costs nothing on the other steps. When the record is full, every
other sample is dropped: the record keeps spanning the whole run, at half the
resolution, as the plots' x axis does.
"""

from __future__ import annotations

import numpy as np

CAPACITY = 4096
FIELDS = ("top", "gauge", "lr_min", "lr_median", "lr_max")


class SharpnessRecord:
    def __init__(self, n_runs: int, capacity: int = CAPACITY):
        self.capacity = max(2, int(capacity)) // 2 * 2
        self.count = 0
        self.steps = np.zeros(self.capacity, dtype=np.int64)
        self.values = np.full((len(FIELDS), self.capacity, n_runs), np.nan)

    def add(self, step: int, top: np.ndarray, gauge: np.ndarray, effective_lr_stats: np.ndarray) -> None:
        """One sample: top eigenvalue and gauge (R,), and min/median/max effective LR (3, R)."""
        if self.count == self.capacity:
            keep = self.capacity // 2
            self.steps[:keep] = self.steps[0 : self.capacity : 2]
            self.values[:, :keep] = self.values[:, 0 : self.capacity : 2]
            self.values[:, keep:] = np.nan
            self.count = keep
        i = self.count
        self.steps[i] = step
        self.values[0, i] = top
        self.values[1, i] = gauge
        self.values[2:, i] = effective_lr_stats
        self.count = i + 1

    def add_runs(self, parents: list[int]) -> None:
        """New runs whose record so far is a copy of each parent's (a fork)."""
        self.values = np.concatenate([self.values, self.values[:, :, parents]], axis=2)

    def field(self, name: str, run: int) -> tuple[np.ndarray, np.ndarray]:
        return self.steps[: self.count].copy(), self.values[FIELDS.index(name), : self.count, run].copy()


def effective_lr_stats(effective_lr: np.ndarray | None, optimizer_steps: np.ndarray, runs: int) -> np.ndarray:
    """Min, median and max over parameters of each run's effective LR, shape (3, runs).

    NaN for non-adaptive optimizers, and before a run's first update, when
    there is no second moment yet and lr/eps would be a meaningless spike.
    """
    stats = np.full((3, runs), np.nan)
    if effective_lr is None:
        return stats
    with np.errstate(all="ignore"):
        stats[0] = np.min(effective_lr, axis=1)
        stats[1] = np.median(effective_lr, axis=1)
        stats[2] = np.max(effective_lr, axis=1)
    started = np.asarray(optimizer_steps, dtype=np.float64).reshape(runs) > 0
    stats[:, ~started] = np.nan
    return stats
