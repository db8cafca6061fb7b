"""The outcome of every run, in one table: the in-app twin of `lrtui run`'s summary (lrtui.export.to_table).

Opens on `u`, and by itself when play reaches the end of the step budget. Per run: the verdict
in words, the final and best loss, the test accuracy (data models), the steps taken, and the
changes made to it during the run (LR, optimizer, schedule, forks).
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from lrtui.export import run_summary
from lrtui.scenario.challenges import best_constant_lr, challenge_for, final_metric
from lrtui.tui.widgets.chart import to_ascii

CHANGE_WORDS = {"lr": "lr", "optimizer": "optimizer", "schedule": "schedule", "fork": "fork"}


def _loss(value) -> str:
    return "nan/inf" if value is None else f"{value:.4g}"


def changes_made(exp, run: int) -> str:
    counts = Counter(CHANGE_WORDS[e.kind] for e in exp.events if e.run == run and e.kind in CHANGE_WORDS)
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "none"


def outcome_rows(exp) -> list[list[str]]:
    rows = []
    for run in range(exp.n_runs):
        summary = run_summary(exp, run)
        accuracy = summary.get("test_accuracy")
        rows.append([str(run), summary["label"], summary["verdict"].replace("_", " "), _loss(summary["final_loss"]),
                     _loss(summary["best_loss"]), "" if accuracy is None else f"{100 * accuracy:.1f}%",
                     str(summary["steps"]), changes_made(exp, run)])
    return rows


class OutcomesScreen(ModalScreen):
    BINDINGS = [Binding("escape,u,q,enter", "dismiss", "close")]
    DEFAULT_CSS = """
    OutcomesScreen { align: center middle; }
    OutcomesScreen > Vertical { width: 96%; max-width: 130; height: auto; max-height: 90%; border: round $primary;
                                background: $surface; padding: 0 1; }
    OutcomesScreen DataTable { height: auto; max-height: 20; }
    OutcomesScreen Static { height: auto; }
    """

    def __init__(self, session, ascii_only: bool = False):
        super().__init__()
        self.session = session
        self.ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        exp, scenario = self.session.experiment, self.session.scenario
        head = Text()
        head.append(f"Outcomes: {scenario.name}", style="bold")
        head.append(f"  step {exp.step_count} of {scenario.steps}", style="dim")
        table = DataTable(zebra_stripes=True, cursor_type="row")
        table.add_columns("run", "label", "verdict", "final loss", "best loss", "test acc", "steps", "changes made")
        for row in outcome_rows(exp):
            table.add_row(*(to_ascii(cell) if self.ascii_only else cell for cell in row))
        with Vertical():
            yield Static(head)
            yield table
            yield Static("", id="challenge")
            yield Static(Text("escape closes; r replays, ] opens the next lesson", style="dim"))

    def on_mount(self) -> None:
        session = self.session
        challenge = challenge_for(session.scenario.source) if session.lesson else None
        if challenge is None or challenge.run >= session.experiment.n_runs:
            return
        self.challenge = challenge
        self._show_challenge("the best constant LR: sweeping the run on copies...")
        scenario = session.scenario
        self.run_worker(lambda: best_constant_lr(scenario, challenge), thread=True, name="best lr",
                        exclusive=True, exit_on_error=False)

    def _show_challenge(self, best: str) -> None:
        challenge, exp = self.challenge, self.session.experiment
        value = final_metric(exp, challenge.run, challenge.metric)
        changed = {e.kind for e in exp.events if e.run == challenge.run} & {"optimizer", "fork"}
        text = Text()
        text.append(f"Challenge: {challenge.text}.\n", style="bold")
        if exp.step_count < self.session.scenario.steps:
            verdict, style = f"run {challenge.run} is at {challenge.shown(value)} so far (step {exp.step_count})", "dim"
        elif changed:
            verdict, style = f"not counted: the run's {' and '.join(sorted(changed))} changed", "yellow"
        elif challenge.met(value):
            verdict, style = f"done: run {challenge.run} ends at {challenge.shown(value)}", "bold green"
        else:
            verdict, style = f"not yet: run {challenge.run} ends at {challenge.shown(value)}", "yellow"
        text.append(verdict + "\n", style=style)
        text.append(best, style="dim")
        self.query_one("#challenge", Static).update(text)

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.worker.name != "best lr":
            return
        if event.state == WorkerState.SUCCESS:
            lr, value = event.worker.result
            best = ("no constant LR trains this run" if lr != lr else
                    f"the best constant LR the engine found: {lr:.3g}, which ends at {self.challenge.shown(value)}")
            self._show_challenge(best)
        elif event.state == WorkerState.ERROR:
            self._show_challenge(f"the sweep failed: {event.worker.error}")
