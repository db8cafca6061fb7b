"""`m` visibly smooths a mini-batch curve: its jitter gives way to the trend (a walkthrough found 0.6 too weak)."""

import numpy as np

from lrtui.core.smoothing import debiased_ema
from lrtui.tui.widgets.loss_panel import SMOOTHING


def test_the_smoothed_line_keeps_the_trend_and_loses_most_of_the_jitter():
    columns = np.arange(80)
    trend = 2.3 * np.exp(-columns / 30)
    noisy = trend + np.random.default_rng(0).normal(0, 0.15, columns.size)
    smooth = debiased_ema(noisy, SMOOTHING)
    jitter = lambda y: np.abs(np.diff(y)).sum()  # noqa: E731
    assert jitter(smooth) < jitter(noisy) / 4
    assert np.abs(smooth[20:] - trend[20:]).mean() < 0.15
