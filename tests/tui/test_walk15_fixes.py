"""Defects the fifteenth session worked on from walkthroughs 13 and 14 (the share of the limit, titles, the
theory dots, a queued fix on the planned-LR chart)."""

import numpy as np

from lrtui.scenario.library import find_builtin
from lrtui.tui.session import Session


def _lr_used(exp, run: int, steps: int) -> np.ndarray:
    """The LR each update 0..steps-1 used, from the history (its row t holds the LR the next update uses)."""
    env = exp.view(run).history.envelope("lr")
    return env.last[:steps]


def test_a_queued_lr_change_is_in_the_plan_before_play_reaches_it():
    """A12: after a, a at the end of the budget the replay applies lr = 0.016 at step 25, but the planned-LR
    chart drew a flat 0.025 to step 200 until play passed step 25."""
    session = Session([find_builtin("too-high-oscillation").load()])
    session.experiment.step(200)
    session.apply_fix()  # one a replays at the end of the budget (walkthrough 23a, Y5)
    exp = session.experiment
    assert exp.step_count == 0 and "on this one from step 25 as it was tried" in session.message
    _, planned = exp.planned_lr(0, 199)
    assert planned[24] == 0.025 and planned[25] == 0.016
    exp.step(200)
    assert np.array_equal(planned, _lr_used(exp, 0, 200))


def test_a_queued_change_keeps_the_schedules_shape_in_the_plan():
    """An LR set (or scaled) ahead on a decaying schedule: the plan is the one the updates then use."""
    exp = Session([find_builtin("exponential-decay").load()]).experiment
    exp = exp.replayed({0: {"optimizer.lr": 0.05}}, {0: 40})
    replayed = exp.replayed({0: {"optimizer.lr_factor": 0.5}}, {0: 120})
    for e in (exp, replayed):
        _, planned = e.planned_lr(0, 199)
        key = e.view(0).plan_key
        e.step(200)
        assert np.allclose(planned, _lr_used(e, 0, 200), rtol=1e-12, atol=0), (planned[38:42], planned[118:122])
        assert e.view(0).plan_key != key  # the change, once made, is no longer queued
    _, planned = replayed.replayed().planned_lr(0, 199)
    assert abs(planned[40] - 0.05) < 1e-15 and abs(planned[120] / planned[119] - 0.5 * planned[1] / planned[0]) < 1e-12


async def test_a_run_climbing_off_the_top_before_it_diverges_is_named_in_the_title():
    """C2 (walkthrough 14a): lesson 2 at step 5, loss 5e37, an x at the top and nothing in words."""
    from lrtui.tui.app import LrtuiApp
    from tests.tui.pilot_steps import step_and_draw

    app = LrtuiApp([find_builtin("too-high-divergence").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 5)
        assert app.session.experiment.diverged_at(0) < 0
        title = app.screen.query_one("#loss").picture.title
        assert "x: run 0 climbing off the top" in title, title
        await step_and_draw(app, pilot, 5)
        title = app.screen.query_one("#loss").picture.title
        assert "x: run 0 diverged" in title and "at step 7" in title and "climbing" not in title, title


def test_a_settled_run_is_not_also_called_slow():
    """D8 (walkthrough 14b): minibatch-noise's box read "settled (healthy) ... level ...; slow, but a larger LR"."""
    exp = Session([find_builtin("minibatch-noise").load()]).experiment
    exp.step(300)
    summary = exp.summary(0)
    assert summary.words == "settled (healthy)"
    assert "; a larger LR helped only a little (lr = " in summary.message and "slow" not in summary.message


async def test_a_short_loss_chart_draws_one_kind_of_theory_dots_and_names_it():
    """A10, C9: lesson 3 at 80x24 after * *: two dotted theory curves, the title naming only "best lr 0.667"."""
    from lrtui.tui.app import LrtuiApp
    from lrtui.tui.widgets.theory_overlay import BEST_LABEL, THEORY_COLOR
    from tests.tui.pilot_steps import step_and_draw

    for size, kinds, runs in (((80, 24), 1, 2), ((100, 30), 1, 2), ((100, 30), 2, 1)):
        scenario = find_builtin("too-low-slow").load()
        scenario.runs = scenario.runs[:runs]  # the slow run alone leaves the legend room for both kinds of dots
        app = LrtuiApp([scenario])
        async with app.run_test(size=size) as pilot:
            await pilot.press("asterisk", "asterisk")
            await step_and_draw(app, pilot, 200)
            picture = app.screen.query_one("#loss").picture
            dotted = [line for line in picture.lines if line.color == THEORY_COLOR and line.marker == "dot"]
            assert len(dotted) == kinds, (size, [line.label for line in dotted])
            named = [line.label for line in dotted if line.label] + [picture.title]
            assert any("best lr 0.667" in text for text in named), named
            if kinds == 2:
                assert any(label == "theory" for label in named) and any(BEST_LABEL in label for label in named)


async def test_a_data_models_test_loss_is_drawn_under_every_training_curve():
    """D6 (walkthrough 14b): lesson 23's slow run, flat at 2.3, was hidden under its own dotted test loss."""
    from lrtui.tui.app import LrtuiApp
    from tests.tui.pilot_steps import step_and_draw

    app = LrtuiApp([find_builtin("digits-lr-classic").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 40)
        await pilot.press("m")  # smoothed too: its averaged lines are found by object, not by index
        await pilot.pause()
        lines = app.screen.query_one("#loss").picture.lines
        tests = [i for i, line in enumerate(lines) if line.marker == "dot" and line.color != "gray"]
        trains = [i for i, line in enumerate(lines) if line.marker not in ("dot", "v", "x", "!") and line.color != "muted"]
        assert len(tests) == 2 and len(trains) == 2 and max(tests) < min(trains), (tests, trains)


def test_the_finders_check_trains_each_lr_without_the_runs_own_changes():
    """G1 (walkthrough 15b): after a on lesson 22's run 0 (lr = 0.003379 set at step 0), f then v showed 1.097e-06
    at every grid LR from 1e-7 to 0.0376: the fix's change had set every grid run back to its LR."""
    from lrtui.core.finder import range_test, verify_suggestions

    session = Session([find_builtin("lr-sweep").load()])
    session.experiment.step(300)
    session.focused = 0
    session.apply_fix()
    view = session.experiment.view(0)
    assert view.spec.changes  # the fix, at step 0
    result = range_test(view.loss_function, view.spec)
    rows = verify_suggestions(view.loss_function, view.spec, result, steps=300)["grid"]
    finals = [row["final_loss"] for row in rows if row["final_loss"] is not None]
    assert len(set(finals)) == len(finals) > 5 and rows[-1]["diverged"], rows
    assert finals[0] > 30 and min(finals) < 1e-3


def test_a_run_scaled_before_its_first_step_is_diagnosed_as_its_identical_twin():
    """D1 (walkthrough 14b), G2 (15b): lesson 23's task, * three times on the slow run and a replay, gives two runs
    at lr 0.1 step for step alike; their evidence differed ("lr = 0.3162 ... against 0.221 unchanged" and "lr = 1
    ... against 0.259 unchanged"): a change at step 0 made the run one changed by hand, and its fixes' cap was
    scaled from lr 0.0001."""
    session = Session([find_builtin("digits-lr-classic").load()])
    session.focused = 1
    for _ in range(3):
        session.scale_lr(10)
    session.replay()
    exp = session.experiment
    assert exp.spec(1).changes and exp.spec(1).changes[0].step == 0
    exp.step(exp.step_count + 450)
    first, second = exp.summary(0), exp.summary(1)
    assert first.words == second.words and first.message == second.message, (first.message, second.message)
    assert "against 0.221 unchanged" in first.message


async def test_smoothing_on_a_quadratic_with_theory_dots_does_not_crash():
    """F1 (walkthrough 15a): exponential-decay, m, space: IndexError in loss_picture at about step 130 (the runs'
    own theory lines, dropped in a window with no room for their legend, had shifted the smoothed lines' indices)."""
    from lrtui.tui.app import LrtuiApp
    from tests.tui.pilot_steps import step_and_draw

    for size in ((100, 30), (80, 24)):
        app = LrtuiApp([find_builtin("exponential-decay").load()])
        async with app.run_test(size=size) as pilot:
            await pilot.press("m")
            for _ in range(4):
                await step_and_draw(app, pilot, 50)
            assert app.session.experiment.step_count == 200 and app.return_code is None


def test_plus_after_a_fix_at_the_end_doubles_the_lr_the_run_ended_with():
    """F2 (walkthrough 15a): lesson 1, a a (lr = 0.016 from step 25), play, then +: "lr x2 -> 0.05" from the file's
    0.025, and the fix, later in the timeline, then set 0.016 again. The lesson's "then + twice" needs 0.032."""
    session = Session([find_builtin("too-high-oscillation").load()])
    session.experiment.step(200)
    session.apply_fix()
    session.apply_fix()
    session.experiment.step(200)
    assert session.experiment.view(0).lr == 0.016
    session.scale_lr(2)
    assert "lr x2 of the 0.016 it ended with -> 0.032, from step 0" in session.message, session.message
    exp = session.experiment
    exp.step(200)
    assert exp.view(0).lr == 0.032 and exp.verdict(0) == "oscillating"
    session.scale_lr(2)  # no later change left: the factor, as before
    session.experiment.step(200)
    assert session.experiment.view(0).lr == 0.064 and session.experiment.verdict(0) == "diverged"


def test_a_run_frozen_by_its_schedule_is_not_told_it_sits_at_a_minimum_and_gets_the_schedule_fix():
    """F3 (walkthrough 15a): lesson 8's task (tab, +, space) gave gamma 0.9 at lr 5.5e-11 on a quadratic "local
    minimum ... a minimum", with nothing to apply. Under contracts 2d its gradient is not small for the height left
    (a quadratic has one minimum), so it is no local minimum: the schedule is too aggressive, and its fix holds the
    LR."""
    session = Session([find_builtin("exponential-decay").load()])
    session.focused = 1
    session.scale_lr(2)
    exp = session.experiment
    exp.step(200)
    summary = exp.summary(1)
    assert summary.code == "schedule_too_aggressive" and "cut the LR" in summary.message
    assert summary.fix is not None and summary.fix.get("schedule.type") == "constant"
    session.apply_fix()
    session.experiment.step(200)
    assert session.experiment.verdict(1) == "converged" or session.experiment.view(1).loss < 1e-5



async def test_a_run_judged_diverged_while_finite_is_named_diverged_and_its_theory_does_not_set_the_axis():
    """G4 (walkthrough 15b): rmsprop-equalizes, play, + on SGD, play: theory dots climbed to 1e125 and set the axis
    over a flat chart, and the title said "climbing off the top" beside a legend saying "(diverged)"."""
    from lrtui.tui.app import LrtuiApp
    from lrtui.tui.widgets.theory_overlay import THEORY_COLOR
    from tests.tui.pilot_steps import step_and_draw

    app = LrtuiApp([find_builtin("rmsprop-equalizes").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("plus")
        await step_and_draw(app, pilot, 200)
        exp = app.session.experiment
        assert exp.verdict(0) == "diverged"
        picture = app.screen.query_one("#loss").picture
        assert "x: run 0 diverged" in picture.title and "climbing" not in picture.title, picture.title
        assert not [line for line in picture.lines if line.color == THEORY_COLOR]


async def test_a_run_at_a_minimum_shows_its_current_point_over_the_star():
    """G5 (walkthrough 15b): at 80x24 lesson 16's runs had reached the minimum and no ● was left on the map."""
    from lrtui.tui.app import LrtuiApp
    from tests.tui.pilot_steps import step_and_draw

    app = LrtuiApp([find_builtin("rmsprop-equalizes").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 200)
        panel = app.screen.query_one("LandscapePanel")
        rows = "\n".join(line.text for line in panel.render_lines(panel.region.reset_offset)).splitlines()
        assert any("●" in row for row in rows[1:]), rows


def test_a_run_judged_diverged_while_finite_reads_diverged_at_its_step_in_the_status_line():
    """H11 (walkthrough 16a): "lr 0.0697 = 174% of limit  loss 4.53e+159 ... diverged" beside lesson 2's "DIVERGED
    at step 7: lr too high"."""
    from lrtui.tui.palette import PlotPalette
    from lrtui.tui.widgets.status_line import status_text

    session = Session([find_builtin("rmsprop-equalizes").load()])
    session.scale_lr(2)
    session.experiment.step(200)
    assert session.experiment.view(0).diverged_at < 0 and session.experiment.verdict(0) == "diverged"
    line = status_text(session, PlotPalette(), width=100).plain.splitlines()[1]
    assert line.rstrip().endswith("DIVERGED at step 5: lr too high") and "% of limit" not in line, line


def test_a_run_scaled_at_the_end_of_the_budget_is_diagnosed_as_its_identical_twin():
    """H3 (walkthrough 16a): lesson 6, play, - on lr* (replayed at lr 0.0196 from step 0), play: "improving" beside
    the identical half-of-lr* run's "too slow". A change made at step 0 of the replay is where the run starts."""
    session = Session([find_builtin("just-right").load()])
    session.experiment.step(200)
    session.scale_lr(0.5)
    exp = session.experiment
    exp.step(200)
    first, second = exp.summary(0), exp.summary(1)
    assert exp.view(0).lr == exp.view(1).lr and first.code == second.code == "too_slow"
    assert first.message == second.message


def test_a_slow_runs_words_say_where_the_tries_stopped():
    """K2 (walkthrough 16b): lesson 2's safe run read "a larger LR helped only a little (lr = 0.0009487 ...)" beside
    the fixed run at 0.00203 ending at 0.00142: the tries stop at 90% of the stable limit where the run is."""
    session = Session([find_builtin("too-high-divergence").load()])
    session.experiment.step(300)
    message = session.experiment.summary(1).message
    # (17b, M1: the limit there, 0.00117, not 90% of it, which read as a third limit beside 2/λ = 0.000956)
    assert ("a larger LR, tried up to 90% of the stable limit where the run is now (0.00117), helped only a little"
            in message), message
    explanation = session.experiment.summary(1).explanation
    assert ("the stable limit there is 0.00117, above the 0.000956 of the sharpest point met; the larger LRs the "
            "checks try from here stay under 90% of it (0.00106)") in explanation, explanation


def test_the_outcome_table_says_which_minimum_each_run_reached():
    """K14 (walkthrough 16b): lesson 20's four runs end at loss 0, told apart only by the landscape's colours."""
    from lrtui.tui.screens.outcomes import outcome_rows, shown_columns

    exp = Session([find_builtin("himmelblau-which-minimum").load()]).experiment
    exp.step(300)
    headers, rows = shown_columns(outcome_rows(exp), 300)
    at = headers.index("ends at")
    assert [row[at] for row in rows] == ["(-3.78, -3.28)", "(3.58, -1.85)", "(3, 2)", "(-2.81, 3.13)"]
    one = Session([find_builtin("lr-sweep").load()]).experiment  # Beale: one minimum, no column
    one.step(10)
    assert "ends at" not in shown_columns(outcome_rows(one), 10)[0]


async def test_the_landscape_names_a_run_that_left_the_map():
    """K8 (walkthrough 16b): lesson 16's diverged SGD run was simply gone from the landscape."""
    from lrtui.tui.app import LrtuiApp
    from tests.tui.pilot_steps import step_and_draw

    app = LrtuiApp([find_builtin("rmsprop-equalizes").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("plus")
        await step_and_draw(app, pilot, 200)
        panel = app.screen.query_one("LandscapePanel")
        caption = panel.render().plain.splitlines()[0]
        assert caption.startswith("run 0 off the map; ") and "★" in caption, caption
