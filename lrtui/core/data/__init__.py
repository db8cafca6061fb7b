"""Data sets for the model losses: the bundled digits and seeded 2-D point clouds."""

from __future__ import annotations

import math
import numbers

import numpy as np

from lrtui.core.data.dataset import Dataset, check_test_fraction, stratified_split
from lrtui.core.data.digits import digits_dataset, load_digits
from lrtui.core.data.synthetic import DEFAULT_NOISE, GENERATORS, WINDOW
from lrtui.core.registry import lookup

DATASETS = ("digits", *GENERATORS)
DEFAULT_SAMPLES = 400
MIN_SAMPLES = 10  # enough for both classes to appear in train and test
MAX_SAMPLES = 100_000  # far more than a 2-D picture needs; keeps every full-batch pass small


def make_dataset(
    name: str,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int = 0,
    test_fraction: float = 0.2,
) -> Dataset:
    """Build a data set by name, split into train and test.

    2-D sets ("circles", "xor", "gaussians", "spiral"): `n_samples` points
    (default 400), half per class, jittered by `noise` (default per set, see
    synthetic.DEFAULT_NOISE); `seed` fixes the points and the split.
    "digits": the fixed 1,797 images; `seed` picks the split only, and
    `n_samples` and `noise` must be left unset.
    """
    lookup(dict.fromkeys(DATASETS), name, "dataset")
    seed = _check_seed(seed)
    test_fraction = check_test_fraction(test_fraction)
    if name == "digits":
        if n_samples is not None or noise is not None:
            raise ValueError("digits is a fixed set of 1797 images: leave n_samples and noise unset")
        return digits_dataset(seed, test_fraction)
    n = DEFAULT_SAMPLES if n_samples is None else _check_samples(n_samples)
    jitter = DEFAULT_NOISE[name] if noise is None else _check_noise(noise)
    rng = np.random.default_rng(seed)
    x, y = GENERATORS[name](n, jitter, rng)
    return stratified_split(name, x, y, test_fraction, rng, window=WINDOW)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(seed)


def _check_samples(n_samples) -> int:
    if (isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral)
            or not MIN_SAMPLES <= int(n_samples) <= MAX_SAMPLES):
        raise ValueError(f"n_samples must be a whole number >= {MIN_SAMPLES} and at most {MAX_SAMPLES:,}, "
                         f"got {n_samples!r}")
    return int(n_samples)


def _check_noise(noise) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    value = float(noise)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return value


__all__ = ["DATASETS", "Dataset", "load_digits", "make_dataset", "stratified_split"]
