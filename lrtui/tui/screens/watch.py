"""The watch screen: a training log's loss and LR on the left, its verdict and findings on the right, the file's
state below. Drawn from the Follower's frames (lrtui.watch_command) by the watch app (lrtui.tui.watch_app)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, OptionList

from lrtui.tui.widgets.log_panels import FindingsPanel, LogLossPanel, LogLRPanel, LogView, VerdictPanel, WatchStatus
from lrtui.tui.widgets.panel import Panel


class WatchScreen(Screen):
    DEFAULT_CSS = """
    WatchScreen #verdict { height: auto; max-height: 70%; border: round $primary; padding: 0 1;
                           overflow-y: auto; scrollbar-size-vertical: 1; }
    WatchScreen #findings { height: 1fr; min-height: 3; border: round $secondary; text-wrap: nowrap;
                            text-overflow: ellipsis; }
    .-ascii WatchScreen #verdict { border: ascii $primary; }
    .-ascii WatchScreen #findings { border: ascii $secondary; text-overflow: clip; }
    """
    log_scale: reactive[bool | None] = reactive(None)  # None: automatic (log10 once the loss spans a decade)

    def __init__(self):
        super().__init__()
        self.frame = None
        self.chosen = None  # the finding picked in the list, None: the verdict

    def compose(self) -> ComposeResult:
        with Horizontal(id="panels"):
            with Vertical(id="curves"):
                yield LogLossPanel(id="loss")
                yield LogLRPanel(id="lr")
            with Vertical(id="side"):
                yield VerdictPanel(id="verdict")
                yield FindingsPanel(id="findings")
        yield WatchStatus(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self.app.redraw)

    def on_resize(self) -> None:
        self.query_one(Footer).compact = self.size.width < 100

    def watch_log_scale(self) -> None:
        self.app.redraw()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        findings = self.query_one(FindingsPanel).findings
        index = event.option_index
        chosen = findings[index] if 0 < index < len(findings) else None  # the first is the verdict itself
        if chosen is not self.chosen:
            self.chosen = chosen
            if self.frame is not None:
                self.query_one(VerdictPanel).redraw(self.view(self.frame))

    def view(self, frame, ascii_only: bool = False) -> LogView:
        paused = bool(getattr(self.app, "paused", False))
        ascii_only = ascii_only or bool(getattr(self.app, "ascii_only", False))
        chosen = self.chosen
        if chosen is not None and (frame.report is None or chosen not in frame.report.diagnoses):
            chosen = self.chosen = None  # judged again: the findings are new
        return LogView(frame, self.log_scale, ascii_only, self.size.height or 30, chosen, paused)

    def redraw(self, frame, ascii_only: bool = False) -> None:
        self.frame = frame
        view = self.view(frame, ascii_only)
        for panel in self.query(Panel):
            panel.ascii_only = ascii_only
            shown = panel.applies(view)
            panel.display = shown
            if shown:
                panel.redraw(view)
