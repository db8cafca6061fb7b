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
            yield Static(Text("escape closes; r replays, ] opens the next lesson", style="dim"))
