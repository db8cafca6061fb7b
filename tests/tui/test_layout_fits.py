"""Every lesson's panels fit the window at 100x30 and 80x24: none is pushed off the bottom or squeezed to nothing."""

import pytest

from lrtui.scenario.library import builtin_scenarios
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.panel import Panel
from tests.tui.built_once import builtin

SIDE = ("#description", "#landscape", "#curvature", "#decision", "#adaptive", "#diagnostics", "#lr")
MIN_ROWS = {"#landscape": 3, "#curvature": 8, "#decision": 6, "#adaptive": 8, "#diagnostics": 3, "#lr": 5}


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_side_panels_fit_every_lesson(size):
    entries = builtin_scenarios()
    app = LrtuiApp([builtin(entry.name) for entry in entries])  # each lesson built once for both sizes
    async with app.run_test(size=size) as pilot:
        for index, entry in enumerate(entries):
            app.session.open(index)
            seen = set()
            for focused in range(app.session.experiment.n_runs)[:3]:
                app.session.focused = focused
                # The layout follows which panels apply to the focused run: a run that shows the same ones as
                # one already checked in this lesson lays out the same way.
                view = app.main.view(app.session, app.ascii_only)
                shown = tuple(panel.applies(view) for panel in app.main.query(Panel))
                if shown in seen:
                    continue
                seen.add(shown)
                app.redraw()
                await pilot.pause()
                bottom = app.screen.query_one("#status").region.y
                # The LR chart, with every run's planned schedule, shows in every lesson at both sizes.
                assert app.screen.query_one("#lr").display, f"{entry.name} run {focused} at {size}: no LR chart"
                for selector in SIDE:
                    panel = app.screen.query_one(selector)
                    if not panel.display:
                        continue
                    region = panel.region
                    where = f"{entry.name} run {focused} at {size}: {selector} {region}"
                    assert region.y + region.height <= bottom, where
                    assert region.height >= MIN_ROWS.get(selector, 1), where


async def test_the_landscape_names_its_axis_ranges_and_marks():
    from lrtui.scenario.library import find_builtin

    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("N")
        first = app.screen.query_one("#landscape").render().plain.splitlines()[0]
        assert first.startswith(("x -5..5, y -5..5", "x,y -5..5")) and "★ min" in first and "● now" in first


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
@pytest.mark.parametrize("name", ["too-low-slow", "rosenbrock-sgd-vs-adam", "momentum-ravine"])
async def test_the_landscapes_key_is_never_cut(name, size):
    """Walkthrough 4: at 100x30 too-low-slow's caption ended '● now ·', its 'path' cut off."""
    from lrtui.scenario.library import find_builtin

    app = LrtuiApp([find_builtin(name).load()])
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        landscape = app.screen.query_one("#landscape")
        first = landscape.render().plain.splitlines()[0].rstrip()
        if "min" in first:  # a short panel gives its rows to the map and has no caption
            assert first.removesuffix("  z: zoom").endswith("path") and len(first) <= landscape.size.width, first
