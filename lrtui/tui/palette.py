"""Stable colours: run i keeps its colour for the whole session; red means diverged."""

from __future__ import annotations

RUN_COLORS = ("cyan", "orange", "magenta", "green", "blue", "yellow", "white", "gray")
RICH_RUN_COLORS = ("cyan", "dark_orange", "magenta", "green", "dodger_blue1", "yellow", "white", "grey62")
DIVERGED = "red"
MARKER = "gray"
SCHEDULE_MARKER = "yellow"


def run_color(run: int, diverged: bool = False) -> str:
    return DIVERGED if diverged else RUN_COLORS[run % len(RUN_COLORS)]


def rich_run_color(run: int, diverged: bool = False) -> str:
    """A Rich colour name (no attributes), usable both as a style and as Style(color=...)."""
    return "red" if diverged else RICH_RUN_COLORS[run % len(RICH_RUN_COLORS)]
