"""Defects the twelfth learner walkthroughs found (/work/wt/walk12a- and walk12b-report.md in the lead's notes)."""

from types import SimpleNamespace

from lrtui.core.diagnostics.types import Tried
from lrtui.core.diagnostics.verdicts import RULES
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.session import Session
from tests.tui.pilot_steps import status_lines, step_and_draw


def _message(code: str, e) -> str:
    rule = next(r for r in RULES.entries if r.code == code)
    return rule.message(e)


def test_a_run_climbing_early_is_not_called_settled():
    """F1: lesson 15's runs read "settled (healthy)" at step 2, their loss climbing 160 -> 851 -> 1,540."""
    s = Session([find_builtin("momentum-ravine").load()])
    s.experiment.step(2)
    for run in range(s.experiment.n_runs):
        d = s.experiment.summary(run)
        assert d.words == "improving" and "too early to tell its pace" in d.message, d.message
    s.experiment.step(s.scenario.steps - 2)
    assert all("too early" not in s.experiment.summary(r).message for r in range(s.experiment.n_runs))


def test_a_too_slow_fix_below_the_lr_set_by_hand_does_not_call_that_lr_too_low():
    """F2: "the LR 3.16 is too low" beside "Fix: lr = 1.778" (a fix from step 0, scaled from the LR the run
    started with, 0.5)."""
    tried = Tried({"optimizer.lr": 1.778}, 0, 600, 0.0044, 3.47, False, True)
    e = SimpleNamespace(lr=3.16, last_loss=3.47, scheduled=False, tried={"too_slow": tried})
    message = _message("too_slow", e)
    assert message.startswith("too slow for the budget (loss 3.47): from step 0, a larger LR than the one it started")
    assert "the LR 3.16 is too low" not in message and "try lr = 1.778" in message
    e.lr = 0.5  # the usual case: the fix is above the LR the run has
    assert _message("too_slow", e).startswith("too slow: the LR 0.5 is too low for the budget")


async def test_a_mini_batch_runs_status_line_says_batch_loss():
    """F10: "loss 0.35" on digits was the last batch's loss; the chart ended near 0.1 and u said 0.22."""
    app = LrtuiApp([find_builtin("digits-lr-classic").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 20)
        runs = [line for line in status_lines(app)[1:] if "■" in line]
        assert runs and all("batch loss" in line for line in runs), runs
    app = LrtuiApp([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 20)
        assert "batch loss" not in " ".join(status_lines(app))


async def test_the_loss_scale_is_automatic_again_in_the_next_lesson():
    """E7: l in lesson 3 opened lesson 4 in linear, which hid the flat stretch its task points at."""
    app = LrtuiApp([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 5)
        await pilot.press("l")
        await pilot.pause()
        assert app.main.log_scale is not None
        await pilot.press("right_square_bracket")
        await step_and_draw(app, pilot, 5)
        assert app.session.lesson == 4 and app.main.log_scale is None


def test_a_climbing_run_reads_rising_and_a_noisy_level_one_settled():
    """F1's second half: past the first window, a run whose loss climbs is not "settled" either; a data model's
    jittery batch losses, level on the whole, still are."""
    base = dict(floor_is_bound=False, minimum=False, window=20, step=50, budget=100, last_loss=5.0, behind=False,
                tried={}, gap_half=1.0, best=0.5)
    rising = _message("improving", SimpleNamespace(**base, rate=-0.01, gap=2.0))
    # (its own words since walkthrough 23b, Z2: "improving" beside "up 20% per step" read as a contradiction)
    assert rising.startswith("rising from its best: loss 5, up 1% per step over the last 20 steps, from its best 0.5")
    level = _message("improving", SimpleNamespace(**base, rate=-0.0001, gap=1.0))
    assert level.startswith("settled (healthy): loss 5")
    noisy = _message("improving", SimpleNamespace(**{**base, "floor_is_bound": True}, rate=-0.01, gap=2.0))
    assert noisy.startswith("settled (healthy)")


async def test_a_loss_of_exactly_zero_goes_along_the_bottom_of_an_every_decade_axis():
    """E6: after lesson 1's fix the loss reaches exactly 0; on `l`'s every-decade axis its curve just stopped."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.set_lr(0.016, run=0)
        await step_and_draw(app, pilot, app.session.scenario.steps)
        assert float(app.session.experiment.series(0, "loss")[1][-1]) == 0.0
        app.main.log_scale = True
        await pilot.pause()
        picture = app.main.query_one("#loss").picture
        assert picture.log_y and "v: run 0 below" in picture.title
        assert any(line.marker == "v" and line.color == 0 for line in picture.lines)
