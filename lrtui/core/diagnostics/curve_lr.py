"""What a logged LR was doing at a step: warming up, at its peak, constant, decaying or just cut.

The curve rules quote it in their evidence ("the loss jumped when warmup reached its peak of 3e-3") and use
it to tell a schedule's planned decay from a cut that stalled training. NumPy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NEAR_PEAK = 0.05  # within 5% of the run after the LR first reached its peak: "when it reached its peak"
SAME = 1e-3  # relative change below which the LR counts as unchanged


@dataclass(frozen=True)
class LrStory:
    values: np.ndarray  # the LR at every logged loss (gaps carried forward, the first value carried back)
    steps: np.ndarray

    @property
    def peak(self) -> float:
        return float(np.nanmax(self.values))

    @property
    def now(self) -> float:
        return float(self.values[-1])

    @property
    def peak_step(self) -> int:
        return int(self.steps[int(np.nanargmax(self.values))])

    def at(self, step: float) -> float:
        i = int(np.searchsorted(self.steps, step, side="right")) - 1
        return float(self.values[min(max(i, 0), self.values.size - 1)])

    @property
    def constant(self) -> bool:
        low, high = float(np.nanmin(self.values)), self.peak
        return high <= 0 or (high - low) <= SAME * high

    @property
    def warmup(self) -> bool:
        """The LR rose to its peak (a warmup) rather than starting there."""
        return self.values[0] < 0.5 * self.peak

    def phase(self, step: float) -> str:
        """What the LR was doing at `step`, in words with numbers."""
        lr, peak = self.at(step), self.peak
        if not (math.isfinite(lr) and math.isfinite(peak)) or peak <= 0:
            return ""
        if self.constant:
            return f"the LR was constant at {lr:.3g}"
        i = int(np.searchsorted(self.steps, step, side="right")) - 1
        i = min(max(i, 0), self.values.size - 1)
        first_peak = int(np.argmax(self.values >= peak * (1 - SAME)))
        span = max(float(self.steps[-1] - self.steps[0]), 1.0)
        if i < first_peak and self.warmup:
            return f"during the warmup, at lr {lr:.3g} on the way to its peak of {peak:.3g}"
        if self.warmup and 0 <= (self.steps[i] - self.steps[first_peak]) <= NEAR_PEAK * span:
            return f"when the warmup reached its peak of {peak:.3g}"
        before = self.values[max(0, i - max(1, self.values.size // 50))]
        if lr < before * (1 - 10 * SAME) and lr < 0.5 * before:
            return f"just after the LR was cut to {lr:.3g} (from {before:.3g})"
        if lr >= peak * (1 - SAME):
            return f"at the peak LR, {peak:.3g}"
        return f"while the LR was decaying ({lr:.3g}, {100 * lr / peak:.0f}% of its peak {peak:.3g})"


def lr_story(lr, steps) -> LrStory | None:
    """The LR at every row: carried forward over gaps, and back over the first ones; None without any."""
    lr = np.asarray(lr, dtype=np.float64)
    ok = np.isfinite(lr)
    if not ok.any():
        return None
    idx = np.where(ok, np.arange(lr.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = lr[idx]
    out[: int(np.argmax(ok))] = lr[int(np.argmax(ok))]
    return LrStory(out, np.asarray(steps, dtype=np.float64))
