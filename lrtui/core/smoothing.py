"""TensorBoard's debiased exponential moving average, the smoothing users recognise."""

from __future__ import annotations

import math

import numpy as np


def debiased_ema(values, weight: float = 0.6) -> np.ndarray:
    """Smooth a series as TensorBoard does; non-finite points pass through unchanged."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    last, count = 0.0, 0
    for i, y in enumerate(values.tolist()):
        if not math.isfinite(y):
            continue
        last = weight * last + (1.0 - weight) * y
        count += 1
        out[i] = last / (1.0 - weight**count) if weight < 1.0 else y
    return out
