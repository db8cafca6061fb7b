"""The Dataset record every model trains on, and the stratified split that makes one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrtui.core.losses.base import Window


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification data set, already split.

    x_* are float64 (samples, n_features), C-contiguous and read-only; y_* are
    int64 class indices 0..n_classes-1. `window` is the rectangle to draw
    decision regions over (2-D sets only; None for digits).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    n_features: int
    window: Window | None = None

    @property
    def n_train(self) -> int:
        return int(self.y_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.y_test.shape[0])


def _frozen(array: np.ndarray, dtype) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=dtype)
    out.flags.writeable = False
    return out


def stratified_split(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    test_fraction: float,
    rng: np.random.Generator,
    window: Window | None = None,
) -> Dataset:
    """Split so that every class keeps the same share in train and test.

    Each class sends round(test_fraction * its count) samples to the test set,
    at least one, and keeps at least one for training. Both sets are shuffled
    so that no class sits in one contiguous block.
    """
    y = np.asarray(y, dtype=np.int64)
    n_classes = int(y.max()) + 1
    train_parts, test_parts = [], []
    for label in range(n_classes):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = min(max(1, round(test_fraction * members.size)), members.size - 1)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    return Dataset(
        name=name,
        x_train=_frozen(x[train], np.float64),
        y_train=_frozen(y[train], np.int64),
        x_test=_frozen(x[test], np.float64),
        y_test=_frozen(y[test], np.int64),
        n_classes=n_classes,
        n_features=int(x.shape[1]),
        window=window,
    )


def check_test_fraction(test_fraction) -> float:
    value = float(test_fraction)
    if not 0.0 < value < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction}")
    return value
