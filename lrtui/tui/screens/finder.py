"""The LR finder (f): a range test on the focused run, every rule's pick, and one key to use a pick.

The test runs in a worker thread on copies of the run's loss and spec, so the
app stays responsive and nothing the experiment holds is touched; the core's
range test itself starts from the run's initial state and keeps nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.worker import Worker, WorkerState

from lrtui.core.finder import RULES, RangeTest, range_test
from lrtui.text import visible
from lrtui.tui.widgets.finder_panel import FinderPanel

RANGE_TEST_WORKER = "range test"
VERIFY_WORKER = "verify"


@dataclass(frozen=True)
class FinderChoice:
    """What the screen hands back when a pick is chosen."""

    experiment: object  # the experiment the test was run for, to notice a scenario switched meanwhile
    run: int
    rule: str
    lr: float


class FinderScreen(ModalScreen[FinderChoice | None]):
    """Runs the range test once on mount; `1`-`5` or `enter` choose a pick, `escape` closes.

    A rule that abstained is listed on one line; pressing its number shows its whole note.
    """

    BINDINGS = [Binding("escape", "dismiss", "close"), Binding("v", "verify", "check by training"),
                Binding("pagedown", "scroll_verify(1)", "scroll the check", show=False, priority=True),
                Binding("pageup", "scroll_verify(-1)", "scroll the check back", show=False, priority=True),
                Binding("end", "scroll_verify(2)", "end of the check", show=False, priority=True),
                Binding("home", "scroll_verify(-2)", "start of the check", show=False, priority=True)] + [
        Binding(str(i + 1), f"choose({i})", rule, show=False) for i, rule in enumerate(RULES)
    ]
    DEFAULT_CSS = """
    FinderScreen { align: center middle; }
    FinderScreen > Vertical { width: 96%; max-width: 130; height: 96%; border: round $primary;
                              background: $surface; padding: 0 1; min-width: 30; min-height: 12; }
    FinderScreen #finder-title { height: auto; max-height: 4; }
    FinderScreen #finder-hint { height: auto; max-height: 3; }
    FinderScreen #finder-verify { height: auto; max-height: 30%; display: none; }
    FinderScreen FinderPanel { min-height: 11; }
    FinderScreen FinderPanel > Chart { min-height: 7; }
    FinderScreen #finder-verify.-shown { display: block; }
    FinderScreen.-verifying FinderPanel { min-height: 7; }
    FinderScreen.-verifying FinderPanel > OptionList { display: none; }
    FinderScreen.-verifying #finder-verify { height: 1fr; max-height: 100%; }
    FinderScreen.-verifying #finder-title { max-height: 1; }
    """

    def __init__(self, experiment, run: int, seed: int = 0, num_it: int = 100, ascii_only: bool = False,
                 steps: int = 0):
        super().__init__()
        self.steps = steps  # the scenario's budget: what `v` trains each pick and grid LR for
        self.experiment = experiment
        self.run = run
        self.seed = seed
        self.num_it = num_it
        self.ascii_only = ascii_only
        self.result: RangeTest | None = None
        run_view = experiment.view(run)
        self._loss, self._spec = run_view.loss_function, run_view.spec  # the spec as it stands, a copy
        # The label as the status line has it, with the LR the run uses now ("lr=0.0001, now lr 0.1"): the file's
        # label alone read as the LR tested around (walkthrough 21b, V5)
        self.heading = (f"LR range test, run {run} ({visible(run_view.label)}): {self._spec.optimizer} on "
                        f"{self._loss.describe()}")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title("running the range test..."), id="finder-title")
            yield FinderPanel(id="finder")
            with VerticalScroll(id="finder-verify"):
                yield Static("", id="finder-verify-text")
            yield Static("", id="finder-hint")

    def _title(self, detail: str) -> Text:
        text = Text()
        text.append(self.heading + "\n", style="bold")
        text.append(detail, style="dim")
        return text

    def on_mount(self) -> None:
        self.query_one(FinderPanel).ascii_only = self.ascii_only
        loss, spec = copy.deepcopy(self._loss), copy.deepcopy(self._spec)
        # A test that fails (a loss that rejects its start, say) is reported here, not by quitting the app.
        self.run_worker(lambda: range_test(loss, spec, seed=self.seed, num_it=self.num_it), thread=True,
                        name=RANGE_TEST_WORKER, exclusive=True, exit_on_error=False)

    def action_verify(self) -> None:
        """Train the budget at each pick and on a log grid of LRs (lrtui find --verify), in a worker."""
        if self.result is None or self.steps <= 0:
            return
        from lrtui.core.finder import verify_suggestions

        loss, spec = copy.deepcopy(self._loss), copy.deepcopy(self._spec)
        result, steps, seed = self.result, self.steps, self.seed
        self._show_verify(Text(f"training {steps} steps at each pick and on a grid of 13 LRs...", style="dim"))
        self.run_worker(lambda: verify_suggestions(loss, spec, result, steps=steps, seed=seed), thread=True,
                        name=VERIFY_WORKER, exclusive=True, exit_on_error=False)

    def verify_caption(self) -> list[str]:
        """What the check trained, and whether a pick chosen now will end where the table says (and why not)."""
        spec, step = self._spec, self.experiment.step_count
        lines = [f"each trained from the run's start (step 0): {spec.optimizer} at that LR, constant, for all "
                 f"{self.steps} steps"]
        if spec.schedule != "constant":
            lines.append(f"(without the run's {spec.schedule} schedule; a pick keeps it, so the run ends elsewhere)")
        if spec.schedule == "constant" and 0 < self.steps <= step:
            lines.append("a pick replays every run from step 0 with it, so the run ends at the number shown")
        elif 0 < step < self.steps:
            lines.append(f"a pick acts from step {step} on, after the run's first {step} steps at its own LR, "
                         "so it ends elsewhere; R, then f and a pick, trains it from step 0 as here")
        return lines

    def verify_table(self, lines: list[str], best: dict | None = None, same_measure: bool = False,
                     picks: list[float] | None = None) -> list[str]:
        """The check's heading and caption, then each rule's pick against the grid's best, then the grid: the
        picks are what a learner compares, and at 80x24 the grid came first and only its first two rows showed
        (walkthrough 16b, K10). A run that has trained its whole budget says where it ends as it stands, where that
        is the same measure: after a, lesson 2's run ends at 0.00142 and the recommended pick at 5.6, which
        nothing said (K3)."""
        blank = lines.index("") if "" in lines else len(lines)
        against = []
        if best is not None and best.get("final_loss") is not None:
            against = [f"(x best: the final loss over the grid's best, lr {best['lr']:.3g}, which ends at "
                       f"{best['final_loss']:.4g}; the grid follows)"]
        now = self.experiment.view(self.run)
        if same_measure and 0 < self.steps <= self.experiment.step_count and now.diverged_at < 0:
            lower = picks and now.loss < min(picks)  # (18a, N8: "1.36 x best" beside a run 4,000 times lower)
            against.append(f"run {self.run} as it stands, with its own LR and changes, ends at {now.loss:.4g}"
                           + (": lower than every pick, which would set it back" if lower else ""))
        return [lines[0], *self.verify_caption(), *lines[blank + 1:], *against, "", *lines[1:blank]]

    def check_action(self, action: str, parameters) -> bool | None:
        """PgDn, PgUp, Home and End scroll the check's table once it shows (before, the list of picks has them)."""
        if action == "scroll_verify":
            return self.query_one("#finder-verify").has_class("-shown")
        return True

    def action_scroll_verify(self, direction: int) -> None:
        table = self.query_one("#finder-verify", VerticalScroll)
        {1: table.scroll_page_down, -1: table.scroll_page_up, 2: table.scroll_end,
         -2: table.scroll_home}[int(direction)](animate=False)

    def _show_verify(self, text: Text) -> None:
        self.query_one("#finder-verify").set_class(True, "-shown")
        # The picks' list and the title's detail give way, so that the plot keeps its rows beside the table
        # (walkthrough 15b, G3: after v the plot shrank to three ticks and two flat bands) and the table has its
        # own (16b, K10: at 80x24 it showed two). The table lists the picks.
        self.set_class(True, "-verifying")
        self.query_one("#finder-verify-text", Static).update(text)
        self._show_hint()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == VERIFY_WORKER:
            if event.state == WorkerState.SUCCESS:
                from lrtui.find_command import verify_lines

                verify = event.worker.result
                picks = [entry["final_loss"] for entry in verify.get("rules", {}).values()
                         if entry is not None and entry.get("final_loss") is not None]
                self._show_verify(Text("\n".join(self.verify_table(verify_lines(verify), verify.get("best"),
                                                                    verify.get("measure") == "loss", picks))))
            elif event.state == WorkerState.ERROR:
                self._show_verify(Text(f"the check failed: {event.worker.error}", style="yellow"))
            return
        if event.worker.name != RANGE_TEST_WORKER:
            return
        if event.state == WorkerState.SUCCESS:
            self.show_result(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.query_one("#finder-title", Static).update(
                self._title(f"the range test failed: {event.worker.error}"))

    def show_result(self, result: RangeTest) -> None:
        self.result = result
        s = result.settings
        self.query_one("#finder-title", Static).update(self._title(
            f"stopped at lr {result.lr[-1]:.3g}, step {result.lr.size}: {result.stop_reason}; "
            f"{s['mode']} ramp from {s['start_lr']:g} to {s['end_lr']:g} over {s['num_it']} steps"))
        panel = self.query_one(FinderPanel)
        panel.show(result)
        panel.query_one(OptionList).focus()
        self._show_hint()

    def _show_hint(self, note: str = "") -> None:
        if note:
            hint = Text(note, style="yellow")
        elif self.result is not None and self.result.recommended_lr is None:
            hint = Text("no rule could pick an LR here; escape closes", style="dim")
        elif self.has_class("-verifying"):  # the picks' list gives the table its rows; their keys still work
            step = self.experiment.step_count
            start = "from step 0, replaying every run" if 0 < self.steps <= step else f"from step {step} on"
            hint = Text(f"1-5: run {self.run} takes that pick's lr {start}   PgDn/PgUp, Home/End: scroll the "
                        "table   escape: no change", style="dim")
        else:
            step = self.experiment.step_count
            check = "   v: check each by training" if self.steps > 0 else ""
            if 0 < self.steps <= step:  # a change at the end of the budget has no step left to act
                hint = Text(f"1-5 or enter: the step budget is used up, so every run replays from step 0 with that "
                            f"lr on run {self.run}{check}   escape: no change", style="bold")
            else:
                hint = Text(f"1-5 or enter: run {self.run} takes that lr from step {step} on{check}   "
                            "escape: no change", style="dim")
        self.query_one("#finder-hint", Static).update(hint)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose(RULES.index(event.option.id))

    def action_choose(self, index: int) -> None:
        if self.result is None:
            return
        rule = RULES[int(index)]
        pick = self.result.picks[rule]
        if pick.lr is None:
            self._show_hint(f"{rule} did not pick: {pick.reason}")
            return
        self.dismiss(FinderChoice(self.experiment, self.run, rule, pick.lr))
