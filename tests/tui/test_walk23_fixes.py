"""Defects the twenty-eighth session worked on: walkthrough 23's leftovers."""

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.session import Session
from tests.tui.pilot_steps import step_and_draw


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


def finished_session(name: str) -> Session:
    session = Session([find_builtin(name).load()])
    session.experiment.step(session.scenario.steps)
    return session


def test_one_a_at_the_end_of_the_budget_replays_with_the_fix_where_it_was_tried():
    """23a Y5: the box says "-> a", and the first a only said "press a again"; one a now replays every run, the fix
    acting from the step it was tried from, and the run ends where its try said it would."""
    session = finished_session("too-high-oscillation")
    tried = session.experiment.summary(0).tried
    assert tried is not None and tried.helped and tried.from_step > 0
    session.apply_fix()
    exp = session.experiment
    assert exp.step_count == 0 and "since the budget was used up" in session.message
    assert f"on this one from step {tried.from_step:,} as it was tried" in session.message
    exp.step(tried.end_step)
    assert abs(exp.view(0).loss - tried.loss) <= 1e-9 * max(1.0, abs(tried.loss))


def test_the_explanation_says_one_a_replays_at_the_end_of_the_budget():
    from lrtui.tui.screens.explanation import how_to_apply

    session = finished_session("too-high-oscillation")
    words = how_to_apply(session.experiment.summary(0), focused=True, finished=True)
    assert "press a on the main screen to replay" in words and "twice" not in words


async def test_at_80x24_the_loss_legend_names_both_runs_of_lesson_3():
    """23a: the legend named only the focused run ("slow: lr=0.0005 (+1, tab)"), so which curve was the good one
    took a tab; with two rows for a legend, both runs are named and the title names the dots."""
    app = make_app("too-low-slow")
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 200)
        panel = app.main.query_one("#loss")
        labels = [line.label for line in panel.picture.lines if line.label]
        assert labels == ["slow: lr=0.0005", "good: lr=0.05"], labels
        assert "dots: best lr" in panel.picture.title


def test_a_run_closing_in_on_a_kink_is_told_why_its_share_of_the_limit_is_huge():
    """23a Y1: warm restarts ended "over 100x limit (kink)" beside "improving" at loss 1e-8, and the explanation
    gave 8.1e+09% of the limit with no word on why a run that far past it converges; nor that the LR shown is the
    restart's, set for the step after the last."""
    session = finished_session("warm-restarts")
    d = session.experiment.summary(0)
    assert d.code == "improving"
    assert "means a kink" in d.explanation and "no constant LR stays under it" in d.explanation
    assert "a warm restart back to its peak" in d.explanation
    # a run far under its limit says nothing of kinks
    assert "kink" not in finished_session("too-low-slow").experiment.summary(1).explanation


def test_the_run_without_warmup_is_told_its_first_steps_overshot():
    """23a Y16: warmup-cosine's run without warmup jumps from 0.697 to 4.6 in two steps and ends at 0.49 against
    the warmup run's 0.012, told only "improving"; its explanation now says what its first steps did, and that a
    warmup prevents it. The warmup run, and runs that got far below their start after a climb, get no such note."""
    from lrtui.tui.climb_note import climb_note

    session = finished_session("warmup-cosine")
    exp = session.experiment
    note = climb_note(exp, 1, exp.summary(1).code)
    assert note.startswith("Its loss climbed from 0.697 to ") and "by step 2" in note and "warmup" in note
    assert climb_note(exp, 0, exp.summary(0).code) == ""
    lesson5 = finished_session("rastrigin-local-minimum").experiment  # climbs at step 5 on its way out of its dimple
    assert all(climb_note(lesson5, run, lesson5.summary(run).code) == "" for run in range(lesson5.n_runs))


async def test_the_climb_note_is_in_the_explanation_on_screen():
    app = make_app("warmup-cosine")
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 300)
        await pilot.press("tab")
        await app.show_explanation(None)
        await pilot.pause()
        text = str(app.screen.query_one("Static").render())
        assert "Its loss climbed from 0.697" in text


async def test_the_effective_lr_key_says_whose_lines_they_are_when_another_run_is_focused():
    """23b Z5: with the SGD run focused the key read "eff. LR: ━ max ━ run 1 median ━ min", which left max and min
    to guess; the lead now names the run, and with the adaptive run focused it names none."""
    app = make_app("rmsprop-equalizes")
    for size in ((100, 30), (80, 24)):
        async with app.run_test(size=size) as pilot:
            await step_and_draw(app, pilot, 100)
            panel = next(p for p in [*app.main.query("AdaptivePanel"), app.main.query_one("#lr")]
                         if p.picture is not None and "LR" in p.picture.title and "max" in p.picture.title)
            assert app.session.focused == 0 and " of run 1: " in panel.picture.title, panel.picture.title
            assert "run 1 median" not in panel.picture.title
            await pilot.press("tab")
            await step_and_draw(app, pilot, 0)
            assert " of run" not in panel.picture.title and "median" in panel.picture.title, panel.picture.title
        app = make_app("rmsprop-equalizes")


async def test_at_80x24_the_short_diagnostics_box_says_how_long_a_too_slow_run_would_take():
    """23a: at 80x24 the box showed only "-> a: lr = 0.5"; how long the slow run would take, which the lesson is
    about, was only behind enter. It now says it first, with the number the explanation gives."""
    # 80x23 and 100x29: the sizes a learner in tmux gets, its status bar taking a row (walkthrough 24a, A1: the box
    # had two rows there, and the pace was cut off after the why at 100 columns)
    wide = "~{:,.0f} more steps at this pace"
    for size, form in (((80, 24), "~{:,.0f} more steps"), ((80, 23), "(~{:,.0f} steps)"), ((100, 29), wide),
                       ((100, 30), wide)):
        app = make_app("too-low-slow")
        async with app.run_test(size=size) as pilot:
            await step_and_draw(app, pilot, 200)
            summary = app.session.experiment.summary(0)
            assert summary.code == "too_slow"
            shown = " ".join(str(app.main.query_one("DiagnosticsPanel").get_option_at_index(0).prompt).split())
            assert form.format(summary.steps_to_go) in shown and "a: lr = 0.5" in shown, (size, shown)
            assert "… enter" not in shown.split("→")[0].split("pace")[0], shown
    assert f"about {summary.steps_to_go:,.0f} more steps" in summary.explanation


async def test_a_slow_chunk_of_play_says_the_engine_is_checking_and_keys_wait():
    """23a Y4: lesson 11 stood still at step 226 for 6 s while the engine checked a finding, and tab and enter took
    effect 10 s later, without a word; a chunk stepping longer than SLOW_CHUNK now says why, once."""
    import asyncio
    import time

    from lrtui.tui import app as app_module

    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        real = exp.step_within

        def slow(steps, budget):
            time.sleep(app_module.SLOW_CHUNK + 0.3)
            return real(1, budget)

        exp.step_within = slow
        await pilot.press("space")
        await asyncio.sleep(app_module.SLOW_CHUNK + 0.6)
        await pilot.press("space")  # pause: waits for the chunk
        await pilot.pause()
        titles = [n.title for n in app._notifications]
        assert titles.count("checking") == 1, titles
        assert not app.session.playing


def test_a_bouncing_run_gets_the_fix_from_the_start_where_it_ends_much_lower():
    """23b Z7: lesson 17's RMSProp set to lr 1 bounced and was told lr 0.53 from step 505, which ends at 6.92 where
    the lesson's own lr 0.01 reaches 0.24; the check from the start that confirmed the claim had found a smaller LR
    ending far lower, and it is now the fix; a replays every run with it and the run ends where the try said."""
    session = Session([find_builtin("adagrad-decays-too-fast").load()])
    session.focused = 1
    session.scale_lr(10)
    session.scale_lr(10)
    exp = session.experiment
    exp.step(session.scenario.steps)
    d = exp.summary(1)
    assert d.code == "oscillating" and d.tried is not None and d.tried.from_step == 0 and d.tried.helped
    assert d.fix["optimizer.lr"] < 0.1 and d.tried.loss < 1.0 and "from the start" in d.explanation
    session.apply_fix()
    exp = session.experiment
    assert exp.step_count == 0
    exp.step(session.scenario.steps)
    assert abs(exp.view(1).loss - d.tried.loss) <= 1e-9 * max(1.0, d.tried.loss)
    # lesson 1's bounce keeps its fix from now: from the start does no better than its loss 0
    lesson1 = finished_session("too-high-oscillation").experiment.summary(0)
    assert lesson1.tried.from_step == 25 and lesson1.fix == {"optimizer.lr": 0.016}


def test_the_same_kind_of_fix_reads_the_same_under_the_files_schedule_and_one_chosen_with_s():
    """23b Z6: lesson 19's run 0 (schedule changed with s, then lr x17.8) read "now lr 1.778 multistep" while run 1
    (its file's schedule, the same kind of fix) read "now lr x17.8"; under any schedule the change is a multiple."""
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.views import following_label

    origin = RunSpec(label="adam, gamma 0.5 every 100", optimizer="adam", optimizer_params={"lr": 0.1},
                     schedule="step", schedule_params={"step_size": 100, "gamma": 0.5})
    kept = origin.copy(optimizer_params={"lr": 1.778})
    switched = origin.copy(optimizer_params={"lr": 1.778}, schedule="multistep",
                           schedule_params={"milestones": [20], "gamma": 0.1})
    assert following_label(kept, origin) == "adam, gamma 0.5 every 100, now lr x17.8"
    assert following_label(switched, origin) == "adam, gamma 0.5 every 100, now lr x17.8 multistep"
    constant = origin.copy(optimizer_params={"lr": 1.778}, schedule="constant", schedule_params={})
    assert following_label(constant, origin) == "adam, gamma 0.5 every 100, now lr 1.778 constant"


async def test_the_spread_lines_take_no_colour_another_runs_median_has():
    """24b B1: in lesson 17 Adagrad's max line and RMSProp's median were one orange, so the lesson's sight (Adagrad
    flat, RMSProp rising) was two orange lines; max and min now avoid every run's colour where the theme allows."""
    from lrtui.tui.palette import MIN_DISTANCE, app_palette, colour_distance
    from lrtui.tui.widgets.adaptive_panel import spread_colors

    app = make_app("adagrad-decays-too-fast")
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 50)
        palette = app_palette(app)
        colors = spread_colors(palette, 0, app.session.experiment.n_runs)
        for role in colors.values():
            for run in range(app.session.experiment.n_runs):
                assert colour_distance(palette.color(role), palette.color(run)) >= MIN_DISTANCE, (role, run)
        panel = app.main.query_one("AdaptivePanel")
        drawn = {line.label: line.color for line in panel.picture.lines}
        assert drawn["max"] == colors["max"] and drawn["min"] == colors["min"]


def test_at_80_columns_an_adaptive_runs_healthy_verdict_outlasts_its_bare_lr():
    """24b B8: lesson 19 at 80x24, after s s and a, read "adam, gamma 0.1 every 20→0.5623 exponential   lr 0.00131
    loss 0.000813" with no verdict, and the arrow read as the 20 become 0.5623."""
    from lrtui.tui.palette import PlotPalette
    from lrtui.tui.widgets.status_line import status_text

    session = Session([find_builtin("schedule-too-aggressive").load()])
    session.cycle_schedule()
    session.cycle_schedule()
    session.experiment.step(session.scenario.steps)
    session.apply_fix()
    session.experiment.step(session.scenario.steps)
    lines = status_text(session, PlotPalette(), width=80).plain.splitlines()
    assert lines[1].endswith("improving") and ", lr x5.62 exponential" in lines[1] and "→" not in lines[1], lines
    assert lines[2].rstrip().endswith("too slow"), lines
    # an SGD run's share of the limit still outlasts "improving" (walkthrough 5)
    sgd = finished_session("too-low-slow")
    assert "of limit" in status_text(sgd, PlotPalette(), width=60).plain.splitlines()[2]


async def test_zooming_the_effective_lr_panel_in_the_lr_charts_place_names_it():
    """24b B3: at 80x24 lesson 17's effective-LR panel, in the LR chart's place, was zoomed as "the LR chart"."""
    app = make_app("adagrad-decays-too-fast")
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 30)
        assert app.main.query_one("#lr").picture.title.startswith(("effective LR", "eff. LR"))
        messages = []
        for _ in range(4):
            await pilot.press("z")
            await pilot.pause()
            messages.append(app.session.message)
        assert any(m.startswith("zoomed: the effective-LR panel") for m in messages), messages
        assert not any(m.startswith("zoomed: the LR chart") for m in messages), messages
