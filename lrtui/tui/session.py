"""What the app is doing, apart from how it is drawn: which scenario, which run, playing or not.

The UI never trains anything itself: it asks the experiment to step and then
reads the experiment's history.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from dataclasses import dataclass, field

from lrtui.core.experiment import Experiment
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.scenario.library import COURSE_ORDER, find_builtin, lesson_number
from lrtui.scenario.model import Scenario

PACE_FRAMES = 5
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
def schedule_cycle(steps: int, lr: float) -> list[tuple[str, str, dict]]:
    """(name, what it is, params) for every schedule kind `s` cycles through, sized to the step budget."""
    quarter, warm = max(1, steps // 4), max(1, min(30, steps // 10))
    return [
        ("constant", "constant", {}),
        ("linear", f"warmup from 10% over {warm} steps", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": warm}),
        ("sequential", f"warmup {warm} steps, then cosine", {"milestones": [warm], "schedulers": [
            {"type": "linear", "start_factor": 0.01, "end_factor": 1.0, "total_iters": warm},
            {"type": "cosine", "T_max": max(1, steps - warm)}]}),
        ("step", f"x0.5 every {quarter} steps", {"step_size": quarter, "gamma": 0.5}),
        ("multistep", "x0.1 at 50% and 75%", {"milestones": [max(1, steps // 2), max(2, 3 * steps // 4)], "gamma": 0.1}),
        ("exponential", "x0.98 a step", {"gamma": 0.98}),
        ("cosine", f"cosine over {steps} steps", {"T_max": max(1, steps)}),
        ("cosine_warm_restarts", f"cosine restarts every {quarter} steps", {"T_0": quarter}),
        ("polynomial", "linear decay to 0", {"total_iters": max(1, steps), "power": 1.0}),
        ("constant_factor", f"x0.5 for the first {warm} steps", {"factor": 0.5, "total_iters": warm}),
        ("onecycle", f"one cycle to {lr:.3g}", {"max_lr": lr, "total_steps": max(2, steps)}),
        ("cyclic", f"triangles {lr / 10:.3g}..{lr:.3g}", {"base_lr": lr / 10, "max_lr": lr,
                                                         "step_size_up": max(1, steps // 8)}),
        ("plateau", "x0.5 after 10 steps without progress", {"patience": 10, "factor": 0.5}),
    ]


@dataclass
class Session:
    scenarios: list[Scenario]
    index: int = 0
    playing: bool = False
    speed_index: int = 3
    focused: int = 0
    message: str = ""
    experiment: Experiment = field(init=False)
    # The pace of play's recent frames (seconds per step): their median ignores the odd frame whose
    # step also estimated the sharpness, which alone can take 100 times as long as a step.
    recent_paces: deque = field(default_factory=lambda: deque(maxlen=PACE_FRAMES), init=False, repr=False)
    # (time, step) after each chunk of play: the steps-per-second indicator.
    play_marks: deque = field(default_factory=lambda: deque(maxlen=16), init=False, repr=False)

    def __post_init__(self):
        # With one scenario (or none named), `]` and `[` walk the course; with a list, they cycle through it.
        self.course = len(self.scenarios) == 1
        self.open(self.index)

    @property
    def lesson(self) -> int:
        """The open scenario's place in the course (1..), or 0 for a file of the user's."""
        return lesson_number(self.scenario.source)

    def next_scenario(self, delta: int) -> None:
        """`]`/`[`: the next or previous lesson of the course, or entry of the list the app was given."""
        if not self.course:
            self.open(self.index + delta)
            return
        lesson = self.lesson
        if lesson == 0:  # a file of the user's: the course starts (or, backwards, ends) here
            target = 0 if delta > 0 else len(COURSE_ORDER) - 1
        else:
            target = (lesson - 1 + delta) % len(COURSE_ORDER)
        name = COURSE_ORDER[target]
        known = next((i for i, s in enumerate(self.scenarios) if s.source == name), None)
        if known is not None:
            self.open(known)
        else:
            self.open_scenario(find_builtin(name).load())

    @property
    def scenario(self) -> Scenario:
        return self.scenarios[self.index]

    @property
    def speed(self) -> int:
        return SPEEDS[self.speed_index]

    @property
    def steps_per_second(self) -> float:
        """Steps per second of wall time over the last second or so of play (NaN before two chunks)."""
        marks = self.play_marks
        if len(marks) < 2 or marks[-1][0] <= marks[0][0]:
            return math.nan
        return (marks[-1][1] - marks[0][1]) / (marks[-1][0] - marks[0][0])

    def open(self, index: int) -> None:
        self.index = index % len(self.scenarios)
        self.experiment = self.scenario.build()
        self.focused = 0
        self.playing = False
        self.recent_paces.clear()
        self.play_marks.clear()
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

    def chunk_steps(self, budget_seconds: float) -> int:
        """How many steps one frame of play asks for: up to `speed`, no more than the recent pace says fit.

        step_within's doubling chunks alone can overshoot the budget by up to the last chunk.
        """
        steps = min(self.speed, max(0, self.scenario.steps - self.experiment.step_count))
        if self.recent_paces:
            steps = min(steps, max(1, int(budget_seconds / statistics.median(self.recent_paces))))
        return steps

    def played(self, done: int, seconds: float) -> None:
        """A chunk of play took `done` steps in `seconds` (the play worker reports it on the UI thread)."""
        if done:
            self.recent_paces.append(seconds / done)
        self.play_marks.append((time.perf_counter(), self.experiment.step_count))
        if self.finished and self.playing:
            self.playing = False
            self.message = f"finished: all {self.scenario.steps} steps done (r resets, ] opens the next lesson)"

    def play(self, budget_seconds: float) -> int:
        """One frame of play, in the calling thread (what the worker and `played` do between them)."""
        started = time.perf_counter()
        done = self.experiment.step_within(self.chunk_steps(budget_seconds), budget_seconds)
        self.played(done, time.perf_counter() - started)
        return done

    # -- run controls -----------------------------------------------------------
    def focus_next(self) -> None:
        self.focused = (self.focused + 1) % self.experiment.n_runs

    def set_lr(self, lr: float, source: str = "", run: int | None = None) -> None:
        """Set a run's LR (the focused one's by default) from the next step on; it is marked on the curves."""
        run = self.focused if run is None else run
        new = self.experiment.set_lr(run, lr)
        why = f" ({source})" if source else ""
        self.message = f"{self.experiment.labels[run]}: lr -> {new:.4g} from step {self.experiment.step_count}{why}"

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
        """The focused run's next schedule kind (all of them in turn, warmup included), from this step on."""
        spec = self.experiment.spec(self.focused)
        kinds = schedule_cycle(self.scenario.steps, float(spec.optimizer_params["lr"]))
        names = [name for name, _, _ in kinds]
        i = (names.index(spec.schedule) + 1) % len(names) if spec.schedule in names else 0
        refused = []
        for step in range(len(kinds)):
            name, what, params = kinds[(i + step) % len(kinds)]
            try:
                self.experiment.set_schedule(self.focused, name, params)
            except ValueError as exc:
                refused.append(f"{name} ({exc})")
                continue
            self.message = (f"{self.experiment.labels[self.focused]}: schedule -> {name}, {what}, "
                            f"from step {self.experiment.step_count}")
            return
        self.message = "no schedule fits this run: " + "; ".join(refused)

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
        self.message = f"speed: {self.speed} step{'s' * (self.speed != 1)} per frame"
