"""Schedules that multiply the base lr by a factor of the step: constant, step, multistep,
exponential, linear, polynomial, and torch's ConstantLR (as "constant_factor").

Torch steps these recursively (lr *= ratio); over 10^4 steps the products stay
within 1e-14 of the closed forms below, which are torch's own `_get_closed_form_lr`.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.schedules.base import (
    Schedule,
    check_increasing_ints,
    check_int,
    check_number,
    periodic_steps,
    scale,
)


def _change_kind(gamma: float) -> str | None:
    if gamma < 1.0:
        return "decay"
    if gamma > 1.0:
        return "boost"
    return None


class Constant(Schedule):
    """No schedule: every step uses the optimizer's lr."""

    name = "constant"

    def _configure(self, p: dict) -> None:
        pass

    def curve(self, steps, base):
        return np.broadcast_to(base, (steps.size, base.size)).copy()


class ConstantFactor(Schedule):
    """torch's ConstantLR: base * factor until total_iters, then base."""

    name = "constant_factor"
    defaults = {"factor": 1.0 / 3, "total_iters": 5}

    def _configure(self, p: dict) -> None:
        # torch accepts factor = 0 and then divides by it at total_iters.
        self.factor = check_number("factor", p["factor"], gt=0.0, le=1.0)
        self.total_iters = check_int("total_iters", p["total_iters"])

    def curve(self, steps, base):
        done = (steps >= self.total_iters).astype(np.float64)
        return scale(self.factor + done * (1.0 - self.factor), base)

    def _events(self, n_steps):
        return [(self.total_iters, "warmup_end")] if self.factor < 1.0 else []


class Step(Schedule):
    """torch's StepLR: multiply by gamma every step_size steps."""

    name = "step"
    required = ("step_size",)
    defaults = {"gamma": 0.1}

    def _configure(self, p: dict) -> None:
        self.step_size = check_int("step_size", p["step_size"])
        self.gamma = check_number("gamma", p["gamma"], gt=0.0)

    def curve(self, steps, base):
        return scale(self.gamma ** (steps // self.step_size).astype(np.float64), base)

    def _events(self, n_steps):
        kind = _change_kind(self.gamma)
        if kind is None:
            return []
        return [(int(t), kind) for t in periodic_steps(self.step_size, self.step_size, n_steps)]


class MultiStep(Schedule):
    """torch's MultiStepLR: multiply by gamma at each milestone."""

    name = "multistep"
    required = ("milestones",)
    defaults = {"gamma": 0.1}

    def _configure(self, p: dict) -> None:
        self.milestones = check_increasing_ints("milestones", p["milestones"])
        self.gamma = check_number("gamma", p["gamma"], gt=0.0)

    def curve(self, steps, base):
        passed = np.searchsorted(np.array(self.milestones, dtype=np.int64), steps, side="right")
        return scale(self.gamma ** passed.astype(np.float64), base)

    def _events(self, n_steps):
        kind = _change_kind(self.gamma)
        return [] if kind is None else [(m, kind) for m in self.milestones]


class Exponential(Schedule):
    """torch's ExponentialLR: multiply by gamma every step."""

    name = "exponential"
    required = ("gamma",)

    def _configure(self, p: dict) -> None:
        self.gamma = check_number("gamma", p["gamma"], gt=0.0)

    def curve(self, steps, base):
        return scale(self.gamma ** steps.astype(np.float64), base)


class Linear(Schedule):
    """torch's LinearLR: the factor moves linearly from start_factor to end_factor over total_iters steps."""

    name = "linear"
    defaults = {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5}

    def _configure(self, p: dict) -> None:
        self.start_factor = check_number("start_factor", p["start_factor"], gt=0.0, le=1.0)
        self.end_factor = check_number("end_factor", p["end_factor"], ge=0.0, le=1.0)
        self.total_iters = check_int("total_iters", p["total_iters"])

    def curve(self, steps, base):
        done = np.minimum(self.total_iters, steps).astype(np.float64)
        factor = self.start_factor + (self.end_factor - self.start_factor) * done / self.total_iters
        return scale(factor, base)

    def _events(self, n_steps):
        if self.end_factor > self.start_factor:
            return [(self.total_iters, "warmup_end")]
        if self.end_factor < self.start_factor:
            return [(self.total_iters, "decay_end")]
        return []


class Polynomial(Schedule):
    """torch's PolynomialLR: base * (1 - t / total_iters) ** power, then 0."""

    name = "polynomial"
    defaults = {"total_iters": 5, "power": 1.0}

    def _configure(self, p: dict) -> None:
        self.total_iters = check_int("total_iters", p["total_iters"])
        # A negative power divides by zero at total_iters (torch raises there).
        self.power = check_number("power", p["power"], ge=0.0)

    def curve(self, steps, base):
        done = np.minimum(self.total_iters, steps).astype(np.float64)
        return scale((1.0 - done / self.total_iters) ** self.power, base)

    def _events(self, n_steps):
        return [(self.total_iters, "decay_end")] if self.power > 0 else []
