"""Optimizer registry: every optimizer a scenario can name, with torch's hyperparameters.

    opt = build_optimizer("adam", lr=np.array([1e-3, 1e-2]), betas=(0.9, 0.999))
    state = opt.init(params)                          # params (R, n)
    params, state = opt.update(grads, state, params, lr)
"""

from __future__ import annotations

from lrtui.core.registry import lookup
from lrtui.core.optimizers.adagrad import Adagrad
from lrtui.core.optimizers.adam import Adam, AdamW
from lrtui.core.optimizers.base import Optimizer
from lrtui.core.optimizers.nadam import NAdam
from lrtui.core.optimizers.rmsprop import RMSprop
from lrtui.core.optimizers.sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam, AdamW, NAdam)}


def build_optimizer(name: str, **hyper) -> Optimizer:
    """Construct an optimizer by registry name; unknown names get a did-you-mean."""
    return lookup(OPTIMIZERS, name, "optimizer")(**hyper)


__all__ = ["OPTIMIZERS", "Adagrad", "Adam", "AdamW", "NAdam", "Optimizer", "RMSprop", "SGD", "build_optimizer"]
