"""The UCI handwritten digits (8x8 images, 10 classes), bundled with the package.

Source: "Optical Recognition of Handwritten Digits", E. Alpaydin and C. Kaynak,
UCI Machine Learning Repository, licensed CC BY 4.0; the copy scikit-learn
ships, converted once by tests/fixtures/make_digits.py. See docs/data.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from lrtui.core.data.dataset import Dataset, stratified_split

DIGITS_FILE = Path(__file__).with_name("digits.npz")
PIXEL_MAX = 16.0


@lru_cache(maxsize=1)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 samples: pixels as float64 (1797, 64) scaled to [0, 1], labels int64 (1797,)."""
    with np.load(DIGITS_FILE) as stored:
        images = stored["images"]
        labels = stored["labels"]
    x = images.astype(np.float64) / PIXEL_MAX
    y = labels.astype(np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def digits_dataset(seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """The digits split into train and test, stratified by class; `seed` picks the split."""
    x, y = load_digits()
    return stratified_split("digits", x, y, test_fraction, np.random.default_rng(seed))
