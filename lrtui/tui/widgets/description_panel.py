"""The scenario's description: what it shows, what to watch, what to try."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lrtui.text import visible
from lrtui.tui.widgets.chart import to_ascii


class DescriptionPanel(Static):
    _shown: Text | None = None

    def redraw(self, session) -> None:
        scenario = session.scenario
        words = visible(" ".join(scenario.description.split())) or "(no description)"
        if getattr(self.app, "ascii_only", False):  # a user's file may hold any glyph
            words = to_ascii(words)
        text = Text()
        text.append(visible(scenario.name) + "\n", style="bold")
        text.append(words)
        text.append("\n\npress d to hide this, ? for keys", style="dim")
        if text != self._shown:  # an update re-lays out the screen: only when the scenario changed
            self._shown = text
            self.update(text)
