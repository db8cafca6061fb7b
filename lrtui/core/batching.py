"""Mini-batch indices as a pure function of the step number.

Like torch's DataLoader(shuffle=True, drop_last=False): each epoch visits
every training sample once in a fresh random order, in batches of
`batch_size`, the last one smaller when the sizes do not divide. The order of
epoch e comes from np.random.default_rng([seed, e]), so any step's batch can
be recomputed without replaying the steps before it (reset, fork and replay
all see the same batches).
"""

from __future__ import annotations

import math
import numbers

import numpy as np


class BatchSampler:
    """`indices(step)` is the batch update `step` (0-based) trains on, or None for full batch.

    batch_size None, or >= n_samples, means full batch: every step uses all
    samples and `batches_per_epoch` is 1.
    """

    def __init__(self, n_samples: int, batch_size: int | None, seed: int = 0):
        self.n_samples = _whole(n_samples, "n_samples", minimum=1)
        self.seed = _whole(seed, "seed", minimum=0)
        if batch_size is not None:
            batch_size = _whole(batch_size, "batch_size", minimum=1)
        self.full_batch = batch_size is None or batch_size >= self.n_samples
        self.batch_size = batch_size if batch_size is not None and not self.full_batch else self.n_samples
        self.batches_per_epoch = math.ceil(self.n_samples / self.batch_size)
        self._epoch = -1
        self._order = np.empty(0, dtype=np.int64)

    def epoch_of(self, step: int) -> int:
        return _whole(step, "step", minimum=0) // self.batches_per_epoch

    def indices(self, step: int) -> np.ndarray | None:
        """Training-set indices for `step`: int64, read-only; None when full batch."""
        if self.full_batch:
            _whole(step, "step", minimum=0)
            return None
        epoch, position = divmod(_whole(step, "step", minimum=0), self.batches_per_epoch)
        order = self.permutation(epoch)
        start = position * self.batch_size
        return order[start : start + self.batch_size]

    def permutation(self, epoch: int) -> np.ndarray:
        """The order samples are visited in during `epoch` (cached for the latest epoch asked)."""
        if epoch != self._epoch:
            order = np.random.default_rng([self.seed, epoch]).permutation(self.n_samples)
            order.flags.writeable = False
            self._epoch, self._order = epoch, order
        return self._order


def _whole(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)
