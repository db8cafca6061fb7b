"""--ascii and NO_COLOR across the whole screen, not only inside the plots."""

import html
import re

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp

# Textual marks a cut-off title with an ellipsis; every other glyph must be ASCII.
ALLOWED = {"…", "\xa0"}  # and the no-break spaces of the SVG


def screen_text(app) -> str:
    svg = app.export_screenshot()
    body = svg.split("<g class=\"terminal-", 1)[-1]  # the terminal's cells, after the window chrome
    return "".join(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", body))


async def test_ascii_draws_no_braille_or_box_glyphs_anywhere():
    for ascii_only in (False, True):
        app = LrtuiApp([find_builtin("lr-sweep").load()], ascii_only=ascii_only)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("N", "N", "N")
            await pilot.pause()
            foreign = {c for c in screen_text(app) if ord(c) > 127} - ALLOWED
        if ascii_only:
            assert foreign == set()
        else:  # the control: the same screen normally has braille, boxes and swatches
            assert {"■", "╭"} <= foreign and any(0x2800 <= ord(c) < 0x2900 for c in foreign)


async def test_no_color_names_each_run_by_its_plot_marker_in_the_status_line():
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    app.no_color = True  # what Textual sets when it finds NO_COLOR in the environment
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("N")
        await pilot.pause()
        status = str(app.screen.query_one("#status").render())
        swatches = [line[1] for line in status.splitlines()[1:] if line[1:2].strip() and "lr=" in line]
        assert len(swatches) >= 4 and len(set(swatches)) == len(swatches) and "■" not in swatches
