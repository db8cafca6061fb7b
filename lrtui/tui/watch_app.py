"""`lrtui watch`'s app: the watch screen, fed a frame at a time by a Follower working in a thread.

Each tick (1/fps seconds) a worker thread polls the log and judges it when due (lrtui.watch_command.Follower);
the frame it returns is drawn on the UI thread. Keys: q quits, l switches the loss axis between log10 and
linear, p pauses the drawing (the log is still read), up/down move through the findings.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.scrollbar import ScrollBar

from lrtui.tui.app import AsciiScrollBarRender
from lrtui.tui.screens.watch import WatchScreen
from lrtui.tui.widgets.loss_panel import next_log_scale

WATCH_WORKER = "watch"
READ_SHARE = 0.4  # of each tick, at most, spent reading while a log is caught up with


class FrameReady(Message):
    def __init__(self, frame):
        super().__init__()
        self.frame = frame


class WatchApp(App):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "lrtui watch"
    BINDINGS = [
        Binding("l", "toggle_log", "log/linear"),
        Binding("p", "pause", "pause drawing"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, follower, fps: float = 2.0, ascii_only: bool = False):
        super().__init__()
        self.follower = follower
        self.fps = max(0.5, min(30.0, float(fps)))
        self.ascii_only = ascii_only
        if ascii_only:
            ScrollBar.renderer = AsciiScrollBarRender
        self.frame = None
        self.paused = False
        self.frames = 0  # frames received from the worker (tests wait on it)
        self._worker = None
        self._redraw_queued = False

    @property
    def watch_screen(self) -> WatchScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, WatchScreen)), None)

    def on_mount(self) -> None:
        self.set_class(self.ascii_only, "-ascii")
        self.push_screen(WatchScreen())
        self.set_interval(1.0 / self.fps, self._tick)
        self._tick()

    def _tick(self) -> None:
        if self._worker is None or self._worker.is_finished:
            self._worker = self.read(READ_SHARE / self.fps)

    @work(thread=True, exclusive=True, group=WATCH_WORKER, name=WATCH_WORKER)
    def read(self, seconds: float) -> None:
        self.post_message(FrameReady(self.follower.step(seconds)))

    def on_frame_ready(self, message: FrameReady) -> None:
        self.frame = message.frame
        self.frames += 1
        if not self.paused:
            self.redraw()

    def redraw(self) -> None:
        screen = self.watch_screen
        if self.frame is None or screen is None or not screen.is_attached or not self.is_running:
            return
        screen.redraw(self.frame, self.ascii_only)

    def redraw_soon(self) -> None:
        if not self._redraw_queued:
            self._redraw_queued = True
            self.call_after_refresh(self._queued_redraw)

    def _queued_redraw(self) -> None:
        self._redraw_queued = False
        self.redraw()

    def action_toggle_log(self) -> None:
        screen = self.watch_screen
        if screen is not None:
            screen.log_scale = next_log_scale(screen.log_scale, screen.query_one("#loss"))

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.redraw()  # once more while paused, to say so
