"""The second learner walkthrough's defects in the app (walk2-report.md), each on the lesson that showed it."""

import pytest

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.loss_panel import diverged_steps
from tests.tui.pilot_steps import open_finder_and_check, play_to_the_end, step_and_draw


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


def status(app) -> str:
    return app.main.query_one("#status").render().plain


async def finish(app, pilot):
    await step_and_draw(app, pilot, app.session.scenario.steps - app.session.experiment.step_count)


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
        # both runs named where their names fit the legend's rows, the test curves by the title (walkthrough 23a)
        assert "step decay" in plain and "constant" in plain and "test dotted" in plain


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
        # On the linear axis (l): on the automatic log one the runs under its floor take the title first.
        app.main.log_scale = False
        await pilot.pause()
        title = app.main.query_one("#loss").picture.title
        assert f"{len(steps)} runs diverged" in title and f"at steps {steps[0]}-{steps[-1]}" in title


# -- 10, 11: no cut text; the status line drops the same fields on every run ------------------------------------------
@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_the_finished_message_is_whole_under_eight_runs(size):
    app = make_app("lr-sweep")
    async with app.run_test(size=size) as pilot:
        app.session.experiment.step(295)
        await pilot.press("space")
        await play_to_the_end(app, pilot)
        widget = app.main.query_one("#status")
        lines = status(app).splitlines()
        assert len(lines) <= widget.size.height  # nothing below the status area's last row
        assert lines[-1].rstrip().endswith("opens the next lesson")


def test_every_run_line_keeps_the_same_fields():
    from lrtui.tui.widgets.status_line import _fit_together

    lines = [[(1, "> run 0", ""), (4, "  lr 0.1", ""), (1, "  loss 1", ""), (5, "  |g| 2", "")],
             [(1, "> run 1 with a much longer label", ""), (4, "  lr 0.1", ""), (1, "  loss 1", ""),
              (5, "  |g| 2", "")]]
    fitted = _fit_together(lines, 40)
    assert ["".join(t for t, _ in line) for line in fitted] == ["> run 0  loss 1",
                                                                 "> run 1 with a much longer label  loss 1"]


async def test_status_fields_are_dropped_alike_for_all_runs_after_a_fork():
    app = make_app("too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "c")
        app.redraw()
        await pilot.pause()
        runs = [line for line in status(app).splitlines()[1:] if line[:1] in "> " and "loss" in line]
        assert len(runs) == 4  # the slow run, the good run, and the slow run's two forks
        assert len({("|g|" in line, "  lr " in line) for line in runs}) == 1
        assert all(len(line) <= 100 for line in runs)


async def test_the_header_keeps_the_lesson_and_speed_at_80_columns():
    app = make_app("step-decay")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        head = status(app).splitlines()[0]
        assert "lesson 7 of 23" in head and "x10" in head and head.lstrip().startswith("Step decay")


async def test_the_footer_keeps_help_and_quit_at_60_columns():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        keys = [key.action for key in app.main.query("FooterKey") if key.display]
        assert "help" in keys and "quit" in keys and "play" in keys
        footer = app.main.query_one("LrtuiFooter")
        right = max(key.region.right for key in app.main.query("FooterKey"))
        assert right <= footer.region.right


async def test_the_diagnostics_summary_shows_the_fix_whole_at_100x30():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await finish(app, pilot)
        panel = app.main.query_one("#diagnostics")
        summary = panel.get_option_at_index(0).prompt.plain
        assert "\n→ a: lr = " in summary and summary.rstrip().endswith(")")
        prompt = panel.get_option_at_index(0).prompt
        rows = prompt.wrap(app.console, panel.scrollable_content_region.width)
        assert len(rows) <= panel.scrollable_content_region.height


# -- 14: a label made from the settings reads "..., now lr X" after a fix, like every other label --------------------
async def test_a_fix_relabels_an_auto_labelled_run_with_now():
    app = make_app("lr-sweep")
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        exp.step(60)
        diverged = next(r for r in range(exp.n_runs) if exp.view(r).diverged_at > 0)
        was = exp.view(diverged).label
        app.session.focused = diverged
        await pilot.press("a", "a")
        exp = app.session.experiment
        lr = exp.view(diverged).lr
        assert exp.view(diverged).label == f"{was}, now lr {lr:.4g}"
        assert app.session.experiment.view(diverged).label.startswith("sgd lr=")


# -- 17: shift+tab focuses the previous run --------------------------------------------------------------------------
async def test_shift_tab_focuses_the_previous_run():
    app = make_app("lr-sweep")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("shift+tab")
        assert app.session.focused == app.session.experiment.n_runs - 1
        await pilot.press("tab", "tab", "shift+tab")
        assert app.session.focused == 0 and app.session.message.startswith("focused run 0")


# -- 5: the finder's check trains what the lesson trains, and the curve keeps its rows -------------------------------
async def test_the_finder_check_matches_training_that_lr_in_the_lesson_and_keeps_the_curve():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("minus")  # a change of the learner's own first: the check still trains from the start
        app.session.experiment.step(300)
        await open_finder_and_check(pilot, app)
        text = app.screen.query_one("#finder-verify-text").render().plain
        assert "from the run's start (step 0)" in text
        rows = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0][0].isdigit():
                rows[float(parts[0])] = parts[1]
        chart = app.screen.query_one("FinderPanel > Chart")
        assert chart.size.height >= 7  # the curve keeps its rows under the table
    # Each grid LR (shown to 3 digits), trained in the lesson itself from its file, ends where the table says.
    import re

    from lrtui.scenario.loader import parse_scenario

    for lr, shown in list(rows.items())[-3:]:
        text = re.sub(r"(?m)^lr = 0.003$", f"lr = {lr!r}", find_builtin("too-high-divergence").text())
        exp = parse_scenario(text, "x").build()
        exp.step(300)
        if exp.view(0).diverged_at >= 0:
            assert "diverged" in shown or shown in ("-", "nan/inf", "inf")
        else:
            assert abs(float(shown) - exp.view(0).loss) <= 0.01 * abs(exp.view(0).loss)
