"""Each range-test rule on hand-made curves whose answer is worked out by hand."""

import numpy as np
import pytest

from lrtui.core.finder import RULES, suggest
from lrtui.core.finder.rules import gradient, minimum, slide, steep, valley

N = 100
LR = np.geomspace(1e-7, 10.0, N)  # the default ramp: index i is lr 1e-7 * 10**(8i/99)


def test_rules_come_in_the_documented_order():
    assert RULES == ("valley", "slide", "steep", "minimum", "gradient")
    assert tuple(suggest(LR, np.linspace(2.0, 1.0, N))) == RULES


def test_valley_picks_a_third_plus_a_sixth_along_the_longest_falling_stretch():
    loss = np.where(np.arange(N) % 2 == 0, 1.0, 1.01)  # a bumpy flat start: no stretch longer than one step
    loss[40:71] = 1.0 - 0.01 * np.arange(31)  # falls at every step from 40 to 70: 30 steps
    loss[39] = 0.5  # so that 39 -> 40 rises and the stretch starts exactly at 40
    loss[71:] = loss[70] + 0.02 * np.arange(1, N - 70)
    pick = valley(LR, loss, N)
    # The rule looks at points 10..94; the stretch spans 30 steps from 40: 40 + 30//3 + 30//6 = 55.
    assert pick.index == 55 and pick.lr == LR[55] and pick.reason == ""


def test_valley_takes_the_first_of_two_equally_long_stretches():
    loss = np.full(N, 2.0)
    loss[20:27] = 2.0 - 0.1 * np.arange(7)  # 6 steps from 20
    loss[60:67] = 2.0 - 0.1 * np.arange(7)  # 6 steps from 60
    assert valley(LR, loss, N).index == 20 + 2 + 1


def test_valley_declines_a_curve_that_falls_from_the_first_point():
    loss = np.linspace(5.0, 1.0, N)  # a noiseless loss: every point lower than the last
    pick = valley(LR, loss, N)
    assert pick.lr is None and "begins at the first point" in pick.reason
    # The message still tells what fastai would have said: the middle of points 10..94, index 10 + 28 + 14.
    assert f"{LR[52]:.3g}" in pick.reason


def _straight_then_bowl(corner=70):
    """Falls by 0.001 per step up to `corner`, then climbs as 0.1 * (steps past the corner)**2."""
    i = np.arange(N, dtype=float)
    loss = 1.01 - 0.001 * i
    loss[corner:] = loss[corner] + 0.1 * (i[corner:] - corner) ** 2
    return loss


def test_slide_stops_once_the_slopes_at_both_ends_of_the_window_agree():
    # Central-difference slopes are -0.001 up to index 69 and large from 70 on. Sliding the 15-step
    # window left from the end, the first window whose end slopes agree is 54..69, so the answer is
    # the left end of the window before it: 55.
    pick = slide(LR, _straight_then_bowl(), N)
    assert pick.index == 55 and pick.lr == LR[55]


def test_slide_keeps_the_first_window_when_its_slopes_already_agree():
    loss = np.linspace(3.0, 1.0, N)  # constant slope: the window never moves
    assert slide(LR, loss, N).index == 94 - 15


def test_slide_gives_up_when_the_slopes_never_settle():
    i = np.arange(N, dtype=float)
    loss = 1.0 - 0.001 * i**2  # the slope changes by 0.03 of the start across every window
    pick = slide(LR, loss, N)
    assert pick.lr is None and "never settled" in pick.reason


def test_slide_measures_slopes_in_units_of_the_starting_loss():
    loss = _straight_then_bowl()
    assert slide(LR, loss * 1000.0, N).index == slide(LR, loss, N).index == 55


def test_steep_is_steepest_against_log_lr_and_gradient_steepest_per_step():
    lr = np.linspace(0.1, 10.0, N)  # a linear ramp: log(lr) moves less at each later step
    loss = np.full(N, 3.0)
    loss[16:] -= 0.1  # the bigger drop per step, at small lr (d log lr = log(1.7/1.6) = 0.061)
    loss[81:] -= 0.05  # a smaller drop, at large lr (d log lr = log(8.2/8.1) = 0.012): steeper in log lr
    assert steep(lr, loss, N).index == 80
    # Central differences at 15 and 16 are both -0.05; the first wins.
    assert gradient(lr, loss, N).index == 15


def test_minimum_is_a_tenth_of_the_lowest_point_inside_the_trimmed_range():
    loss = np.linspace(2.0, 1.5, N)
    loss[3] = 0.1  # before num_it // 10 = 10: ignored
    loss[97] = 0.1  # among the last 5: ignored
    loss[63] = 0.5
    pick = minimum(LR, loss, N)
    assert pick.index == 63 and pick.lr == pytest.approx(LR[63] / 10, rel=1e-15)


def test_gradient_skips_ten_points_at_the_start_and_one_at_the_end():
    loss = np.full(N, 3.0)
    loss[6:] -= 1.0  # steepest of all, but among the first 10 points
    loss[51:] -= 0.2
    loss[99] -= 5.0  # the last point: skipped
    assert gradient(LR, loss, N).index == 50


def test_trimming_follows_num_it_not_the_points_taken():
    loss = np.linspace(2.0, 1.0, 40)  # a test of 200 steps that stopped after 40 points
    loss[25] = 0.5
    # fastai skips num_it // 10 = 20 points at the start, so index 25 is still looked at ...
    assert minimum(LR[:40], loss, 200).index == 25
    loss[15] = 0.1  # ... and index 15 is not
    assert minimum(LR[:40], loss, 200).index == 25


def test_rules_stop_at_the_first_non_finite_point():
    loss = np.linspace(2.0, 1.0, N)
    loss[60] = np.nan
    loss[61:] = 0.01  # lower, but after the NaN
    picks = suggest(LR, loss, N)
    assert picks["minimum"].index == 59
    assert picks["steep"].index < 60 and picks["gradient"].index < 60


@pytest.mark.parametrize("name", RULES)
def test_a_flat_curve_gets_none_and_a_reason(name):
    pick = suggest(LR, np.full(N, 2.3), N)[name]
    assert pick.lr is None and pick.index is None and "never falls" in pick.reason


@pytest.mark.parametrize("name", RULES)
def test_a_rising_curve_gets_none(name):
    pick = suggest(LR, np.linspace(1.0, 2.0, N), N)[name]
    assert pick.lr is None and pick.reason


@pytest.mark.parametrize("name", RULES)
def test_too_short_a_curve_gets_none_and_says_how_many_points_it_had(name):
    lr, loss = LR[:12], np.linspace(2.0, 1.0, 12)  # a 100-step test stopped after 12 points
    pick = suggest(lr, loss, 100)[name]
    assert pick.lr is None and "usable points" in pick.reason


def test_a_curve_that_is_nan_from_the_start_gets_none_everywhere():
    picks = suggest(LR, np.full(N, np.nan), N)
    assert all(p.lr is None and "0 usable points" in p.reason for p in picks.values())


def test_mismatched_arrays_are_refused_with_their_shapes():
    with pytest.raises(ValueError, match=r"lr and smoothed must be 1-D arrays of one length.*\(100,\).*\(99,\)"):
        suggest(LR, np.ones(N - 1), N)


def test_the_finder_imports_neither_the_ui_nor_the_scenario_layer():
    import subprocess
    import sys

    code = ("import sys, lrtui.core.finder\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext', 'rich')"
            " or m.startswith('lrtui.scenario')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
