"""Defects the twenty-seventh session worked on: walkthrough 21's leftovers."""

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.palette import run_color
from lrtui.tui.widgets.lr_panel import PlanLine
from tests.tui.pilot_steps import step_and_draw


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


async def test_the_focused_runs_lr_is_drawn_last_on_top_of_the_others():
    """21a U1: at 80x24 one-cycle's rise to its peak shared text rows with the constant run's line, drawn after
    it, and was hidden; the focused run's LR and plan are now drawn last, and tab brings the other run up."""
    app = make_app("one-cycle")
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 40)
        lr = app.main.query_one("#lr")
        for focused in (0, 1):
            assert app.session.focused == focused
            lines = lr.picture.lines
            used = [line for line in lines if not isinstance(line, PlanLine) and line.color in (0, 1)]
            plans = [line for line in lines if isinstance(line, PlanLine)]
            assert used[-1].color == run_color(focused) and plans[-1].color == run_color(focused)
            # and each run is still drawn: the other one under it
            assert {line.color for line in used} == {run_color(0), run_color(1)}
            await pilot.press("tab")
            await step_and_draw(app, pilot, 0)


def test_the_finders_title_names_the_lr_the_run_uses_now():
    """21b V5: after tab and * * * in lesson 23 the range test's title said "run 1 (lr=0.0001)" while the run was at
    lr 0.1; it now reads as the status line does."""
    from lrtui.tui.screens.finder import FinderScreen
    from lrtui.tui.session import Session

    session = Session([find_builtin("digits-lr-classic").load()])
    session.focus_next()
    for _ in range(3):
        session.scale_lr(10)
    run = session.focused
    label = session.experiment.view(run).label
    assert "now lr 0.1" in label
    assert f"({label})" in FinderScreen(session.experiment, run).heading


async def test_an_explanation_longer_than_its_box_says_pgdn_has_more():
    """21b V8: at 80x24 lesson 17's explanation ended its first page mid-paragraph, the fix below it, and only the
    scrollbar's thumb said there was more."""
    from textual.containers import VerticalScroll

    from lrtui.tui.screens.explanation import ExplanationScreen

    async def explanation(app, pilot):
        await step_and_draw(app, pilot, 600)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ExplanationScreen)
        return app.screen.query_one(VerticalScroll)

    app = make_app("adagrad-decays-too-fast")
    async with app.run_test(size=(80, 24)) as pilot:
        scroll = await explanation(app, pilot)
        assert scroll.max_scroll_y > 0 and scroll.border_subtitle == "PgDn more"
        scroll.scroll_end(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert scroll.border_subtitle == ""  # at the end: nothing more below
    app = make_app("adagrad-decays-too-fast")
    async with app.run_test(size=(160, 50)) as pilot:
        scroll = await explanation(app, pilot)
        assert scroll.max_scroll_y == 0 and scroll.border_subtitle == ""


def test_the_outcome_tables_changes_are_in_words():
    """21b V9: "changes made: 2 lr", "1 fork" read as cryptic; the words stay short enough for the table."""
    from lrtui.tui.screens.outcomes import changes_made
    from lrtui.tui.session import Session

    session = Session([find_builtin("too-low-slow").load()])
    exp = session.experiment
    assert changes_made(exp, 0) == "none"
    exp.step(5)
    session.scale_lr(2)
    assert changes_made(exp, session.focused) == "1 lr change"
    exp.step(5)
    session.scale_lr(2)
    exp.step(5)
    session.scale_lr(2)
    assert changes_made(exp, session.focused) == "3 lr changes"


async def test_a_run_judged_diverged_while_finite_says_its_average_and_where_it_left_the_chart():
    """22b X2: lesson 21's full-batch run at lr 30 read "diverged (its last 4 losses average 4.41 ...)" and then
    "The loss is 0.901, more than 4 starting gaps above the floor" (it started at 0.678); the title said "diverged at
    step 300" beside an x at step 1, where it first left the chart."""
    app = make_app("minibatch-noise")
    async with app.run_test(size=(100, 30)) as pilot:
        session = app.session
        session.focus_next()
        session.scale_lr(10)
        session.scale_lr(10)
        await step_and_draw(app, pilot, session.scenario.steps)
        run = session.focused
        exp = session.experiment
        assert exp.verdict(run) == "diverged" and exp.diverged_at(run) < 0  # judged so, still finite
        text = exp.summary(run).explanation
        assert text.startswith("Its last 4 losses average") and "its last loss is" in text
        panel = app.screen.query_one("LossPanel")
        picture = panel.loss_picture(app.screen.view(session), panel.size.width)
        marks = [line for line in picture.lines if line.marker == "x"]
        assert marks and marks[0].x[0] < 10
        assert "x: run 1 diverged" in picture.title and "at step 300" not in picture.title, picture.title


async def test_a_plateau_schedules_flat_plan_says_its_cuts_are_not_planned():
    """22c W5: reduce-on-plateau's planned LR was one flat dashed line, read as "no schedule"."""
    app = make_app("reduce-on-plateau")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        lr = app.main.query_one("#lr")
        assert "plateau cuts unplanned" in lr.picture.title
        await step_and_draw(app, pilot, app.session.scenario.steps)
        assert "plateau cuts unplanned" not in lr.picture.title  # (nothing left to plan)
    app = make_app("step-decay")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "plateau" not in app.main.query_one("#lr").picture.title


def test_the_effective_lr_panel_ends_where_its_run_diverged():
    """22b X5: lesson 18's Adam raised until it diverged at step 5 had its step sizes drawn on to step 1000, while the
    loss chart ended it at step 5."""
    from lrtui.tui.session import Session
    from lrtui.tui.view import View
    from lrtui.tui.widgets.adaptive_panel import effective_series

    session = Session([find_builtin("rosenbrock-sgd-vs-adam").load()])
    session.focused = 1
    session.scale_lr(10_000)
    exp = session.experiment
    exp.step(session.scenario.steps)
    assert exp.verdict(1) == "diverged"
    stop = exp.diverged_at(1) if exp.diverged_at(1) >= 0 else exp.summary(1).step
    steps, *_ = effective_series(View(session, None, False, "full", False, 30))
    assert len(steps) and steps.max() <= stop < 50


async def test_g_inside_the_help_goes_to_its_glossary():
    """23a Y13: g pressed in the ? help closed it, with no glossary."""
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        scroll = app.screen.query_one("#keys-scroll")
        assert type(app.screen).__name__ == "KeysScreen" and scroll.scroll_y == 0
        await pilot.press("g")
        await pilot.pause()
        assert type(app.screen).__name__ == "KeysScreen" and scroll.scroll_y > 0
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"


async def test_the_gauge_does_not_say_every_run_past_100_percent_diverges():
    """23a Y3: the gauge read ">100% diverges" beside curves that passed 150% and did not."""
    app = make_app("step-decay")
    async with app.run_test(size=(160, 50)) as pilot:
        await step_and_draw(app, pilot, 60)
        titles = " ".join(chart.picture.title for chart in app.screen.query("Chart") if chart.picture is not None)
        assert "% of stable limit" in titles and "diverges" not in titles and "unstable there" in titles
