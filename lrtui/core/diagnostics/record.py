"""A bounded record of what the monitor measured at each sharpness update, for the app's panels.

Samples are taken only when the monitor estimates sharpness (every few steps),
so recording costs nothing on the other steps. When the record is full, every
other sample is dropped: the record keeps spanning the whole run, at half the
resolution, as the plots' x axis does. A sweep of many runs keeps fewer
samples per run (MEMORY in all), and memory is only touched as samples arrive.
"""

from __future__ import annotations

import numpy as np

CAPACITY = 4096  # samples per run, at most
MEMORY = 32 * 2**20  # bytes for all runs' samples, at most
FIELDS = ("top", "gauge", "lr_min", "lr_median", "lr_max")


class SharpnessRecord:
    def __init__(self, n_runs: int, capacity: int = CAPACITY, alike: int | None = None):
        # `alike`: the runs of one loss, when several losses' runs share the record (each keeps what its own would)
        fits = MEMORY // (8 * len(FIELDS) * max(n_runs if alike is None else alike, 1))
        self.capacity = max(2, min(int(capacity), fits)) // 2 * 2
        self.count = 0
        self.steps = np.zeros(self.capacity, dtype=np.int64)
        self.values = np.empty((len(FIELDS), self.capacity, n_runs))  # only samples before `count` are read

    def add(self, step: int, top: np.ndarray, gauge: np.ndarray, effective_lr_stats: np.ndarray) -> None:
        """One sample: top eigenvalue and gauge (R,), and min/median/max effective LR (3, R)."""
        self.add_many(np.array([step]), top[None], gauge[None], effective_lr_stats[None])

    def add_many(self, steps: np.ndarray, top: np.ndarray, gauge: np.ndarray, lr_stats: np.ndarray) -> None:
        """Samples in step order: steps (S,), top and gauge (S, R), lr_stats (S, 3, R)."""
        done = 0
        while done < len(steps):
            if self.count == self.capacity:
                keep = self.capacity // 2
                self.steps[:keep] = self.steps[0 : self.capacity : 2]
                self.values[:, :keep] = self.values[:, 0 : self.capacity : 2]
                self.count = keep
            i = self.count
            n = min(len(steps) - done, self.capacity - i)
            part = slice(done, done + n)
            self.steps[i : i + n] = steps[part]
            self.values[0, i : i + n] = top[part]
            self.values[1, i : i + n] = gauge[part]
            self.values[2:, i : i + n] = np.moveaxis(lr_stats[part], 1, 0)
            self.count = i + n
            done += n

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
        if effective_lr.shape[1] == 2:
            # What np.min, np.median (the mean of the middle two) and np.max compute, without sorting.
            a, b = effective_lr[:, 0], effective_lr[:, 1]
            stats[0], stats[1], stats[2] = np.minimum(a, b), (a + b) / 2, np.maximum(a, b)
        else:
            stats[0] = np.min(effective_lr, axis=1)
            stats[1] = np.median(effective_lr, axis=1)
            stats[2] = np.max(effective_lr, axis=1)
    started = np.asarray(optimizer_steps, dtype=np.float64).reshape(runs) > 0
    stats[:, ~started] = np.nan
    return stats
