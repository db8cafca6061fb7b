"""The gauge the app shows is today's lr against the last sampled sharpness: an LR change shows at once."""

import math

import pytest

from lrtui.scenario.library import find_builtin


@pytest.mark.parametrize("name", ["just-right", "rosenbrock-sgd-vs-adam", "digits-lr-classic"])
def test_the_gauge_follows_an_lr_change_before_the_next_sample(name):
    exp = find_builtin(name).load().build()
    exp.step(7)  # between sharpness samples
    before = exp.gauge(0)
    assert math.isfinite(before) and before > 0
    exp.scale_lr(0, 0.5)
    assert exp.gauge(0) == pytest.approx(before / 2, rel=1e-12)


def test_on_a_quadratic_the_gauge_is_exactly_lr_times_the_top_eigenvalue_over_two():
    exp = find_builtin("just-right").load().build()  # SGD on eigenvalues 1 and 50: the limit is 2/50
    exp.step(3)
    exp.set_lr(0, 0.03)
    assert exp.gauge(0) == pytest.approx(0.03 * 50 / 2, rel=1e-9)


def test_before_the_sharpness_is_known_the_gauge_stays_unknown():
    exp = find_builtin("rosenbrock-sgd-vs-adam").load().build()  # Adam has no preconditioner before step 1
    assert math.isnan(exp.gauge(1))
