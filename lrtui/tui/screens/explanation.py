"""One diagnosis in full: its message, the evidence with numbers, and the suggested change."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from lrtui.tui.widgets.diagnostics_panel import SEVERITY_STYLE, suggestion_text


class ExplanationScreen(ModalScreen):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "close")]
    DEFAULT_CSS = """
    ExplanationScreen { align: center middle; }
    ExplanationScreen > Vertical { width: 80%; max-width: 90; height: auto; border: round $primary;
                                   background: $surface; padding: 1 2; }
    """

    def __init__(self, diagnosis, label: str):
        super().__init__()
        self.diagnosis = diagnosis
        self.label = label

    def compose(self) -> ComposeResult:
        d = self.diagnosis
        text = Text()
        text.append(f"{d.code.replace('_', ' ')} ", style=SEVERITY_STYLE.get(d.severity, "bold"))
        text.append(f"({d.severity}) at step {d.step}, run {d.run}: {self.label}\n\n", style="dim")
        text.append(d.message + "\n\n", style="bold")
        text.append(d.explanation + "\n")
        if d.suggestion:
            text.append(f"\nSuggested: {suggestion_text(d.suggestion)}  (press a on the main screen)\n", style="bold")
        text.append("\nescape to close", style="dim")
        with Vertical():
            yield Static(text)
