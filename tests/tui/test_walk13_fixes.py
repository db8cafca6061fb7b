"""Defects the thirteenth session worked on from the twelfth walkthroughs' list (E10 and after)."""

import numpy as np
from rich.console import Console

from lrtui.core.diagnostics.types import Tried
from lrtui.scenario.library import COURSE, find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.palette import PlotPalette
from lrtui.tui.screens.outcomes import changes_made
from lrtui.tui.session import Session
from lrtui.tui.widgets.diagnostics_panel import diagnosis_line, fitting_summary, tried_forms, wrap_to
from lrtui.tui.widgets.loss_panel import compact_legend
from tests.tui.pilot_steps import status_lines, step_and_draw


def _compact(name: str, steps: int, width: int = 28, rows: int = 2, run: int = 0) -> str:
    session = Session([find_builtin(name).load()])
    session.experiment.step(steps)
    summary = session.experiment.summary(run)
    console = Console(width=200)
    return fitting_summary(summary, "", PlotPalette(), True, lambda t: wrap_to(t, width, console), rows).plain


def test_a_two_row_panel_says_what_the_fix_did_where_it_fits():
    """E10: at 80x24 the diagnostics box showed "oscillating / a: lr = 0.016" and what the fix does took enter."""
    assert _compact("too-high-oscillation", 200) == "■ oscillating\n→ a: lr = 0.016: loss 0"
    # Three rows: a too-slow run's pace comes first (walkthrough 23a: how long it would take is the lesson)...
    shown = _compact("too-low-slow", 200, rows=3)
    assert shown.startswith("■ too slow, ~8,305 more") and shown.endswith("\n→ a: lr = 0.5"), shown
    # ...and with a row more, the try's result wraps under the fix, never after the verdict on its row.
    shown = _compact("too-low-slow", 200, rows=4)
    assert "→ a: lr = 0.5: loss" in shown and "1.94e-121 vs 1.08" in shown and "~8,305" in shown, shown
    # Where the result does not fit, the fix alone, as before.
    assert _compact("too-high-divergence", 300) == "■ diverged\n→ a: lr = 0.00203"


def test_the_try_result_is_shortened_and_never_shown_for_a_try_that_failed():
    helped = Tried({"optimizer.lr": 0.016}, 25, 175, 0.0, 3.09, False, True)
    assert tried_forms(helped) == [": loss 0 vs 3.09 unchanged", ": loss 0 vs 3.09", ": loss 0"]
    rescued = Tried({"optimizer.lr": 0.002}, 0, 300, 0.00142, float("inf"), True, True)
    assert tried_forms(rescued)[-2:] == [": loss 0.00142 vs diverged", ": loss 0.00142"]
    assert tried_forms(Tried({"optimizer.lr": 1.0}, 0, 10, 5.0, 4.0, False, False)) == []
    assert tried_forms(None) == []


async def test_the_focused_run_is_never_floored_off_the_automatic_log_axis():
    """E9: lesson 14 at 80x24, its scheduled run (focused) falls to 1.9e-7, but the axis stopped at 1, a decade under
    the constant run bouncing at 25, and said "v: run 0 below 1": the lesson's fall was out of view."""


    app = LrtuiApp([find_builtin("reduce-on-plateau").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, app.session.scenario.steps)
        picture = app.main.query_one("#loss").picture
        assert picture.log_y and "below" not in picture.title, picture.title
        focused = [line for line in picture.lines if line.label and line.label.startswith("plateau")][0]
        assert np.nanmin(focused.y) < 1e-6
        await pilot.press("tab")  # the bouncing constant run focused: the converged one stays whole, as its fall,
        await pilot.pause()  # 25.5 to 1.9e-7, is within AUTO_LOG_WHOLE_DECADES (walkthrough 18a, N3)
        picture = app.main.query_one("#loss").picture
        assert "below" not in picture.title, picture.title
        converged = next(line for line in picture.lines if line.color == 0)  # run 0's curve, not focused now
        assert np.nanmin(converged.y) < 1e-6


async def test_help_entries_wrap_with_a_hanging_indent():
    """D98: at 80x24 a long help entry's later lines began at the left edge, under the keys."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        lines = app.screen.query_one("#keys-text").render().plain.splitlines()
        width = app.screen._width()
        assert width and all(len(line) <= width for line in lines)
        start = lines.index("Glossary")
        glossary = lines[start + 1: lines.index("Textual's own keys")]
        # Every glossary line is a term ("  term: ...") or a continuation four columns in; none at the edge.
        assert all(line.startswith("    ") or (line.startswith("  ") and ": " in line) for line in glossary if line)
        assert sum(line.startswith("    ") for line in glossary) > 10
        enter = next(i for i, line in enumerate(lines) if line.startswith("  enter"))
        assert lines[enter + 1].startswith(" " * 22)  # the panel keys' wrapped description stays in its column


def test_a_too_slow_run_whose_schedule_cut_the_lr_names_the_schedule():
    """A6: lesson 19's frozen run given an exponential schedule (s s: x0.98 a step over 300 steps) was "too slow: the
    LR 0.000233 is too low", against the lesson's own rule: blame the schedule, not the LR."""
    session = Session([find_builtin("schedule-too-aggressive").load()])
    session.cycle_schedule()
    session.cycle_schedule()
    exp = session.experiment
    assert exp.view(0).spec.schedule == "exponential"
    exp.step(session.scenario.steps)
    d = exp.summary(0)
    assert d.code == "too_slow", d.message
    assert d.message.startswith("too slow: the schedule cut the LR from 0.09"), d.message
    assert "to 0.000233, too low for the budget" in d.message
    assert "-fold since its peak" in d.explanation and "a gentler schedule (s)" in d.explanation
    gentle = exp.summary(1)  # StepLR x0.5 every 100 steps: cut 4-fold, its words as before
    assert "schedule cut" not in gentle.message and "-fold since" not in gentle.explanation


async def test_a_narrow_status_line_keeps_batch_loss_and_shortens_the_verdict_instead():
    """B1, A4: at 80x24 the digits lesson's status line dropped "batch" ("loss 0.35", read as the training loss, which
    u gives as 0.22) to make room for "too slow (LR too low)"."""
    app = LrtuiApp([find_builtin("digits-lr-classic").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 60)
        lines = [line for line in status_lines(app) if "■" in line]
        assert len(lines) == 2 and all("batch loss" in line for line in lines), lines
        assert all(len(line) <= 80 for line in lines)
        slow = lines[1]
        assert "too slow" in slow and "of limit" in slow and "(LR too low)" not in slow, slow


def test_findings_say_step_and_a_compact_panel_names_the_run_where_it_fits():
    """B5: "175 ■ run 3 too slow" (175 what?); A7: at 80x24, in a lesson of several runs, "■ oscillating" said not
    whose verdict it was."""
    session = Session([find_builtin("lr-sweep").load()])
    session.experiment.step(session.scenario.steps)
    findings = session.experiment.diagnoses()
    assert findings and all(diagnosis_line(d, PlotPalette()).plain.startswith(f"step {d.step:,} ■ run {d.run} ")
                            for d in findings)
    console = Console(width=200)
    summary = session.experiment.summary(0)
    named = fitting_summary(summary, "", PlotPalette(), True, lambda t: wrap_to(t, 28, console), 3, several=True)
    assert named.plain.startswith("■ run 0: too slow, ~"), named.plain
    # in two rows a too-slow run's pace goes before its name (walkthrough 24a, A1); another verdict keeps its name
    two = fitting_summary(summary, "", PlotPalette(), True, lambda t: wrap_to(t, 28, console), 2, several=True)
    assert two.plain.startswith("■ too slow (~") and "\n→ a: lr = " in two.plain, two.plain
    bouncing = Session([find_builtin("too-high-oscillation").load()])
    bouncing.experiment.step(200)
    bouncing.experiment.fork(0)
    named = fitting_summary(bouncing.experiment.summary(0), "", PlotPalette(), True,
                            lambda t: wrap_to(t, 28, console), 2, several=True)
    assert named.plain.startswith("■ run 0: oscillating\n→ a: lr = "), named.plain
    alone = fitting_summary(summary, "", PlotPalette(), True, lambda t: wrap_to(t, 28, console), 2)
    assert alone.plain.startswith("■ too slow (~"), alone.plain


async def test_the_browser_shows_the_course_chapters_as_headings():
    """A13, B12: `b` listed 23 lessons with no word of where the schedules or the diagnosing lessons begin."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        listing = app.screen.query_one("OptionList")
        options = [listing.get_option_at_index(i) for i in range(listing.option_count)]
        headings = [o.prompt.plain for o in options if o.id is None]
        assert headings == [f"{chapter}:" for chapter, _ in COURSE]
        assert all(o.disabled for o in options if o.id is None)
        first = next(i for i, o in enumerate(options) if o.prompt.plain == "Schedules:")
        assert "7. step-decay" in options[first + 1].prompt.plain


async def test_l_comes_back_to_the_automatic_scale():
    """B6: after `l`, "log10, auto" never came back: l l l l went linear, log10, linear, log10."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, app.session.scenario.steps)
        loss = app.main.query_one("#loss")
        seen = []
        for _ in range(4):
            seen.append((app.main.log_scale, loss.shown_log))
            await pilot.press("l")
            await pilot.pause()
        # automatic (log here) -> linear -> log with every decade -> automatic -> linear
        assert seen == [(None, True), (False, False), (True, True), (None, True)], seen
        assert "auto" in loss.picture.title or app.main.log_scale is not None


def test_a_run_that_blew_up_under_the_gauge_is_told_where_it_went_past_the_limit():
    """A1: lesson 1's x3 fork (lr 0.075) "diverged: the LR 0.075 is too high", yet "0.075 was 53% of the stable limit
    2/λ = 0.142": λ from its first sample, the samples on its way out being left out of the largest met."""
    session = Session([find_builtin("too-high-oscillation").load()])
    session.fork()
    exp = session.experiment
    exp.step(session.scenario.steps)
    run = next(r for r in range(exp.n_runs) if exp.view(r).diverged_at >= 0)
    text = exp.summary(run).explanation
    assert "53% of the stable limit" in text  # the gauge, as the status line had it, and then where it went:
    assert "by step 2, on its way out, it was on steeper ground where λ = 249" in text, text
    assert "935% of the limit 2/λ = 0.00802" in text and "met no point past the limit" not in text
    # λ = 249 at step 2 is the Hessian's own there: two steps of plain GD at 0.075 from the origin, by hand.

    def grad(x, y):
        return np.array([4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)])

    w = np.zeros(2)
    for _ in range(2):
        w = w - 0.075 * grad(*w)
    x, y = w
    hessian = np.array([[12 * x * x + 4 * y - 42, 4 * x + 4 * y], [4 * x + 4 * y, 12 * y * y + 4 * x - 26]])
    assert abs(np.linalg.eigvalsh(hessian)[-1] - 249) < 0.5


async def test_a_short_windows_lr_key_says_every_runs_lr_is_drawn():
    """A8: at 80x24 the LR chart's key read "run 1 effective lr: ━ lr" over run 0's staircase down to 1e-15."""
    app = LrtuiApp([find_builtin("schedule-too-aggressive").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 50)
        await pilot.press("tab")
        await pilot.pause()
        assert "lr, every run" in app.main.query_one("#lr").picture.title


def test_a_run_far_above_its_start_between_checkpoints_is_not_called_improving():
    """Walkthrough 14a, C1: lesson 2 at step 5, loss 5.02e+37, read "improving ... no check has found the LR at fault"
    two steps before it went non-finite; the verdict follows its check at the next checkpoint."""
    session = Session([find_builtin("too-high-divergence").load()])
    exp = session.experiment
    exp.step(5)
    d = exp.summary(0)
    assert d.code == "improving" and d.words == "climbing, being checked", d.message
    assert "4.02e+36 starting gaps above the floor" in d.message
    exp.step(2)
    assert exp.summary(0).code == "diverged"


def test_a_short_legend_keeps_the_lr_an_edited_run_has_now():
    """Walkthrough 14a, C5: at 80x24 a fork's legend read "sgd lr=0.025 x3, now lr 0… (+2, tab)": the number cut."""
    assert compact_legend("sgd lr=0.025 x3, now lr 0.075", 3, 30) == "… now lr 0.075 (+2, tab)"
    assert compact_legend("sgd lr=0.025 x3, now lr 0.075", 3, 30, ascii_only=True) == "... now lr 0.075 (+2, tab)"
    assert compact_legend("sgd lr=0.025 x3, now lr 0.075", 3, 60).startswith("sgd lr=0.025 x3, now lr 0.075")


def test_an_lr_change_on_a_diverged_run_replays_it_from_the_start_and_r_keeps_it():
    """Walkthrough 14a, C3 and C4: lesson 2, n x8 (diverged at step 7), then -: the change came after the blow-up, did
    nothing, and r dropped it; the dead run was relabelled with an LR it never diverged at."""
    session = Session([find_builtin("too-high-divergence").load()])
    session.experiment.step(8)
    assert session.experiment.view(0).diverged_at == 7
    session.scale_lr(0.5)
    assert "from step 0: run 0 had diverged, so every run was replayed" in session.message
    exp = session.experiment
    assert exp.step_count == 0 and exp.view(0).lr == 0.0015
    exp.step(session.scenario.steps)
    assert exp.view(0).diverged_at < 0
    session.replay()
    session.experiment.step(session.scenario.steps)
    assert session.experiment.view(0).diverged_at < 0 and "now lr 0.0015" in session.experiment.view(0).label


def test_a_replayed_fork_is_still_counted_as_a_fork_in_the_outcome_table():
    """Walkthroughs 13a A11 and 14a C10: after r (or a replaying fix) a fork read "changes made: 1 lr"."""
    session = Session([find_builtin("too-high-oscillation").load()])
    session.fork()
    session.experiment.step(50)
    before = [changes_made(session.experiment, r) for r in range(3)]
    session.replay()
    session.experiment.step(50)
    assert before == ["none", "from a fork", "from a fork"]
    assert [changes_made(session.experiment, r) for r in range(3)] == before
