"""What the main screen's panels draw from: the session (the domain) and the screen's view flags.

The flags (log scale, smoothing, how much of the description shows) belong to the screen, as
reactives; the session knows nothing of them. A View bundles both for one redraw.

Panels read a run only through the engine's read-only view of it (`view.run(i)`, an
`lrtui.core.views.RunView`, made once per redraw and shared by every panel), and tell whether
anything changed from `view.revision` (the experiment's revision: it grows with every step,
edit, fork or reset) and the experiment itself (a replay or another scenario is another one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lrtui.core.decimate import RunningColumns

DESCRIPTION_MODES = ("full", "task", "off")  # d cycles: the whole text, the lesson's task alone, hidden


@dataclass(frozen=True)
class View:
    session: object  # lrtui.tui.session.Session
    log_scale: bool | None = False
    smoothing: bool = False
    description: str = "full"
    ascii_only: bool = False
    height: int = 30  # the screen's rows: where space is short, panels make room for each other
    _runs: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def experiment(self):
        return self.session.experiment

    @property
    def n_runs(self) -> int:
        return self.session.experiment.n_runs

    def run(self, run: int):
        """The engine's read-only view of one run (lrtui.core.views.RunView), made once per redraw."""
        found = self._runs.get(run)
        if found is None:
            found = self._runs[run] = self.session.experiment.view(run)
        return found

    @property
    def focused(self):
        return self.run(self.session.focused)

    def key(self, *extra) -> tuple:
        """What a panel's picture depends on: when it is unchanged the panel keeps what it drew."""
        exp = self.session.experiment
        return (exp, exp.revision, self.session.scenario.steps, *extra)


class _Feed:
    """A run's history as RunningColumns reads it (history.envelope(field, run, since)); one per source."""

    def __init__(self, history):
        self.history = history

    def envelope(self, field: str, run: int, since: int = 0):
        return self.history.envelope(field, since)


class ViewColumns:
    """RunningColumns of one field of one run, fed from the run's view: a frame reads only the new steps.

    A view is made afresh for every redraw; its history's `source` says whether it is still the same
    history (a reset or a replay makes another), and only then does the reduction start again."""

    def __init__(self):
        self._feed: _Feed | None = None
        self._source = None
        self._columns = RunningColumns()

    def update(self, history, field: str, columns: int, x_range) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._feed is None or history.source != self._source:
            self._feed, self._source, self._columns = _Feed(history), history.source, RunningColumns()
        self._feed.history = history
        return self._columns.update(self._feed, field, 0, columns, x_range)


def as_view(view_or_session) -> View:
    """A View for helpers that tests also call with a bare session."""
    return view_or_session if isinstance(view_or_session, View) else View(view_or_session)
