import numpy as np

from lrtui.core.smoothing import debiased_ema


def test_first_point_is_unbiased_and_constants_stay_constant():
    out = debiased_ema([5.0, 5.0, 5.0], 0.9)
    np.testing.assert_allclose(out, 5.0)


def test_matches_the_recurrence_by_hand():
    out = debiased_ema([1.0, 3.0], 0.6)
    assert out[0] == 1.0
    # last = 0.6*0.4 + 0.4*3 = 1.44; debias by 1 - 0.36
    assert np.isclose(out[1], 1.44 / 0.64)


def test_non_finite_points_pass_through():
    out = debiased_ema([1.0, np.nan, np.inf, 1.0], 0.5)
    assert np.isnan(out[1]) and np.isinf(out[2]) and out[3] == 1.0
