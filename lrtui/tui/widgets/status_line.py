"""Scenario, step, and per run: lr, loss, gradient norm and state."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from lrtui.text import visible
from lrtui.tui.palette import PlotPalette, app_palette, rich_run_color


def _num(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.3g}"  # an LR a schedule drove to infinity shows as inf


def status_text(session, palette: PlotPalette) -> Text:
    """With a NO_COLOR palette each run is shown with its plot marker, which colour cannot tell apart."""
    exp = session.experiment
    state = "playing" if session.playing else "paused"
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {visible(session.scenario.name)} ", style="bold")
    text.append(f" step {exp.step_count}/{session.scenario.steps}  {state}  x{session.speed}\n")
    for run in range(exp.n_runs):
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
            text.append(f"  lr {_num(now['lr'])}  loss {_num(now['loss'])}  |g| {_num(now['grad_norm'])}")
            gauge = exp.gauge(run)
            if math.isfinite(gauge) and gauge < 0:
                # Where the loss curves downwards no step size is unstable: there is no limit to show.
                text.append("  concave here: no lr limit", style="dim")
            elif math.isfinite(gauge):
                style = "bold red" if gauge >= 1 else ("yellow" if gauge >= 0.8 else "green")
                text.append(f"  lr {100 * gauge:.0f}% of limit", style=style)
            verdict = exp.verdict(run)
            if verdict != "improving":
                text.append(f"  {verdict}", style="yellow" if verdict != "converged" else "green")
        text.append("\n")
    if session.message:
        text.append(f" {visible(session.message)}", style="italic")  # messages quote file names and labels
    return text


class StatusLine(Static):
    _shown: Text | None = None

    def redraw(self, session) -> None:
        text = status_text(session, app_palette(self.app, bool(getattr(self.app, "ascii_only", False))))
        if text != self._shown:  # an update re-lays out the screen: only when something changed
            self._shown = text
            self.update(text)
