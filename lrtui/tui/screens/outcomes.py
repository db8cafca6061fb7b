"""The outcome of every run, in one table: the in-app twin of `lrtui run`'s summary (lrtui.export.to_table).

Opens on `u` only (the finished message points to it): a table that opened by itself would take the keys
the learner is pressing as play ends. Per run: the verdict in words, the final and best loss, the training
set's loss and the test accuracy (data models), the steps taken, and the changes made to it during the run
(LR, optimizer, schedule, forks).
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from lrtui.export import run_summary
from lrtui.scenario.challenges import best_constant, best_known, challenge_for, final_metric
from lrtui.tui.widgets.chart import to_ascii

# Each kind of change in words: "2 lr" and "1 fork" read as cryptic (walkthrough 21b, V9). Short, so that the
# table keeps its columns at 100x30: "lr changed twice" pushed it into the list layout.
CHANGE_WORDS = {"lr": "lr change", "optimizer": "optimizer change", "schedule": "schedule change",
                "fork": "from a fork"}


SWEEPS: dict[tuple, object] = {}  # the best-constant-LR sweep of each lesson's challenge, once per process
MAX_SWEEPS = 32
# A sweep still running, by key: the table showing it now (a reopened table takes it over) and its latest progress.
# Closing the table does not stop the sweep: the next `u` follows it instead of starting again at step 0 beside it
# (walkthrough 18b, P4: "step 315 of 450", then "step 180" after a reopen, twice as slow).
RUNNING: dict[tuple, list] = {}


def _loss(value) -> str:
    return "nan/inf" if value is None else f"{value:.4g}"


def changes_made(exp, run: int) -> str:
    counts = Counter(CHANGE_WORDS[e.kind] for e in exp.events if e.run == run and e.kind in CHANGE_WORDS)
    once = CHANGE_WORDS["fork"]  # (where the run came from, not a count)
    return ", ".join(words if words == once else f"{n} {words}{'s' * (n > 1)}" for words, n in counts.items()) or "none"


def outcome_rows(exp) -> list[list[str]]:
    rows = []
    for run in range(exp.n_runs):
        summary = run_summary(exp, run)
        accuracy = summary.get("test_accuracy")
        # A data model's loss column is its last (mini-)batch's; the training set's loss is the floor it reached.
        train = "" if "train_loss" not in summary else _loss(summary["train_loss"])
        # (before any step, as the status line says it: "settled (healthy)" at step 0 said too much; 11a, D83)
        words = exp.summary(run).words if exp.step_count else "not started"
        rows.append([str(run), exp.view(run).label, words, _loss(summary["final_loss"]),
                     _loss(summary["best_loss"]), train, "" if accuracy is None else f"{100 * accuracy:.1f}%",
                     ends_at(exp, run), str(summary["steps"]), changes_made(exp, run)])
    return rows


def ends_at(exp, run: int) -> str:
    """Where a run on a 2-D loss ends, "(3, 2)": lesson 20 asks which minimum each run reaches, and four runs at
    loss 0 told it only by the landscape's colours (walkthrough 16b, K14). Empty for other losses, and for a loss
    with one minimum (the column would only widen the table)."""
    view = exp.view(run)
    minima = getattr(view.loss_function, "minima", None)  # only where there is more than one minimum to reach
    if (view.loss_function.is_model or view.params.size != 2 or view.diverged_at >= 0 or minima is None
            or len(minima) < 2):
        return ""
    x, y = (float(v) for v in view.params)
    return f"({x:.3g}, {y:.3g})" if all(abs(v) < 1e6 for v in (x, y)) else ""


HEADERS = ("run", "label", "verdict", "final loss", "best loss", "train loss", "test acc", "ends at", "steps",
           "changes made")


def shown_columns(rows: list[list[str]], step: int) -> tuple[list[str], list[list[str]]]:
    """The columns worth showing: no train loss or test accuracy column without a data model, no steps column
    when every run took all of them (a diverged run's verdict says where it stopped)."""
    keep = [i for i, name in enumerate(HEADERS)
            if not (name in ("train loss", "test acc", "ends at") and not any(row[i] for row in rows))
            and not (name == "steps" and all(row[i] == str(step) for row in rows))]
    headers = [HEADERS[i] for i in keep]
    if "train loss" in headers:  # a data model's final and best are of its last mini-batches (walkthrough 10b, D68)
        headers = [BATCH_HEADERS.get(h, h) for h in headers]
    return headers, [[row[i] for i in keep] for row in rows]


BATCH_HEADERS = {"final loss": "batch loss", "best loss": "best batch"}


def table_width(headers: list[str], rows: list[list[str]]) -> int:
    """The DataTable's width: each column as wide as its widest cell, plus a cell of padding each side."""
    return sum(max(len(h), *(len(row[i]) for row in rows)) + 2 for i, h in enumerate(headers)) + 1


def outcome_list(headers: list[str], rows: list[list[str]], width: int = 0) -> Text:
    """The table as a list, for a window too narrow for its columns: a run per paragraph, every cell named. Given
    the `width`, lines break between fields, never inside one ("test / acc: 91.4%" in walkthrough 4)."""
    text = Text()
    for row in rows:
        text.append(f"run {row[0]}  {row[1]}\n", style="bold")
        fields = [f"{h}: {cell}" for h, cell in zip(headers[2:], row[2:]) if cell]
        line = ""
        for field in fields:
            joined = f"{line}   {field}" if line else f"    {field}"
            if line and width and len(joined) > width:
                text.append(line + "\n")
                joined = f"    {field}"
            line = joined
        text.append(line + "\n")
    return text


class OutcomesScreen(ModalScreen):
    BINDINGS = [Binding("escape,u,q,enter", "dismiss", "close"),
                Binding("r", "then('replay')", "replay with your changes"),
                Binding("R", "then('reset')", "reset to the file"),
                Binding("right_square_bracket", "then('scenario(1)')", "next lesson"),
                Binding("pagedown", "page(1)", "scroll down", show=False),
                Binding("pageup", "page(-1)", "scroll up", show=False)]
    DEFAULT_CSS = """
    OutcomesScreen { align: center middle; }
    OutcomesScreen > #outcomes-body { width: 96%; max-width: 130; height: auto; max-height: 90%;
                                      border: round $primary; background: $surface; padding: 0 1; }
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
        rows = [[to_ascii(cell) if self.ascii_only else cell for cell in row] for row in outcome_rows(exp)]
        headers, rows = shown_columns(rows, exp.step_count)
        # The table when its columns fit the window, else a list of the same cells (no column is ever cut).
        room = int(0.96 * min(self.app.size.width, 130)) - 4
        # The whole sheet scrolls (PgDn/PgUp) where the window is too short for it (60x20: the challenge's last
        # lines and the keys were cut off).
        with VerticalScroll(id="outcomes-body"):
            yield Static(head)
            if table_width(headers, rows) <= room:
                table = DataTable(zebra_stripes=True, cursor_type="row")
                table.add_columns(*headers)
                for row in rows:
                    table.add_row(*row)
                yield table
            else:
                # the sheet scrolls, not the list (its scroll bar takes 2 columns)
                yield Static(outcome_list(headers, rows, room - 2), id="outcome-list-text")
            yield Static("", id="challenge")
            yield Static(Text("escape closes; r replays with your changes, R resets to the file, ] opens the next lesson",
                              style="dim"))

    def action_page(self, direction: int) -> None:
        body = self.query_one("#outcomes-body", VerticalScroll)
        (body.scroll_page_down if direction > 0 else body.scroll_page_up)(animate=False)

    def _mark_more(self) -> None:
        """The sheet's frame says when there is more below (or above) the window."""
        body = self.query_one("#outcomes-body", VerticalScroll)
        below, above = body.scroll_y < body.max_scroll_y, body.scroll_y > 0
        body.border_subtitle = "PgDn more" if below else ("PgUp back" if above else "")

    def action_then(self, action: str) -> None:
        """r, R and ] close the table and do what they do on the main screen."""
        app = self.app
        self.dismiss()
        app.call_later(app.run_action, action)

    def on_mount(self) -> None:
        body = self.query_one("#outcomes-body", VerticalScroll)
        self.watch(body, "scroll_y", lambda _old, _new: self._mark_more(), init=False)
        self.watch(body, "virtual_size", lambda _old, _new: self.call_after_refresh(self._mark_more), init=False)
        self.call_after_refresh(self._mark_more)
        session = self.session
        challenge = challenge_for(session.scenario.source) if session.lesson else None
        if challenge is None or challenge.run >= session.experiment.n_runs:
            return
        self.challenge = challenge
        scenario = session.scenario
        # The sweep depends only on the lesson as its file has it: a second `u` (or another window) reuses it.
        self._sweep_key = (repr(challenge), repr(scenario.runs[challenge.run]), scenario.steps, scenario.seed)
        key = self._sweep_key
        if key in SWEEPS:
            self._show_best(SWEEPS[key])
            return
        if key in RUNNING:  # started by an earlier table: follow it from where it is
            RUNNING[key][0] = self
            self._show_challenge(RUNNING[key][1])
            return
        RUNNING[key] = [self, "the best constant LR: sweeping the run on copies..."]
        self._show_challenge(RUNNING[key][1])
        app = self.app

        # The digits sweep takes a minute or more: it says how far it has got (walkthrough 16b, K11), to whichever
        # table shows it then. The app runs it, so that it outlives this table.
        def tell(method: str, *args) -> None:
            table = RUNNING.get(key, [None])[0]
            if table is not None and table.is_attached and app.is_running:
                app.call_from_thread(getattr(table, method), *args)

        def progress(text: str) -> None:
            RUNNING[key][1] = f"the best constant LR: sweeping the run on copies, {text}..."
            tell("_show_challenge", RUNNING[key][1])

        def sweep() -> None:
            try:
                result = best_constant(scenario, challenge, progress)
            except Exception as error:  # (a sweep that fails says so where the table is, as before)
                tell("_show_challenge", f"the sweep failed: {error}")
                RUNNING.pop(key, None)
                return
            while len(SWEEPS) >= MAX_SWEEPS:
                SWEEPS.pop(next(iter(SWEEPS)))
            SWEEPS[key] = result
            tell("_show_best", result)
            RUNNING.pop(key, None)

        app.run_worker(sweep, thread=True, name="best lr", exit_on_error=False)

    def _show_challenge(self, best: str) -> None:
        challenge, exp = self.challenge, self.session.experiment
        value = final_metric(exp, challenge.run, challenge.metric)
        changed = {e.kind for e in exp.events if e.run == challenge.run} & {"optimizer", "fork"}
        text = Text()
        text.append(f"Challenge: {challenge.text}.\n", style="bold")
        fork = self._fork_that_met(challenge, exp)
        if exp.step_count < self.session.scenario.steps:
            verdict, style = f"run {challenge.run} is at {challenge.shown(value)} so far (step {exp.step_count})", "dim"
        elif fork is not None:  # a fork (c) differs from its run by its LR alone: it counts (walkthrough 4, D4)
            verdict, style = (f"done: run {fork} (a fork of run {challenge.run}) ends at "
                              f"{challenge.shown(final_metric(exp, fork, challenge.metric))}"), "bold green"
        elif changed:
            verdict, style = f"not counted: the run's {' and '.join(sorted(changed))} changed", "yellow"
        elif challenge.met(value):
            verdict, style = f"done: run {challenge.run} ends at {challenge.shown(value)}", "bold green"
        elif value != value:
            verdict, style = (f"not yet: run {challenge.run} diverged (its loss blew up), so it has no final "
                              f"{'accuracy' if challenge.metric == 'test_accuracy' else 'loss'}"), "yellow"
        else:
            goal = (f"the goal is {challenge.shown(challenge.target)} or more" if challenge.metric == "test_accuracy"
                    else f"the goal is below {challenge.shown(challenge.target)}")
            verdict, style = f"not yet: run {challenge.run} ends at {challenge.shown(value)}; {goal}", "yellow"
        text.append(verdict + "\n", style=style)
        text.append(best, style="dim")
        self.query_one("#challenge", Static).update(text)

    @staticmethod
    def _fork_that_met(challenge, exp) -> int | None:
        """A run forked (c) from the challenge's run, or from a fork of it, that meets the goal with no optimizer
        change of its own: the first such, or None when the challenge's run is not done at the end itself."""
        family, grew = {challenge.run}, True
        while grew:  # (a replay, after a on a fork, keeps the lineage in the runs, not in fork events)
            forks = {e.run for e in exp.events if e.kind == "fork" and e.parent in family}
            forks |= {r for r in range(exp.n_runs) if exp.forked_from(r) in family}
            grew = not forks <= family
            family |= forks
        if challenge.met(final_metric(exp, challenge.run, challenge.metric)):
            return None
        for run in sorted(family - {challenge.run}):
            if not any(e.run == run and e.kind == "optimizer" for e in exp.events) and \
                    challenge.met(final_metric(exp, run, challenge.metric)):
                return run
        return None

    def _show_best(self, result) -> None:
        """The challenge with the sweep's best LR, or a run on the screen that does as well."""
        session = self.session
        key = session.settings_key(self.challenge.run) if self.challenge.run < session.experiment.n_runs else None
        remembered = [(lr, value) for k, lr, value in session.remembered_tries if k == key]
        best = best_known(result, session.experiment, self.challenge, remembered)
        if best.lr != best.lr:
            shown = f"no constant LR trains this run ({best.how})"
        elif best.run >= 0:
            shown = (f"the best constant LR known: {best.lr:.4g}, run {best.run} here, which ends at "
                     f"{self.challenge.shown(best.value)} (no better in {best.how})")
        else:
            shown = (f"the best constant LR the engine found: {best.lr:.4g}, which ends at "
                     f"{self.challenge.shown(best.value)} ({best.how})")
        self._show_challenge(shown)
