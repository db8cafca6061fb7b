"""Batching runs that share an optimizer or a schedule into one array program.

Runs whose optimizer has the same name and the same flags form one group; its
numeric hyperparameters become per-run arrays. Runs whose schedule has the
same spec (and start step) form one group; the schedule is evaluated once for
the group, on the group's base learning rates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from lrtui.core.optimizers import build_optimizer
from lrtui.core.optimizers.base import Optimizer
from lrtui.core.schedules import ReduceLROnPlateau, Schedule, build_lr_plan


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def take_rows(state: dict, index) -> dict:
    return {key: value[index] for key, value in state.items()}


def stack_rows(states: list[dict]) -> dict:
    return {key: np.concatenate([s[key] for s in states]) for key in states[0]}


def rows_selector(indices: np.ndarray, n_runs: int) -> slice | np.ndarray:
    """A plain slice when the group is every run in order, so NumPy need not copy."""
    if indices.size == n_runs and np.array_equal(indices, np.arange(n_runs)):
        return slice(None)
    return indices


@dataclass
class OptimizerGroup:
    indices: np.ndarray
    select: slice | np.ndarray
    optimizer: Optimizer
    state: dict
    cycles_momentum: bool = False


@dataclass
class ScheduleGroup:
    indices: np.ndarray
    select: slice | np.ndarray
    schedule: Schedule  # a pure Schedule
    offset: int
    base_lr: np.ndarray
    controller: ReduceLROnPlateau | None = None  # an LR controller layered over the schedule, or None
    controller_state: dict | None = None


_KEYS: dict = {}  # (kind, name, hashable settings) -> the JSON key made for them


def _remembered(memo_key, value, **options) -> str:
    """json.dumps(value, **options), remembered under `memo_key` (a sweep asks for the same key a thousand
    times); `memo_key` None: made afresh."""
    if memo_key is None:
        return json.dumps(value, **options)
    text = _KEYS.get(memo_key)
    if text is None:
        if len(_KEYS) >= 4096:
            _KEYS.clear()
        text = _KEYS[memo_key] = json.dumps(value, **options)
    return text


def _scalars(params: dict) -> tuple | None:
    """The items of a flat table of scalars, each with its type (true is not 1) and a float's sign (-0.0 is not
    0.0, and JSON tells them apart), or None when a value is anything else (nan, a list, an array)."""
    items: list[tuple] = []
    for key, value in params.items():
        kind = type(value)
        if kind is float:
            if value != value or value in (float("inf"), float("-inf")):
                return None
            items.append((key, kind, value, math.copysign(1.0, value)))
        elif kind in (bool, int, str) or value is None:
            items.append((key, kind, value))
        else:
            return None
    return tuple(items)


def optimizer_key(name: str, params: dict) -> str:
    fixed = {k: v for k, v in params.items() if not _numeric(v) and k != "betas"}
    scalars = _scalars(fixed)
    memo_key = None if scalars is None else ("optimizer", name, scalars)
    return _remembered(memo_key, [name, sorted(fixed.items())], default=str)


def build_optimizer_group(name: str, params_per_run: list[dict], indices: np.ndarray,
                          n_runs: int) -> tuple[Optimizer, slice | np.ndarray]:
    """One optimizer whose numeric hyperparameters are arrays over the group's runs."""
    first = params_per_run[0]
    hyper: dict = {}
    for key, value in first.items():
        if key == "betas":
            hyper[key] = tuple(np.array([float(p[key][i]) for p in params_per_run]) for i in range(2))
        elif _numeric(value):
            hyper[key] = np.array([float(p[key]) for p in params_per_run])
        else:
            hyper[key] = value
    optimizer = build_optimizer(name, **hyper)
    return optimizer, rows_selector(indices, n_runs)


def schedule_key(name: str, params: dict, offset: int) -> str:
    scalars = _scalars(params)
    memo_key = None if scalars is None else ("schedule", name, scalars, type(offset), offset)
    return _remembered(memo_key, [name, params, offset], sort_keys=True, default=str)


def build_schedule_group(name: str, params: dict, offset: int, indices, base_lr, n_runs) -> ScheduleGroup:
    schedule, controller = build_lr_plan(name, params)
    group = ScheduleGroup(indices, rows_selector(indices, n_runs), schedule, offset, base_lr, controller)
    if controller is not None:
        group.controller_state = controller.init(base_lr)
    return group
