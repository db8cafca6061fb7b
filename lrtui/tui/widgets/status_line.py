"""Scenario, step, and per run: lr, loss, gradient norm and state."""

from __future__ import annotations

import math

import numpy as np

from rich.text import Text
from textual.widgets import Static

from lrtui.scenario.library import COURSE_ORDER
from lrtui.text import visible
from lrtui.tui.widgets.panel import Panel
from lrtui.tui.palette import PlotPalette, app_palette, rich_run_color


def _num(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.3g}"  # an LR a schedule drove to infinity shows as inf


def in_words(code: str) -> str:
    """A verdict's id as the learner reads it: 'too_slow' -> 'too slow'."""
    return code.replace("_", " ")


def percent(fraction: float) -> str:
    """'125%', '3%', '0.05%': two significant digits below 10%, so a small fraction never reads as 0%."""
    value = 100 * fraction
    return f"{value:.0f}%" if abs(value) >= 10 or value == 0 else f"{value:.2g}%"


def test_accuracy(exp, run: int) -> float:
    """The run's latest test accuracy (a data model's, measured every `eval_every` steps), or NaN."""
    sim, local = exp.locate(run)
    if "test_accuracy" not in getattr(sim.history, "_index", {}):
        return math.nan
    since = max(0, sim.step_count - 2 * sim.eval_every - 1)
    values = sim.history.envelope("test_accuracy", local, since=since).last
    values = values[np.isfinite(values)]
    return float(values[-1]) if values.size else math.nan


def visible_runs(n_runs: int, focused: int, rows: int) -> range:
    """The runs the status area shows: all when they fit, else a window that holds the focused run."""
    if n_runs <= rows:
        return range(n_runs)
    rows = max(1, rows - 1)  # one line says how many are left out
    start = min(max(0, focused - rows // 2), n_runs - rows)
    return range(start, start + rows)


def status_text(session, palette: PlotPalette, run_rows: int = 10) -> Text:
    """With a NO_COLOR palette each run is shown with its plot marker, which colour cannot tell apart."""
    exp = session.experiment
    state = "playing" if session.playing else ("finished" if session.finished else "paused")
    text = Text(no_wrap=True, overflow="crop" if palette.ascii_only else "ellipsis")
    text.append(f" {visible(session.scenario.name)} ", style="bold")
    if session.lesson:
        text.append(f" lesson {session.lesson} of {len(COURSE_ORDER)} ", style="dim")
    text.append(f" step {exp.step_count}/{session.scenario.steps}  {state}  x{session.speed}")
    rate = session.steps_per_second
    if session.playing and math.isfinite(rate):
        text.append(f"  {rate:,.0f} steps/s", style="dim")
    text.append("\n")
    shown = visible_runs(exp.n_runs, session.focused, run_rows)
    for run in shown:
        now = exp.current(run)
        diverged = now["diverged_at"] >= 0
        marker = ">" if run == session.focused else " "
        text.append(f"{marker}", style="bold")
        text.append(f"{palette.swatch(run)} {visible(exp.labels[run])} ", style=rich_run_color(run, diverged))
        if diverged:
            if now["diverged_at"] == 0:  # no update has run yet: the start itself is not finite
                text.append("  NOT FINITE at the start: change loss.start", style="bold red")
            else:
                text.append(f"  DIVERGED at step {now['diverged_at']}: lr too high", style="bold red")
        else:
            text.append(f"  lr {_num(now['lr'])}  loss {_num(now['loss'])}")
            accuracy = test_accuracy(exp, run)
            if math.isfinite(accuracy):  # before the rest: at 80 columns it must not be cut off
                text.append(f"  test acc {100 * accuracy:.1f}%", style="bold")
            text.append(f"  |g| {_num(now['grad_norm'])}")
            gauge = exp.gauge(run)
            if math.isfinite(gauge) and gauge < 0:
                # Where the loss curves downwards no step size is unstable: there is no limit to show.
                text.append("  concave here: no lr limit", style="dim")
            elif math.isfinite(gauge):
                style = "bold red" if gauge >= 1 else ("yellow" if gauge >= 0.8 else "green")
                text.append(f"  lr {percent(gauge)} of limit", style=style)
            verdict = exp.verdict(run)
            if verdict != "improving":
                text.append(f"  {in_words(verdict)}", style="yellow" if verdict != "converged" else "green")
        text.append("\n")
    hidden = exp.n_runs - len(shown)
    if hidden:
        text.append(f"  ... {hidden} more run{'s' * (hidden != 1)}: tab moves through them\n", style="dim")
    if session.message:
        text.append(f" {visible(session.message)}", style="italic")  # messages quote file names and labels
    return text


class StatusLine(Panel, Static):
    _shown: Text | None = None

    def redraw(self, view) -> None:
        # The status area takes at most a third of the screen: the runs beyond it scroll with tab.
        rows = max(3, self.screen.size.height // 3 - 2)
        text = status_text(view.session, app_palette(self.app, bool(getattr(self.app, "ascii_only", False))), rows)
        if text != self._shown:  # an update re-lays out the screen: only when something changed
            self._shown = text
            self.update(text)
