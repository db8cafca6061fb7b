"""Defects the nineteenth session worked on: walkthrough 18's leftovers and walkthrough 19."""

import numpy as np
import pytest

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.loss_panel import AUTO_LOG_WHOLE_DECADES, auto_log_floor
from tests.tui.pilot_steps import status_lines, step_and_draw


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


def test_the_automatic_floor_is_kept_for_spans_over_ten_decades_only():
    """18a N3: lesson 3's good run, 1.5 down to 6.14e-10, went along the bottom of an axis stopped at 0.1."""
    assert auto_log_floor(6.14e-10, 1.08, 1.5) is None  # 9.4 decades: every run shown to its lowest
    assert auto_log_floor(6.14e-10, 1.08) == pytest.approx(0.1)  # (no top given: as before)
    assert auto_log_floor(1.26e-29, 3.09, 4.2) == pytest.approx(0.1)  # walkthrough 6's fork at 1e-29 keeps it
    assert np.log10(1.5 / 6.14e-10) < AUTO_LOG_WHOLE_DECADES < np.log10(4.2 / 1.26e-29)


async def test_lesson_3_shows_the_good_run_to_its_lowest_beside_the_slow_one():
    app = make_app("too-low-slow")
    for size in ((100, 30), (80, 24)):
        async with app.run_test(size=size) as pilot:
            await step_and_draw(app, pilot, app.session.scenario.steps)
            panel = app.screen.query_one("LossPanel")
            picture = panel.loss_picture(app.screen.view(app.session), panel.size.width)
            assert "run 1 below" not in picture.title and "log10" in picture.title, picture.title
            good = next(line for line in picture.lines if line.color == 1)  # run 1's colour (at 80x24, no label)
            assert np.nanmin(good.y) < 1e-9  # drawn down to 6.14e-10, not floored at 0.1
        app = make_app("too-low-slow")


async def test_lesson_10s_hopping_run_is_settled_over_the_limit_at_both_sizes():
    """18a N1: the constant run read "settled (healthy)" at 395% of the limit where it is (1103% at its
    sharpest), while the lesson calls it hopping between dimples."""
    for size in ((100, 30), (80, 24)):
        app = make_app("warm-restarts")
        async with app.run_test(size=size) as pilot:
            await step_and_draw(app, pilot, app.session.scenario.steps)
            line = next(line for line in status_lines(app) if "constant" in line)
            assert "settled (over the limit)" in line and "395% of limit here" in line, line
            # the healthy restarts run keeps its kink words at 80 columns too
            assert "over 100x limit (kink)" in next(line for line in status_lines(app)[1:] if "warm restarts" in line)
            explanation = app.session.experiment.summary(1).explanation
            assert "its LR is 395% of it: it cannot come to rest there" in explanation


def test_a_fork_trains_the_same_in_every_replay():
    """19a Q2: lesson 1, a a on the bouncing run (its fix from step 25), play, c (forks from step 0), play; then a
    fix on the diverged x3 fork replayed every run, and the healthy x0.3 fork took its parent's step-25 fix, which
    it had not taken live."""
    from lrtui.tui.session import Session

    session = Session([find_builtin("too-high-oscillation").load()])
    steps = session.scenario.steps
    session.experiment.step(steps)
    session.apply_fix()
    session.apply_fix()  # the second a: the replay, with lr 0.016 from step 25 on run 0
    session.experiment.step(steps)
    session.fork()  # finished: forks from step 0, into runs 1 (x0.3) and 2 (x3)
    session.experiment.step(steps)
    live = session.experiment.series(1, "lr")[1].copy()
    assert np.allclose(live, 0.3 * 0.025)  # live, the x0.3 fork never took its parent's fix
    session.focused = 2
    assert session.experiment.diverged_at(2) >= 0
    session.apply_fix()  # tried from the start: every run replays
    session.experiment.step(steps)
    assert np.array_equal(session.experiment.series(1, "lr")[1], live)  # the same fork trains the same way
    assert session.experiment.series(0, "lr")[1][30] == pytest.approx(0.016, rel=0.01)  # the parent keeps its fix


async def test_a_schedule_mark_on_the_charts_edge_is_neither_drawn_nor_named():
    """19a Q5: lesson 9's title said "|: lows", but its one low, at T_max = 300, the last step, lies on the frame."""
    from lrtui.tui.widgets.loss_panel import SCHEDULE_MARKER

    app = make_app("cosine-annealing")
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, app.session.scenario.steps)
        picture = app.main.query_one("#loss").picture
        assert "lines" not in picture.title and "|:" not in picture.title, picture.title
        assert not [x for x, marker in picture.vlines if marker == SCHEDULE_MARKER]


def test_a_replay_for_one_runs_fix_keeps_the_others_fix_for_a():
    """19b R2: lesson 19, both runs with a fix at the end; a on run 1 replayed both, then a on run 0 said "no fix
    yet ... nothing changed", and the whole budget had to be played again to get it back."""
    from lrtui.tui.session import Session

    session = Session([find_builtin("schedule-too-aggressive").load()])
    exp = session.experiment
    exp.step(session.scenario.steps)
    fix0 = session.fix_of(0)
    assert fix0 is not None and session.fix_of(1) is not None
    session.focused = 1
    session.apply_fix()  # tried from the start: every run replays
    assert session.experiment.step_count == 0 and "run 0 keeps its fix for a" in session.message, session.message
    session.focused = 0
    session.apply_fix()
    assert "the fix found for it before the last replay" in session.message, session.message
    timeline = session.experiment.view(0).timeline
    assert timeline and timeline[-1].changes == dict(fix0.fix) and timeline[-1].step == fix0.tried.from_step
    session.experiment.step(session.scenario.steps)  # and it works as tried: far lower than before
    assert session.experiment.view(0).loss < 0.1 * exp.view(0).loss


def test_a_too_slow_run_past_the_sharpest_points_limit_says_which_limit_is_which():
    """19b R1: lesson 18's SGD at lr 0.001 read "too low" beside "105% of the stable limit 2/λ = 0.000956", while
    its status line gave 27% of the limit where it is."""
    from lrtui.tui.session import Session

    session = Session([find_builtin("rosenbrock-sgd-vs-adam").load()])
    session.scale_lr(2.0)  # run 0: lr 0.0005 -> 0.001
    session.experiment.step(session.scenario.steps)
    exp = session.experiment
    d = exp.summary(0)
    assert d.code == "too_slow" and exp.gauge(0) > 1 > exp.gauge_here(0)
    share = f"{100 * exp.gauge_here(0):.0f}%"
    assert f"where the run is now the stable limit is" in d.explanation
    assert f"and the LR is {share} of it, too low for the ground it is on" in d.explanation, d.explanation


async def test_the_lr_chart_is_linear_where_that_shows_the_schedules_shape():
    """19a Q4: lesson 9's task says "watch the LR panel: half a cosine", but on the log axis it was a flat line and a
    cliff at the end. Runs of comparable LRs draw on a linear axis from 0; ten-fold cuts and LRs a hundredfold apart
    stay on a log one."""
    from lrtui.tui.widgets.lr_panel import linear_fits

    assert linear_fits([[np.array([0.5, 0.25, 0.0])]]) is False  # a third of the columns at 0: log
    assert linear_fits([[np.linspace(0.5, 0.01, 100)], [np.full(10, 0.5)]])
    assert not linear_fits([[np.full(10, 0.0005)], [np.full(10, 0.05)]])  # lesson 3: a hundredfold apart
    for name, linear in (("cosine-annealing", True), ("warm-restarts", True), ("exponential-decay", False),
                         ("too-low-slow", False)):
        app = make_app(name)
        async with app.run_test(size=(100, 30)) as pilot:
            await step_and_draw(app, pilot, 1)
            panel = app.screen.query_one("LRPanel")
            picture = panel.lr_picture(app.screen.view(app.session), panel.size.width)
            assert picture.log_y is not linear and ("linear" in picture.title) is linear, (name, picture.title)
            if linear:
                assert picture.y_range[0] == 0.0  # from 0: where the cosine ends


async def test_another_lesson_opens_unsmoothed():
    """19a Q11: m in lesson 7, then another lesson: it opened smoothed, and lesson 1's bounce was one flat line."""
    app = make_app("step-decay")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert app.main.smoothing
        await pilot.press("]")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.scenario.name != find_builtin("step-decay").load().name
        assert not app.main.smoothing and "smoothed" not in app.main.query_one("#loss").picture.title


async def test_a_verdict_cut_to_the_diagnostics_box_says_enter_has_the_rest():
    """19b R4: at 100x30 lesson 18's box read "loss 4.48, falling only" and stopped, with nothing to say there was
    more; its last row now ends "… enter", and a fix below the why stays whole where it fits."""
    app = make_app("rosenbrock-sgd-vs-adam")
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, app.session.scenario.steps)
        panel = app.screen.query_one("DiagnosticsPanel")
        shown = panel.get_option_at_index(0).prompt.plain.splitlines()
        assert len(shown) <= panel.scrollable_content_region.height and shown[-1].endswith("… enter"), shown
    from rich.text import Text

    from lrtui.tui.widgets.diagnostics_panel import DiagnosticsPanel

    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.screen.query_one(DiagnosticsPanel)
        rows = panel.scrollable_content_region.height
        long = Text("\n".join(["■ run 0: oscillating"] + [f"why {i}" for i in range(rows + 3)] + ["→ a: lr = 0.016"]))
        lines = panel._clipped(long, False).plain.splitlines()
        assert len(lines) == rows and lines[-1] == "→ a: lr = 0.016" and lines[-2].endswith("… enter"), lines
        width = panel.scrollable_content_region.width - panel.styles.scrollbar_size_vertical
        words = " ".join(["falling"] * 40)  # (20b T7: cut at a word's end, never "falling 1% p")
        last = panel._clipped(Text("\n".join(["■"] * (rows - 1) + [words, "more"])), False)
        assert last.plain.splitlines()[-1].removesuffix(" … enter").split(" ")[-1] == "falling", last.plain
        assert all(len(line) <= width for line in last.plain.splitlines())


async def test_lesson_20_keeps_the_sharpest_share_at_80_columns():
    """19b R8: at 80x24 lesson 20's status lines dropped "(109% at its sharpest)", the lesson's point: a larger LR
    passed a sharp point on its way and landed in another basin."""
    app = make_app("himmelblau-which-minimum")
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, app.session.scenario.steps)
        lines = status_lines(app)
        assert any("53% of limit here (109% at sharpest)" in line for line in lines), lines
        assert all(len(line) <= 80 for line in lines)


def test_a_kept_fix_applies_only_before_the_replay_plays_and_never_after_R():
    """20b T3: lesson 20, a on the too-slow run, play, R, three steps: the box showed no fix, and a applied the
    fix kept from before the replay."""
    from lrtui.tui.session import Session

    session = Session([find_builtin("schedule-too-aggressive").load()])
    session.experiment.step(session.scenario.steps)
    session.focused = 1
    session.apply_fix()  # every run replays; run 0's fix is kept
    assert session.kept_fix(0) is not None
    session.experiment.step(3)
    assert session.kept_fix(0) is None  # it plays: its own checks judge it now
    session.reset()
    assert session.kept_fix(0) is None and not session.kept_fixes
    session.focused = 0
    session.experiment.step(3)
    session.apply_fix()
    assert "before the last replay" not in session.message, session.message


async def test_the_effective_lr_panel_keeps_rmsprops_median_after_a_fork():
    """20b T1: lesson 17, c, play: the key had no room for three other runs and dropped them all, RMSProp's rising
    median (the lesson's comparison) with them."""
    for size in ((100, 30), (80, 24)):
        app = make_app("adagrad-decays-too-fast")
        async with app.run_test(size=size) as pilot:
            app.session.fork()
            await step_and_draw(app, pilot, app.session.scenario.steps)
            panel = next(p for p in app.screen.query("AdaptivePanel, LRPanel") if p.display and "eff" in
                         (p.picture.title if getattr(p, "picture", None) is not None else ""))
            title, labels = panel.picture.title, [line.label for line in panel.picture.lines]
            assert "run 1" in title and "run 1" in labels, (size, title, labels)  # RMSProp's median, named
            assert all(label in title for label in labels if label and label.startswith("run ")), (title, labels)


def test_a_fix_that_sets_the_lr_a_run_has_counts_no_lr_change():
    """20a S7, 20b T8: lesson 19's fix (schedule constant, lr = 0.1, the LR it had) read "1 schedule, 1 lr" in u."""
    from lrtui.tui.screens.outcomes import changes_made
    from lrtui.tui.session import Session

    session = Session([find_builtin("schedule-too-aggressive").load()])
    session.experiment.step(session.scenario.steps)
    session.apply_fix()
    session.experiment.step(session.scenario.steps)
    assert changes_made(session.experiment, 0) == "1 schedule change"
    session.experiment.set_lr(0, 0.05)  # a real change still counts
    assert changes_made(session.experiment, 0) == "1 schedule change, 1 lr change"


async def test_enter_before_any_verdict_says_why_nothing_opens():
    """20b T4: enter right after opening a lesson (or after a replay) did nothing and said nothing."""
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "nothing to explain yet" in app.session.message, app.session.message
        await step_and_draw(app, pilot, 30)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExplanationScreen"


async def test_each_runs_plan_is_dashed_in_its_own_colour():
    """21a U2: before play, lesson 10's two plans were grey dashes with long gaps, the restarts broken into
    fragments mixed with the constant run's."""
    from lrtui.tui.palette import run_color
    from lrtui.tui.widgets.lr_panel import DASH, DASH_GAP, PlanLine

    app = make_app("warm-restarts")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        plans = [line for line in app.main.query_one("#lr").picture.lines if isinstance(line, PlanLine)]
        assert {line.color for line in plans} == {run_color(0), run_color(1)}
        assert DASH_GAP < DASH  # gaps shorter than the dashes: the curve reads whole
