"""The lrtui app: drive training from the keyboard and watch what the learning rate does."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from lrtui.scenario.errors import ScenarioError
from lrtui.scenario.model import Scenario
from lrtui.tui.catalog import CatalogEntry, catalog_entries, one_line_error, try_load
from lrtui.tui.commands import LrtuiCommands
from lrtui.tui.saving import export_runs, save_settings
from lrtui.tui.screens.main import MainScreen
from lrtui.tui.session import Session


class LrtuiApp(App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    TITLE = "lrtui"
    COMMANDS = App.COMMANDS | {LrtuiCommands}
    BINDINGS = [
        Binding("space", "play", "play/pause"),
        Binding("n,right", "step(1)", "step"),
        Binding("N,shift+right", "step(10)", "10 steps"),
        Binding("plus", "scale_lr(2)", "lr x2"),
        Binding("minus", "scale_lr(0.5)", "lr /2"),
        Binding("asterisk", "scale_lr(10)", "lr x10", show=False),
        Binding("slash", "scale_lr(0.1)", "lr /10", show=False),
        Binding("o", "cycle_optimizer", "optimizer", show=False),
        Binding("s", "cycle_schedule", "schedule", show=False),
        Binding("c", "fork", "fork x0.3/x1/x3", show=False),
        Binding("tab", "focus_run", "next run", show=False, priority=True),
        Binding("r", "reset", "reset"),
        Binding("left_square_bracket", "scenario(-1)", "prev scenario", show=False),
        Binding("right_square_bracket", "scenario(1)", "next scenario", show=False),
        Binding("less_than_sign", "speed(-1)", "slower", show=False),
        Binding("greater_than_sign", "speed(1)", "faster", show=False),
        Binding("l", "toggle_log", "log scale", show=False),
        Binding("m", "toggle_smoothing", "smoothing", show=False),
        Binding("d", "toggle_description", "description", show=False),
        Binding("a", "apply_suggestion", "apply fix"),
        Binding("b", "browse", "scenarios", show=False),
        Binding("e", "export", "export CSV+JSON", show=False),
        Binding("w", "save_scenario", "save as TOML", show=False),
        Binding("question_mark,f1", "help", "keys"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, scenarios: list[Scenario], fps: float = 15.0, ascii_only: bool = False):
        super().__init__()
        self.session = Session(scenarios)
        self.fps = max(1.0, min(60.0, float(fps)))
        self.ascii_only = ascii_only
        self._dirty = True

    def on_mount(self) -> None:
        self.push_screen(MainScreen())
        self.set_interval(1.0 / self.fps, self._tick)

    def _tick(self) -> None:
        if self.session.playing:
            self.session.advance(self.session.speed)
            self._dirty = True
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.redraw(self.session, self.ascii_only)
            self._dirty = False

    def _changed(self) -> None:
        self._dirty = True
        self.redraw()

    # -- actions ------------------------------------------------------------------
    def action_play(self) -> None:
        s = self.session
        if s.finished and not s.playing:
            s.message = "the step budget is used up: press r to reset"
        else:
            s.playing = not s.playing
            s.message = "playing" if s.playing else "paused"
        self._changed()

    def action_step(self, n: int) -> None:
        self.session.playing = False
        done = self.session.advance(n, budget_seconds=1.0)
        self.session.message = f"+{done} steps" if done else "the step budget is used up: press r to reset"
        self._changed()

    def _guarded(self, action) -> None:
        try:
            action()
        except ValueError as exc:
            self.session.message = str(exc)
        self._changed()

    def action_scale_lr(self, factor: float) -> None:
        self._guarded(lambda: self.session.scale_lr(float(factor)))

    def action_cycle_optimizer(self) -> None:
        self._guarded(self.session.cycle_optimizer)

    def action_cycle_schedule(self) -> None:
        self._guarded(self.session.cycle_schedule)

    def action_fork(self) -> None:
        self._guarded(self.session.fork)

    def action_focus_run(self) -> None:
        self.session.focus_next()
        self.session.message = f"focused run {self.session.focused}: {self.session.experiment.labels[self.session.focused]}"
        self._changed()

    def action_reset(self) -> None:
        self.session.reset()
        self._changed()

    def action_scenario(self, delta: int) -> None:
        self.session.open(self.session.index + int(delta))
        self._changed()

    def action_speed(self, delta: int) -> None:
        self.session.change_speed(int(delta))
        self._changed()

    def action_toggle_log(self) -> None:
        self.session.log_scale = not self.session.log_scale
        self._changed()

    def action_toggle_smoothing(self) -> None:
        self.session.smoothing = not self.session.smoothing
        self._changed()

    def action_toggle_description(self) -> None:
        self.session.show_description = not self.session.show_description
        self._changed()

    def action_apply_suggestion(self) -> None:
        self._guarded(self.session.apply_suggestion)

    def action_browse(self) -> None:
        from lrtui.tui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen(catalog_entries(self.session.scenarios), self.session.index))

    def open_entry(self, entry: CatalogEntry) -> str:
        """Open a browser or palette entry; returns "" or the one-line reason it could not be opened."""
        scenario, error = try_load(entry)
        if scenario is None:
            self.session.message = f"cannot open {entry.key}: {error}"
        else:
            self.session.open_scenario(scenario, entry.session_index)
        self._changed()
        return error

    def action_export(self) -> None:
        try:
            paths = export_runs(self.session)
        except (OSError, ValueError) as exc:
            self.session.message = f"export failed: {one_line_error(exc)}"
        else:
            self.session.message = f"exported {paths[0]} and {paths[1].suffix} ({self.session.experiment.n_runs} runs)"
        self._changed()

    def action_save_scenario(self) -> None:
        try:
            path = save_settings(self.session)
        except (OSError, ValueError, ScenarioError) as exc:
            self.session.message = f"saving failed: {one_line_error(exc)}"
        else:
            self.session.message = f"saved the current settings to {path}"
        self._changed()

    def show_explanation(self, diagnosis) -> None:
        from lrtui.tui.screens.explanation import ExplanationScreen

        self.push_screen(ExplanationScreen(diagnosis, self.session.experiment.labels[diagnosis.run]))

    def action_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
