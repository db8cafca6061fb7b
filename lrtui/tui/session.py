"""What the app is doing, apart from how it is drawn: which scenario, which run, playing or not.

The UI never trains anything itself: it asks the experiment to step and then
reads the experiment's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lrtui.core.experiment import Experiment
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.scenario.model import Scenario

SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
SCHEDULE_CYCLE = (
    ("constant", {}),
    ("step", {"step_size": 50, "gamma": 0.5}),
    ("exponential", {"gamma": 0.98}),
    ("cosine", {"T_max": 200}),
    ("plateau", {"patience": 10, "factor": 0.5}),
)


@dataclass
class Session:
    scenarios: list[Scenario]
    index: int = 0
    playing: bool = False
    speed_index: int = 3
    focused: int = 0
    log_scale: bool = False
    smoothing: bool = False
    show_description: bool = True
    message: str = ""
    experiment: Experiment = field(init=False)

    def __post_init__(self):
        self.open(self.index)

    @property
    def scenario(self) -> Scenario:
        return self.scenarios[self.index]

    @property
    def speed(self) -> int:
        return SPEEDS[self.speed_index]

    def open(self, index: int) -> None:
        self.index = index % len(self.scenarios)
        self.experiment = self.scenario.build()
        self.focused = 0
        self.playing = False
        self.show_description = True
        self.message = f"opened {self.scenario.name}"

    def open_scenario(self, scenario: Scenario, index: int | None = None) -> None:
        """Open a scenario loaded on demand: it replaces entry `index` (a file read afresh), or joins the list."""
        if index is None:
            self.scenarios.append(scenario)
            index = len(self.scenarios) - 1
        else:
            self.scenarios[index] = scenario
        self.open(index)

    def reset(self) -> None:
        self.experiment = self.scenario.build()
        self.focused = min(self.focused, self.experiment.n_runs - 1)
        self.message = "reset to step 0"

    @property
    def finished(self) -> bool:
        return self.experiment.step_count >= self.scenario.steps

    def advance(self, steps: int, budget_seconds: float = 0.03) -> int:
        """Step up to `steps` (never past the scenario's budget), in chunks, within a time budget."""
        remaining = min(steps, self.scenario.steps - self.experiment.step_count)
        done = self.experiment.step_within(remaining, budget_seconds)
        if self.finished:
            self.playing = False
        return done

    # -- run controls -----------------------------------------------------------
    def focus_next(self) -> None:
        self.focused = (self.focused + 1) % self.experiment.n_runs

    def scale_lr(self, factor: float) -> None:
        new = self.experiment.scale_lr(self.focused, factor)
        self.message = f"{self.experiment.labels[self.focused]}: lr x{factor:g} -> {new:.4g}"

    def cycle_optimizer(self) -> None:
        names = list(OPTIMIZERS)
        current = self.experiment.spec(self.focused).optimizer
        name = names[(names.index(current) + 1) % len(names)]
        lr = self.experiment.current(self.focused)["lr"]
        self.experiment.set_optimizer(self.focused, name, {"lr": lr})
        self.message = f"{self.experiment.labels[self.focused]}: optimizer -> {name} (lr {lr:.4g})"

    def cycle_schedule(self) -> None:
        names = [name for name, _ in SCHEDULE_CYCLE]
        current = self.experiment.spec(self.focused).schedule
        i = (names.index(current) + 1) % len(names) if current in names else 0
        for step in range(len(names)):
            name, params = SCHEDULE_CYCLE[(i + step) % len(names)]
            try:
                self.experiment.set_schedule(self.focused, name, dict(params))
            except ValueError:
                continue
            self.message = f"{self.experiment.labels[self.focused]}: schedule -> {name} from step {self.experiment.step_count}"
            return

    def apply_suggestion(self) -> None:
        """Apply the focused run's fix: its current verdict's, else its latest finding with one."""
        exp, run = self.experiment, self.focused
        candidates = [exp.summary(run)] + exp.diagnoses(run)[::-1]
        chosen = next((d for d in candidates if d.suggestion), None)
        if chosen is None:
            self.message = f"{exp.labels[run]}: no suggestion to apply ({exp.verdict(run)})"
            return
        done = exp.apply_suggestion(run, chosen.suggestion)
        self.message = f"{exp.labels[run]}: applied {done} (from: {chosen.code})"

    def fork(self) -> None:
        new = self.experiment.fork(self.focused)
        self.message = f"forked run {self.focused} into runs {', '.join(map(str, new))} at lr x0.3 and x3"

    def change_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        self.message = f"speed: {self.speed} steps per frame"
