"""Plot colours follow the Textual theme; NO_COLOR keeps runs apart by marker; --ascii draws in ASCII only."""

import pytest
from textual.color import Color

from lrtui.scenario.loader import scenario_from_data
from lrtui.tui.app import LrtuiApp
from lrtui.tui.palette import RUN_MARKERS, PlotPalette, rich_run_color, run_colors
from lrtui.tui.widgets.chart import Chart
from tests.tui.pilot_steps import step_and_draw

THEMES = ["textual-dark", "textual-light", "nord", "gruvbox", "solarized-light", "dracula", "ansi-dark"]


def four_runs(loss: str = "rosenbrock", lrs=(1e-3, 2e-3, 5e-3, 1e-2)):
    data = {"name": "four runs", "steps": 400, "loss": {"type": loss}, "optimizer": {"type": "adam", "lr": 1e-3},
            "sweep": {"optimizer.lr": list(lrs)}}
    return scenario_from_data(data, "four-runs")


async def drawn_app(pilot, app, steps: int = 60):
    await step_and_draw(app, pilot, steps)


def foregrounds(widget) -> set:
    """The RGB foreground colours in what a widget draws."""
    text = widget.render()
    return {span.style.color.triplet for span in text.spans if span.style.color is not None
            and span.style.color.triplet is not None}


async def test_run_colours_come_from_the_theme_and_follow_a_theme_switch():
    app = LrtuiApp([four_runs()])
    async with app.run_test(size=(120, 36)) as pilot:
        await drawn_app(pilot, app)
        loss = app.screen.query_one("#loss", Chart)
        seen = {}
        for theme in ("textual-dark", "nord"):
            app.theme = theme
            await pilot.pause()  # no redraw by the app: the chart recolours itself on the theme change
            palette = PlotPalette(app.theme_variables)
            runs = {palette.rgb(run) for run in range(4)}
            # The theme's own primary colour is run 0's in both themes (it stands out from their backgrounds).
            assert palette.rgb(0) == Color.parse(app.theme_variables["primary"]).rgb
            assert runs <= foregrounds(loss)
            assert Color.parse(rich_run_color(0)).rgb == palette.rgb(0)  # the status line's colours follow too
            seen[theme] = runs
        assert seen["textual-dark"].isdisjoint(seen["nord"])
        app.theme = "textual-dark"
        await pilot.pause()
        assert not seen["nord"] & foregrounds(loss)  # and back again: nothing of nord is left


@pytest.mark.parametrize("theme", THEMES)
async def test_every_theme_gives_distinct_run_colours_apart_from_the_diverged_red(theme):
    app = LrtuiApp([four_runs()])
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = theme
        await pilot.pause()
        palette = PlotPalette(app.theme_variables)
        colours = [palette.rgb(run) for run in range(12)]
        assert len(set(colours)) == 12
        assert palette.rgb("diverged") not in colours
        assert run_colors(app.theme_variables, 8) == colours[:8]  # stable: run i keeps its colour


async def test_no_color_gives_each_run_its_own_marker_and_the_legend_shows_it(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = LrtuiApp([four_runs()])
    async with app.run_test(size=(120, 36)) as pilot:
        assert app.no_color
        await drawn_app(pilot, app)
        loss = app.screen.query_one("#loss", Chart)
        exp = app.session.experiment
        runs = [line for line in loss.picture.lines if line.label in exp.labels]
        assert [line.marker for line in runs] == list(RUN_MARKERS[:4])
        plain = loss.render().plain
        for marker, label in zip(RUN_MARKERS, exp.labels):
            assert f"{marker}{marker} {label}" in plain  # the legend: the run's marker, then its label
            assert plain.count(marker) > 3  # and the curve drawn with it
        assert not foregrounds(loss) & {PlotPalette(app.theme_variables).rgb(run) for run in range(4)}
        lr = app.screen.query_one("#lr", Chart)
        markers = [line.marker for line in lr.picture.lines if line.marker in RUN_MARKERS]
        assert sorted(markers) == sorted(RUN_MARKERS[:4])  # each run its own marker
        assert markers[-1] == RUN_MARKERS[app.session.focused]  # the focused run drawn last, on top (21a, U1)
        adaptive = app.screen.query_one("#adaptive", Chart)
        # the focused run's spread (max, median, min, lr) and the other adaptive runs' medians, each its own marker
        assert len({line.marker for line in adaptive.picture.lines}) == len(adaptive.picture.lines) >= 4


async def test_no_color_landscape_numbers_each_run_path_without_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    # Faster runs first: each path runs on past the slower ones drawn over it, so every number shows.
    app = LrtuiApp([four_runs("himmelblau", (0.2, 0.1, 0.05, 0.02))])
    async with app.run_test(size=(120, 36)) as pilot:  # a map 7 rows high (under its caption): no path hides another
        await drawn_app(pilot, app, 200)
        landscape = app.screen.query_one("#landscape")
        text = landscape.render()
        assert {"0", "1", "2", "3"} <= set(text.plain)
        assert all(span.style.color is None and span.style.bgcolor is None for span in text.spans
                   if hasattr(span.style, "color"))


async def test_with_colour_runs_are_told_apart_by_colour_not_marker():
    app = LrtuiApp([four_runs()])
    async with app.run_test(size=(120, 36)) as pilot:
        await drawn_app(pilot, app)
        loss = app.screen.query_one("#loss", Chart)
        # The runs' curves (the lines with a label); single-point marks (a finding's "!", a divergence's "x")
        # carry a glyph of their own.
        curves = [line for line in loss.picture.lines if line.label]
        assert curves and all(line.marker is None for line in curves)
        assert any(0x2800 <= ord(c) <= 0x28FF for c in loss.render().plain)  # braille


def glyphs_in_plots(app) -> str:
    widgets = [*app.screen.query(Chart), app.screen.query_one("#landscape")]
    return "".join(widget.render().plain for widget in widgets if widget.display)


@pytest.mark.parametrize("loss", ["rosenbrock", "quadratic"])
async def test_ascii_draws_no_braille_and_no_box_glyphs(loss):
    for ascii_only in (False, True):
        app = LrtuiApp([four_runs(loss)], ascii_only=ascii_only)
        async with app.run_test(size=(120, 36)) as pilot:
            await drawn_app(pilot, app)
            drawn = glyphs_in_plots(app)
            braille = any(0x2800 <= ord(c) <= 0x28FF for c in drawn)
            boxes = any(0x2500 <= ord(c) <= 0x257F for c in drawn)
            if ascii_only:
                assert drawn.isascii() and not braille and not boxes
                assert "|" in drawn and "-" in drawn  # the frame is still drawn, in ASCII
            else:
                assert braille and boxes  # the same plots without --ascii: the check above can fail
