"""The learner walkthrough's defects in the app (walk-report.md), each on the key sequence that showed it."""

import numpy as np
import pytest

from lrtui.plotting import Picture, draw, nice_ticks
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.status_line import status_text
from lrtui.tui.palette import PlotPalette
from tests.tui.pilot_steps import open_finder_and_check, play_to_the_end, step_and_draw


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


def status(app) -> str:
    return app.main.query_one("#status").render().plain


async def finish(app, pilot):
    await step_and_draw(app, pilot, app.session.scenario.steps - app.session.experiment.step_count)


# -- 3, 16: a change to a finished run replays it from step 0 with the change, and says so ------------------
async def test_a_change_to_a_finished_run_replays_every_run_with_it_from_step_0():
    app = make_app("too-low-slow")
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        before = app.session.experiment.current(0)["loss"]
        await pilot.press("asterisk")  # the report's `* *` on the finished slow run
        s = app.session
        assert s.experiment.step_count == 0 and "budget was used up" in status(app).replace("\n ", " ")
        await pilot.press("asterisk")
        assert s.experiment.current(0)["lr"] == pytest.approx(0.05)
        assert [c.step for c in s.experiment.view(0).timeline] == [0, 0]
        await finish(app, pilot)
        assert s.experiment.current(0)["loss"] < 1e-3 * before  # the change acted over the whole budget
        await pilot.press("r")  # and r keeps it
        await finish(app, pilot)
        assert s.experiment.current(0)["loss"] < 1e-3 * before


@pytest.mark.parametrize("keys", [("o",), ("s",), ("minus",)])
async def test_every_edit_of_a_finished_run_acts_from_step_0(keys):
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await finish(app, pilot)
        await pilot.press(*keys)
        exp = app.session.experiment
        assert exp.step_count == 0 and len(exp.view(0).timeline) == 1 and exp.view(0).timeline[0].step == 0
        assert "the step budget was used up" in app.session.message


async def test_the_finished_messages_tell_one_story_about_r_and_R():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.experiment.step(199)
        await pilot.press("space")
        await play_to_the_end(app, pilot)
        assert "r replays with your changes, R resets to the file" in app.session.message
        await pilot.press("u")
        assert "r replays with your changes, R resets to the file" in app.screen.query_one(
            "Static:last-of-type").render().plain
        await pilot.press("r")  # from the outcome table: it closes and replays
        await pilot.pause()
        assert app.screen is app.main and app.session.experiment.step_count == 0


# -- 11, 12: finder picks at the end of the budget, tab inside the finder ---------------------------------------
async def test_a_finder_pick_on_a_finished_run_replays_with_it_and_the_dialog_says_so():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await finish(app, pilot)
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        hint = app.screen.query_one("#finder-hint").render().plain
        assert "the step budget is used up, so every run replays from step 0" in hint
        lr = app.screen.result.picks["minimum"].lr
        await pilot.press("4")
        await pilot.pause()
        exp = app.session.experiment
        assert exp.step_count == 0 and exp.current(0)["lr"] == pytest.approx(lr)
        assert "budget was used up" in app.session.message


async def test_tab_in_the_finder_stays_in_the_finder():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("tab", "tab")
        assert app.session.focused == 0 and type(app.screen).__name__ == "FinderScreen"


# -- 13: labels follow edits ---------------------------------------------------------------------------------------
async def test_labels_follow_lr_optimizer_and_schedule_changes_everywhere():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "minus")
        label = app.session.experiment.view(0).label
        assert label == "too high: lr=0.003, now lr 0.0015"
        assert label in status(app)
        await pilot.press("o", "s")
        label = app.session.experiment.view(0).label
        # under a schedule an LR change reads as a multiple of the run's LR (walkthrough 23b, Z6)
        assert label.startswith("too high: lr=0.003, now ") and "lr x0.5" in label and label.split()[-1] != "constant"
        assert app.session.experiment.view(0).spec.optimizer in label


# -- 14: nothing cut at 80 columns ----------------------------------------------------------------------------------
async def test_status_verdicts_and_the_end_of_budget_replay_message_are_whole_at_80_columns():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        assert "oscillating (LR too high)" in status(app)
        await pilot.press("a")
        shown = " ".join(line.strip() for line in status(app).splitlines())
        # One a replays at the end of the budget (walkthrough 23a, Y5)
        assert "replayed every run from step 0, since the budget was used up" in shown
        assert app.session.experiment.step_count == 0
        assert all(len(line) <= 80 and not line.endswith("…") for line in status(app).splitlines())


def test_a_run_line_drops_numbers_before_its_verdict():
    scenario = find_builtin("too-high-oscillation").load()
    from lrtui.tui.session import Session

    session = Session([scenario])
    session.experiment.step(200)
    wide = status_text(session, PlotPalette(), width=200).plain.splitlines()[1]
    narrow = status_text(session, PlotPalette(), width=70).plain.splitlines()[1]
    assert "|g|" in wide and "|g|" not in narrow and narrow.endswith("oscillating (LR too high)")


async def test_the_outcome_table_shows_every_cell_at_80_columns():
    app = make_app("lr-sweep")
    async with app.run_test(size=(80, 24)) as pilot:
        await finish(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        screen = app.screen
        if screen.query("DataTable"):
            table = screen.query_one("DataTable")
            assert table.virtual_size.width <= table.size.width
        else:
            text = screen.query_one("#outcome-list-text").render().plain
            assert "verdict:" in text and "final loss:" in text and "changes made:" in text


# -- 15: the description's task and challenge, and the keys that scroll it -------------------------------------
async def test_at_80x24_the_task_and_challenge_show_and_pgdn_reads_on():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.main.query_one("#description")
        await pilot.pause()
        text = panel.query_one("#lesson-text").render().plain
        assert app.main.description == "task" and "Try" in text and "Challenge:" in text
        assert panel.max_scroll_y == 0  # all of it in view, without a wheel
        assert "PgDn" in panel.border_subtitle
        await pilot.press("pagedown")
        assert app.main.description == "full"
        await pilot.pause()
        await pilot.pause()
        # The first PgDn goes on past the task it had shown, to the lesson's name (walkthrough 15a, F14)
        first = panel.scroll_y
        assert 0 < first < panel.max_scroll_y
        await pilot.press("pagedown")
        await pilot.pause()
        assert panel.scroll_y > first
        await pilot.press("pageup", "pageup", "pageup")
        await pilot.pause()
        assert panel.scroll_y == 0


async def test_help_says_how_to_scroll_the_description_and_explains_the_jargon():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        text = " ".join(app.screen.query_one("#keys-text").render().plain.split())
        assert "pgdn" in text.lower() and "scroll the description" in text
        for term in ("P⁻¹H", "(2 + 2β1)/((1 - β1)λ)", "largest sharpness met so far", "passed through a sharp region",
                     "has four, all at loss 0", "effective LR per parameter", "x at the top"):
            assert term in text, term


# -- 17, 18, 19: m, c on a diverged run, a diverged run on the linear chart ------------------------------------------
async def test_m_says_what_it_did_and_the_title_says_smoothed():
    app = make_app("step-decay")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("N", "m")
        assert app.session.message.startswith("smoothing on")
        assert "smoothed" in app.main.query_one("#loss").picture.title
        await pilot.press("m")
        assert app.session.message.startswith("smoothing off")


async def test_c_on_a_diverged_run_forks_from_the_start():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.experiment.step(40)
        await pilot.press("c")
        exp = app.session.experiment
        assert exp.n_runs == 4 and exp.step_count == 0 and "had diverged at step" in app.session.message
        exp.step(300)
        assert exp.diverged_at(0) >= 0 and exp.diverged_at(2) < 0  # x0.3 from the start trains


async def test_a_diverged_run_shows_leaving_the_linear_chart():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 20)
        picture = app.main.query_one("#loss").picture
        assert not picture.log_y and "; x: run 0 diverged at step 7" in picture.title
        assert any(line.marker == "x" for line in picture.lines)


# -- 21: the verify table scrolls with the keyboard -------------------------------------------------------------------
async def test_the_finder_check_table_scrolls_with_pgdn_and_end():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_finder_and_check(pilot, app)
        table = app.screen.query_one("#finder-verify")
        assert table.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert table.scroll_y == table.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert table.scroll_y == 0


# -- 22: the challenge in plain words ---------------------------------------------------------------------------------
async def test_a_diverged_challenge_run_is_said_in_plain_words():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        await finish(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        text = app.screen.query_one("#challenge").render().plain
        assert "not yet: run 0 diverged (its loss blew up)" in text and "ends at diverged" not in text


# -- 8, 20: chart text never cut on both sides; round ticks --------------------------------------------------------
def test_a_chart_message_wraps_inside_a_narrow_chart():
    message = "per-parameter LR: known after the first update (press n)"
    rows = ["".join(t for t, _ in row) for row in draw(Picture(message=message), 30, 9).runs()]
    shown = " ".join(" ".join(row.strip("│ ").split()) for row in rows if row.startswith("│"))
    assert " ".join(shown.split()) == message


def test_step_axes_get_round_ticks():
    assert nice_ticks(0, 450) == [0, 100, 200, 300, 400]
    assert nice_ticks(0, 200, 5) == [0, 50, 100, 150, 200]
    assert np.allclose(nice_ticks(0, 1, 5), [0, 0.25, 0.5, 0.75, 1])
