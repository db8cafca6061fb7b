"""torch's ReduceLROnPlateau: the one schedule that needs the loss.

It cannot be a function of the step alone, so it keeps an explicit state, one
row per run, each run with its own best loss and counters:

    state = sched.init(base_lr)              # base_lr (k,)
    lr = sched.lr_from(state)                # the lr of the next update
    state = sched.observe(state, losses)     # torch's scheduler.step(loss), after each update

`lr_at` and `planned` know no losses: they return the base lr held constant.
To draw the plan during training, pass `lr_from(state)` as the base lr.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.schedules.base import Schedule, as_base, check_choice, check_int, check_number


class Plateau(Schedule):
    """Cut the lr by factor when the loss has not improved for more than patience steps."""

    name = "plateau"
    needs_loss = True
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
        lr, _ = as_base(base_lr)
        k = lr.size
        return {
            "lr": lr.copy(),
            "best": np.full(k, np.inf if self.mode == "min" else -np.inf),
            "num_bad": np.zeros(k, dtype=np.int64),
            "cooldown": np.zeros(k, dtype=np.int64),
            # True for runs whose lr the latest observe() cut, for markers on a plot.
            "reduced": np.zeros(k, dtype=bool),
        }

    def lr_from(self, state: dict) -> np.ndarray:
        return state["lr"].copy()

    def _improved(self, current: np.ndarray, best: np.ndarray) -> np.ndarray:
        if self.mode == "min":
            bar = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return current < bar
        bar = best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold
        return current > bar

    def observe(self, state: dict, loss) -> dict:
        """The state after torch's `scheduler.step(loss)`; loss has one value per run (NaN never improves)."""
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
            "lr": np.where(cut, new, old),
            "best": best,
            "num_bad": np.where(due, 0, num_bad),
            "cooldown": np.where(due, self.cooldown, cooldown),
            "reduced": cut,
        }

    def _curve(self, steps, base):
        return np.broadcast_to(base, (steps.size, base.size)).copy()
