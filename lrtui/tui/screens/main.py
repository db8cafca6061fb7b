"""The main screen: loss and LR on the left, the lesson and the side panels on the right, status below.

The view flags (log scale, smoothing, how much of the description shows) are this screen's
reactives; every panel is a Panel, asked whether it applies to the view and then to redraw.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen

from lrtui.tui.view import DESCRIPTION_MODES, View
from lrtui.tui.widgets.adaptive_panel import AdaptivePanel, is_effective_key
from lrtui.tui.widgets.curvature_panel import CurvaturePanel
from lrtui.tui.widgets.decision_panel import DecisionPanel
from lrtui.tui.widgets.description_panel import DescriptionPanel
from lrtui.tui.widgets.diagnostics_panel import DiagnosticsPanel
from lrtui.tui.widgets.footer import NARROW_WIDTH, LrtuiFooter
from lrtui.tui.widgets.landscape_panel import LandscapePanel
from lrtui.tui.widgets.loss_panel import LossPanel
from lrtui.tui.widgets.lr_panel import LRPanel
from lrtui.tui.widgets.panel import Panel
from lrtui.tui.widgets.status_line import StatusLine


# The rows each side panel needs at least (app.tcss): what the description leaves them in a short window.
SIDE_MIN_ROWS = {"landscape": 4, "curvature": 8, "decision": 6, "adaptive": 8, "diagnostics": 4}
# The panels `z` zooms, in turn: the side pictures first (the smallest in a short window), then the curves.
ZOOMABLE = ("landscape", "curvature", "decision", "adaptive", "loss", "lr")
ZOOM_NAMES = {"landscape": "the landscape", "curvature": "the curvature panel", "decision": "the decision regions",
              "adaptive": "the effective-LR panel", "loss": "the loss chart", "lr": "the LR chart"}


class MainScreen(Screen):
    ALLOW_IN_MAXIMIZED_VIEW = "#status, LrtuiFooter"  # a zoomed panel keeps the runs' status and the keys

    log_scale: reactive[bool | None] = reactive(None)  # None: automatic (log10 once the loss spans a decade)
    smoothing = reactive(False)
    description = reactive("full")

    def __init__(self):
        super().__init__()
        self._scenario = None  # the scenario last drawn: a new one shows its whole description again

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
        yield LrtuiFooter()

    def on_mount(self) -> None:
        self.call_after_refresh(self.app.redraw)  # the first frame, once the panels have their sizes

    def on_screen_resume(self) -> None:
        self.app.redraw()

    def cycle_description(self) -> None:
        self.description = DESCRIPTION_MODES[(DESCRIPTION_MODES.index(self.description) + 1) % len(DESCRIPTION_MODES)]

    def scroll_description(self, direction: int) -> None:
        """PgDn/PgUp: the description a page on or back (it shows again first if `d` had hidden it, and the
        whole lesson once the task alone has been seen)."""
        panel = self.query_one(DescriptionPanel)
        if self.description == "off":
            self.description = "full"
            return
        if direction > 0 and self.description == "task" and not panel.at_more():
            # The task alone was shown whole: PgDn goes on to the rest of the lesson, a page on, past the task it
            # had shown (walkthrough 15a, F14: at 80x24 the first PgDn changed only the frame's hint)
            self.description = "full"
            def on():  # a page on less a row: the lesson's name, which follows the task, comes whole
                panel.scroll_relative(y=max(1, panel.scrollable_content_region.height - 1), animate=False)

            self.call_after_refresh(lambda: self.call_after_refresh(on))
            return
        if direction > 0:
            panel.scroll_page_down(animate=False)
        else:
            panel.scroll_page_up(animate=False)

    def cycle_zoom(self) -> str:
        """`z`: the next chart panel shown fills the main area (status and keys stay); after the last, back to
        the whole screen. Escape goes back too. Returns what happened, for the message line."""
        shown = [name for name in ZOOMABLE if self.query_one(f"#{name}").display]
        current = self.maximized.id if self.maximized is not None else None
        following = shown[shown.index(current) + 1:] if current in shown else ([] if current else shown)
        if not following:
            self.minimize()
            return "zoom off: every panel shows again (z zooms one)"
        self.maximize(self.query_one(f"#{following[0]}"), container=False)
        self.call_after_refresh(self.app.redraw)
        more = "z: the next panel" if len(following) > 1 else "z: back"
        name = ZOOM_NAMES[following[0]]
        picture = getattr(self.query_one(f"#{following[0]}"), "picture", None)
        if following[0] == "lr" and picture is not None and is_effective_key(picture.title):
            name = ZOOM_NAMES["adaptive"]  # it has the LR chart's place in a short window (walkthrough 24b, B3)
        return f"zoomed: {name} ({more}, escape: back)"

    def watch_maximized(self, widget) -> None:
        if widget is not None:
            return
        panel = self.query_one(DiagnosticsPanel)
        if panel.display:  # back from a zoom: enter explains the focused run again (walkthrough 6, D21)
            self.call_after_refresh(panel.focus)
        session = getattr(self.app, "session", None)
        if session is not None and session.message.startswith("zoomed"):
            session.message = "zoom off: every panel shows again (z zooms one)"  # escape, or the panel went away
            self.call_after_refresh(self.app.redraw)

    def _view_changed(self, *panels: type) -> None:
        """Redraw only the panels a view flag changes (a key that changes the view stays fast while playing)."""
        app = self.app
        if not self.is_attached or not app.is_running or app.main is not self or app.stepping:
            return  # the frame after the chunk of play draws it
        view = self.view(app.session, app.ascii_only)
        for panel in self.query(Panel):
            if isinstance(panel, panels):
                panel.display = panel.applies(view)
                if panel.display:
                    panel.redraw(view)

    def watch_log_scale(self) -> None:
        self._view_changed(LossPanel)

    def watch_smoothing(self) -> None:
        self._view_changed(LossPanel)

    def watch_description(self) -> None:
        self._view_changed(DescriptionPanel)

    def on_resize(self) -> None:
        self.call_after_refresh(self._size_description)
        # Below 100 columns the footer drops the padding around each key and the ^p hint (the help
        # panel lists the palette), so that its keys, up to ? and q, still fit in 80 columns.
        footer = self.query_one(LrtuiFooter)
        footer.compact = self.size.width < 100
        footer.narrow = self.size.width < NARROW_WIDTH
        footer.room = self.size.width if footer.narrow else 0  # (a wide footer is not recomposed on each resize)
        footer.show_command_palette = self.size.width >= 100 and not getattr(self.app, "ascii_only", False)

    def on_option_list_option_selected(self, event) -> None:
        panel = self.query_one(DiagnosticsPanel)
        if 0 <= event.option_index < len(panel.entries) and panel.entries[event.option_index] is not None:
            # The verdict (the first option) is read when shown, after the chunk of play under way: as it is then.
            chosen = None if event.option_index == 0 else panel.entries[event.option_index]
            self.app.call_later(self.app.show_explanation, chosen)

    def view(self, session, ascii_only: bool = False) -> View:
        return View(session, self.log_scale, self.smoothing, self.description, ascii_only, self.size.height or 30)

    def redraw(self, session, ascii_only: bool = False) -> None:
        if session.scenario is not self._scenario:
            self._scenario = session.scenario
            # A short window opens a lesson at its task and challenge; PgDn or d d shows the rest.
            self.set_reactive(MainScreen.description, "full" if self.size.height >= 30 else "task")
            # ...and with the automatic loss scale: an `l` pressed in lesson 3 had opened lesson 4 in linear, which
            # hid the flat stretch its task points at (walkthrough 12a, E7).
            self.set_reactive(MainScreen.log_scale, None)
            # ...and unsmoothed: `m` from lesson 7 had flattened lesson 1's bounce into one line (walkthrough 19a, Q11)
            self.set_reactive(MainScreen.smoothing, False)
        view = self.view(session, ascii_only)
        # The side panels that fit the focused run: a landscape for 2-D losses, curvature for models
        # and n-D losses, decision regions for 2-D data, effective LRs for adaptive optimizers.
        for panel in self.query(Panel):
            panel.ascii_only = ascii_only
            shown = panel.applies(view)
            panel.display = shown
            if shown:
                panel.redraw(view)
        if self.maximized is not None and not self.maximized.display:
            self.minimize()  # the zoomed panel has nothing to show for the run now focused
        self._size_description()

    def _size_description(self) -> None:
        """In a short window the lesson's task and challenge need more than 40% of the side column: the
        description takes what the other side panels leave above their least rows."""
        side = self.query_one("#side")
        if not side.size.height:
            return
        if self.size.height >= 30:
            room = int(0.4 * side.size.height)
        else:
            others = sum(SIDE_MIN_ROWS[panel.id] for panel in side.children
                         if panel.id in SIDE_MIN_ROWS and panel.display)
            room = max(int(0.4 * side.size.height), min(side.size.height - others, int(0.6 * side.size.height)))
        description = self.query_one(DescriptionPanel)
        if description.styles.max_height is None or description.styles.max_height.value != room:
            description.styles.max_height = room
