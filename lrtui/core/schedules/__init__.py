"""Schedule registry: every learning-rate schedule a scenario can name, with torch's semantics.

    sched = build_schedule("cosine", T_max=100)
    sched.lr_at(t, base_lr)          # lr of optimizer update t + 1, shaped like base_lr
    sched.curve(steps, base)         # (m, k): the LR at each of the integer steps (m,) for base LRs (k,)
    sched.planned(n_steps, base_lr)  # (n_steps + 1, k): the whole curve for t = 0..n_steps
    sched.momentum_at(t, base_lr)    # cycled momentum / beta1, or None
    sched.events(n_steps)            # [(t, "decay"), ...] for plot markers

`plateau` (torch's ReduceLROnPlateau) is not a schedule but an LR controller that watches the loss
(plateau.py); a scenario names it like a schedule, and `build_lr_plan` turns any name into the pure
schedule and the controller (or None) that together give a run's LR.
"""

from __future__ import annotations

from typing import NamedTuple

from lrtui.core.registry import lookup
from lrtui.core.schedules.base import Configurable, Schedule
from lrtui.core.schedules.cosine import Cosine, CosineWarmRestarts
from lrtui.core.schedules.cyclic import Cyclic, OneCycle
from lrtui.core.schedules.decay import Constant, ConstantFactor, Exponential, Linear, MultiStep, Polynomial, Step
from lrtui.core.schedules.plateau import ReduceLROnPlateau
from lrtui.core.schedules.sequential import Sequential

PURE: dict[str, type[Schedule]] = {
    cls.name: cls
    for cls in (Constant, ConstantFactor, Step, MultiStep, Exponential, Cosine, CosineWarmRestarts, Linear,
                Polynomial, OneCycle, Cyclic, Sequential)
}
CONTROLLERS: dict[str, type[ReduceLROnPlateau]] = {ReduceLROnPlateau.name: ReduceLROnPlateau}
# Every name a scenario's schedule.type may take, in the order the docs list them.
SCHEDULES: dict[str, type[Configurable]] = {**{k: v for k, v in PURE.items() if k != "sequential"}, **CONTROLLERS,
                                            "sequential": Sequential}


class LRPlan(NamedTuple):
    """What gives a run its LR: a pure schedule, and a controller layered over it (or None)."""

    schedule: Schedule
    controller: ReduceLROnPlateau | None


def build_schedule(name: str, **params) -> Schedule:
    """Construct a pure schedule by registry name; unknown names get a did-you-mean."""
    if name in CONTROLLERS:
        raise ValueError(f'"{name}" reacts to the loss, so it is an LR controller, not a schedule '
                         "(build it with build_lr_plan)")
    return lookup(PURE, name, "schedule")(**params)


def build_lr_plan(name: str, params: dict | None = None) -> LRPlan:
    """The schedule and controller for a scenario's `schedule.type` and parameters."""
    params = dict(params or {})
    if name in CONTROLLERS:
        return LRPlan(Constant(), CONTROLLERS[name](**params))
    schedule = lookup(SCHEDULES, name, "schedule")(**params)  # SCHEDULES, so that the error lists every name
    assert isinstance(schedule, Schedule)  # the controllers were handled above
    return LRPlan(schedule, None)


__all__ = ["CONTROLLERS", "PURE", "SCHEDULES", "Configurable", "Constant", "ConstantFactor", "Cosine",
           "CosineWarmRestarts", "Cyclic", "Exponential", "LRPlan", "Linear", "MultiStep", "OneCycle",
           "Polynomial", "ReduceLROnPlateau", "Schedule", "Sequential", "Step", "build_lr_plan", "build_schedule"]
