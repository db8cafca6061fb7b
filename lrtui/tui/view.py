"""What the main screen's panels draw from: the session (the domain) and the screen's view flags.

The flags (log scale, smoothing, how much of the description shows) belong to the screen, as
reactives; the session knows nothing of them. A View bundles both for one redraw.
"""

from __future__ import annotations

from dataclasses import dataclass

DESCRIPTION_MODES = ("full", "task", "off")  # d cycles: the whole text, the lesson's task alone, hidden


@dataclass(frozen=True)
class View:
    session: object  # lrtui.tui.session.Session
    log_scale: bool = False
    smoothing: bool = False
    description: str = "full"
    ascii_only: bool = False
    height: int = 30  # the screen's rows: where space is short, panels make room for each other

    @property
    def experiment(self):
        return self.session.experiment
