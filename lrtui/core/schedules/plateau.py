"""torch's ReduceLROnPlateau, as an LR controller layered over a pure schedule.

A schedule is a function of the step; this is not: it watches the loss and
cuts the LR when the loss stops improving. So it is not a Schedule but a
controller with an explicit state, one row per run, each run with its own best
loss and counters (optax's pattern: a pure transformation, with the stateful
control on top):

    state = ctl.init(base_lr)
    lr = ctl.adjust(state, schedule_lr)      # the LR of the next update
    state = ctl.observe(state, schedule_lr, losses)   # torch's scheduler.step(loss), after each update

The state holds the LR the controller has brought the base LR to, cut by cut
as torch computes it (lr = max(lr * factor, min_lr)), and scales the schedule's
LR by it: over the constant schedule, which is how a scenario uses it
(`schedule.type = "plateau"`), this is torch's ReduceLROnPlateau bit for bit
(the torch fixtures check it).
"""

from __future__ import annotations

import numpy as np

from lrtui.core.schedules.base import Configurable, check_choice, check_int, check_number


class ReduceLROnPlateau(Configurable):
    """Cut the LR by `factor` when the loss has not improved for more than `patience` steps."""

    name = "plateau"
    plannable = False  # the LR it will give depends on losses not yet seen
    # torch's min_lr default is the integer 0; 0.0 lets scenario files give a float.
    defaults = {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel",
                "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}

    def _configure(self, p: dict) -> None:
        self.mode = check_choice("mode", p["mode"], ("min", "max"))
        self.factor = check_number("factor", p["factor"], ge=0.0, lt=1.0)
        self.patience = check_int("patience", p["patience"], 0)
        self.threshold = check_number("threshold", p["threshold"], ge=0.0)
        self.threshold_mode = check_choice("threshold_mode", p["threshold_mode"], ("rel", "abs"))
        self.cooldown = check_int("cooldown", p["cooldown"], 0)
        self.min_lr = check_number("min_lr", p["min_lr"], ge=0.0)
        self.eps = check_number("eps", p["eps"], ge=0.0)

    def init(self, base_lr) -> dict:
        """The state before any loss is seen: a dict of arrays with one row per run."""
        base = np.array(np.asarray(base_lr, dtype=np.float64).reshape(-1))
        n_runs = base.size
        return {
            "base": base,
            "lr": base.copy(),
            "best": np.full(n_runs, np.inf if self.mode == "min" else -np.inf),
            "num_bad": np.zeros(n_runs, dtype=np.int64),
            "cooldown": np.zeros(n_runs, dtype=np.int64),
            # True for runs whose LR the latest observe() cut, for markers on a plot.
            "reduced": np.zeros(n_runs, dtype=bool),
        }

    def adjust(self, state: dict, lr: np.ndarray) -> np.ndarray:
        """The LR in force: the schedule's LR, scaled as the cuts so far scaled the base LR."""
        base = state["base"]
        with np.errstate(all="ignore"):
            ratio = np.where(base > 0, lr / np.where(base > 0, base, 1.0), 1.0)
        return state["lr"] * ratio

    def _improved(self, current: np.ndarray, best: np.ndarray) -> np.ndarray:
        if self.mode == "min":
            bar = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return current < bar
        bar = best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold
        return current > bar

    def observe(self, state: dict, lr: np.ndarray, loss) -> dict:
        """The state after torch's `scheduler.step(loss)`, given the schedule's LR `lr` for the coming update;
        loss has one value per run (NaN never improves)."""
        current = np.broadcast_to(np.asarray(loss, dtype=np.float64), state["lr"].shape)
        with np.errstate(all="ignore"):
            improved = self._improved(current, state["best"])
            best = np.where(improved, current, state["best"])
            num_bad = np.where(improved, 0, state["num_bad"] + 1)
            cooling = state["cooldown"] > 0
            cooldown = np.where(cooling, state["cooldown"] - 1, state["cooldown"])
            num_bad = np.where(cooling, 0, num_bad)
            due = num_bad > self.patience
            old = state["lr"]
            new = np.maximum(old * self.factor, self.min_lr)
            cut = due & (old - new > self.eps)
        return {
            "base": state["base"],
            "lr": np.where(cut, new, old),
            "best": best,
            "num_bad": np.where(due, 0, num_bad),
            "cooldown": np.where(due, self.cooldown, cooldown),
            "reduced": cut,
        }
