"""Schedule registry: every learning-rate schedule a scenario can name, with torch's semantics.

    sched = build_schedule("cosine", T_max=100)
    sched.lr_at(t, base_lr)          # lr of optimizer update t + 1, shaped like base_lr
    sched.planned(n_steps, base_lr)  # (n_steps + 1, k): the whole curve for t = 0..n_steps
    sched.momentum_at(t, base_lr)    # cycled momentum / beta1, or None
    sched.events(n_steps)            # [(t, "decay"), ...] for plot markers

plateau is the exception (needs_loss = True): see plateau.py for its state API.
Each class lists its parameters in `defaults` and `required`.
"""

from __future__ import annotations

from lrtui.core.registry import lookup
from lrtui.core.schedules.base import Schedule
from lrtui.core.schedules.cosine import Cosine, CosineWarmRestarts
from lrtui.core.schedules.cyclic import Cyclic, OneCycle
from lrtui.core.schedules.decay import Constant, ConstantFactor, Exponential, Linear, MultiStep, Polynomial, Step
from lrtui.core.schedules.plateau import Plateau
from lrtui.core.schedules.sequential import Sequential

SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls
    for cls in (Constant, ConstantFactor, Step, MultiStep, Exponential, Cosine, CosineWarmRestarts, Linear,
                Polynomial, OneCycle, Cyclic, Plateau, Sequential)
}


def build_schedule(name: str, **params) -> Schedule:
    """Construct a schedule by registry name; unknown names get a did-you-mean."""
    return lookup(SCHEDULES, name, "schedule")(**params)


__all__ = ["SCHEDULES", "Constant", "ConstantFactor", "Cosine", "CosineWarmRestarts", "Cyclic", "Exponential",
           "Linear", "MultiStep", "OneCycle", "Plateau", "Polynomial", "Schedule", "Sequential", "Step",
           "build_schedule"]
