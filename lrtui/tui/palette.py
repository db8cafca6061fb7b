"""Plot colours and markers that follow the Textual theme, NO_COLOR and --ascii.

Run i keeps its colour for the whole session; a diverged run takes the theme's
error colour. Colours are taken from the theme's variables (primary, accent,
success, warning, secondary), and hue turns of the primary fill in when a
sweep has more runs than the theme has distinct colours. Panels describe
colours by role (a run number, or a name below) and a PlotPalette resolves
them when the plot is built, so a theme switch recolours the plots at once.

Under NO_COLOR every colour is dropped, so each run gets its own marker
character instead, and the legend shows it beside the run's label.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

from textual.color import Color

DIVERGED = "diverged"
MARKER = "muted"  # the user's changes (LR, optimizer, schedule, fork), the current step
SCHEDULE_MARKER = "warning"  # the schedule's own moves
PLAN_COLOR = "muted"
MINIMUM = "foreground"

THEME_RUN_VARIABLES = ("primary", "accent", "success", "warning", "secondary")
# Distinct, ASCII and not a box glyph, so they serve both NO_COLOR and --ascii.
RUN_MARKERS = ("*", "+", "o", "x", "#", "%", "@", "=", "&", "$")
MIN_DISTANCE = 60.0  # RGB distance under which two theme colours read as the same
MIN_CONTRAST = 2.5  # a run's line against the background (a dark blue on a dark theme is skipped)
FALLBACK_THEME = {"primary": "#0178D4", "secondary": "#004578", "accent": "#ffa62b", "warning": "#ffa62b",
                  "error": "#ba3c5b", "success": "#4EBF71", "foreground": "#e0e0e0", "background": "#121212"}


@dataclass(frozen=True)
class RunStyle:
    color: object  # an (r, g, b) tuple plotext accepts, or "default" under NO_COLOR
    marker: str | None  # None: the chart's default (braille, or dot with --ascii)


def _rgb(value: str) -> tuple[int, int, int]:
    return Color.parse(value).rgb


def colour_distance(a, b) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def _contrast(a, b) -> float:
    """WCAG contrast ratio of two RGB colours (1 = none, 21 = black on white)."""
    def luminance(rgb):
        linear = [(v / 255) / 12.92 if v <= 10 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def run_colors(variables: dict[str, str], count: int) -> list[tuple[int, int, int]]:
    """`count` distinct colours from the theme: its own colours first, then turns of the primary hue."""
    error = _rgb(variables.get("error", FALLBACK_THEME["error"]))
    background = _rgb(variables.get("background", FALLBACK_THEME["background"]))
    chosen: list[tuple[int, int, int]] = []
    for name in THEME_RUN_VARIABLES:
        if name in variables and len(chosen) < count:
            rgb = _rgb(variables[name])
            if _contrast(rgb, background) >= MIN_CONTRAST and all(
                    colour_distance(rgb, c) >= MIN_DISTANCE for c in [*chosen, error]):
                chosen.append(rgb)
    primary = _rgb(variables.get("primary", FALLBACK_THEME["primary"]))
    hue, light, saturation = colorsys.rgb_to_hls(*(v / 255 for v in primary))
    # Lightness that stands out from the background: light lines on dark themes, dark on light ones.
    light = 0.65 if sum(background) < 3 * 128 else 0.4
    saturation = max(saturation, 0.6)
    turn = 0
    while len(chosen) < count:
        turn += 1
        h = (hue + turn * 0.381966) % 1.0  # golden-ratio turns never repeat a hue
        rgb = tuple(int(round(255 * v)) for v in colorsys.hls_to_rgb(h, light, saturation))
        if all(colour_distance(rgb, c) >= MIN_DISTANCE / 2 for c in [*chosen, error]) or turn > 64:
            chosen.append(rgb)
    return chosen


class PlotPalette:
    """Resolves colour roles to what plotext or Rich accept, for one theme and colour mode."""

    def __init__(self, variables: dict[str, str] | None = None, no_color: bool = False, ascii_only: bool = False,
                 runs: int = len(RUN_MARKERS)):
        self.variables = {**FALLBACK_THEME, **(variables or {})}
        self.no_color = no_color
        self.ascii_only = ascii_only
        self._runs = run_colors(self.variables, max(1, runs))

    def _run_rgb(self, run: int) -> tuple[int, int, int]:
        if run >= len(self._runs):
            self._runs = run_colors(self.variables, max(run + 1, 2 * len(self._runs)))
        return self._runs[run]

    def rgb(self, role) -> tuple[int, int, int]:
        """The RGB of a role: a run number, DIVERGED, "muted", or any theme variable name."""
        if isinstance(role, int):
            return self._run_rgb(role)
        if role == DIVERGED:
            return _rgb(self.variables["error"])
        if role == "muted":
            fg, bg = Color.parse(self.variables["foreground"]), Color.parse(self.variables["background"])
            if colour_distance(fg.rgb, bg.rgb) < MIN_DISTANCE:  # ANSI themes leave both to the terminal
                return (128, 128, 128)
            return bg.blend(fg, 0.55).rgb
        return _rgb(self.variables.get(role, self.variables["foreground"]))

    def color(self, role):
        """For plotext: an (r, g, b) tuple, or "default" under NO_COLOR."""
        return "default" if self.no_color else self.rgb(role)

    def rich(self, role) -> str | None:
        """For Rich styles: "#rrggbb", or None under NO_COLOR."""
        return None if self.no_color else Color(*self.rgb(role)).hex

    def swatch(self, run: int) -> str:
        """The glyph that stands for a run in text: its plot marker under NO_COLOR, else a coloured square."""
        return self.run_marker(run) or ("#" if self.ascii_only else "■")

    def run_marker(self, run: int) -> str | None:
        """A marker character per run when colour cannot tell runs apart (NO_COLOR), else None."""
        return RUN_MARKERS[run % len(RUN_MARKERS)] if self.no_color else None

    def run(self, run: int, diverged: bool = False) -> RunStyle:
        return RunStyle(self.color(DIVERGED if diverged else run), self.run_marker(run))


def run_style(palette: PlotPalette, run: int, diverged: bool = False) -> RunStyle:
    return palette.run(run, diverged)


# The palette of the theme last drawn with, for widgets that colour text outside a chart (status line,
# diagnostics); a chart sets it whenever the theme or the colour mode changes.
_active = PlotPalette()


def set_active_palette(palette: PlotPalette) -> None:
    global _active
    _active = palette


def run_color(run: int, diverged: bool = False):
    """A run's colour role for a Chart line: the run number, or DIVERGED."""
    return DIVERGED if diverged else run


def rich_run_color(run: int, diverged: bool = False) -> str:
    """A Rich colour ("#rrggbb", no attributes) of the current theme, usable as a style and as Style(color=...)."""
    return Color(*_active.rgb(DIVERGED if diverged else run)).hex


_by_theme: dict[tuple, PlotPalette] = {}


def app_palette(app, ascii_only: bool = False) -> PlotPalette:
    """The palette of an app's current theme and colour mode (Textual drops NO_COLOR from the environment
    once the app starts, and keeps it as app.no_color)."""
    key = (app.theme, bool(getattr(app, "no_color", False)), ascii_only)
    if key not in _by_theme:
        if len(_by_theme) > 32:
            _by_theme.clear()
        _by_theme[key] = PlotPalette(app.theme_variables, key[1], key[2])
    set_active_palette(_by_theme[key])
    return _by_theme[key]
