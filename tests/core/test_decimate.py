import numpy as np

from lrtui.core.decimate import as_line, min_max_columns


def test_short_series_pass_through_without_non_finite_points():
    x = np.arange(5.0)
    y = np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    cx, lo, hi = min_max_columns(x, y, y, 10)
    assert list(cx) == [0.0, 2.0, 4.0] and list(lo) == [1.0, 3.0, 5.0]


def test_long_series_keep_every_spike_in_its_column():
    x = np.arange(1_000_000.0)
    y = np.sin(x / 1000.0)
    y[123_456] = 50.0
    y[777_777] = -50.0
    cx, lo, hi = min_max_columns(x, y, y, 80)
    assert len(cx) == 80
    assert hi.max() == 50.0 and lo.min() == -50.0
    col = int(123_456 / 1_000_000 * 80)
    assert hi[col] == 50.0
    assert np.all(lo <= hi)


def test_zigzag_line_interleaves_min_and_max():
    xs, ys = as_line(np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert list(xs) == [0, 0, 1, 1] and list(ys) == [1, 3, 2, 4]
