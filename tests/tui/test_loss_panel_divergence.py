"""A run that blows up must not blank or flatten the other runs' loss curves."""

import numpy as np

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.chart import Line
from lrtui.tui.widgets.loss_panel import LossPanel, clip_diverged
from tests.tui.pilot_steps import step_and_draw


def test_diverged_curves_are_clipped_to_just_above_the_healthy_range():
    exploded = Line(np.arange(4.0), np.array([5.0, 1e30, 1e278, np.nan]))
    clip_diverged([exploded], healthy_top=40.0)
    assert exploded.y[:3].tolist() == [5.0, 42.0, 42.0] and np.isnan(exploded.y[3])


def test_when_every_run_diverged_the_range_is_where_they_started():
    lines = [Line(np.arange(3.0), np.array([3.0, 1e200, np.inf])), Line(np.arange(2.0), np.array([8.0, 1e300]))]
    clip_diverged(lines, healthy_top=-np.inf)
    assert max(float(np.nanmax(line.y)) for line in lines) == 8.4


async def test_a_sweep_with_exploded_runs_still_draws_every_healthy_curve():
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d", *["N"] * 5)  # lr 0.1 reaches about 1e278 within 50 steps
        exp = app.session.experiment
        assert exp.step_count == 50 and sum(exp.diverged_at(r) >= 0 for r in range(exp.n_runs)) >= 2
        panel = app.screen.query_one(LossPanel)
        picture = panel.loss_picture(app.main.view(app.session), panel.size.width)
        healthy = [exp.current(r)["loss"] for r in range(exp.n_runs) if exp.diverged_at(r) < 0]
        top = max(float(np.nanmax(line.y)) for line in picture.lines)
        assert max(healthy) < top < 1e3  # the diverged curves leave through the top, not at 1e278
        # The healthy runs span decades: the automatic axis is log10 already, and still clipped.
        assert picture.log_y and "auto" in picture.title
        # Eight labels would cover the curves' start: one line names the focused run and the count.
        assert [line.label for line in picture.lines if line.label] == [
            f"{exp.view(0).label} (focused; +{exp.n_runs - 1} runs, tab)"]
        await pilot.press("l", "l")  # linear, then log by choice
        logged = panel.loss_picture(app.main.view(app.session), panel.size.width)
        # A chosen log scale is clipped too: showing 1e278 put every healthy run on one row (walkthrough 4, #1).
        assert logged.log_y and "auto" not in logged.title
        assert max(healthy) < max(float(np.nanmax(line.y)) for line in logged.lines) < 1e3


async def test_oscillation_shows_without_pressing_l():
    """Himmelblau at lr 0.025 bounces between 3.09 and 4.24: the automatic log axis shows a band, not a flat line."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 200)
        panel = app.screen.query_one(LossPanel)
        assert panel.picture.log_y and "auto" in panel.picture.title
        bottom, top = panel.canvas.ylim
        rows = panel.size.height - 4  # frame, title and ticks
        band = (np.log10(4.24) - np.log10(3.09)) / (top - bottom) * rows * 4  # braille dots
        assert band >= 2  # at least two dots tall: the bounce is visible


async def test_smoothing_on_a_log_axis_follows_a_loss_falling_by_decades():
    """Walkthrough 3, defect 10: with m on, a run converging to 1e-30 drew a smoothed line flat near 1e-5."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        exp.set_lr(0, 0.0125)  # half the LR from step 0: the bouncing dies out and the loss falls to ~1e-30
        exp.step(200)
        await pilot.press("m")
        app.main.log_scale = True  # l's log axis, every decade (the automatic one stops 4 decades down)
        panel = app.screen.query_one(LossPanel)
        picture = panel.loss_picture(app.main.view(app.session), panel.size.width)
        assert picture.log_y
        raw_end = float(exp.current(0)["loss"])
        smooth = next(line for line in picture.lines if line.label and line.label.startswith(exp.view(0).label))
        end = float(smooth.y[np.isfinite(smooth.y)][-1])
        assert raw_end < 1e-20 and end < 1e-15  # within a few decades of the raw loss, not held near 1e-5


async def test_a_run_judged_diverged_but_still_finite_does_not_set_the_automatic_axis():
    """Walkthrough 3, defect 12: lr-sweep's exploded runs (finite, near 1e250) put every healthy run on one row."""
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    async with app.run_test(size=(100, 30)):
        exp = app.session.experiment
        exp.step(5)  # run 6 (lr 0.1) is at 1.9e271, finite, and judged diverged; it is inf a few steps later
        blown = [r for r in range(exp.n_runs) if exp.diverged_at(r) < 0 and exp.verdict(r) == "diverged"]
        healthy = [exp.current(r)["loss"] for r in range(exp.n_runs) if exp.verdict(r) != "diverged"]
        panel = app.screen.query_one(LossPanel)
        picture = panel.loss_picture(app.main.view(app.session), panel.size.width)
        top = max(float(np.nanmax(line.y)) for line in picture.lines)
        assert top < 1e3 * max(healthy)  # the healthy runs keep the chart; the blown-up ones leave through the top
        assert blown  # the case this guards: a finite run judged diverged


def test_a_finite_loss_a_million_times_its_start_counts_as_blown_up():
    from lrtui.tui.widgets.loss_panel import _blown_up

    assert _blown_up(np.array([12.0, 30.0, 5e37]), np.array([12.0, 40.0, 5e37]))
    assert not _blown_up(np.array([12.0, 3.0, 0.1]), np.array([12.0, 4.0, 0.2]))
    assert not _blown_up(np.array([np.nan]), np.array([np.nan]))
