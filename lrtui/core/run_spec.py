"""What one run is: a label, an optimizer, a schedule, a starting point, and the changes made to it mid-run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Change:
    """Changes to a run that take effect from `step` on (the update after step `step` uses them).

    `changes` uses the same keys as a diagnosis's fix: "optimizer.lr" (a new LR), "optimizer.lr_factor"
    (multiply the LR, its whole schedule included), "optimizer.<name>" (a hyperparameter, state kept, as
    writing into torch's param_groups), "optimizer.type" (another optimizer, fresh state), "schedule.type"
    and "schedule.<name>" (another schedule, or other parameters, starting from this step).
    """

    step: int
    changes: dict
    kind: str = ""  # "fork": the LR factor a fork (`c`) started with, which a replay marks as the fork again

    def as_dict(self) -> dict:
        return {"step": int(self.step), **self.changes}


LR_KEYS = ("optimizer.lr", "optimizer.lr_factor")


def with_change(timeline: list[Change], change: Change) -> list[Change]:
    """The timeline with `change` made last at its step: after every change already at that step or before it
    (so a fix at step 0 has the last word over a hand edit at step 0), before the later ones. A change that sets
    the LR sets it for good: later changes keep their other keys but not theirs (a fork's "x3" at step 2 made a
    fix of lr 0.0059 from step 0 run at 0.0177, while the message and the try said 0.0059)."""
    at = sum(1 for c in timeline if c.step <= change.step)
    ordered = sorted(timeline, key=lambda c: c.step)
    later = ordered[at:]
    if any(key in change.changes for key in LR_KEYS):
        later = [Change(c.step, {k: v for k, v in c.changes.items() if k not in LR_KEYS}, c.kind) for c in later]
        later = [c for c in later if c.changes]
    return [*ordered[:at], change, *later]


@dataclass
class RunSpec:
    label: str = ""
    optimizer: str = "sgd"
    optimizer_params: dict = field(default_factory=dict)
    schedule: str = "constant"
    schedule_params: dict = field(default_factory=dict)
    start: np.ndarray | None = None
    changes: list[Change] = field(default_factory=list)  # applied at their steps, in order
    auto_label: bool = False  # the label was made from the settings, so it follows them when they change
    # LRs this run, set up as it is apart from its LR, was seen to diverge at (a replay remembers them): no fix
    # tried later suggests one of them, or more (walkthrough 4: after lesson 2's fix replayed the run at 0.0016,
    # the engine tried 0.00284, next to the 0.003 that had diverged).
    diverged_lrs: tuple = ()
    forked_from: int = -1  # the run (in its simulation) this one was forked from with `c`; kept by replays

    def copy(self, **changes) -> "RunSpec":
        values: dict[str, Any] = {
            "label": self.label,
            "optimizer": self.optimizer,
            "optimizer_params": dict(self.optimizer_params),
            "schedule": self.schedule,
            "schedule_params": dict(self.schedule_params),
            "start": None if self.start is None else np.array(self.start, dtype=np.float64),
            "changes": list(self.changes),
            "auto_label": self.auto_label,
            "diverged_lrs": tuple(self.diverged_lrs),
            "forked_from": self.forked_from,
        }
        values.update(changes)
        return RunSpec(**values)

    def default_label(self, lr: float) -> str:
        return f"{self.optimizer} lr={lr:.4g}"


MAX_LR_SCHEDULES = ("onecycle", "cyclic")  # schedules that set their own LRs from a max_lr


def changed_after_start(spec) -> bool:
    """Whether the run's timeline changes it after step 0: a change at step 0 (an LR set before the first
    update, then replayed) is where it starts, and its checks are those of an unchanged run (walkthroughs 14b
    D1, 15b G2: lesson 23's slow run at lr x1000 from step 0 was checked as a run changed by hand, against
    another baseline than its identical twin's)."""
    return any(change.step > 0 for change in spec.changes)


def scaled_lr(spec, factor: float):
    """The spec with its own LR scale (optimizer.lr, or a cyclic max_lr and base_lr) times `factor`: a run whose
    step-0 changes scaled its LR, as the run it is."""
    if factor == 1.0:
        return spec
    if spec.schedule in MAX_LR_SCHEDULES:
        params = {key: value * factor if key in ("max_lr", "base_lr") and isinstance(value, (int, float)) else value
                  for key, value in spec.schedule_params.items()}
        return spec.copy(schedule_params=params)
    return spec.copy(optimizer_params={**spec.optimizer_params, "lr": spec.optimizer_params["lr"] * factor})


def own_lr_scale(spec, fallback: float) -> float:
    """The LR a run's schedule is a share of: a cyclic schedule's max_lr, else the optimizer's lr."""
    key = "max_lr" if spec.schedule in MAX_LR_SCHEDULES else None
    value = spec.schedule_params.get(key) if key else spec.optimizer_params.get("lr")
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) and value > 0 else fallback


@dataclass(frozen=True)
class Event:
    """Something that happened to a run at a step: a marker on the curves."""

    step: int
    run: int
    kind: str  # lr | optimizer | schedule | plateau_cut | diverged | fork
    detail: str
    parent: int = -1  # for a fork: the run it was copied from
