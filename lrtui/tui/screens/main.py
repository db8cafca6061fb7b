"""The main screen: loss and LR on the left, landscape and description on the right, status below."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from lrtui.tui.widgets.adaptive_panel import AdaptivePanel, adaptive_applies
from lrtui.tui.widgets.curvature_panel import CurvaturePanel, curvature_applies
from lrtui.tui.widgets.decision_panel import DecisionPanel, decision_applies
from lrtui.tui.widgets.description_panel import DescriptionPanel
from lrtui.tui.widgets.diagnostics_panel import DiagnosticsPanel
from lrtui.tui.widgets.landscape_panel import LandscapePanel
from lrtui.tui.widgets.loss_panel import LossPanel
from lrtui.tui.widgets.lr_panel import LRPanel
from lrtui.tui.widgets.status_line import StatusLine


class MainScreen(Screen):
    def compose(self) -> ComposeResult:
        with Horizontal(id="panels"):
            with Vertical(id="curves"):
                yield LossPanel(id="loss")
                yield LRPanel(id="lr")
            with Vertical(id="side"):
                yield DescriptionPanel(id="description")
                yield LandscapePanel(id="landscape")
                yield CurvaturePanel(id="curvature")
                yield DecisionPanel(id="decision")
                yield AdaptivePanel(id="adaptive")
                yield DiagnosticsPanel(id="diagnostics")
        yield StatusLine(id="status")
        yield Footer()

    def on_resize(self) -> None:
        # Below 100 columns the footer drops the padding around each key and the ^p hint (the help
        # panel lists the palette), so that its keys, up to ? and q, still fit in 80 columns.
        footer = self.query_one(Footer)
        footer.compact = self.size.width < 100
        footer.show_command_palette = self.size.width >= 100 and not getattr(self.app, "ascii_only", False)

    def on_option_list_option_selected(self, event) -> None:
        panel = self.query_one(DiagnosticsPanel)
        if 0 <= event.option_index < len(panel.findings):
            self.app.show_explanation(panel.findings[event.option_index])

    def redraw(self, session, ascii_only: bool = False) -> None:
        self.query_one("#description").display = session.show_description
        for widget in self.query("LossPanel, LRPanel"):
            widget.ascii_only = ascii_only
        for selector in ("#loss", "#lr", "#status", "#description", "#diagnostics"):
            self.query_one(selector).redraw(session)
        # The side panels that fit the focused run: a landscape for 2-D losses, curvature for models
        # and n-D losses, decision regions for 2-D data, effective LRs for adaptive optimizers.
        curvature = curvature_applies(session)
        shown = {"landscape": not curvature, "curvature": curvature,
                 "decision": decision_applies(session), "adaptive": adaptive_applies(session)}
        for name, on in shown.items():
            panel = self.query_one(f"#{name}")
            panel.display = on
            panel.ascii_only = ascii_only
            if on:
                panel.redraw(session)
