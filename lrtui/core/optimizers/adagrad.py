"""Adagrad, as torch.optim.Adagrad."""

from __future__ import annotations

import numpy as np

from lrtui.core.optimizers.base import NONNEGATIVE, Optimizer, StabilityRule, as_column


class Adagrad(Optimizer):
    """torch.optim.Adagrad.

    State: "step" (R, 1) and "sum" (R, n), the running sum of squared
    gradients, which starts at initial_accumulator_value. The learning rate a
    schedule passes in is decayed again by lr_decay, as torch does:
    lr / (1 + (step - 1) * lr_decay).
    """

    name = "adagrad"
    defaults = {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
        "maximize": False,
    }
    constraints = {
        "lr": NONNEGATIVE,
        "lr_decay": NONNEGATIVE,
        "weight_decay": NONNEGATIVE,
        "initial_accumulator_value": NONNEGATIVE,
        "eps": NONNEGATIVE,
    }
    # torch's OneCycleLR and CyclicLR refuse cycle_momentum for Adagrad.
    momentum_key = None
    adaptive = True

    def stability_rule(self, n_runs: int) -> StabilityRule:
        """Gradient descent preconditioned by its own denominator: lr·λ(P⁻¹H) < 2."""
        return StabilityRule(np.full(n_runs, 2.0), True, "2/λ")

    def _prepare(self) -> None:
        cols = self._columns
        self.lr_decay = cols["lr_decay"]
        self.weight_decay = cols["weight_decay"]
        self.eps = cols["eps"]
        self.maximize = cols["maximize"]
        self._decays = not self._is_zero(cols["weight_decay"])
        self._lr_decays = not self._is_zero(cols["lr_decay"])

    def _init_buffers(self, params: np.ndarray) -> dict:
        initial = self._columns["initial_accumulator_value"]
        return {"sum": np.zeros_like(params) + initial}

    def _decayed_lr(self, lr, steps_done):
        if not self._lr_decays:
            return lr
        return lr / (1.0 + steps_done * self.lr_decay)

    def update(self, grads, state, params, lr, momentum=None):
        if momentum is not None:
            raise ValueError("adagrad has no momentum or beta1 to cycle; turn cycle_momentum off for it")
        lr = as_column(lr)
        grad = -grads if self.maximize else grads
        if self._decays:
            grad = grad + self.weight_decay * params
        decayed_lr = self._decayed_lr(lr, state["step"])
        square_sum = grad * grad
        square_sum += state["sum"]
        denominator = np.sqrt(square_sum)
        denominator += self.eps
        change = decayed_lr * grad
        change /= denominator
        new_state = {"step": state["step"] + 1.0, "sum": square_sum}
        return params - change, new_state

    def effective_lr(self, state, lr):
        """decayed lr / (sqrt(sum) + eps): the step the next update takes per unit of gradient."""
        with np.errstate(all="ignore"):
            decayed_lr = self._decayed_lr(as_column(lr), state["step"])
            return decayed_lr / (np.sqrt(state["sum"]) + self.eps)
