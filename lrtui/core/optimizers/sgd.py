"""SGD with optional momentum, dampening and Nesterov momentum, as torch.optim.SGD."""

from __future__ import annotations

import numpy as np

from lrtui.core.optimizers.base import ANY, NONNEGATIVE, Optimizer, StabilityRule, as_column, per_run


class SGD(Optimizer):
    """torch.optim.SGD.

    State: "step" (R, 1), "momentum_buffer" (R, n) and "has_momentum_buffer"
    (R, 1) bool. torch creates the buffer lazily, as a copy of the first
    gradient it sees with momentum != 0 (no dampening on that first step); the
    flag records, per run, whether that has happened yet.
    """

    name = "sgd"
    defaults = {
        "lr": 1e-3,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "maximize": False,
    }
    constraints = {"lr": NONNEGATIVE, "momentum": NONNEGATIVE, "dampening": ANY, "weight_decay": NONNEGATIVE}
    momentum_key = "momentum"

    def _check_combinations(self) -> None:
        if not self._columns["nesterov"]:
            return
        momentum, dampening = self._columns["momentum"], self._columns["dampening"]
        if np.any(np.asarray(momentum) <= 0):
            raise ValueError("nesterov=True needs momentum > 0 (for every run); set momentum or turn nesterov off")
        if np.any(np.asarray(dampening) != 0):
            raise ValueError("nesterov=True needs dampening = 0 (for every run); set dampening to 0 or turn nesterov off")

    def _prepare(self) -> None:
        cols = self._columns
        self.momentum = cols["momentum"]
        self.weight_decay = cols["weight_decay"]
        self.nesterov = cols["nesterov"]
        self.maximize = cols["maximize"]
        self.keep_fraction = 1.0 - cols["dampening"]
        self._decays = not self._is_zero(cols["weight_decay"])
        self._damps = not self._is_zero(cols["dampening"])

    def stability_rule(self, n_runs: int) -> StabilityRule:
        """Gradient descent: lr·λ < 2; heavy ball: lr·(1 - dampening)·λ < 2 + 2β; Nesterov: lr·λ < (2 + 2β)/(1 + 2β)."""
        beta = per_run(self.momentum, n_runs)
        keep = per_run(self.keep_fraction, n_runs)
        if self.nesterov:
            return StabilityRule((2.0 + 2.0 * beta) / (1.0 + 2.0 * beta), False, "(2+2β)/((1+2β)λ)")
        limit = (2.0 + 2.0 * beta) / np.where(beta > 0, keep, 1.0)
        return StabilityRule(limit, False, "2/λ" if np.all(beta == 0) else "(2+2β)/λ")

    def _init_buffers(self, params: np.ndarray) -> dict:
        return {
            "momentum_buffer": np.zeros_like(params),
            "has_momentum_buffer": np.zeros((params.shape[0], 1), dtype=bool),
        }

    def update(self, grads, state, params, lr, momentum=None):
        lr = as_column(lr)
        grad = -grads if self.maximize else grads
        if self._decays:
            grad = grad + self.weight_decay * params
        momentum = self._momentum_column(self.momentum, momentum)
        new_state = dict(state)
        new_state["step"] = state["step"] + 1.0
        if isinstance(momentum, float) and momentum == 0:
            direction = grad
        else:
            direction = self._momentum_direction(grad, state, new_state, momentum)
        return params - lr * direction, new_state

    def _momentum_direction(self, grad, state, new_state, momentum):
        buffer, has_buffer = state["momentum_buffer"], state["has_momentum_buffer"]
        blended = buffer * momentum
        if self._damps:
            blended += self.keep_fraction * grad
            # torch's first buffer is the raw gradient, undamped
            blended = np.where(has_buffer, blended, grad)
        else:
            # a zero buffer blended with the whole gradient is exactly that gradient
            blended += grad
        active = momentum != 0
        every_run = bool(np.all(active)) if isinstance(active, np.ndarray) else active
        new_buffer = blended if every_run else np.where(active, blended, buffer)
        new_state["momentum_buffer"] = new_buffer
        new_state["has_momentum_buffer"] = has_buffer | active
        if self.nesterov:
            direction = momentum * new_buffer
            direction += grad
        else:
            direction = new_buffer
        return direction if every_run else np.where(active, direction, grad)
