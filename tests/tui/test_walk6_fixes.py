"""Defects a sixth learner walkthrough found (/work/wt/walk6-report.md in the lead's notes)."""

import numpy as np
import pytest

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.screens.explanation import ExplanationScreen
from lrtui.tui.session import Session
from lrtui.tui.widgets.adaptive_panel import adagrad_note
from lrtui.tui.widgets.diagnostics_panel import fix_forms, fitting_summary, wrap_to
from lrtui.tui.widgets.footer import narrow_keys
from lrtui.tui.widgets.loss_panel import AUTO_LOG_BELOW_OPEN, auto_log_floor, fit_title
from tests.tui.pilot_steps import play_to_the_end, step_and_draw
from tests.tui.test_walk5_fixes import screen_rows


def test_the_automatic_log_floor_is_whole_decades_under_the_runs_still_moving():
    assert AUTO_LOG_BELOW_OPEN == 1  # the glossary and the README say "a decade or two"
    assert auto_log_floor(1.26e-29, 3.09) == pytest.approx(0.1)  # lesson 1's fork, beside the bounce at 3.09
    assert auto_log_floor(0.2, 3.09) is None  # nothing under the floor: the axis fits the data as before
    assert auto_log_floor(4e-4, np.inf) is None  # every run converged: their whole descent is the story
    assert auto_log_floor(np.inf, np.inf) is None and auto_log_floor(0.0, 1.0) is None


def test_the_title_keeps_both_marks_in_short_words_before_a_long_one():
    notes = [(["; v: run 1 below 0.1 from step 17", "; v: run 1 below 0.1", "; v: below 0.1"], True),
             (["; x: run 2 diverged off the top at step 7", "; x: run 2 diverged", "; x: diverged"], True),
             (["; ! where a finding began"], False)]
    base = "loss (log10, auto)"
    assert fit_title(base, notes, 52) == base + "; v: run 1 below 0.1; x: diverged"
    assert fit_title(base, notes, 40) == base + "; v: run 1 below 0.1"  # no room for both: v, named nowhere else
    assert fit_title(base, notes, 200) == base + "".join(forms[0] for forms, _ in notes)
    # A note that names no run leaving the chart reserves nothing: the diverged range keeps its steps (lesson 22).
    lone = [(["; x: 3 runs diverged at steps 4-20", "; x: diverged"], True), ([" - over 2 decades"], False)]
    assert fit_title("loss (linear)", lone, 48) == "loss (linear); x: 3 runs diverged at steps 4-20"


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_the_bounce_stays_a_band_beside_a_converged_fork(size):
    """D17: lesson 1, c, play: the fork converging to 1e-29 stretched the automatic log axis to 1e-30 and run 0,
    bouncing between about 3.1 and 4.2, was a flat line at 1. Now the axis stops a decade or two under the bouncing
    run: the bounce is at least a text row tall, the converged run goes along the bottom edge from a v, and the title says
    so."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=size) as pilot:
        await pilot.press("c")
        await step_and_draw(app, pilot, 200)
        panel = app.main.query_one("#loss")
        picture = panel.picture
        assert picture.log_y and "auto" in picture.title and "v: run 1 below 0.1" in picture.title, picture.title
        bottom, top = panel.canvas.ylim
        assert np.log10(0.1) - 0.1 <= bottom <= np.log10(0.1)  # the floor, not 1e-30
        data_rows = panel.size.height - 4  # frame, title and ticks
        last = app.session.experiment.series(0, "loss")[1][-40:]  # what run 0 bounces between at the end
        band = np.log10(last.max()) - np.log10(last.min())
        assert last.min() > 3 and band > 0.1
        # The axis spans at most 5 decades (it spanned 33): the 2-cycle's 0.14 decades are most of a braille dot
        # (4 to a text row) at 80x24 and more at 100x30, drawn as a thick band as when run 0 is alone; at 1e-30
        # they were a sixth of one.
        assert top - bottom <= 5.0 and band / (top - bottom) * data_rows * 4 >= 0.75, (bottom, top, data_rows)
        # The converged fork (run 1) reaches the bottom edge and is marked there, in its own colour.
        marks = [line for line in picture.lines if line.marker == "v"]
        assert [(int(line.color), float(line.y[0])) for line in marks] == [(1, pytest.approx(0.1))]
        run1 = [line for line in picture.lines if isinstance(line.color, int) and line.color == 1 and len(line.x) > 1]
        assert len(run1) == 1 and np.nanmin(run1[0].y) == pytest.approx(0.1)
        rows = screen_rows(app)
        assert any("v" in row and "0.1┤" in row for row in rows), rows  # on the bottom row of the chart


async def test_the_log_axis_chosen_with_l_keeps_every_decade():
    """The floor is the automatic axis's: l twice (linear, then log10) shows how deep each run went."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        await step_and_draw(app, pilot, 200)
        await pilot.press("l", "l")
        await pilot.pause()
        panel = app.main.query_one("#loss")
        assert panel.picture.log_y and "auto" not in panel.picture.title and "below" not in panel.picture.title
        assert panel.canvas.ylim[0] < -20 and not any(line.marker == "v" for line in panel.picture.lines)


@pytest.mark.parametrize("name, keys", [("lr-sweep", ()), ("too-low-slow", ("asterisk", "asterisk"))])
async def test_no_run_is_cut_where_none_has_converged_or_all_have(name, keys):
    """Lesson 22's best run (0.0004) is the sweep's story: still "too slow", it sets the floor, so nothing is cut.
    Lesson 3 after the task's * *: its one run converges to 6e-10, and the learner sees it fall all the way."""
    app = LrtuiApp([find_builtin(name).load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*keys)
        await step_and_draw(app, pilot, app.session.scenario.steps)
        panel = app.main.query_one("#loss")
        lowest = min(float(np.nanmin(app.session.experiment.series(run, "loss")[1]))
                     for run in range(app.session.experiment.n_runs) if app.session.experiment.diverged_at(run) < 0)
        # (the theory's dots may go on below the axis, with their own "v": walkthrough 10a, D44; no run's does)
        assert "v: run" not in panel.picture.title and "runs below" not in panel.picture.title
        assert not any(line.marker == "v" and isinstance(line.color, int) for line in panel.picture.lines)
        assert panel.canvas.ylim[0] <= np.log10(lowest) + 0.05, (panel.canvas.ylim, lowest)


async def test_a_run_that_stays_above_the_floor_is_drawn_as_before():
    """Lesson 7's curves: no floor, no mark."""
    app = LrtuiApp([find_builtin("step-decay").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 200)
        picture = app.main.query_one("#loss").picture
        assert "below" not in picture.title and not any(line.marker == "v" for line in picture.lines)


def test_a_narrow_footer_keeps_the_keys_of_the_tasks_first():
    keys = [("play", "space"), ("step(1)", "n"), ("scale_lr(2)", "+"), ("scale_lr(0.5)", "-"),
            ("apply_fix", "a"), ("finder", "f"), ("help", "?"), ("quit", "q")]
    assert narrow_keys(keys, 60) == {"play", "step(1)", "scale_lr(2)", "scale_lr(0.5)", "apply_fix", "help", "quit"}
    assert "finder" in narrow_keys(keys, 70)
    assert {"help", "quit"} <= narrow_keys(keys, 10)  # never left out


async def test_the_footer_at_60_columns_shows_the_lr_keys():
    """60x20: the key bar dropped + and - (lesson 1's task is "Try - ... then + twice")."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        await pilot.pause()
        last = screen_rows(app)[-1]
        for words in ("space play", "n step", "+ lr x2", "- lr /2", "a fix", "? keys", "q quit"):
            assert words in last, last
        footer = app.main.query_one("LrtuiFooter")
        assert max(key.region.right for key in app.main.query("FooterKey")) <= footer.region.right


@pytest.mark.parametrize("name", ["adagrad-decays-too-fast", "schedule-too-aggressive"])
async def test_the_landscape_keeps_its_caption_while_the_description_is_open(name):
    """100x30, lessons 17 and 19: with the description open the landscape had 3 rows, under the caption's 4."""
    app = LrtuiApp([find_builtin(name).load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        landscape = app.main.query_one("#landscape")
        assert landscape.display and landscape.size.height <= 3  # the case the walkthrough met
        assert "★ min ● now · path" in landscape.render().plain.splitlines()[0]


@pytest.mark.parametrize("press_s", [False, True])
async def test_the_compact_panel_fits_the_verdict_and_the_fix_of_lesson_19(press_s):
    """80x24, lesson 19: "→ a: schedule constant, lr" and, after s, "→ a: lr x31.6 on the whole" were cut off."""
    app = LrtuiApp([find_builtin("schedule-too-aggressive").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("space", "s", "space") if press_s else ("space",):
            await pilot.press(key)
            await play_to_the_end(app, pilot)  # (play, not steps: its two-row message leaves the panel two rows)
        await pilot.pause()  # the redraw after the panel's resize
        panel = app.main.query_one("#diagnostics")
        assert panel.scrollable_content_region.height <= 3  # compact (2 rows as the walkthrough had it)
        summary = app.session.experiment.summary(0)
        assert summary.fix
        shown = panel.get_option_at_index(0).prompt.plain
        assert len(shown.splitlines()) <= panel.scrollable_content_region.height, shown
        flat = " ".join(shown.split())
        from lrtui.core.diagnostics.wording import fix_words

        assert any(f"a: {form}" in flat for form in fix_forms(fix_words(summary.fix, summary.tried))), flat
        rows = " ".join(" ".join(row.split()) for row in screen_rows(app))
        assert flat.split("a: ")[1].split()[0] in rows


def test_a_two_row_panel_gets_the_longest_fix_that_fits():
    """The panel's choice at 26 columns and 2 rows, as at 80x24, for both of lesson 19's fixes."""
    from rich.console import Console

    from lrtui.tui.palette import PlotPalette

    session = Session([find_builtin("schedule-too-aggressive").load()])
    session.experiment.step(300)
    console = Console(width=200)
    shown = {}
    for run in (0, 1):
        summary = session.experiment.summary(run)
        text = fitting_summary(summary, "", PlotPalette(), True, lambda t: wrap_to(t, 26, console), 2)
        shown[run] = text.plain
        assert len(text.plain.splitlines()) <= 2, text.plain
    assert shown[0] == "■ schedule too aggressive\n→ a: constant lr 0.1", shown
    # a too-slow run's pace first, then the fix (walkthrough 24a, A1)
    assert shown[1].startswith("■ too slow (~") and "\n→ a: lr x17.8" in shown[1], shown


def test_the_fix_is_shortened_by_its_least_telling_words_first():
    assert fix_forms("lr x31.6 on the whole schedule, 0.1 to 3.16") == [
        "lr x31.6 on the whole schedule, 0.1 to 3.16", "lr x31.6 on the whole schedule", "lr x31.6 on the schedule",
        "lr x31.6"]
    assert fix_forms("schedule constant, lr = 0.1") == [
        "schedule constant, lr = 0.1", "schedule constant, lr 0.1", "constant lr 0.1"]
    assert fix_forms("lr = 0.016") == ["lr = 0.016"]


async def test_the_loss_legend_names_the_runs_after_s_at_80x24():
    """D22: lesson 19 at 80x24, play, s, play: the legend's rows were blank."""
    app = LrtuiApp([find_builtin("schedule-too-aggressive").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 300)
        await pilot.press("s")
        await step_and_draw(app, pilot, 300)
        labels = [line.label for line in app.main.query_one("#loss").picture.lines if line.label]
        assert labels and all(labels)
        rows = screen_rows(app)
        assert any("adam, gamma" in row for row in rows[:5]), rows[:5]


def test_adagrads_note_says_why_it_stalls_in_its_own_numbers():
    session = Session([find_builtin("adagrad-decays-too-fast").load()])
    exp = session.experiment
    exp.step(600)
    assert exp.summary(0).code == "too_slow" and exp.view(0).spec.optimizer == "adagrad"
    note = adagrad_note(exp, 0, "too_slow")
    _, _, median, _ = exp.effective_lr_history(0)
    assert "sum only grows" in note and f"{median[np.isfinite(median)][0]:.3g}" in note
    assert "lr/4" in note and "the first, large gradients filled the sum" in note, note
    assert adagrad_note(exp, 1, exp.summary(1).code) == ""  # RMSProp
    assert adagrad_note(exp, 0, "converged") == ""


async def test_enter_on_a_stalled_adagrad_run_explains_the_stall():
    """Lesson 17, 100x30: Adagrad's explanation said "too slow" and not why."""
    app = LrtuiApp([find_builtin("adagrad-decays-too-fast").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 600)
        await app.show_explanation(None)
        await pilot.pause()
        assert isinstance(app.screen, ExplanationScreen)
        assert app.screen.note.startswith("Why it stalls")
        shown = " ".join(" ".join(row.strip("│ ") for row in screen_rows(app)).split())
        assert "Why it stalls: Adagrad divides lr by the square root" in shown, shown
