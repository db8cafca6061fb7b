"""The scenario's description: what it shows, what to watch, what to try."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class DescriptionPanel(Static):
    def redraw(self, session) -> None:
        scenario = session.scenario
        text = Text()
        text.append(scenario.name + "\n", style="bold")
        text.append(" ".join(scenario.description.split()) or "(no description)")
        text.append("\n\npress d to hide this, ? for keys", style="dim")
        self.update(text)
