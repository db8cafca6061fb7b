"""The interface every learning-rate schedule implements, and parameter checking.

A schedule is a pure function of the step, in the style of optax. For step
t = 0, 1, 2, ... `lr_at(t, base_lr)` is the learning rate used by optimizer
update t + 1: torch's `optimizer.param_groups[0]["lr"]` after the scheduler's
constructor and t calls to `scheduler.step()`. `base_lr` is the optimizer's lr,
a float or an array with one value per run; results have its shape.

Torch computes most schedules recursively (each step multiplies the previous
lr); the closed forms here follow torch's values, rounding included where it
matters (see cosine.py).
"""

from __future__ import annotations

import difflib
import numbers
import operator
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np


# -- parameter checks ------------------------------------------------------------
def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


# Step counts beyond any run (10,000,000 steps at most) change nothing; the cap keeps products of
# them (cycle lengths, T_0 * T_mult**k) inside int64.
MAX_COUNT = 10**9


def check_int(name: str, value, minimum: int = 1) -> int:
    """An integer from minimum to MAX_COUNT (floats such as 3.0 are refused, as torch refuses them for step counts)."""
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if int(value) > MAX_COUNT:
        raise ValueError(f"{name} must be at most {MAX_COUNT:,} (runs are far shorter), got {value!r}")
    return int(value)


def check_number(name: str, value, *, gt=None, ge=None, le=None, lt=None) -> float:
    """A finite real number within the given bounds."""
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    for word, bound, holds in ((">", gt, operator.gt), (">=", ge, operator.ge),
                               ("<=", le, operator.le), ("<", lt, operator.lt)):
        if bound is not None and not holds(value, bound):
            raise ValueError(f"{name} must be {word} {bound}, got {value!r}")
    return value


def check_choice(name: str, value, choices) -> str:
    if value not in choices:
        close = difflib.get_close_matches(str(value), list(choices), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        listed = ", ".join(f'"{c}"' for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}{hint}")
    return value


def check_bool(name: str, value) -> bool:
    if not _is_bool(value):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def check_increasing_ints(name: str, values, minimum: int = 1) -> list[int]:
    """A list of integers >= minimum, each larger than the one before."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a list of integers, got {values!r}")
    out = [check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(values)]
    for i in range(1, len(out)):
        if out[i] <= out[i - 1]:
            raise ValueError(f"{name} must be strictly increasing, but {name}[{i}] = {out[i]} "
                             f"comes after {out[i - 1]}")
    return out


def as_base(base_lr) -> tuple[np.ndarray, tuple]:
    """(base learning rates as a flat float64 array, the shape results must take)."""
    base = np.asarray(base_lr, dtype=np.float64)
    return base.reshape(-1), base.shape


def check_step(t) -> int:
    if _is_bool(t) or not isinstance(t, numbers.Integral) or t < 0:
        raise ValueError(f"step t must be an integer >= 0, got {t!r}")
    return int(t)


class Configurable:
    """Named, checked parameters: what schedules and LR controllers share.

    Class attributes:
      name        registry name ("cosine")
      defaults    every optional parameter with its default (torch's, unless noted)
      required    parameters without a default
    Instance attribute:
      params      all parameters, defaults filled in
    """

    name: ClassVar[str] = "schedule"
    defaults: ClassVar[dict] = {}
    required: ClassVar[tuple] = ()

    def __init__(self, **params):
        allowed = list(self.required) + list(self.defaults)
        for key in params:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f'; did you mean "{close[0]}"?' if close else ""
                listed = ", ".join(allowed) or "none"
                raise ValueError(f'unknown parameter "{key}" for schedule "{self.name}"{hint} (allowed: {listed})')
        missing = [key for key in self.required if key not in params]
        if missing:
            raise ValueError(f'{missing[0]} is required by schedule "{self.name}"')
        self.params = {**self.defaults, **params}
        self._configure(self.params)

    def _configure(self, p: dict) -> None:
        """Check the parameters (ValueError naming the parameter) and keep what the computation needs."""

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({shown})"


class Schedule(Configurable, ABC):
    """A pure schedule: the LR as a function of the step. Subclasses implement `_configure` and `curve`.

    Instance attributes (besides `params`):
      step_limit  the largest t the schedule is defined for, or None (onecycle:
                  total_steps; torch raises past it)
    """

    def __init__(self, **params):
        self.step_limit: int | None = None
        super().__init__(**params)

    # -- for subclasses ----------------------------------------------------------
    @abstractmethod
    def curve(self, steps: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Learning rates (m, k) for integer steps (m,) and base learning rates (k,)."""

    def momentum_curve(self, steps: np.ndarray) -> np.ndarray | None:
        """Momentum (m,) the schedule writes into the optimizer, or None when it leaves it alone."""
        return None

    def _events(self, n_steps: int) -> list[tuple[int, str]]:
        return []

    # -- the interface -----------------------------------------------------------
    @property
    def cycles_momentum(self) -> bool:
        """True when the schedule overrides the optimizer's momentum (SGD) or beta1 (Adam)."""
        return False

    def lr_at(self, t: int, base_lr) -> np.ndarray:
        """The learning rate of optimizer update t + 1, shaped like base_lr."""
        t = self._checked_step(t)
        base, shape = as_base(base_lr)
        with np.errstate(all="ignore"):
            return self.curve(np.array([t], dtype=np.int64), base)[0].reshape(shape)

    def planned(self, n_steps: int, base_lr) -> np.ndarray:
        """The learning rates for t = 0..n_steps, shape (n_steps + 1, *base_lr.shape).

        Steps past `step_limit` (where torch raises) are NaN so a curve can be drawn up to the limit.
        """
        n_steps = check_int("n_steps", n_steps, 0)
        base, shape = as_base(base_lr)
        last = n_steps if self.step_limit is None else min(n_steps, self.step_limit)
        out = np.full((n_steps + 1, base.size), np.nan)
        with np.errstate(all="ignore"):
            out[: last + 1] = self.curve(np.arange(last + 1, dtype=np.int64), base)
        return out.reshape((n_steps + 1,) + shape)

    def lr_block(self, first: int, count: int, base_lr) -> np.ndarray:
        """The learning rates for t = first..first + count - 1, shape (count, *base_lr.shape).

        Like `planned` but for any block of steps, so a long plan can be built a block at a time
        (a plot reduces each block to its columns) instead of as one array over the whole budget.
        Steps past `step_limit` are NaN.
        """
        first, count = check_int("first", first, 0), check_int("count", count, 0)
        base, shape = as_base(base_lr)
        out = np.full((count, base.size), np.nan)
        last = first + count if self.step_limit is None else min(first + count, self.step_limit + 1)
        if last > first:
            with np.errstate(all="ignore"):
                out[: last - first] = self.curve(np.arange(first, last, dtype=np.int64), base)
        return out.reshape((count,) + shape)

    def momentum_at(self, t: int, base_lr) -> np.ndarray | None:
        """The momentum (or Adam beta1) of update t + 1 shaped like base_lr, or None when not cycled.

        Torch writes the schedule's own base_momentum..max_momentum into the
        optimizer, whatever momentum the optimizer was built with, so base_lr
        only gives the shape.
        """
        t = self._checked_step(t)
        curve = self.momentum_curve(np.array([t], dtype=np.int64))
        if curve is None:
            return None
        return np.broadcast_to(curve[0], np.shape(base_lr)).copy()

    def planned_momentum(self, n_steps: int) -> np.ndarray | None:
        """Momentum for t = 0..n_steps (NaN past step_limit), or None when not cycled."""
        n_steps = check_int("n_steps", n_steps, 0)
        last = n_steps if self.step_limit is None else min(n_steps, self.step_limit)
        curve = self.momentum_curve(np.arange(last + 1, dtype=np.int64))
        if curve is None:
            return None
        out = np.full(n_steps + 1, np.nan)
        out[: last + 1] = curve
        return out

    def events(self, n_steps: int, base_lr=1.0) -> list[tuple[int, str]]:
        """Notable steps in 1..n_steps as sorted (t, kind) pairs, for markers on a plot.

        t is the step whose lr (lr_at(t)) first shows the change. Kinds:
        "decay", "boost", "warmup_end", "decay_end", "peak", "trough", "restart", "switch".
        base_lr is accepted for symmetry with `planned`; no schedule's markers depend on it.
        At most MAX_EVENTS: a denser series (a decay every step) keeps every k-th, spread over the range.
        """
        n_steps = check_int("n_steps", n_steps, 0)
        if self.step_limit is not None:
            n_steps = min(n_steps, self.step_limit)
        found = sorted({(int(t), kind) for t, kind in self._events(n_steps) if 0 < t <= n_steps})
        return found[:: -(-len(found) // MAX_EVENTS)] if len(found) > MAX_EVENTS else found

    def _checked_step(self, t) -> int:
        t = check_step(t)
        if self.step_limit is not None and t > self.step_limit:
            raise ValueError(f'schedule "{self.name}" was asked for step {t}, but total_steps is '
                             f"{self.step_limit}; set total_steps to at least the number of training steps")
        return t


# Markers on a plot at most a few hundred columns wide: past this many, more only cost time and memory
# (step_size = 1 over 10,000,000 steps made ten million of them).
MAX_EVENTS = 500


def periodic_steps(first: int, every: int, last: int, most: int = MAX_EVENTS) -> range:
    """first, first + every, ... up to last; when those are more than `most`, every k-th of them."""
    count = max(0, (last - first) // every + 1)
    return range(first, last + 1, every * max(1, -(-count // most)))


def scale(factors: np.ndarray, base: np.ndarray) -> np.ndarray:
    """base * factor for every (step, run) pair: (m,) and (k,) -> (m, k)."""
    return base[None, :] * factors[:, None]
