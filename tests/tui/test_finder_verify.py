"""The finder screen's `v`: lrtui find --verify in the app, run in a worker."""

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp


async def test_v_trains_each_pick_and_the_grid_and_shows_the_table():
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "FinderScreen"
        assert "v: check each by training" in app.screen.query_one("#finder-hint").render().plain
        await pilot.press("v")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = app.screen.query_one("#finder-verify-text").render().plain
        assert text.startswith("verify: 200 steps at each constant LR") and "<- best on the grid" in text
        assert all(rule in text for rule in ("valley", "slide", "steep", "minimum", "gradient"))
        # The picks' list gives way to the table, and the plot keeps its rows (walkthrough 15b, G3: three ticks)
        assert app.screen.has_class("-verifying")
        assert app.screen.query_one("FinderPanel > Chart").size.height >= 9
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen" and app.session.experiment.step_count == 0
