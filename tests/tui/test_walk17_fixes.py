"""Defects the seventeenth session worked on, from walkthrough 16's leftovers and walkthrough 17."""

import numpy as np

from lrtui.core.finder import RULES
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from tests.tui.pilot_steps import open_finder_and_check


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


async def fixed_and_finished(app, pilot) -> None:
    """Lesson 2 as a learner leaves it: played to the end, a on the diverged run, played to the end again."""
    session = app.session
    session.experiment.step(300)
    session.apply_fix()
    session.experiment.step(300)
    app.redraw()
    await pilot.pause()


async def test_the_finders_check_shows_every_pick_against_the_best_at_80x24():
    """16b K10: at 80x24, after v, the table showed its column header and two grid rows; the picks, which are what
    a learner compares, were off the bottom, and the scroll keys were named only at the table's end."""
    app = make_app("lr-sweep")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_finder_and_check(pilot, app)
        table = app.screen.query_one("#finder-verify")
        text = app.screen.query_one("#finder-verify-text").render().plain.splitlines()
        picks = [i for i, line in enumerate(text) if line.split()[:1] and line.split()[0] in RULES]
        assert len(picks) == len(RULES)
        # every pick's row is inside the table's visible height, with the line saying what "x best" is against
        against = next(i for i, line in enumerate(text) if line.startswith("(x best:"))
        assert max(picks) < against < table.size.height, (table.size.height, text[:against + 1])
        assert "<- best on the grid" in "\n".join(text[against:])  # the grid follows, scrolled to
        assert app.screen.query_one("FinderPanel > Chart").size.height >= 7  # the curve keeps its rows
        hint = app.screen.query_one("#finder-hint").render().plain
        assert "PgDn" in hint and "1-5" in hint


async def test_the_finders_check_says_where_the_run_ends_as_it_stands():
    """16b K3: after a, lesson 2's run ends at 0.00142, while the check's recommended pick ends at 5.6 and read
    "1.36 x best" against its own grid; the table now says where the run ends as it stands."""
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        session = app.session
        await fixed_and_finished(app, pilot)
        ends = session.experiment.view(0).loss
        await open_finder_and_check(pilot, app)
        text = app.screen.query_one("#finder-verify-text").render().plain
        assert f"run 0 as it stands, with its own LR and changes, ends at {ends:.4g}: lower than every pick" in text
        assert ends < 0.01


def test_the_best_lr_sweep_says_how_far_it_has_got_and_ends_where_it_would_without():
    """16b K11: the digits sweep showed "sweeping..." for over 80 s with no sign of progress."""
    from lrtui.scenario.challenges import CHALLENGES, best_constant

    scenario = find_builtin("too-low-slow").load()
    challenge = CHALLENGES["too-low-slow"]
    heard: list[str] = []
    best = best_constant(scenario, challenge, heard.append)
    assert best == best_constant(scenario, challenge)
    first = [text for text in heard if not text.startswith("then ")]
    assert len(first) == 10 and first[0].endswith(f"step 0 of {scenario.steps:,}")
    steps = [int(text.split("step ")[1].split(" of")[0].replace(",", "")) for text in first]
    assert steps == sorted(steps) and steps[-1] < scenario.steps
    assert any(text.startswith("then a finer grid: 13 constant LRs") for text in heard)


async def test_the_outcome_table_shows_the_sweeps_progress(monkeypatch):
    """The table's challenge line follows the sweep (the worker posts each step of it to the screen)."""
    import lrtui.scenario.challenges as challenges
    from lrtui.tui.screens import outcomes

    shown: list[str] = []
    screen_class = outcomes.OutcomesScreen
    original = screen_class._show_challenge

    def spy(self, best):
        shown.append(best)
        return original(self, best)

    monkeypatch.setattr(screen_class, "_show_challenge", spy)
    outcomes.SWEEPS.clear()
    outcomes.RUNNING.clear()
    monkeypatch.setattr(challenges, "PROGRESS_CHUNKS", 4)
    app = make_app("too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.experiment.step(app.session.scenario.steps)
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("sweeping the run on copies, 25 constant LRs at once, step 50 of 200..." in text for text in shown), shown
        assert "best constant LR" in app.screen.query_one("#challenge").render().plain


async def test_lesson_titles_use_the_frames_width():
    """16a H8: "10/23 Cosine with warm…" and "19/23 A schedule too…" at 100x30 in a frame with room for both whole:
    the title's room was counted from the content, without the frame's border, padding and scroll bar."""
    from lrtui.tui.widgets.description_panel import DescriptionPanel

    for size, name, whole in [((100, 30), "warm-restarts", "10/23 Cosine with warm restarts"),
                              ((100, 30), "schedule-too-aggressive", "19/23 A schedule too aggressive"),
                              ((80, 24), "exponential-decay", "8/23 Exponential decay")]:
        app = make_app(name)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            panel = app.main.query_one(DescriptionPanel)
            assert panel.border_title == whole
            assert len(whole) + 6 <= panel.outer_size.width  # and the frame draws it whole


def test_a_run_told_a_larger_lr_hardly_helps_hears_of_the_run_beside_it_that_did():
    """16b K2: lesson 2's safe run read "a larger LR ... helped only a little" beside run 0 at lr 0.00203, 4,000
    times lower; its explanation now names that run and why the checks did not try its LR."""
    from lrtui.tui.beside import beside_note
    from lrtui.tui.session import Session

    session = Session([find_builtin("too-high-divergence").load()])
    session.experiment.step(300)
    assert beside_note(session.experiment, 1, session.experiment.verdict(1)) == ""  # run 0 diverged: nothing
    session.apply_fix()
    exp = session.experiment
    exp.step(300)
    assert exp.verdict(1) == "improving" and "helped only a little" in exp.summary(1).message
    note = beside_note(exp, 1, exp.verdict(1))
    assert note.startswith(f"Beside it, run 0 uses a larger LR, {exp.view(0).lr:.3g} now (212% of the stable limit")
    assert f"is at loss {exp.view(0).loss:.3g}, against this run's {exp.view(1).loss:.3g}" in note
    assert "only up to 90% of the stable limit where this run is (0.9 x 0.00117 = 0.00106)" in note, note
    assert beside_note(exp, 0, exp.verdict(0)) == ""  # the better run hears nothing of the worse


def test_no_beside_note_where_the_better_run_differs_in_more_than_its_lr_or_the_checks_could_try_it():
    from lrtui.tui.beside import beside_note
    from lrtui.tui.session import Session

    for name in ("momentum-ravine", "lr-sweep", "just-right", "himmelblau-which-minimum"):
        session = Session([find_builtin(name).load()])
        exp = session.experiment
        exp.step(session.scenario.steps)
        assert all(beside_note(exp, run, exp.verdict(run)) == "" for run in range(exp.n_runs)), name


async def test_the_beside_note_is_in_the_explanation_on_screen():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        session = app.session
        await fixed_and_finished(app, pilot)
        await pilot.press("tab")
        await app.show_explanation(None)
        await pilot.pause()
        text = app.screen.query_one("Static").render().plain
        assert "run 1: safe: lr=0.0003" in text and "Beside it, run 0 uses a larger LR" in text


def test_forking_a_diverged_run_does_not_say_its_copies_diverge_and_one_other_fix_reads_right():
    """17b M2: "so its copies would diverge too", and the x0.3 copy then trained; M4: "the other diverged run'
    fix (run 3)"."""
    from lrtui.tui.session import Session

    session = Session([find_builtin("too-high-divergence").load()])
    session.experiment.step(300)
    session.fork()
    assert "would diverge too" not in session.message and "from step 0" in session.message
    session.experiment.step(300)
    exp = session.experiment
    copies = [run for run in range(2, exp.n_runs)]
    assert [exp.view(run).diverged_at >= 0 for run in copies] == [False, True]  # x0.3 trains, x3 diverges
    session.focused = 0
    session.apply_fix()
    assert "and the other diverged run's fix (run 3)" in session.message, session.message


def test_a_mini_batch_runs_verdict_names_its_loss_a_batch_loss():
    """17a L1: lesson 7's "settled (healthy): loss 1.35, level" read as the training loss, which u gives as 0.29."""
    exp = find_builtin("step-decay").load().build()
    exp.step(240)
    assert exp.summary(0).message.startswith("settled (healthy): batch loss 1.35, level over the last")
    assert exp.summary(1).message.startswith("improving: batch loss 1.33")
    scenario = find_builtin("minibatch-noise").load()  # its full-batch run's loss is the training set's
    exp = scenario.build()
    exp.step(scenario.steps)
    batch, whole = exp.summary(0).message, exp.summary(1).message
    assert "batch loss" in batch and "batch loss" not in whole and " loss " in whole, (batch, whole)


async def test_the_loss_title_names_the_cut_lines_and_leaves_a_space_before_the_next_panel():
    """17a L6: at 80x24 nothing said what lesson 19's vertical lines were; L11 and 17b M10: the title ran into the
    next panel's border ("...began╭─")."""
    from tests.tui.pilot_steps import step_and_draw

    for name in ("schedule-too-aggressive", "step-decay", "too-high-oscillation", "momentum-ravine"):
        for size in ((100, 30), (80, 24)):
            app = make_app(name)
            async with app.run_test(size=size) as pilot:
                await step_and_draw(app, pilot, app.session.scenario.steps)
                panel = app.main.query_one("#loss")
                rows = panel.render().plain.splitlines()
                assert rows[0].rstrip() == rows[0][:-1].rstrip() and rows[0][-1] == " ", (name, size, rows[0])
                if name in ("schedule-too-aggressive", "step-decay"):
                    assert "cuts" in panel.picture.title, (name, size, panel.picture.title)


def test_every_lessons_runs_start_on_their_landscape():
    """17b M5: lesson 16's runs start at (2, 0.5), and the landscape, drawn for a quadratic's default start (1, 1),
    read "runs 0, 1 off the map" before a step was taken."""
    from lrtui.scenario.library import COURSE_ORDER

    for name in COURSE_ORDER:
        exp = find_builtin(name).load().build()
        for run in range(exp.n_runs):
            view = exp.view(run)
            w = view.loss_function.window
            if w is None:
                continue
            x, y = exp.current(run)["params"][:2]
            assert w.x_min < x < w.x_max and w.y_min < y < w.y_max, (name, run, (x, y), w)


async def test_the_effective_lr_panel_shows_the_lessons_adaptive_run_while_sgd_has_the_focus():
    """17b M3: lessons 16 and 18 open on their SGD run, and no per-parameter LR panel was shown until tab."""
    from tests.tui.pilot_steps import step_and_draw

    for size in ((100, 30), (80, 24)):
        app = make_app("rmsprop-equalizes")
        async with app.run_test(size=size) as pilot:
            await step_and_draw(app, pilot, 50)
            assert app.session.focused == 0 and app.session.experiment.spec(0).optimizer == "sgd"
            charts = [w for w in app.main.query("Chart") if w.display and getattr(w, "picture", None) is not None]
            titles = [w.picture.title for w in charts if w.picture.title]
            # whose lines they are, in the key's lead (walkthrough 23b, Z5)
            assert any("of run 1: " in t and ("effective LR" in t or "eff. LR" in t) for t in titles), (size, titles)


def test_the_explanation_says_where_a_replayed_fix_acts_as_the_message_after_a_does():
    """17a L7: "press a twice ... to replay from step 0 with it" beside "from step 25 as it was tried"."""
    from lrtui.tui.screens.explanation import explanation_text
    from lrtui.tui.session import Session

    session = Session([find_builtin("too-high-oscillation").load()])
    session.experiment.step(200)
    d = session.experiment.summary(0)
    text = explanation_text(d, "sgd lr=0.025", focused=True, finished=True, now=200).plain
    assert (f"press a on the main screen to replay every run from step 0, with this fix from step "
            f"{d.tried.from_step} as it was tried") in text
    session.apply_fix()
    assert f"from step {d.tried.from_step} as it was tried" in session.message, session.message


async def test_a_narrow_landscape_still_says_a_run_left_the_map():
    """17a L10: at 80x24 lesson 2's landscape caption had no room for "run 0 off the map", and the path just ended."""
    from lrtui.tui.widgets.landscape_panel import LandscapePanel
    from tests.tui.pilot_steps import step_and_draw

    app = make_app("too-high-divergence")
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 300)
        caption = app.main.query_one(LandscapePanel).render().plain.splitlines()[0]
        assert caption.startswith("run 0 off"), caption


async def test_a_run_judged_diverged_while_finite_ends_at_its_x():
    """17b M11: lesson 16's SGD at lr 0.008, judged diverged at step 5 with its loss still finite, was drawn as a
    flat line along the top edge to step 200."""
    import numpy as np

    from tests.tui.pilot_steps import step_and_draw

    app = make_app("rmsprop-equalizes")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("plus")
        await step_and_draw(app, pilot, 200)
        exp = app.session.experiment
        assert exp.verdict(0) == "diverged" and exp.view(0).diverged_at < 0  # judged so, still finite
        picture = app.main.query_one("#loss").picture
        x = next(line for line in picture.lines if line.marker == "x")
        sgd = next(line for line in picture.lines if (line.label or "").endswith("(diverged)"))
        drawn = sgd.x[np.isfinite(sgd.y)]
        assert drawn.size and drawn.max() <= x.x[0], (drawn.max(), x.x[0])


def test_the_gauges_limit_line_sits_on_a_row_labelled_100():
    """17a L5: the 100% line was drawn on the row labelled 91, between 135 and 46."""
    from lrtui.plotting import row_ticks
    from lrtui.tui.widgets.curvature_panel import limit_on_a_row

    for height in range(7, 40):
        rows = height - 4
        for peak in (0.5, 17.0, 99.0, 135.0, 400.0, 999.0):
            pinned = limit_on_a_row(peak, height)
            if pinned is None:
                continue
            assert pinned[0] == 0 and pinned[1] >= 1.05 * max(peak, 100) * (1 - 1e-12)
            ticks, labels = row_ticks(pinned, rows, max(3, min(8, height - 4)))
            assert any(abs(t - 100) < 1e-9 for t in ticks), (height, peak, labels)


async def test_lesson_1s_explanation_fits_an_80x24_window_without_scrolling():
    """17a: at 80x24 the explanation's fix and "escape to close" were below the fold."""
    from tests.tui.pilot_steps import step_and_draw

    app = make_app("too-high-oscillation")
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 200)
        await app.show_explanation(None)
        await pilot.pause()
        scroll = app.screen.query_one("VerticalScroll")
        assert scroll.max_scroll_y == 0 and "escape to close" in app.screen.query_one("Static").render().plain


def test_a_narrow_status_line_keeps_the_verdict_of_a_fixed_digits_run():
    """16b K13, 17b M6: at 80 columns, after a on the slow digits run, both lines lost their verdict."""
    from lrtui.tui.palette import PlotPalette
    from lrtui.tui.session import Session
    from lrtui.tui.widgets.status_line import status_text

    session = Session([find_builtin("digits-lr-classic").load()])
    session.experiment.step(450)
    session.focused = 1
    session.apply_fix()
    session.experiment.step(450)
    lines = status_text(session, PlotPalette(), width=80).plain.splitlines()[1:3]
    assert all(line.rstrip().endswith("improving") and "test acc" in line for line in lines), lines
    assert "lr=0.0001→0.1" in lines[1], lines


def test_a_run_just_under_the_limit_reads_under_100_percent_and_its_bouncing_is_told_without_contradiction():
    """18a N2: lesson 6's lr 0.0399 (99.75% of 2/50) read "100% of limit", and its explanation said the loss change
    "flips sign on 0% of steps: each step overshoots"."""
    from lrtui.core.diagnostics.wording import pct
    from lrtui.tui.palette import PlotPalette
    from lrtui.tui.session import Session
    from lrtui.tui.widgets.status_line import percent, status_text

    assert pct(0.9975) == "99.8%" == percent(0.9975) and pct(1.0) == "100%" and pct(1.25) == "125%"
    session = Session([find_builtin("just-right").load()])
    session.experiment.step(200)
    line = status_text(session, PlotPalette(), width=100).plain.splitlines()[3]
    assert "lr 0.0399 = 99.8% of limit" in line, line
    d = session.experiment.summary(2)
    assert d.code == "oscillating" and "flips sign on 0%" not in d.explanation
    assert "The loss still falls on 100% of steps" in d.explanation and "99.8% of the stable limit" in d.explanation


async def test_the_loss_titles_lines_are_named_by_what_the_schedule_does_there():
    """18a N9: "lines: LR cuts" on cosine annealing, whose one line is where the cosine bottoms out."""
    from tests.tui.pilot_steps import step_and_draw

    for name, words in (("cosine-annealing", "LR lows"), ("warm-restarts", "restarts"), ("step-decay", "LR cuts"),
                        ("one-cycle", "schedule marks")):
        app = make_app(name)
        async with app.run_test(size=(120, 30)) as pilot:
            if name == "cosine-annealing":  # its low at T_max = 300, the last step, is on the frame: not drawn (19a Q5)
                app.session.experiment.apply_changes(0, {"schedule.T_max": 200})
            await step_and_draw(app, pilot, 1)
            title = app.main.query_one("#loss").picture.title
            assert f"lines: {words}" in title, (name, title)


def test_a_short_legend_keeps_the_runs_name_with_its_lr_now():
    """18a N5: at 80x24 after a, lesson 3's legend read "… now lr 0.5 (+1, tab)", without the run's name."""
    from lrtui.tui.widgets.loss_panel import compact_legend

    assert compact_legend("slow: lr=0.0005, now lr 0.5", 2, 30) == "slow, now lr 0.5 (+1, tab)"
    assert compact_legend("slow: lr=0.0005, now lr 0.5", 2, 22) == "slow→0.5 (+1, tab)"
    assert compact_legend("slow: lr=0.0005, now lr 0.5", 2, 22, ascii_only=True) == "slow->0.5 (+1, tab)"


def test_a_slowly_falling_runs_message_and_explanation_agree():
    """18b P3: lesson 18's SGD read "falling 0.033% per step" over an explanation saying it "stayed level"."""
    exp = find_builtin("rosenbrock-sgd-vs-adam").load().build()
    exp.step(1000)
    d = exp.summary(0)
    assert "falling only 0.033% per step" in d.message and "stayed level" not in d.explanation
    assert "fell by only 0.033% a step, nearly level" in d.explanation


async def test_a_reopened_outcome_table_follows_the_sweep_already_running():
    """18b P4: closing the table and pressing u again started the sweep over ("step 315 of 450", then "step 180"),
    beside the first one."""
    import threading

    import lrtui.tui.screens.outcomes as outcomes

    started: list[int] = []
    real = outcomes.best_constant
    go = threading.Event()  # the sweep stays in flight until the second table is open

    def counted(scenario, challenge, progress=None):
        started.append(1)
        assert go.wait(30)
        return real(scenario, challenge, progress)

    outcomes.SWEEPS.clear()
    outcomes.RUNNING.clear()
    app = make_app("too-low-slow")
    try:
        outcomes.best_constant = counted
        async with app.run_test(size=(100, 30)) as pilot:
            app.session.experiment.step(app.session.scenario.steps)
            await pilot.press("u")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("u")
            await pilot.pause()
            second = app.screen
            assert [table for table, _ in outcomes.RUNNING.values()] == [second]  # it follows the sweep
            go.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(started) == 1 and not outcomes.RUNNING and app.screen is second
            assert "the best constant LR" in app.screen.query_one("#challenge").render().plain
            assert "sweeping" not in app.screen.query_one("#challenge").render().plain
    finally:
        outcomes.best_constant = real


async def test_the_planned_lr_is_drawn_in_fine_dashes_so_its_shape_shows_before_play():
    """18a N4: before play, lesson 8's exponential and lesson 9's cosine plans, in whole-cell dots, read as staircases."""
    from lrtui.tui.widgets.lr_panel import PlanLine

    app = make_app("exponential-decay")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        dashes = [line for line in app.main.query_one("#lr").picture.lines if isinstance(line, PlanLine)]
        assert len(dashes) > 4 and all(line.marker is None for line in dashes)  # braille, not one dot a cell
        assert max(float(line.x[-1]) for line in dashes) >= 0.98 * app.session.scenario.steps  # to the budget
        # gamma 0.98's plan falls at every step, not by stairs: each dash's LR falls along it
        falling = [line.y[-1] < line.y[0] for line in dashes if len(line.y) > 1]
        assert np.mean(falling) > 0.8, falling
