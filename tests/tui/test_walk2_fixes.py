"""The second learner walkthrough's defects in the app (walk2-report.md), each on the lesson that showed it."""

import numpy as np

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.loss_panel import diverged_steps


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


def status(app) -> str:
    return app.main.query_one("#status").render().plain


async def finish(app, pilot):
    app.session.experiment.step(app.session.scenario.steps - app.session.experiment.step_count)
    app.redraw()
    await pilot.pause()


# -- 12: with 3 or more runs the loss chart still has a legend ------------------------------------------------
async def test_many_runs_keep_a_one_line_legend_naming_the_focused_run():
    app = make_app("lr-sweep")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "tab", "tab")
        app.redraw()
        await pilot.pause()
        panel = app.main.query_one("#loss")
        labels = [line.label for line in panel.picture.lines if line.label]
        focused = app.session.experiment.view(2).label
        assert labels == [f"{focused} (focused; +7 runs, tab)"]
        assert f"{focused} (focused; +7 runs, tab)" in panel.render().plain  # drawn on the chart


async def test_a_model_lesson_with_test_curves_keeps_a_legend():
    app = make_app("step-decay")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("N")
        app.redraw()
        await pilot.pause()
        plain = app.main.query_one("#loss").render().plain
        assert "(focused; +1 run, tab)" in plain


# -- 8: the divergence caption names each run's own step ---------------------------------------------------------
def test_diverged_steps_in_words():
    assert diverged_steps([7]) == "at step 7" and diverged_steps([20, 6, 4]) == "at steps 4-20"


async def test_the_divergence_caption_gives_the_range_of_steps():
    app = make_app("lr-sweep")
    async with app.run_test(size=(100, 30)) as pilot:
        await finish(app, pilot)
        exp = app.session.experiment
        steps = sorted(exp.view(r).diverged_at for r in range(exp.n_runs) if exp.view(r).diverged_at > 0)
        assert len(steps) >= 2 and steps[0] != steps[-1]
        title = app.main.query_one("#loss").picture.title
        assert f"{len(steps)} runs diverged" in title and f"at steps {steps[0]}-{steps[-1]}" in title
