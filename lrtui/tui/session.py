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

from lrtui.core.diagnostics.wording import as_tried, fix_words
from lrtui.core.experiment import Experiment
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.core.run_spec import LR_KEYS
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
    # Constant-LR fixes the checks tried on the challenge run, kept across replays of the open lesson:
    # (the run's optimizer and settings but the LR, lr, final loss). `u` weighs them against its sweep (walk 8, D27).
    remembered_tries: list = field(default_factory=list, init=False, repr=False)
    # The fixes found before a replay, by the run as it was set up (its number, file label and changes): a run
    # replayed unchanged reaches the same state, so its fix still holds, and `a` applies it where its checks
    # have not run yet. Lesson 19: a on one run replayed both, and a on the other said "no fix yet" (walk 19b, R2).
    kept_fixes: dict = field(default_factory=dict, init=False, repr=False)

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
        self.remembered_tries = []
        self.kept_fixes = {}
        self.message = f"opened {self.scenario.name}"

    def open_scenario(self, scenario: Scenario, index: int | None = None) -> None:
        """Open a scenario loaded on demand: it replaces entry `index` (a file read afresh), or joins the list."""
        if index is None:
            self.scenarios.append(scenario)
            index = len(self.scenarios) - 1
        else:
            self.scenarios[index] = scenario
        self.open(index)

    def _label(self, run: int) -> str:
        return self.experiment.view(run).label

    def _replace_experiment(self, experiment: Experiment) -> None:
        self.remembered_tries = [*self.remembered_tries, *self.constant_tries()]
        for run in range(self.experiment.n_runs):
            chosen = self.fix_of(run)
            if chosen is not None and chosen.tried is not None:
                self.kept_fixes[self._recipe(run)] = (dict(chosen.fix), chosen.tried)
        self.experiment = experiment
        self.focused = min(self.focused, experiment.n_runs - 1)
        self.playing = False
        self.recent_paces.clear()
        self.play_marks.clear()

    def constant_tries(self) -> list[tuple]:
        """The open experiment's constant-LR tries on the challenge run, with the settings they were tried under."""
        from lrtui.scenario.challenges import challenge_for, tried_constant_lrs

        challenge = challenge_for(self.scenario.source)
        if challenge is None or challenge.run >= self.experiment.n_runs:
            return []
        key = self.settings_key(challenge.run)
        return [(key, lr, value) for lr, value in tried_constant_lrs(self.experiment, challenge)]

    def _recipe(self, run: int) -> tuple:
        """A run as it is set up: equal recipes replay to the same state, step for step."""
        view = self.experiment.view(run)
        return run, view.file_label, repr(view.timeline)

    def kept_fix(self, run: int) -> tuple[dict, object] | None:
        """(fix, its try) found for `run` before a replay, where the run is set up as it was then and has not taken
        a step since (once it plays, its own checks judge it, and `a` applies what they show: walkthrough 20b, T3);
        else None."""
        if self.experiment.step_count > 0 or self.fix_of(run) is not None:
            return None
        return self.kept_fixes.get(self._recipe(run))

    def remembered_fix(self, run: int) -> tuple[float, float, float] | None:
        """(lr, its final loss, this run's final loss): a constant LR the checks tried from step 0 over the whole
        budget, in this play or an earlier one of the open lesson under the same settings, that meets the lesson's
        challenge where `run`, the challenge's run at the end of its budget with no fix of its own, does not. The
        best such (walkthrough 9, D35: after -, the run at 0.0015 ends "improving" at 3.33, and a had nothing,
        while u named 0.00203, which the first play's check had tried: 0.00142)."""
        from lrtui.scenario.challenges import challenge_for, final_metric

        challenge = challenge_for(self.scenario.source)
        exp = self.experiment
        if (challenge is None or challenge.metric != "loss" or run != challenge.run or run >= exp.n_runs
                or not self.finished or exp.view(run).spec.schedule != "constant" or self.fix_of(run) is not None):
            return None
        now = final_metric(exp, run, "loss")
        if challenge.met(now):
            return None
        key = self.settings_key(run)
        known = sorted((value, lr) for k, lr, value in [*self.remembered_tries, *self.constant_tries()]
                       if k == key and challenge.met(value))
        return (known[0][1], known[0][0], now) if known else None

    def remembered_note(self, run: int) -> str:
        """The explanation's paragraph on `remembered_fix`, or "" (what a will do, in the modal that says why)."""
        from lrtui.scenario.challenges import challenge_for

        known = self.remembered_fix(run)
        if known is None:
            return ""
        lr, value, now = known
        goal = challenge_for(self.scenario.source)
        # After the engine's "nothing the checks tried did much better", which is about tries from where the run
        # was: this one is from step 0 (walkthrough 10b, D63 read the two as a contradiction).
        return (f"The challenge is not met: this run ends at {now:.3g}, and the goal is below {goal.shown(goal.target)}. "
                f"The checks above tried changes from where the run was. From step 0, a check of this lesson (the "
                f"fix of an earlier finding) tried lr = {lr:.4g} over the whole budget on a copy, and it ended at "
                f"{value:.3g}. Press a on the main screen to replay every run from step 0 with it.")

    def settings_key(self, run: int) -> tuple:
        spec = self.experiment.view(run).spec
        return spec.optimizer, tuple(sorted((k, str(v)) for k, v in spec.optimizer_params.items() if k != "lr"))

    def changed(self) -> bool:
        """Whether any run carries a change made here (an edit, a switch, a fork, a fix): what `r` keeps."""
        exp = self.experiment
        return exp.n_runs != len(self.scenario.runs) or any(
            len(exp.view(run).timeline) > len(self.scenario.runs[run].changes) for run in range(exp.n_runs))

    def replay(self) -> None:
        """`r`: every run again from step 0, with every change made to it so far at its step (edits, optimizer
        and schedule switches, forks)."""
        changed = self.changed()
        self._replace_experiment(self.experiment.replayed())
        if changed:
            self.message = ("replayed from step 0: your changes (LR, optimizer, schedule, forks) come back at "
                            "their steps; R resets to the file")
        else:
            self.message = "replayed from step 0 (nothing was changed; R resets to the file)"

    def reset(self) -> None:
        """`R`: the scenario as its file has it, at step 0 (every change made here is dropped)."""
        dropped = self.changed()
        self._replace_experiment(self.scenario.build())
        self.kept_fixes = {}  # a fresh start: a fix kept from before would apply what the screen does not show (20b T3)
        # As the file opens: the focus on run 0, which the lesson's task names (walkthrough 15b, G8: after R, "s on
        # the frozen run" changed the run the focus had been left on)
        self.focused = 0
        self.message = "reset to the file at step 0" + (" (your changes dropped; r keeps them)" if dropped else "")

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
            self.message = (f"finished: all {self.scenario.steps} steps done. u shows how each run did; r replays with "
                            "your changes, R resets to the file, ] opens the next lesson")

    def play(self, budget_seconds: float) -> int:
        """One frame of play, in the calling thread (what the worker and `played` do between them)."""
        started = time.perf_counter()
        done = self.experiment.step_within(self.chunk_steps(budget_seconds), budget_seconds)
        self.played(done, time.perf_counter() - started)
        return done

    # -- run controls -----------------------------------------------------------
    def focus_next(self, delta: int = 1) -> None:
        """tab: the next run; shift+tab (delta -1): the previous one."""
        self.focused = (self.focused + delta) % self.experiment.n_runs

    def _edit(self, run: int, act) -> None:
        """Make a change to `run` with `act(experiment) -> message`: from the next step, or, once the budget is
        used up (a change there would have no step left to act, and `r` would replay it at the very end), from
        the start: every run is replayed from step 0 with the change made there on this one."""
        why = self._why_replay(run)
        if why is None:
            self.message = act(self.experiment)
            return
        fresh = self.experiment.replayed()
        done = act(fresh)  # at step 0 of the replay: it joins the run's timeline there
        self._replace_experiment(fresh)
        self.message = (f"{done}, from step 0: {why}, so every run was replayed with this change from the start; "
                        "space plays, R resets to the file")

    def _why_replay(self, run: int) -> str | None:
        """Why a change to `run` must be replayed from step 0, or None where it can act from the next step. A run
        that has diverged takes no more steps either: `-` there had no effect, and `r` dropped it, since it came
        after the blow-up (walkthrough 14a, C3 and C4)."""
        if self.finished:
            return "the step budget was used up"
        return f"run {run} had diverged" if self.experiment.view(run).diverged_at >= 0 else None

    def set_lr(self, lr: float, source: str = "", run: int | None = None) -> None:
        """Set a run's LR (the focused one's by default) from the next step on; it is marked on the curves."""
        run = self.focused if run is None else run
        why = f" ({source})" if source else ""

        def act(exp) -> str:
            new = exp.set_lr(run, lr)
            where = f" from step {exp.step_count}" if not self.finished else ""
            return f"{exp.view(run).label}: lr -> {new:.4g}{where}{why}"

        self._edit(run, act)

    def scale_lr(self, factor: float) -> None:
        run = self.focused
        view = self.experiment.view(run)
        later = any(c.step > 0 and c.kind != "fork" and set(LR_KEYS) & set(c.changes) for c in view.timeline)
        why = self._why_replay(run)
        if why is not None and later and view.spec.schedule == "constant":
            # Replayed from step 0, x2 is of the LR the run ended with ("now lr 0.016" after a fix from step 25),
            # for good: as a factor at step 0 it doubled the file's 0.025, and the fix, later in the timeline,
            # then set 0.016 again (walkthrough 15a, F2).
            new = factor * float(view.lr)
            self._replay_with(run, {"optimizer.lr": new},
                              f"{view.label}: lr x{factor:g} of the {float(view.lr):.4g} it "
                              f"ended with -> {new:.4g}, from step 0: {why}, so every run was replayed with this "
                              "LR from the start; space plays, R resets to the file")
            return

        def act(exp) -> str:
            new = exp.scale_lr(run, factor)
            return f"{exp.view(run).label}: lr x{factor:g} -> {new:.4g}"

        self._edit(run, act)

    def cycle_optimizer(self) -> None:
        """The focused run's next optimizer, with fresh state, at the LR it has now."""
        run = self.focused

        def act(exp) -> str:
            names = list(OPTIMIZERS)
            before = exp.view(run)
            name = names[(names.index(before.spec.optimizer) + 1) % len(names)]
            # The engine keeps the run's LR (its base and the scale from + - * /) when none is given. Giving the
            # LR in force as the new base would apply the scale twice.
            exp.set_optimizer(run, name)
            after = exp.view(run)
            return (f"{after.label}: optimizer -> {name} (was {before.spec.optimizer}; lr {after.lr:.4g}, "
                    f"fresh state)" + (f" from step {after.step}" if after.step else ""))

        self._edit(run, act)

    def cycle_schedule(self) -> None:
        """The focused run's next schedule kind (all of them in turn, warmup included), from this step on."""
        run = self.focused

        def act(exp) -> str:
            spec = exp.view(run).spec
            # Sized to the steps left from here: a schedule switched on at step 188 of 240 starts its own clock there,
            # and "x0.1 at 50% and 75%" of the whole budget fell after its end (walkthrough 11a, D82).
            left = max(2, self.scenario.steps - exp.step_count)
            kinds = schedule_cycle(left, float(spec.optimizer_params["lr"]))
            names = [name for name, _, _ in kinds]
            i = (names.index(spec.schedule) + 1) % len(names) if spec.schedule in names else 0
            refused = []
            for step in range(len(kinds)):
                name, what, params = kinds[(i + step) % len(kinds)]
                try:
                    exp.set_schedule(run, name, params)
                except ValueError as exc:
                    refused.append(f"{name} ({exc})")
                    continue
                return f"{exp.view(run).label}: schedule -> {name}, {what}" + (
                    f", from step {exp.step_count}" if exp.step_count else "")
            raise ValueError("no schedule fits this run: " + "; ".join(refused))

        self._edit(run, act)

    def fix_of(self, run: int):
        """The finding whose fix `a` applies to a run: its current verdict's, else its latest finding with one;
        else None. Only fixes the engine tried and found to help have one."""
        exp = self.experiment
        if exp.verdict(run) == "converged":  # none: an old finding's fix had replayed a converged run (23b, Z1)
            return None
        return next((d for d in [exp.summary(run)] + exp.diagnoses(run)[::-1] if d.fix), None)

    def apply_fix(self) -> None:
        """`a`: the focused run's fix, applied as the engine tried it.

        Tried from the start (a diverged run, or a claim checked from step 0 at the end of the budget): every run
        is replayed from step 0 with the fix on this one. Tried from a later step: applied from now. At the end
        of the budget a fix from now has no steps left to act: every run replays, the fix acting from its step.
        Where nothing tried did much better, nothing changes."""
        exp, run = self.experiment, self.focused
        # Its name without what it uses now: the fix changes that ("sgd lr=0.025, now lr 0.05: replayed ... with
        # lr = 0.021" named the LR the fix replaces: walkthrough 16a, H10)
        label = self._label(run).partition(", now ")[0]
        chosen = self.fix_of(run)
        if chosen is None and (kept := self.kept_fix(run)) is not None:
            fix, tried = kept
            step = tried.from_step
            self._replay_with(run, fix, f"{label}: replayed every run from step 0 with {fix_words(fix, tried)} on this "
                                        f"one from step {step:,}, the fix found for it before the last replay (it is "
                                        "set up as it was then); space plays", step)
            return
        if chosen is None and (known := self.remembered_fix(run)) is not None:
            lr, value, now = known
            self._replay_with(run, {"optimizer.lr": lr},
                              f"{label}: replayed every run from step 0 with lr = {lr:.4g} on this one: a check of this "
                              f"lesson tried it from step 0 (loss {value:.3g} at the end of the budget, against "
                              f"{now:.3g} here), and it meets the challenge; space plays")
            return
        if chosen is None:
            summary = exp.summary(run)
            tried = next((d.tried for d in [summary] + exp.diagnoses(run)[::-1] if d.tried is not None), None)
            if tried is not None and exp.verdict(run) != "converged":
                self.message = f"{label}: nothing tried did much better ({tried.sentence()}), so nothing changed"
            elif exp.step_count == 0:  # a replay (another run's fix, r) starts every run afresh: nothing checked yet
                # ("no fix yet" beside a label showing the fix just applied read as the fix dropped; walk 22c, W12)
                self.message = (f"{label}: nothing to apply yet: every run starts afresh at step 0, any fix applied "
                                "already in place, and the engine checks it as it plays (space); nothing changed")
            else:
                self.message = f"{label}: no fix to apply, the run is {summary.words}; nothing changed"
            return
        fix, tried = dict(chosen.fix), chosen.tried
        words = fix_words(fix, tried)
        if tried is not None and tried.from_step == 0:
            # The other diverged runs' fixes replay from step 0 too, and a replay would clear them: they go along,
            # named (walkthrough 7, D31: lesson 22's three diverged runs took three plays to fix).
            others = self._diverged_fixes(exclude=run)
            many = len(others) > 1
            owner = "runs'" if many else "run's"  # (not "the other diverged run' fix": walkthrough 17b, M4)
            also = (f", and the other diverged {owner} fix{'es' * many} (run{'s' * many} "
                    f"{', '.join(map(str, others))})" if others else "")
            self._replace_experiment(self.experiment.replayed({run: fix, **others}, {r: 0 for r in [run, *others]}))
            kept = [r for r in range(self.experiment.n_runs) if r != run and r not in others and self.kept_fix(r)]
            keeps = (f"; run{'s' * (len(kept) > 1)} {', '.join(map(str, kept))} keep{'s' * (len(kept) == 1)} "
                     f"{'their fixes' if len(kept) > 1 else 'its fix'} for a" if kept else "")
            self.message = (f"{label}: replayed every run from step 0 with {words} on this one{also} (the fix was "
                            f"tried from the start, {tried.sentence().removeprefix('tried: ')}){keeps}; space plays")
        elif self.finished:
            # One a, as the box's "-> a" promises (walkthrough 23a, Y5: a first a that only said "press a again" read
            # as the fix not taken). The budget is used up, so the fix can only act in a replay, and the message says so.
            step = tried.from_step if tried is not None else 0
            self._replay_with(run, fix, f"{label}: replayed every run from step 0, since the budget was used up, "
                                        f"with {words} on this one from step {step:,} as it was tried; space plays",
                              step)
        else:
            done = exp.apply_changes(run, as_tried(fix, tried))
            evidence = f"; {tried.sentence()}" if tried is not None else ""
            self.message = f"{label}: applied {done} from step {exp.step_count} (fixes {chosen.words}{evidence})"

    apply_suggestion = apply_fix  # the name earlier versions used

    def _diverged_fixes(self, exclude: int) -> dict[int, dict]:
        """run -> fix of every other run that diverged and has a fix tried from the start."""
        exp, out = self.experiment, {}
        for other in range(exp.n_runs):
            chosen = self.fix_of(other) if other != exclude and exp.diverged_at(other) >= 0 else None
            if chosen is not None and chosen.tried is not None and chosen.tried.from_step == 0:
                out[other] = dict(chosen.fix)
        return out

    def _replay_with(self, run: int, fix: dict, message: str, step: int = 0) -> None:
        self._replace_experiment(self.experiment.replayed({run: fix}, {run: step}))
        self.message = message

    def fork(self) -> None:
        """`c`: the focused run into three at LR x0.3, x1 and x3 from this step. A run that has diverged (its
        copies would diverge with it) or a budget used up (they would have no step left) forks from the start."""
        run = self.focused
        diverged = self.experiment.diverged_at(run)
        if diverged < 0 and not self.finished:
            new = self.experiment.fork(run)
            self.message = f"forked run {run} into runs {', '.join(map(str, new))} at lr x0.3 and x3"
            return
        fresh = self.experiment.replayed()
        new = fresh.fork(run)
        self._replace_experiment(fresh)
        # Not "so its copies would diverge too": the x0.3 copy of lesson 2's run trains (walkthrough 17b, M2).
        why = (f"run {run} had diverged at step {diverged}, so copies from there would start from its blown-up point"
               if diverged >= 0 else "the step budget was used up")
        self.message = (f"forked run {run} from step 0 into runs {', '.join(map(str, new))} at lr x0.3 and x3 "
                        f"({why}); every run replays from the start: space plays")

    def change_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        self.message = f"speed: {self.speed} step{'s' * (self.speed != 1)} per frame"
