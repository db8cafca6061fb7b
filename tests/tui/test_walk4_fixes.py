"""Defects a fourth learner walkthrough found (/work/wt/walk4-report.md in the lead's notes)."""

from lrtui.core.run_spec import Change, with_change
from lrtui.scenario.library import find_builtin
from lrtui.tui.session import Session
from tests.tui.pilot_steps import step_and_draw


def test_a_fix_that_sets_the_lr_sets_it_for_good_over_a_forks_factor():
    timeline = [Change(2, {"optimizer.lr_factor": 3.0}), Change(5, {"optimizer.momentum": 0.9})]
    fixed = with_change(timeline, Change(0, {"optimizer.lr": 0.01}))
    assert [c.as_dict() for c in fixed] == [{"step": 0, "optimizer.lr": 0.01}, {"step": 5, "optimizer.momentum": 0.9}]
    # a change that does not touch the LR leaves the later LR edits alone
    kept = with_change(timeline, Change(0, {"optimizer.eps": 1e-8}))
    assert [c.as_dict() for c in kept][1] == {"step": 2, "optimizer.lr_factor": 3.0}


def test_a_on_a_diverged_fork_runs_at_the_lr_its_message_names():
    """Walk 4, defect 3: lesson 1, `c`, play, tab to the x3 fork (diverged), `a`: 'lr = 0.0059', then 0.0177."""
    scenario = find_builtin("too-high-oscillation").load()
    session = Session([scenario])
    session.experiment.step(2)
    session.fork()
    session.experiment.step(scenario.steps - 2)
    session.focused = 2  # the x3 copy, diverged
    assert session.experiment.view(2).diverged_at >= 0
    session.apply_fix()
    fixed_lr = float(session.message.split("with lr = ")[1].split(" ")[0])
    session.experiment.step(10)
    assert abs(session.experiment.view(2).lr - fixed_lr) <= 1e-12 * fixed_lr


def test_the_line_for_runs_left_out_says_where_they_are():
    from lrtui.tui.palette import PlotPalette
    from lrtui.tui.widgets.status_line import status_text

    session = Session([find_builtin("lr-sweep").load()])
    session.focused = 4
    text = status_text(session, PlotPalette(), run_rows=4, width=100).plain
    assert "more runs (" in text and "above" in text and "below" in text


async def test_a_fork_that_meets_the_challenge_counts():
    """Walk 4, D4: too-low-slow, play, c, tab tab, * *, play, u: 'not yet: run 0 ends at 1.08' while the fork
    (the same run with only its LR changed) ended at 2.93e-29."""
    from lrtui.tui.app import LrtuiApp

    app = LrtuiApp([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.experiment.step(20)
        # (run 1 is the lesson's good run: the forks are runs 2 and 3, x0.3 and x3)
        await pilot.press("c", "tab", "tab", "tab", "asterisk", "asterisk")
        assert app.session.focused == 3
        app.session.experiment.step(app.session.scenario.steps - 20)
        await pilot.press("u")
        await pilot.pause()
        text = app.screen.query_one("#challenge").render().plain
        assert "done: run 3 (a fork of run 0) ends at" in text, text


def test_a_mini_batch_models_tries_name_the_training_set_loss():
    """Walk 4, D8: digits' diagnosis said 'against 0.221 unchanged' beside the status line's 'loss 0.35' (the
    tries compare the whole training set; the status line shows the last batch)."""
    from lrtui.core.diagnostics.types import Tried

    tried = Tried({"optimizer.lr": 1.0}, 100, 350, 0.05, 0.22, False, True, "training-set loss")
    assert tried.sentence() == "tried: training-set loss 0.05 at step 450, against 0.22 unchanged"
    assert Tried({}, 0, 10, 1.0, 2.0, False, True).sentence().startswith("tried: loss 1 at step 10")


def test_a_after_a_replay_says_the_runs_are_checked_as_they_play():
    """Walk 4, D13: after one run's fix replayed every run, `a` on another said 'no fix to apply, the run is
    improving' (at step 0, before any check)."""
    session = Session([find_builtin("lr-sweep").load()])
    session.experiment.step(300)
    session.focused = 5  # lr 0.0072, diverged at step 20
    session.apply_fix()
    assert session.experiment.step_count == 0
    session.focused = 6
    session.apply_fix()
    assert "nothing to apply yet" in session.message and "as it plays" in session.message


def test_the_lr_charts_key_names_the_effective_lr_in_a_short_window():
    """Walk 4, D11: at 80x24 the task said 'Watch the effective-LR panel' and the LR chart's key read only
    '┈ planned ━ max ━ min'."""
    from lrtui.tui.widgets.adaptive_panel import key_row

    entries = [("planned", ("dotted", "plan", None)), ("max", ("solid", "a", None)), ("min", ("solid", "b", None))]
    text = "".join(t for t, _ in key_row(entries, False, False, "lr now 0.5; run 0 effective lr per parameter: ", "",
                                          45))
    assert text.startswith("run 0 effective lr: ") and len(text) <= 45


def test_the_outcome_list_breaks_lines_between_fields():
    from lrtui.tui.screens.outcomes import outcome_list

    headers = ["run", "label", "verdict", "final loss", "test acc", "changes made"]
    rows = [["0", "lr=0.1", "improving", "0.3501", "91.4%", "none"]]
    lines = outcome_list(headers, rows, 40).plain.splitlines()
    assert all(len(line) <= 40 for line in lines[1:]), lines
    fields = [part for line in lines[1:] for part in line.strip().split("   ")]
    assert fields == ["verdict: improving", "final loss: 0.3501", "test acc: 91.4%", "changes made: none"], lines
    assert len(lines) > 2 and all(line.startswith("    ") for line in lines[1:])


async def test_a_short_diagnostics_panel_shows_the_verdict_and_its_fix():
    """Walk 4, D10: at 80x24 the panel's two rows showed 'diverged at step 7: the LR' and no fix."""
    from lrtui.tui.app import LrtuiApp

    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus", "plus")
        await step_and_draw(app, pilot, 200)
        panel = app.screen.query_one("DiagnosticsPanel")
        assert panel.size.height <= 4
        shown = panel.get_option_at_index(0).prompt.plain
        # (with the try's result after the fix where the rows allow: walkthrough 12, E10)
        lines = shown.splitlines()
        assert lines[0] == "■ diverged" and lines[1].startswith("→ a: lr = "), shown
        assert len(lines) <= panel.scrollable_content_region.height, shown


def _rescheduled_session(at: int):
    """Lesson 19 as walkthrough 4 played it: the frozen run given cosine warm restarts with `s` at step `at`."""
    scenario = find_builtin("schedule-too-aggressive").load()
    session = Session([scenario])
    session.experiment.step(at)
    session.experiment.set_schedule(0, "cosine_warm_restarts", {"T_0": 75})
    return session, scenario.steps


def test_an_lr_fix_under_a_schedule_says_what_it_multiplies():
    """Walk 4, defect 2: 'Fix: lr = 0.0194' under a cyclic schedule, then 'now lr 1.78': the LR set scales every LR
    the schedule gives. The words say the factor, and it is the new LR over the LR in force where it was tried."""
    session, steps = _rescheduled_session(70)
    exp = session.experiment
    exp.step(steps - 70)
    d = next(d for d in [exp.summary(0)] + exp.diagnoses(0) if d.fix and "optimizer.lr" in d.fix and d.tried.from_step)
    tried = d.tried
    lr_then = exp.series(0, "lr")[1][tried.from_step]
    assert tried.schedule == "cosine_warm_restarts"
    assert abs(tried.lr_then - lr_then) <= 1e-12 * lr_then
    factor = d.fix["optimizer.lr"] / lr_then
    scale = exp.spec(0).optimizer_params["lr"]  # cosine warm restarts start again from the run's own lr
    assert f"lr x{factor:.3g} on the whole schedule, {scale:.3g} to {scale * factor:.3g}" in d.message, d.message
    # a run with a constant LR keeps the plain words
    lesson = find_builtin("too-low-slow").load()
    plain = lesson.build()
    plain.step(lesson.steps)
    fixed = [d for d in plain.diagnoses(0) if d.fix]
    assert fixed and all("whole schedule" not in d.message for d in fixed)


def test_a_applied_some_steps_after_the_try_scales_by_the_same_factor():
    """Applied from a later step, the fix multiplies the LR in force there by the factor tried, not set to the LR
    in force at the try's step (which the schedule has moved since)."""
    session, steps = _rescheduled_session(70)
    exp = session.experiment
    exp.step(15)  # a too-slow claim is checked by step 85
    chosen = session.fix_of(0)
    assert chosen is not None and chosen.tried.schedule, "the rescheduled run gets a fix under its schedule"
    exp.step(5)
    before = float(exp.view(0).lr)
    session.apply_fix()
    assert "lr x" in session.message
    exp.step(1)
    planned = before * chosen.tried.lr_factor
    assert abs(exp.series(0, "lr")[1][-2] - planned) <= 1e-9 * planned, session.message


def test_a_replayed_run_remembers_the_lr_it_diverged_at():
    """Walk 4, defect 7: after lesson 2's fix (a replay at lr 0.0016), the engine tried lr 0.00284, next to the
    0.003 the run had diverged at. The replay remembers 0.003 as a ceiling: no LR tried later reaches 0.9 of it."""
    scenario = find_builtin("too-high-divergence").load()
    session = Session([scenario])
    session.experiment.step(scenario.steps)
    diverged_lr = float(session.experiment.series(0, "lr")[1][0])
    session.apply_fix()
    exp = session.experiment
    assert exp.spec(0).diverged_lrs == (diverged_lr,)
    exp.step(scenario.steps)
    sim = exp.simulations[0]
    assert diverged_lr in sim.monitor.siblings.diverged_lrs(0).tolist()  # a ceiling for every fix of the run
    message = exp.summary(0).message
    if "a larger LR" in message:  # "improving: ...; slow, but a larger LR helped only a little (lr = X ended"
        larger = float(message.split("a larger LR")[1].split("lr = ")[1].split(" ")[0])
        assert larger <= 0.9 * diverged_lr * (1 + 1e-3), message
    tried = [d.tried for d in exp.diagnoses(0) if d.tried is not None]
    assert all(t.fix.get("optimizer.lr", 0.0) <= 0.9 * diverged_lr * (1 + 1e-9) for t in tried), tried
    # replayed again, it still remembers (and a run that never diverged remembers nothing)
    assert exp.replayed().spec(0).diverged_lrs == (diverged_lr,)
    assert Session([find_builtin("too-low-slow").load()]).experiment.replayed().spec(0).diverged_lrs == ()


async def test_a_short_windows_lr_chart_leaves_out_another_optimizers_lr_and_keys_the_focused_runs():
    """Walk 4, defect 11: at 80x24 lesson 17's LR chart drew RMSProp's lr 0.01 as a solid line between Adagrad's
    effective-LR lines, unkeyed. Runs of another optimizer are left out there; the focused run's lr is keyed."""
    from lrtui.tui.app import LrtuiApp

    app = LrtuiApp([find_builtin("schedule-too-aggressive").load()])  # two Adam runs, two schedules
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 100)
        picture = app.main.query_one("#lr").picture
        assert "━ lr, every run" in picture.title and "━ max" in picture.title, picture.title
    # With no schedule to plan (lesson 17), the short window's chart is the effective-LR panel itself, on a log
    # step axis: RMSProp is there as its median effective LR, keyed "run 1", not as an unkeyed lr 0.01 line
    # (walkthroughs 13b B9, 14b).
    app = LrtuiApp([find_builtin("adagrad-decays-too-fast").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 100)
        picture = app.main.query_one("#lr").picture
        assert picture.log_x and picture.title.startswith("effective LR"), picture.title
        assert "━ run 1" in picture.title and "━ median" in picture.title, picture.title
        levels = [line.y for line in picture.lines if line.label not in ("max", "min", "median", "run 1")]
        assert all(abs(float(y[-1]) - 0.01) > 1e-9 for y in levels if len(y)), "RMSProp's lr is left out"


def test_a_run_far_below_the_fastest_lr_on_a_quadratic_gets_the_best_lrs_theory_curve():
    """Walk 4, lesson 3: no reference on screen, and a linear axis from 1.08 to 1.59 made the creep look like a fall.
    The loss chart draws what plain SGD at 2/(λmax + λmin) would do over the budget, labelled."""
    from lrtui.tui.widgets.theory_overlay import fastest_line

    scenario = find_builtin("too-low-slow").load()  # curvatures 1 and 2: the best constant LR is 2/3
    session = Session([scenario])
    session.experiment.step(scenario.steps)
    (line,) = fastest_line(session, (0.0, float(scenario.steps)), 100)
    assert line.label == "theory, best lr 0.667" and line.marker == "dot"
    assert line.y[0] > 0.5 and line.y[-1] < 1e-20  # from near the start (1.5) to the bottom within the budget
    # the same closed form as the engine's: SGD at 2/3 from the same start lands on it
    exp = find_builtin("too-low-slow").load([("optimizer.lr", 2 / 3)]).build()
    exp.step(20)
    assert abs(exp.series(0, "loss")[1][20] - exp.fastest_theory(0, 200)[1][20]) <= 1e-12
    # not for a run near the best LR, nor for an adaptive optimizer
    near = Session([find_builtin("too-low-slow").load([("optimizer.lr", 0.5)])])
    assert fastest_line(near, (0.0, 200.0), 100) == []
    adam = Session([find_builtin("too-low-slow").load([("optimizer.type", "adam")])])
    assert fastest_line(adam, (0.0, 200.0), 100) == []
