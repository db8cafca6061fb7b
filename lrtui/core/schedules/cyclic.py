"""Schedules that set the lr themselves: torch's OneCycleLR and CyclicLR.

Both ignore the optimizer's lr, as in torch: OneCycleLR starts from
max_lr / div_factor and CyclicLR from its own base_lr. With cycle_momentum
they also overwrite the optimizer's momentum (SGD) or beta1 (Adam) every step.
Torch computes both directly from the step count; the formulas below repeat
its arithmetic operation by operation.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.schedules.base import (
    MAX_EVENTS,
    Schedule,
    check_bool,
    check_choice,
    check_int,
    check_number,
    periodic_steps,
)


def _anneal(strategy: str, start: float, end: float, pct: np.ndarray) -> np.ndarray:
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycle(Schedule):
    """torch's OneCycleLR: warm up from max_lr / div_factor to max_lr, then anneal far below the start."""

    name = "onecycle"
    required = ("max_lr", "total_steps")
    defaults = {"pct_start": 0.3, "anneal_strategy": "cos", "cycle_momentum": True, "base_momentum": 0.85,
                "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False}

    def _configure(self, p: dict) -> None:
        self.max_lr = check_number("max_lr", p["max_lr"], gt=0.0)
        self.total_steps = check_int("total_steps", p["total_steps"])
        self.pct_start = check_number("pct_start", p["pct_start"], ge=0.0, le=1.0)
        self.anneal_strategy = check_choice("anneal_strategy", p["anneal_strategy"], ("cos", "linear"))
        self._cycle_momentum = check_bool("cycle_momentum", p["cycle_momentum"])
        self.base_momentum = check_number("base_momentum", p["base_momentum"], ge=0.0)
        self.max_momentum = check_number("max_momentum", p["max_momentum"], ge=0.0)
        div = check_number("div_factor", p["div_factor"], gt=0.0)
        final_div = check_number("final_div_factor", p["final_div_factor"], gt=0.0)
        self.three_phase = check_bool("three_phase", p["three_phase"])
        self.step_limit = self.total_steps
        initial = self.max_lr / div
        low = initial / final_div
        warm_end = float(self.pct_start * self.total_steps) - 1
        last_end = float(self.total_steps - 1)
        hi_m, lo_m = self.max_momentum, self.base_momentum
        # (last step of the phase, lr from, lr to, momentum from, momentum to), as torch lists them.
        if self.three_phase:
            back_end = float(2 * self.pct_start * self.total_steps) - 2
            self.phases = [(warm_end, initial, self.max_lr, hi_m, lo_m), (back_end, self.max_lr, initial, lo_m, hi_m),
                           (last_end, initial, low, hi_m, hi_m)]
        else:
            self.phases = [(warm_end, initial, self.max_lr, hi_m, lo_m), (last_end, self.max_lr, low, lo_m, hi_m)]
        self._refuse_empty_phases()

    def _refuse_empty_phases(self) -> None:
        """Torch divides by zero in a phase of no length that a step falls into."""
        if self.phases[0][0] == 0.0:
            raise ValueError(f"pct_start={self.pct_start} with total_steps={self.total_steps} gives the warm-up "
                             "exactly one step, where torch divides by zero; change pct_start or total_steps")
        if self.phases[-1][0] == self.phases[-2][0]:
            raise ValueError(f"pct_start={self.pct_start} with total_steps={self.total_steps} leaves the final "
                             "annealing phase no steps, where torch divides by zero; use a smaller pct_start")

    @property
    def cycles_momentum(self) -> bool:
        return self._cycle_momentum

    def _phase_values(self, steps: np.ndarray, column: int) -> np.ndarray:
        t = steps.astype(np.float64)
        out = np.empty(t.shape)
        todo = np.ones(t.shape, dtype=bool)
        begin = 0.0
        with np.errstate(all="ignore"):
            for i, phase in enumerate(self.phases):
                end = phase[0]
                here = todo & ((t <= end) | (i == len(self.phases) - 1))
                pct = (t[here] - begin) / (end - begin)
                out[here] = _anneal(self.anneal_strategy, phase[column], phase[column + 1], pct)
                todo &= ~here
                begin = end
        return out

    def curve(self, steps, base):
        return np.repeat(self._phase_values(steps, 1)[:, None], base.size, axis=1)

    def momentum_curve(self, steps):
        return self._phase_values(steps, 3) if self._cycle_momentum else None

    def _events(self, n_steps):
        warm_end = self.phases[0][0]
        candidates = np.unique(np.clip([np.floor(warm_end), np.floor(warm_end) + 1], 0, self.total_steps))
        values = self._phase_values(candidates.astype(np.int64), 1)
        out = [(int(candidates[int(np.argmax(values))]), "peak")]
        # A long three-phase warm-up can push the later phases past the last step.
        last_start = self.phases[-2][0]
        if last_start < self.total_steps - 1:
            if self.three_phase:
                out.append((int(np.floor(last_start)) + 1, "decay"))
            out.append((self.total_steps - 1, "decay_end"))
        return out


class Cyclic(Schedule):
    """torch's CyclicLR: triangles between base_lr and max_lr, each step_size_up steps up and step_size_down down."""

    name = "cyclic"
    required = ("base_lr", "max_lr")
    defaults = {"step_size_up": 2000, "step_size_down": None, "mode": "triangular", "gamma": 1.0,
                "cycle_momentum": True, "base_momentum": 0.8, "max_momentum": 0.9}

    def _configure(self, p: dict) -> None:
        self.base_lr = check_number("base_lr", p["base_lr"], ge=0.0)
        self.max_lr = check_number("max_lr", p["max_lr"], ge=0.0)
        self.step_size_up = check_int("step_size_up", p["step_size_up"])
        down = p["step_size_down"]
        self.step_size_down = self.step_size_up if down is None else check_int("step_size_down", down, 0)
        self.mode = check_choice("mode", p["mode"], ("triangular", "triangular2", "exp_range"))
        self.gamma = check_number("gamma", p["gamma"], gt=0.0)
        self._cycle_momentum = check_bool("cycle_momentum", p["cycle_momentum"])
        self.base_momentum = check_number("base_momentum", p["base_momentum"], ge=0.0)
        self.max_momentum = check_number("max_momentum", p["max_momentum"], ge=0.0)
        self.total_size = float(self.step_size_up) + float(self.step_size_down)
        self.step_ratio = float(self.step_size_up) / self.total_size

    @property
    def cycles_momentum(self) -> bool:
        return self._cycle_momentum

    def _shape(self, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(height within the cycle in [0, 1], the mode's scale), per step."""
        where = steps / self.total_size
        cycle = np.floor(1 + where)
        x = 1.0 + where - cycle
        with np.errstate(all="ignore"):
            height = np.where(x <= self.step_ratio, x / self.step_ratio, (x - 1) / (self.step_ratio - 1))
        if self.mode == "triangular":
            factor = np.ones(steps.shape)
        elif self.mode == "triangular2":
            factor = 1 / (2.0 ** (cycle - 1))
        else:
            factor = self.gamma ** steps.astype(np.float64)
        return height, factor

    def curve(self, steps, base):
        height, factor = self._shape(steps)
        lr = self.base_lr + (self.max_lr - self.base_lr) * height * factor
        return np.repeat(lr[:, None], base.size, axis=1)

    def momentum_curve(self, steps):
        if not self._cycle_momentum:
            return None
        height, factor = self._shape(steps)
        return self.max_momentum - (self.max_momentum - self.base_momentum) * height * factor

    def _events(self, n_steps):
        size = self.step_size_up + self.step_size_down
        low, high = ("trough", "peak") if self.max_lr >= self.base_lr else ("peak", "trough")
        out = []
        for start in periodic_steps(0, size, n_steps, MAX_EVENTS // 2):  # two markers a cycle
            out.append((start, low))
            out.append((start + self.step_size_up - (self.step_size_down == 0), high))
        return out
