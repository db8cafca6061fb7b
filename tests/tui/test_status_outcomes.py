"""What the status line tells a learner: test accuracy, percentages that never read 0%, the lesson, every run."""

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.palette import PlotPalette
from lrtui.tui.screens.keys import GLOSSARY
from lrtui.tui.session import Session
from lrtui.tui.widgets.status_line import percent, status_text, visible_runs
from tests.tui.pilot_steps import play_to_the_end, status_lines, step_and_draw


def test_percent_keeps_small_shares_visible():
    assert percent(1.25) == "125%" and percent(0.0005) == "0.05%" and percent(0.034) == "3.4%" and percent(0) == "0%"


def test_a_window_of_runs_always_holds_the_focused_one():
    assert visible_runs(8, 7, 10) == range(8)
    for focused in range(40):
        shown = visible_runs(40, focused, 6)
        assert focused in shown and len(shown) == 5


async def test_digits_shows_test_accuracy_for_both_runs_and_the_lesson_number():
    app = LrtuiApp([find_builtin("digits-lr-classic").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        app.session.experiment.step(135)  # three epochs of mini-batches
        app.redraw()
        await pilot.pause()
        text = app.screen.query_one("#status").render().plain
        lines = text.splitlines()
        assert "lesson 23 of 23" in lines[0]
        accuracies = [float(line.split("test acc ")[1].split("%")[0]) for line in lines[1:3]]
        assert accuracies[0] > 60 and accuracies[1] < 20  # on the way to about 90% against about 10%


async def test_every_run_of_a_sweep_can_be_reached_in_the_status_area():
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    async with app.run_test(size=(100, 24)) as pilot:
        for run in range(app.session.experiment.n_runs):
            text = app.screen.query_one("#status").render().plain
            focused = next(line for line in text.splitlines() if line.startswith(">"))
            assert app.session.experiment.labels[run] in focused
            await pilot.press("tab")


async def test_play_to_the_end_says_finished_not_playing():
    app = LrtuiApp([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.speed_index = len(__import__("lrtui.tui.session", fromlist=["SPEEDS"]).SPEEDS) - 1
        await pilot.press("space")
        for _ in range(100):
            await pilot.pause(0.05)
            if not app.session.playing:
                break
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.finished and not app.session.playing
        assert app.session.message.startswith("finished") and "playing" not in app.session.message
        assert "finished" in app.main.query_one("#status").render().plain.splitlines()[0]


async def test_u_shows_the_outcome_table_once_play_ends():
    app = LrtuiApp([find_builtin("rosenbrock-sgd-vs-adam").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.experiment.step(990)
        app.session.speed_index = 3
        await pilot.press("tab", "asterisk", "tab", "space")  # one LR change on run 1, then play to the end
        await play_to_the_end(app, pilot, pause=0.05, tries=200)
        assert app.screen is app.main and "u shows how each run did" in app.session.message
        await pilot.press("u")
        assert type(app.screen).__name__ == "OutcomesScreen" and app.session.finished
        table = app.screen.query_one("DataTable")
        headers = [str(column.label) for column in table.columns.values()]
        rows = [dict(zip(headers, map(str, table.get_row_at(i)))) for i in range(table.row_count)]
        assert [row["run"] for row in rows] == ["0", "1"]
        assert rows[1]["changes made"] == "1 lr change" and rows[0]["changes made"] == "none"
        # No accuracy column on a 2-D loss, no steps column when every run took all 1000.
        assert "test acc" not in headers and "steps" not in headers and "_" not in rows[0]["verdict"]
        assert rows[1]["label"] == "adam lr=0.02, now lr 0.2"  # lr x10: the label follows
        assert float(rows[1]["final loss"]) < float(rows[0]["final loss"])  # Adam ends far lower than SGD
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"
        await pilot.press("u")
        assert type(app.screen).__name__ == "OutcomesScreen"
        await pilot.press("u")
        assert type(app.screen).__name__ == "MainScreen"


async def test_keys_pressed_as_a_run_finishes_still_act():
    """Walkthrough 2, defect 4: the outcome table opened by itself as play ended and swallowed m, l and -."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        app.session.experiment.step(app.session.scenario.steps - 3)
        await pilot.press("space")
        await play_to_the_end(app, pilot)
        assert app.session.finished and app.screen is app.main
        smoothing, lr = app.main.smoothing, app.session.experiment.view(0).lr
        shown_log = app.main.query_one("#loss").shown_log
        await pilot.press("m", "l", "minus")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.smoothing != smoothing and app.main.log_scale == (not shown_log)
        assert app.session.experiment.view(0).lr == lr / 2  # replayed from step 0 at half the LR


def test_a_data_model_s_outcome_row_gives_the_training_set_s_loss_beside_its_last_batch_s():
    """Walkthrough 3: step decay 'ends at 1.35 against the constant run's 1.33', the last mini-batch's losses,
    while its training-set loss (0.29 against 0.43) is where the lesson's lower floor shows."""
    from lrtui.tui.screens.outcomes import outcome_rows, shown_columns

    exp = find_builtin("step-decay").load().build()
    exp.step(exp.step_count + 240)
    headers, rows = shown_columns(outcome_rows(exp), 240)
    # (its final and best are of the last mini-batches, and say so: walkthrough 10b, D68)
    assert "train loss" in headers and "test acc" in headers and "batch loss" in headers and "best batch" in headers
    named = [dict(zip(headers, row)) for row in rows]
    decay, constant = (float(row["train loss"]) for row in named)
    assert decay < constant  # the cuts lowered the floor, as the lesson says
    twod = find_builtin("too-high-oscillation").load().build()
    headers, _ = shown_columns(outcome_rows(twod), 0)
    assert "train loss" not in headers and "batch loss" not in headers and "final loss" in headers


async def test_every_run_says_its_verdict_in_the_status_line_a_healthy_one_too():
    """Walkthrough 3, defect 6: lesson 2's "safe" run showed only its numbers; improving goes before the LR."""
    from lrtui.tui.widgets.status_line import _fit

    app = LrtuiApp([find_builtin("too-high-divergence").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 60)
        lines = status_lines(app)
        safe = next(line for line in lines if "safe" in line)
        assert safe.rstrip().endswith("improving") and "DIVERGED" in next(line for line in lines if "too high" in line)
    pieces = [(4, "  lr 0.0003", ""), (1, "  loss 5.6", ""), (4.5, "  improving", "dim"), (2, "  too slow", "")]
    assert [t for t, _ in _fit(pieces, 32)] == ["  lr 0.0003", "  loss 5.6", "  too slow"]


async def test_help_lists_the_panel_keys_and_the_glossary_explains_concave_here():
    """Walkthrough 3, defect 16: `?` did not list enter, the finder's v and 1-5; "concave here" was unexplained."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        text = " ".join(app.screen.query_one("#keys-text").render().plain.split())
        assert "In panels and screens" in text
        for words in ("explain the focused run's diagnosis", "check each pick by training", "apply that pick",
                      "concave here: no lr limit: the status line's word"):
            assert words in text


async def test_a_run_over_the_limit_by_a_point_met_on_the_way_says_its_share_here():
    """Walkthrough 3, defect 5: lr 0.0015 on Rosenbrock reads 157% of the limit (the start is sharp) and still
    trains; the status line adds the share by the sharpness where the run is now, which is under 100%."""
    scenario = find_builtin("too-high-divergence").load([("optimizer.lr", 0.0015)])
    app = LrtuiApp([scenario])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 300)
        line = status_lines(app)[1]
        exp = app.session.experiment
        assert exp.gauge(0) > 1 and exp.gauge_here(0) < 0.9
        # It leads with the share where the run is now, and names the larger one as the sharpest point's
        # (walkthroughs 13 and 14: "157% of limit (56% here)" beside "improving" read as a contradiction).
        here = float(line.split("lr 0.0015 = ")[1].split("% of limit here")[0])
        over = float(line.split("here (")[1].split("% at its sharpest)")[0])
        assert over > 100 and here < 90, line
        assert "improving" in line or "converged" in line
        safe = status_lines(app)[2]  # lr 0.0003, under the limit
        assert "lr 0.0003 = 31% of limit" in safe and "here" not in safe, safe



async def test_an_adaptive_optimizers_status_line_gives_its_lr_without_a_share():
    """Walkthrough 4, defect 6: "rmsprop ... lr 176% of limit improving" in red. Walkthrough 14b, D3: "176% of
    adaptive limit  improving" beside "91% of adaptive limit  too slow" still read as a contradiction. Their limit
    is on P⁻¹H, which follows their own steps, so its share says nothing of too low or too high: the line gives
    the LR alone, and the glossary says why."""
    app = LrtuiApp([find_builtin("adagrad-decays-too-fast").load()])
    async with app.run_test(size=(120, 30)) as pilot:
        await step_and_draw(app, pilot, 100)
        lines = status_lines(app)
        for line in lines[1:3]:
            assert "  lr 0." in line and "%" not in line and "limit" not in line, line
        await pilot.press("question_mark")
        text = " ".join(app.screen.query_one("#keys-text").render().plain.split())
        assert "% of adaptive limit: the same share" in text and "shows their LR without it" in text
    sgd = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with sgd.run_test(size=(120, 30)) as pilot:
        await step_and_draw(sgd, pilot, 20)
        line = status_lines(sgd)[1]
        assert "lr 0.025 = 120% of limit" in line and "adaptive" not in line, line


def test_a_run_far_past_the_limit_without_blowing_up_says_so_in_words():
    """Walkthrough 15: lesson 10's restarts ended in Ackley's centre reading "lr 8.1e+09% of limit  improving"."""
    session = Session([find_builtin("warm-restarts").load()])
    session.experiment.step(300)
    assert session.experiment.gauge(0) > 1e6
    line = status_text(session, PlotPalette(), width=120).plain.splitlines()[1]
    assert "lr 0.2, over 100x the limit" in line and "e+" not in line.split("loss")[0], line
    # ...and, healthy all the same, says the sharpness is a kink's (walkthrough 17a, L8)
    assert session.experiment.verdict(0) == "improving" and "over 100x the limit at a kink" in line, line
    text = " ".join(dict(GLOSSARY)["over 100x the limit"].split())
    assert "kink" in text and "about to blow up" in text


async def test_before_any_step_a_run_says_not_started_not_improving():
    """Lesson 22 after a on run 5: every run replayed to step 0 read "lr 741% of limit  improving" before a step."""
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lines = status_lines(app)[1:9]
        assert all(line.rstrip().endswith("not started") for line in lines), lines
        await step_and_draw(app, pilot, 30)
        assert not any("not started" in line for line in status_lines(app)), status_lines(app)
