"""The walkthroughs' remaining defects: the planned LR in short windows (walk2 18), the effective-LR panel's key and
its log step axis (walk1 7, 8), the finder's check against a pick (walk2 5), and a tick label that changed with
Python's string hashing (the lr-sweep's 80x24 snapshot)."""

import re

import numpy as np
import pytest

from lrtui.plotting import Line, Picture, draw
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.palette import PLAN_COLOR
from lrtui.tui.widgets.adaptive_panel import WAITING, key_row
from tests.tui.pilot_steps import open_finder_and_check, step_and_draw


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


def plan_lines(picture):
    """Each run's planned LR as one line: the plan is drawn in dashes, a line each (walkthrough 18a, N4), a run's together;
    a run's dashes run left to right, and the next run's start again from its left."""
    plans: list = []
    from lrtui.tui.widgets.lr_panel import PlanLine

    for line in (line for line in picture.lines if isinstance(line, PlanLine)):
        if plans and line.x[0] > plans[-1].x[-1]:
            plans[-1] = Line(np.concatenate([plans[-1].x, line.x]), np.concatenate([plans[-1].y, line.y]),
                             color=PLAN_COLOR)
        else:
            plans.append(Line(line.x, line.y, color=PLAN_COLOR))
    return plans


# -- walk2 18: the planned schedule stays in view at 80x24 and 100x30 -------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_lesson_19_shows_both_planned_schedules_before_and_while_playing(size):
    app = make_app("schedule-too-aggressive")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lr = app.main.query_one("#lr")
        assert lr.display and lr.size.height >= 5
        plans = plan_lines(lr.picture)
        assert len(plans) == 2 and all(line.x.max() >= 290 for line in plans)  # each run's plan, to the budget
        # The aggressive plan falls 1,000-fold by step 60, the gentle one 8-fold by step 300, visibly apart.
        # (in either order: the focused run's plan is drawn last, on top; walkthrough 21a, U1)
        steep, gentle = sorted(plans, key=lambda line: min(line.y) / max(line.y))
        assert min(steep.y) < 1e-3 * max(steep.y) and min(gentle.y) >= 0.1 * max(gentle.y)
        assert app.main.query_one("#adaptive").display == (size == (100, 30))
        if size == (80, 24):
            text = lr.render().plain
            assert "planned" in text.splitlines()[0] and "known after" not in text
        await step_and_draw(app, pilot, 30)
        labels = [line.label for line in lr.picture.lines if line.label]
        if size == (80, 24):  # the focused Adam run's largest and smallest step size join the plan here
            assert labels == ["max", "min"] and len(plan_lines(lr.picture)) == 2
            head = lr.render().plain.splitlines()[0]
            assert "max" in head and "min" in head and "planned" in head
        else:
            assert labels == []


# -- walk1 7, 8: a key naming the lines in their colours, a fall you can see, a message cut on no side ---------------
async def test_the_adagrad_panel_shows_its_effective_lr_falling_and_names_its_lines():
    app = make_app("adagrad-decays-too-fast")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.main.query_one("#adaptive")
        words = " ".join(panel.render().plain.replace("│", " ").split())
        assert WAITING in words  # before the first update: the whole message, cut on neither side
        await step_and_draw(app, pilot, 600)
        picture = panel.picture
        assert picture.log_x and picture.x_range[0] == 0.0  # the step axis starts at step 1, in decades
        by_label = {line.label: line for line in picture.lines}
        high, median, low = by_label["max"], by_label["median"], by_label["min"]
        # The first update's step sizes (from a replayed copy; the engine samples from step 5) are about 6 times
        # the ones it keeps for the rest of the 600 steps: on the log axis the fall takes a tenth of the width (1/600
        # on a linear one).
        assert high.x[0] < 0.05 and high.y[0] > 5 * high.y[-1] and low.y[0] > 3 * low.y[-1]
        assert 0.08 < high.x[np.argmax(high.y < 1.05 * high.y[-1])] / picture.x_range[1] < 0.4
        rendered = panel.render()
        head = rendered.plain.splitlines()[0]
        # (shortened before the other run's median loses its key: walkthrough 11b, D94)
        assert re.search(r"(effective|eff\.) LR.*: ━ ?max ━ ?med(ian)? ━ ?min ┈ ?lr ━ run 1", head), head
        # Each stroke in the key is drawn in its line's own colour, and max, median and min differ.
        colors = {}
        offset = len(rendered.plain.splitlines()[0]) - len(rendered.plain.splitlines()[0].lstrip())
        for span in rendered.spans:
            if span.start < len(head):
                piece = rendered.plain[span.start:span.end]
                if piece.strip() in ("━", "┈"):
                    colors[span.start] = str(span.style.color)
        assert offset >= 0 and len(colors) == 5 and len(set(list(colors.values())[:3])) == 3  # (and run 1's)


def test_the_key_row_fits_every_width_and_names_every_line():
    entries = [("max", ("solid", "warning", "^")), ("median", ("solid", 0, "*")), ("min", ("solid", "success", "v")),
               ("lr", ("dotted", "muted", "."))]
    for width in range(18, 90):
        for no_color in (False, True):
            parts = key_row(entries, no_color, False, "effective LR per parameter: ", "now median = lr/415", width)
            text = "".join(t for t, _ in parts)
            assert len(text) <= width and all(name in text for name in ("max", "min", "lr")), (width, text)
            if no_color:
                assert "^" in text and "v" in text


async def test_the_glossary_explains_the_key_the_log_axis_and_the_median_against_lr():
    app = make_app("adagrad-decays-too-fast")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        text = " ".join(app.screen.query_one("#keys-text").render().plain.split())
        assert "The key row names the lines" in text and "logarithmic" in text
        assert "'now median = lr/415'" in text and "max and min over the planned LR" in text


# -- the lr-sweep snapshot: a tick label that followed Python's string hashing ----------------------------------------
@pytest.mark.parametrize("height", range(5, 13))
def test_log_ticks_never_share_a_row_so_plotexts_set_order_cannot_pick_one(monkeypatch, height):
    """plotext keeps the ticks in a set of (tick, label) pairs: two on one row showed whichever the hash put last."""
    import plotext._utility as utility

    original = utility.no_duplicates
    pictures = [Picture(log_y=True, x_range=(0, 300), lines=[Line(np.arange(300.0), np.full(300, lr))
                                                             for lr in (1e-5, 3.7e-5, 1e-3, 0.1)]),
                Picture(log_y=True, x_range=(0, 10), lines=[Line(np.arange(10.0), np.geomspace(1e-16, 0.1, 10))])]
    pictures += [Picture(log_y=True, x_range=p.x_range, lines=p.lines, title="learning rate (log10)") for p in pictures]
    for picture in pictures:
        drawn = []
        for order in (lambda data: sorted(original(data)), lambda data: sorted(original(data), reverse=True)):
            monkeypatch.setattr(utility, "no_duplicates", order)
            drawn.append(draw(picture, 48, height).plain())
        assert drawn[0] == drawn[1]
        assert sum(1 for row in drawn[0].splitlines() if "┤" in row[:7]) >= 1


# -- walk2 5: the finder's check says what it trained, and a pick ends where it says --------------------------------
async def test_a_pick_at_the_end_of_the_budget_ends_at_the_checks_number_and_a_mid_run_pick_says_why_not():
    app = make_app("too-high-divergence")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.experiment.step(120)
        app.redraw()
        await open_finder_and_check(pilot, app)
        text = app.screen.query_one("#finder-verify-text").render().plain
        assert "each trained from the run's start (step 0): sgd at that LR, constant, for all 300 steps" in text
        assert "a pick acts from step 120 on" in text and "so it ends elsewhere" in text
        await pilot.press("escape")
        app.session.experiment.step(180)
        app.redraw()
        await open_finder_and_check(pilot, app)
        text = app.screen.query_one("#finder-verify-text").render().plain
        assert "a pick replays every run from step 0 with it, so the run ends at the number shown" in text
        row = next(line.split() for line in text.splitlines() if line.startswith("minimum"))
        assert app.screen.query_one("FinderPanel > Chart").size.height >= 7
        await pilot.press("4")
        await pilot.pause()
        app.session.experiment.step(300)
        run = app.session.experiment.view(0)
        assert f"{run.lr:.3g}" == row[1] and abs(run.loss - float(row[2])) <= 5e-4 * run.loss


async def test_the_check_of_a_run_with_a_schedule_says_the_schedule_is_left_out():
    app = make_app("step-decay")
    async with app.run_test(size=(100, 30)) as pilot:
        screen_cls = __import__("lrtui.tui.screens.finder", fromlist=["FinderScreen"]).FinderScreen
        screen = screen_cls(app.session.experiment, 0, steps=app.session.scenario.steps)
        caption = " ".join(screen.verify_caption())
        assert "without the run's step schedule; a pick keeps it" in caption and "number shown" not in caption


# -- the outcome table's sweep is done once per lesson, so a second `u` answers at once -----------------------------
async def test_a_second_u_shows_the_best_lr_at_once_without_sweeping_again():
    from lrtui.tui.screens import outcomes

    outcomes.SWEEPS.clear()
    app = make_app("too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.experiment.step(200)
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        first = app.screen.query_one("#challenge").render().plain
        assert "the best constant LR" in first and "sweeping" not in first and len(outcomes.SWEEPS) == 1
        await pilot.press("escape")
        await pilot.press("u")
        await pilot.pause()
        assert not any(worker.name == "best lr" for worker in app.workers)
        assert app.screen.query_one("#challenge").render().plain == first


def test_the_finder_curve_ends_at_the_stop_line_so_the_part_the_rules_read_keeps_its_rows():
    """walk2 5: after the check, lesson 2's curve was one row: its last step, past the 4x stop line, set the axis."""
    from lrtui.core.finder import range_test
    from lrtui.tui.widgets.finder_panel import finder_picture

    view = find_builtin("too-high-divergence").load().build().view(0)
    result = range_test(view.loss_function, view.spec, seed=0, num_it=100)
    best = float(np.nanmin(result.smoothed))
    assert np.nanmax(result.smoothed) > 10 * best  # the last step is far above the stop line
    picture = finder_picture(result)
    assert not picture.log_y and picture.y_range[1] == pytest.approx(4 * best)
    rows = draw(picture, 70, 9).plain().splitlines()[2:7]
    curve_rows = [row for row in rows if any("\u2800" < c <= "\u28ff" for c in row[5:])]
    assert len(curve_rows) >= 2  # the fall from the start to the picks spans rows


# -- walk3 2: the legend sits over the data -------------------------------------------------------------------------
@pytest.mark.parametrize("log_y", [False, True])
@pytest.mark.parametrize("height", [10, 14, 20])
def test_a_flat_loss_at_the_top_stays_visible_under_the_legend(log_y, height):
    """Digits' slow run stays at its start (2.3), the top of a fitted axis, where plotext pins the legend: the
    axis is raised so that the curves stay under the legend's rows, and the flat line shows across the chart."""
    from lrtui.plotting import legend_headroom

    steps = np.arange(400.0)
    falling = 2.3 * np.exp(-steps / 60) + 0.05
    lines = [Line(steps, falling, label="lr=0.1 (focused)"), Line(steps, np.full(400, 2.3), label="lr=0.0001")]
    text = draw(Picture(lines=lines, log_y=log_y), 60, height).plain().splitlines()
    legend_rows = [i for i, row in enumerate(text) if "lr=0.0001" in row or "lr=0.1" in row]
    assert len(legend_rows) == 2
    below = text[legend_rows[-1] + 1:]
    # the flat line: a row under the legend that is drawn across most of the plot's width
    assert any(sum(ch not in " │┤┌┐└┘─┬┴0123456789.e-" for ch in row) > 40 for row in below), "\n".join(text)
    assert legend_headroom((0.0, 1.0), 1.0, 10, 2) == (0.0, 1.25)  # 8 rows for the data, 2 for the legend
    assert legend_headroom((0.0, 1.0), 1.0, 5, 2) == (0.0, 1.0)  # too few rows: the legend is not given room
