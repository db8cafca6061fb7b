"""Two-class point clouds in the plane, in the spirit of TensorFlow Playground.

Every generator draws from the Generator it is given, so a seed fixes the
points. Coordinates lie roughly in [-1, 1] (inputs of order one, as a
network expects after normalisation); `WINDOW` frames all of them with a margin.
`noise` is the standard deviation of Gaussian jitter added to each coordinate;
for `gaussians` it is the spread of the two blobs themselves.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.losses.base import Window

WINDOW = Window(-1.5, 1.5, -1.5, 1.5)

DEFAULT_NOISE = {"circles": 0.05, "xor": 0.05, "gaussians": 0.3, "spiral": 0.03}

INNER_RADIUS = 0.5  # the inner class fills this disc
RING = (0.7, 1.0)  # the outer class fills this annulus; the gap keeps them separable
XOR_PADDING = 0.05  # keeps points off the axes, where the label flips
BLOB_CENTER = 0.4
SPIRAL_TURNS = 1.75


def _split_counts(n_samples: int) -> tuple[int, int]:
    return n_samples // 2, n_samples - n_samples // 2


def _labels(n0: int, n1: int) -> np.ndarray:
    return np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])


def _polar(radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def circles(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 0 inside a disc, class 1 on a ring around it."""
    n0, n1 = _split_counts(n_samples)
    inner = _polar(rng.uniform(0.0, INNER_RADIUS, n0), rng.uniform(0.0, 2 * math.pi, n0))
    outer = _polar(rng.uniform(*RING, n1), rng.uniform(0.0, 2 * math.pi, n1))
    x = np.concatenate([inner, outer]) + rng.normal(0.0, noise, (n_samples, 2))
    return x, _labels(n0, n1)


def xor(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 where the coordinates have opposite signs; noise is added after labelling."""
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    x += np.where(x >= 0, XOR_PADDING, -XOR_PADDING)
    x *= 1.0 / (1.0 + XOR_PADDING)
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + rng.normal(0.0, noise, (n_samples, 2)), y


def gaussians(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two round blobs on the diagonal; `noise` is their standard deviation."""
    n0, n1 = _split_counts(n_samples)
    x = rng.normal(0.0, noise, (n_samples, 2))
    x[:n0] -= BLOB_CENTER
    x[n0:] += BLOB_CENTER
    return x, _labels(n0, n1)


def spiral(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved arms winding out from the centre, half a turn apart."""
    n0, n1 = _split_counts(n_samples)
    arms = []
    for count, phase in ((n0, 0.0), (n1, math.pi)):
        along = rng.uniform(0.0, 1.0, count)
        arms.append(_polar(along, SPIRAL_TURNS * 2 * math.pi * along + phase))
    x = np.concatenate(arms) + rng.normal(0.0, noise, (n_samples, 2))
    return x, _labels(n0, n1)


GENERATORS = {"circles": circles, "xor": xor, "gaussians": gaussians, "spiral": spiral}
