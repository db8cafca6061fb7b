"""The lrtui app: drive training from the keyboard and watch what the learning rate does."""

from __future__ import annotations

import time
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.worker import Worker

from lrtui.scenario.errors import ScenarioError
from lrtui.scenario.model import Scenario
from lrtui.tui.catalog import CatalogEntry, catalog_entries, one_line_error, try_load
from lrtui.tui.commands import LrtuiCommands
from lrtui.tui.saving import export_runs, save_settings, save_torch_script
from lrtui.tui.screens.main import MainScreen
from lrtui.tui.widgets.loss_panel import next_log_scale
from lrtui.tui.session import Session

PLAY_WORKER = "play"
EXPLICIT_STEP_SECONDS = 10.0
MAX_STEP_SECONDS = 0.02
STEP_SHARE = 0.3  # of each frame (20 ms at 15 fps); keys that change the session wait for the chunk
SLOW_CHUNK = 1.0  # seconds: a chunk stepping this long is told of (a toast), with why keys wait for it


class ChunkStepped(Message):
    """The play worker stepped `done` steps of `experiment` in `seconds`."""

    def __init__(self, experiment, done: int, seconds: float):
        super().__init__()
        self.experiment, self.done, self.seconds = experiment, done, seconds


class AsciiScrollBarRender(ScrollBarRender):
    VERTICAL_BARS = HORIZONTAL_BARS = [" "] * 8


class LrtuiApp(App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "lrtui"
    COMMANDS = App.COMMANDS | {LrtuiCommands}

    def _handle_exception(self, error: Exception) -> None:
        """Textual's hook for an unhandled error. A frame written to a terminal that has just closed (the SSH link
        dropped, before the hangup watcher saw it) is the hangup, not a crash: end as SIGHUP would, without a
        traceback on a terminal nobody reads (seen once in make test's hangup test)."""
        import os
        import signal

        from lrtui.process import terminal_gone

        if terminal_gone(error):
            os._exit(128 + signal.SIGHUP)
        super()._handle_exception(error)
    # The footer shows what fits in 100 columns; the help panel (?) and the palette list every key.
    BINDINGS = [
        Binding("space", "play", "play/pause"),
        Binding("n,right", "step(1)", "step"),
        Binding("N,shift+right", "step(10)", "10 steps", show=False),
        Binding("plus", "scale_lr(2)", "lr x2"),
        Binding("minus", "scale_lr(0.5)", "lr /2"),
        Binding("asterisk", "scale_lr(10)", "lr x10", show=False),
        Binding("slash", "scale_lr(0.1)", "lr /10", show=False),
        Binding("o", "cycle_optimizer", "optimizer", show=False),
        Binding("s", "cycle_schedule", "schedule", show=False),
        Binding("c", "fork", "fork x0.3/x1/x3", show=False),
        Binding("tab", "focus_run", "next run", show=False, priority=True),
        Binding("shift+tab", "focus_run(-1)", "previous run", show=False, priority=True),
        Binding("r", "replay", "replay (changes kept)", show=False),
        Binding("R", "reset", "reset to the file", show=False),
        Binding("left_square_bracket", "scenario(-1)", "previous lesson", show=False),
        Binding("right_square_bracket", "scenario(1)", "next lesson", show=False),
        Binding("less_than_sign", "speed(-1)", "slower", show=False),
        Binding("greater_than_sign", "speed(1)", "faster", show=False),
        Binding("l", "toggle_log", "loss scale: auto, other, back", show=False),
        Binding("m", "toggle_smoothing", "smoothing", show=False),
        Binding("d", "toggle_description", "description", show=False),
        Binding("z", "zoom", "zoom a panel", show=False),
        Binding("pagedown", "scroll_description(1)", "scroll the description", show=False, priority=True),
        Binding("pageup", "scroll_description(-1)", "scroll the description back", show=False, priority=True),
        Binding("a", "apply_fix", "apply fix"),
        Binding("b", "browse", "browse lessons", show=False),  # (as the README has it: walkthrough 22b, X10)
        Binding("e", "export", "export CSV+JSON", show=False),
        Binding("w", "save_scenario", "save as TOML", show=False),
        Binding("t", "torch_script", "PyTorch script", show=False),
        Binding("u", "outcomes", "outcome table", show=False),
        Binding("f", "finder", "LR finder"),
        Binding("question_mark,f1", "help", "keys"),
        Binding("g", "help(True)", "glossary", show=False),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, scenarios: list[Scenario], fps: float = 15.0, ascii_only: bool = False):
        super().__init__()
        self.session = Session(scenarios)
        self.fps = max(1.0, min(60.0, float(fps)))
        # Stepping shares the CPU with drawing: a fraction of each frame, so keys and frames keep coming.
        self.step_budget = min(MAX_STEP_SECONDS, STEP_SHARE / self.fps)
        self.ascii_only = ascii_only
        # Scrollbars draw their ends with block glyphs; in --ascii mode the thumb is its colour alone.
        ScrollBar.renderer = AsciiScrollBarRender if ascii_only else ScrollBarRender
        self._chunk: Worker | None = None  # the chunk of play stepping now: only it touches the experiment
        self._chunk_started, self._chunk_noted = 0.0, False  # when it started; whether its slowness was told
        self._redraw_queued = False

    def on_mount(self) -> None:
        self.set_class(self.ascii_only, "-ascii")
        self.push_screen(MainScreen())
        self.set_interval(1.0 / self.fps, self._tick)

    @property
    def main(self) -> MainScreen | None:
        """The main screen (under any modal screen), or None before it is pushed."""
        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    # -- play: one chunk of steps per frame, in a worker thread --------------------------
    def _tick(self) -> None:
        if self.session.playing and self._chunk is None:
            self._chunk_started, self._chunk_noted = time.perf_counter(), False
            self._chunk = self.play_chunk(self.session.experiment, self.session.chunk_steps(self.step_budget))
        else:
            self._note_checking()

    def _note_checking(self) -> None:
        """Say why the screen stands still: a step where the engine checks a finding replays the run at other LRs,
        seconds on a model, and keys wait for it (walkthrough 23a, Y4: lesson 11 froze at step 226 for 6 s, and tab
        and enter took effect 10 s later without a word). A toast, once a chunk, after SLOW_CHUNK seconds: it reads
        nothing the chunk is changing."""
        if not self.stepping or self._chunk_noted or time.perf_counter() - self._chunk_started <= SLOW_CHUNK:
            return
        self._chunk_noted = True
        self.notify("The engine is checking a finding: it trains copies of the run at other LRs, which takes a few "
                    "seconds on a model. Keys take effect when it is done.", title="checking", timeout=4)

    @work(thread=True, exclusive=True, group=PLAY_WORKER, name=PLAY_WORKER)
    def play_chunk(self, experiment, steps: int) -> None:
        """Step the experiment in a thread, so that a step that is slow on its own (a model's step can take
        tens of ms on a loaded machine) never holds up the keys; the session hears of it on the UI thread."""
        started = time.perf_counter()
        done = experiment.step_within(steps, self.step_budget)
        self.post_message(ChunkStepped(experiment, done, time.perf_counter() - started))

    def on_chunk_stepped(self, message: ChunkStepped) -> None:
        self._chunk = None
        if message.experiment is self.session.experiment:
            self.session.played(message.done, message.seconds)
        # At the end of the budget the message points to `u`: the outcome table never opens by itself, where
        # it would take the keys a learner is pressing at that moment (m, l, -) without a word.
        self.redraw()

    async def _chunk_done(self) -> None:
        """Wait for the chunk stepping now, if any: the experiment is the UI thread's again after it."""
        chunk = self._chunk
        if chunk is not None and not chunk.is_finished:
            self._note_checking()
            await chunk.wait()

    @property
    def stepping(self) -> bool:
        """A chunk of play is stepping the experiment in its thread: its history is not to be read now."""
        return self._chunk is not None and not self._chunk.is_finished

    def redraw(self) -> None:
        # Not while the experiment is mid-step (the frame after the chunk draws it), nor while the app
        # shuts down and takes its widgets apart (a chunk can end then).
        if self.stepping or not self.is_running:
            return
        main = self.main
        if main is not None and main.is_attached:
            main.redraw(self.session, self.ascii_only)

    def redraw_soon(self) -> None:
        """Redraw once the current layout settles (several panels resized together draw once)."""
        if not self._redraw_queued:
            self._redraw_queued = True
            self.call_after_refresh(self._queued_redraw)

    def _queued_redraw(self) -> None:
        self._redraw_queued = False
        self.redraw()

    async def _guarded(self, action) -> None:
        """Do a session action once no chunk is stepping; a refused change shows as the message."""
        await self._chunk_done()
        try:
            action()
        except ValueError as exc:
            self.session.message = str(exc)
        self.redraw()

    # -- actions ------------------------------------------------------------------
    def action_play(self) -> None:
        s = self.session
        if s.finished and not s.playing:
            s.message = ("the step budget is used up: r replays with your changes, R resets to the file, "
                         "] opens the next lesson")
        else:
            s.playing = not s.playing  # a chunk already stepping finishes; no new one starts
            s.play_marks.clear()
            s.message = "playing" if s.playing else "paused"
        self.redraw()

    async def action_step(self, n: int) -> None:
        self.session.playing = False

        def step() -> None:
            # All n steps, as asked (tests and snapshots count on it); the budget only guards a huge model.
            done = self.session.advance(n, budget_seconds=EXPLICIT_STEP_SECONDS)
            if done:
                self.session.message = f"+{done} step{'s' * (done != 1)}"
            else:
                self.session.message = "the step budget is used up: r replays with your changes, R resets to the file"

        await self._guarded(step)

    async def action_scale_lr(self, factor: float) -> None:
        await self._guarded(lambda: self.session.scale_lr(float(factor)))

    async def action_cycle_optimizer(self) -> None:
        await self._guarded(self.session.cycle_optimizer)

    async def action_cycle_schedule(self) -> None:
        await self._guarded(self.session.cycle_schedule)

    async def action_fork(self) -> None:
        await self._guarded(self.session.fork)

    def check_action(self, action: str, parameters) -> bool | None:
        """The description's scroll keys are the main screen's only: in a dialog they scroll the dialog."""
        if action == "scroll_description":
            return self.screen is self.main
        return True

    async def action_focus_run(self, delta: int = 1) -> None:
        if self.screen is not self.main:  # tab in a dialog moves between its own widgets
            self.screen.focus_next() if int(delta) > 0 else self.screen.focus_previous()
            return

        def focus() -> None:
            s = self.session
            s.focus_next(int(delta))
            s.message = f"focused run {s.focused}: {s.experiment.view(s.focused).label}"

        await self._guarded(focus)

    async def action_replay(self) -> None:
        await self._guarded(self.session.replay)

    async def action_reset(self) -> None:
        await self._guarded(self.session.reset)

    async def action_scenario(self, delta: int) -> None:
        await self._guarded(lambda: self.session.next_scenario(int(delta)))

    def action_speed(self, delta: int) -> None:
        self.session.change_speed(int(delta))
        self.redraw()

    def action_toggle_log(self) -> None:
        """From the automatic scale, the other one; where the automatic one is log, then log with every decade; then
        the automatic scale again (walkthrough 13b, B6: once `l` was pressed, "log10, auto" never came back)."""
        if (main := self.main) is not None:
            main.log_scale = next_log_scale(main.log_scale, main.query_one("#loss"))

    def action_toggle_smoothing(self) -> None:
        if (main := self.main) is not None:
            main.smoothing = not main.smoothing
            self.session.message = ("smoothing on: the loss curves show an EMA (the raw loss faint behind it)"
                                    if main.smoothing else "smoothing off: the loss curves show the raw loss")
            self.redraw()

    def action_toggle_description(self) -> None:
        if (main := self.main) is not None:
            main.cycle_description()

    def action_zoom(self) -> None:
        if (main := self.main) is not None:
            self.session.message = main.cycle_zoom()
            self.redraw()

    def action_scroll_description(self, direction: int) -> None:
        if (main := self.main) is not None:
            main.scroll_description(int(direction))

    async def action_apply_fix(self) -> None:
        await self._guarded(self.session.apply_fix)

    def action_browse(self) -> None:
        from lrtui.tui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen(catalog_entries(self.session.scenarios), self.session.index))

    def open_entry(self, entry: CatalogEntry) -> str:
        """Open a browser or palette entry; returns "" or the one-line reason it could not be opened."""
        scenario, error = try_load(entry)
        if scenario is None:
            self.session.message = f"cannot open {entry.key}: {error}"
            self.redraw()
        else:
            self.session.playing = False
            self.call_later(self._guarded, lambda: self.session.open_scenario(scenario, entry.session_index))
        return error

    async def action_export(self) -> None:
        def export() -> None:
            try:
                paths = export_runs(self.session)
            except (OSError, ValueError) as exc:
                self.session.message = f"export failed: {one_line_error(exc)}"
            else:
                self.session.message = (f"exported {paths[0]} and {paths[1].suffix} "
                                        f"({self.session.experiment.n_runs} runs)")

        await self._guarded(export)

    async def action_save_scenario(self) -> None:
        def save() -> None:
            try:
                path = save_settings(self.session)
            except (OSError, ValueError, ScenarioError) as exc:
                self.session.message = f"saving failed: {one_line_error(exc)}"
            else:
                self.session.message = f"saved the current settings to {path}"

        await self._guarded(save)

    async def action_outcomes(self) -> None:
        from lrtui.tui.screens.outcomes import OutcomesScreen

        if isinstance(self.screen, OutcomesScreen):
            self.screen.dismiss()
            return
        await self._chunk_done()
        if not isinstance(self.screen, OutcomesScreen):
            self.push_screen(OutcomesScreen(self.session, self.ascii_only))

    async def action_torch_script(self) -> None:
        def write() -> None:
            from lrtui.torch_script import NoTorchScript

            try:
                path, changes, stops = save_torch_script(self.session)
            except NoTorchScript as exc:
                self.session.message = f"no PyTorch script for this run: {exc}"
            except (OSError, ValueError) as exc:
                self.session.message = f"writing the script failed: {one_line_error(exc)}"
            else:
                kept = f" with its {changes} change{'s' * (changes != 1)} at their steps" if changes else ""
                caveat = f"; it stops matching lrtui {stops}" if stops else ""
                where = Path(path).resolve()
                self.session.message = f"wrote {where}{kept}: python {where} > loss.csv{caveat}"

        await self._guarded(write)

    async def action_finder(self) -> None:
        from lrtui.tui.screens.finder import FinderScreen

        s = self.session
        if s.playing:
            s.playing = False
            s.message = "paused for the LR finder"
        await self._chunk_done()
        if not isinstance(self.screen, FinderScreen):
            self.push_screen(FinderScreen(s.experiment, s.focused, seed=s.scenario.seed, ascii_only=self.ascii_only,
                                          steps=s.scenario.steps), self._finder_closed)

    async def _finder_closed(self, choice) -> None:
        s = self.session
        if choice is None:
            s.message = "LR finder closed: nothing changed"
        elif choice.experiment is not s.experiment:
            s.message = "the scenario changed while the LR finder was open: nothing changed"
        else:
            await self._guarded(lambda: s.set_lr(choice.lr, f"LR finder: {choice.rule}", run=choice.run))
            return
        self.redraw()

    async def show_explanation(self, diagnosis) -> None:
        from lrtui.tui.screens.explanation import ExplanationScreen
        from lrtui.tui.beside import beside_note
        from lrtui.tui.climb_note import climb_note
        from lrtui.tui.widgets.adaptive_panel import adagrad_note

        await self._chunk_done()
        s = self.session
        if diagnosis is None:  # the focused run's verdict, as it is now
            diagnosis = s.experiment.summary(s.focused)
        notes = [adagrad_note(s.experiment, diagnosis.run, diagnosis.code, self.ascii_only)
                 or beside_note(s.experiment, diagnosis.run, diagnosis.code),
                 climb_note(s.experiment, diagnosis.run, diagnosis.code)]
        note = "\n\n".join(n for n in notes if n)
        remembered = s.remembered_note(diagnosis.run) if diagnosis.run == s.focused and not diagnosis.fix else ""
        self.push_screen(ExplanationScreen(diagnosis, s.experiment.view(diagnosis.run).label,
                                           focused=diagnosis.run == s.focused, finished=s.finished,
                                           now=s.experiment.step_count, note=note, remembered=remembered))

    def action_help(self, at_glossary: bool = False) -> None:
        from lrtui.tui.screens.keys import KeysScreen

        if isinstance(self.screen, KeysScreen):
            self.screen.dismiss()
        else:
            self.push_screen(KeysScreen(at_glossary))
