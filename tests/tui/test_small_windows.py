"""Walkthrough 3 at 60x20 (defects 13 and 14): nothing runs into its neighbour, the focused run's gauge line is
the one drawn, a warning verdict outlasts the loss in a narrow status line, and the outcome sheet scrolls."""

import pytest

from lrtui.plotting import Line, Picture, draw, nice_ticks
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.curvature_panel import focused_last
from tests.tui.pilot_steps import status_lines, step_and_draw


def test_the_focused_run_is_drawn_last_so_its_dots_win_a_shared_row():
    assert focused_last(3, 0) == [1, 2, 0] and focused_last(3, 2) == [0, 1, 2] and focused_last(1, 0) == [0]


def test_a_narrow_step_axis_gets_round_ticks():
    """The gauge at 60x20 read '0.0 112.5  337.5': one round tick only, so plotext chose its own."""
    assert nice_ticks(0, 450, 2) == [0.0]
    text = draw(Picture(lines=[Line([0.0, 450.0], [1.0, 2.0])], x_range=(0.0, 450.0)), 19, 6).plain()
    assert "250" in text and "112.5" not in text


async def test_at_60_columns_a_warning_verdict_stays_and_the_lr_title_is_short():
    app = LrtuiApp([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(60, 20)) as pilot:
        await step_and_draw(app, pilot, 200)
        line = status_lines(app)[1]
        assert "too slow" in line, line
        from lrtui.tui.view import as_view
        from lrtui.tui.widgets.lr_panel import LRPanel

        panel = app.screen.query_one(LRPanel)
        assert panel.lr_picture(as_view(app.session), 34).title == "lr (log10)  now 0.0005"
        assert panel.lr_picture(as_view(app.session), 60).title == "learning rate (log10)   now 0.0005"


async def test_the_outcome_sheet_scrolls_in_a_short_window():
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    async with app.run_test(size=(60, 20)) as pilot:
        app.session.experiment.step(300)
        app.redraw()
        await pilot.press("u")
        await pilot.pause()
        body = app.screen.query_one("#outcomes-body")
        assert body.max_scroll_y > 0  # taller than the window: its end is below
        assert body.border_subtitle == "PgDn more"
        for _ in range(20):  # to the end of the sheet
            await pilot.press("pagedown")
            await pilot.pause()
            if body.scroll_y >= body.max_scroll_y:
                break
        assert body.scroll_y > 0 and body.border_subtitle == "PgUp back"
        for _ in range(20):
            await pilot.press("pageup")
        await pilot.pause()
        assert body.scroll_y == 0 and body.border_subtitle == "PgDn more"


async def test_a_lesson_name_the_frame_cuts_heads_the_explanation():
    """Walkthrough 3, defect 20: '1/23 Too high: bouncing around a …' in the description's frame."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("DescriptionPanel")
        for _ in range(3):  # d cycles the text: the whole of it, the task alone, hidden
            text = app.screen.query_one("#lesson-text").render().plain
            if "Himmelblau" in text:
                break
            await pilot.press("d")
            await pilot.pause()
        name = app.session.scenario.name
        # Too long for the frame, the name is shortened to the part before its colon, never cut mid-word
        # (walkthroughs 13a A9, 13b B3), and the whole of it heads the explanation.
        assert len(name) + 13 > panel.size.width and panel.border_title == "1/23 Too high"
        assert f"\n{name}\n" in text
        # The status line keeps the whole name: the speed goes first where they do not fit together.
        head = app.screen.query_one("#status").render().plain.splitlines()[0]
        assert f" {name}  lesson 1 of 23  step 0/200  paused" in head, head
        await step_and_draw(app, pilot, 200)
        head = app.screen.query_one("#status").render().plain.splitlines()[0]
        assert head.rstrip() == f" {name}  lesson 1 of 23  step 200/200  finished", head


def test_a_short_title_keeps_whole_words():
    from lrtui.text import short_title

    assert short_title("Too high: bouncing around a minimum", 40) == "Too high: bouncing around a minimum"
    assert short_title("Too high: bouncing around a minimum", 22) == "Too high"
    assert short_title("Adagrad's rate decays too fast", 22) == "Adagrad's rate decays…"
    assert short_title("Supercalifragilistic", 12, "...") == "Supercali..."


@pytest.mark.parametrize("keys", [("f",), ("ctrl+p",)])
async def test_a_screen_with_a_list_survives_a_window_a_few_columns_wide(keys):
    """The key fuzz test found it: at 8 columns the finder's list, then Textual's command palette, had 0 columns
    to wrap their options to, and Textual's layout raised ValueError (range() arg 3 must not be zero)."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        for size in [(8, 10), (6, 8), (3, 3), (1, 1), (100, 30)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert app.return_code in (None, 0)
        assert app.is_running


async def test_z_zooms_the_landscape_then_the_next_panels_and_escape_goes_back():
    """Walkthrough 4: lesson 16 at 80x24 asks to "watch the two paths on the landscape", which had 3 rows there.
    `z` gives it the main area (the status and keys stay), z again the next chart, and escape brings all back."""
    from lrtui.scenario.library import find_builtin
    from lrtui.tui.app import LrtuiApp
    from tests.tui.pilot_steps import status_lines

    app = LrtuiApp([find_builtin("rmsprop-equalizes").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        small = app.main.query_one("#landscape").size.height
        await pilot.press("z")
        await pilot.pause()
        landscape = app.main.query_one("#landscape")
        assert app.main.maximized is landscape and landscape.size.height > 2 * small
        assert status_lines(app), "the status stays in view"
        assert "zoomed: the landscape" in app.session.message
        await pilot.press("z")
        await pilot.pause()
        assert app.main.maximized is app.main.query_one("#loss")
        await pilot.press("escape")
        await pilot.pause()
        assert app.main.maximized is None and app.session.message.startswith("zoom off")
        assert app.main.query_one("#landscape").size.height == small
