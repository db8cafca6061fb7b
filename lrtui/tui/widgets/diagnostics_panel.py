"""Diagnoses as they appear: step, severity colour, message and the suggested fix."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lrtui.tui.palette import PlotPalette, app_palette, rich_run_color
from lrtui.tui.widgets.chart import to_ascii
from lrtui.tui.widgets.panel import Panel

TITLES = ("diagnostics (enter: explain, a: apply fix)", "diagnostics (enter, a)", "diagnostics")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def suggestion_text(suggestion: dict) -> str:
    return ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in suggestion.items())


def diagnosis_line(d, label: str, palette: PlotPalette) -> Text:
    ascii_only = palette.ascii_only
    text = Text(no_wrap=True, overflow="crop" if ascii_only else "ellipsis")
    text.append(f"{d.step:>6} ", style="dim")
    text.append(f"{palette.swatch(d.run)} ", style=rich_run_color(d.run))
    text.append(f"{d.severity:<7} ", style=SEVERITY_STYLE.get(d.severity, ""))
    text.append(to_ascii(d.message) if ascii_only else d.message)
    if d.suggestion:
        arrow = "->" if ascii_only else "→"
        text.append(f"  {arrow} a: {suggestion_text(d.suggestion)}", style="bold")
    return text


class DiagnosticsPanel(Panel, OptionList):
    """The list of findings, newest last; enter shows one in full."""

    DEFAULT_CSS = "DiagnosticsPanel { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "diagnostics (enter: explain, a: apply fix)"
        self.findings: list = []
        self._shown: list | None = None  # None until the first redraw, so the empty state is drawn too

    def redraw(self, view) -> None:
        # A border title wider than the box is cut with "…": pick one that fits (and stays ASCII).
        width = self.size.width or 80
        self.border_title = next(t for t in TITLES if len(t) + 4 <= width or t == TITLES[-1])
        exp = view.session.experiment
        findings = exp.diagnoses()
        shown = [(d.run, d.code, d.step) for d in findings]
        if shown == self._shown:
            return
        self._shown = shown
        self.findings = findings
        highlighted = self.highlighted
        self.clear_options()
        if not findings:
            self.add_option(Option(Text("no findings yet: step or press space", style="dim"), disabled=True))
            return
        palette = app_palette(self.app, bool(getattr(self.app, "ascii_only", False)))
        self.add_options(Option(diagnosis_line(d, exp.labels[d.run], palette)) for d in findings)
        self.highlighted = len(findings) - 1 if highlighted is None else min(highlighted, len(findings) - 1)
