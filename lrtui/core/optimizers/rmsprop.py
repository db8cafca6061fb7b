"""RMSprop, plain or centered, with optional momentum, as torch.optim.RMSprop."""

from __future__ import annotations

import numpy as np

from lrtui.core.optimizers.base import NONNEGATIVE, Optimizer, StabilityRule, as_column, lerp, per_run


class RMSprop(Optimizer):
    """torch.optim.RMSprop.

    State: "step" (R, 1), "square_avg" (R, n), "momentum_buffer" (R, n) and,
    when centered, "grad_avg" (R, n). The buffer is kept for every run so that
    momentum cycling can switch momentum on at any step; a run whose momentum
    is 0 in a step leaves it untouched, as torch skips it.
    """

    name = "rmsprop"
    defaults = {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
        "maximize": False,
    }
    constraints = {
        "lr": NONNEGATIVE,
        "alpha": NONNEGATIVE,
        "eps": NONNEGATIVE,
        "weight_decay": NONNEGATIVE,
        "momentum": NONNEGATIVE,
    }
    momentum_key = "momentum"
    adaptive = True

    def stability_rule(self, n_runs: int) -> StabilityRule:
        """Heavy ball preconditioned by its own denominator: lr·λ(P⁻¹H) < 2 + 2β (β its momentum)."""
        beta = per_run(self.momentum, n_runs)
        return StabilityRule(2.0 + 2.0 * beta, True, "2/λ" if np.all(beta == 0) else "(2+2β)/λ")

    def _prepare(self) -> None:
        cols = self._columns
        self.alpha = cols["alpha"]
        self.new_weight = 1.0 - cols["alpha"]
        self.eps = cols["eps"]
        self.weight_decay = cols["weight_decay"]
        self.momentum = cols["momentum"]
        self.centered = cols["centered"]
        self.maximize = cols["maximize"]
        self._decays = not self._is_zero(cols["weight_decay"])

    def _init_buffers(self, params: np.ndarray) -> dict:
        buffers = {"square_avg": np.zeros_like(params), "momentum_buffer": np.zeros_like(params)}
        if self.centered:
            buffers["grad_avg"] = np.zeros_like(params)
        return buffers

    def _denominator(self, square_avg, grad_avg):
        if grad_avg is None:
            root = np.sqrt(square_avg)
        else:
            root = grad_avg * grad_avg
            np.subtract(square_avg, root, out=root)
            np.sqrt(root, out=root)
        root += self.eps
        return root

    def update(self, grads, state, params, lr, momentum=None):
        lr = as_column(lr)
        grad = -grads if self.maximize else grads
        if self._decays:
            grad = grad + self.weight_decay * params
        square_avg = state["square_avg"] * self.alpha
        weighted = self.new_weight * grad
        weighted *= grad
        square_avg += weighted
        new_state = dict(state)
        new_state["step"] = state["step"] + 1.0
        new_state["square_avg"] = square_avg
        grad_avg = None
        if self.centered:
            grad_avg = lerp(state["grad_avg"], grad, self.new_weight)
            new_state["grad_avg"] = grad_avg
        denominator = self._denominator(square_avg, grad_avg)

        momentum = self._momentum_column(self.momentum, momentum)
        plain = None
        active = momentum > 0
        every_run = bool(np.all(active)) if isinstance(active, np.ndarray) else active
        if not every_run:
            plain = lr * grad
            plain /= denominator
            if not np.any(active):
                return np.subtract(params, plain, out=plain), new_state
        buffer = state["momentum_buffer"] * momentum
        buffer += grad / denominator
        change = lr * buffer
        if plain is not None:
            buffer = np.where(active, buffer, state["momentum_buffer"])
            change = np.where(active, change, plain)
        new_state["momentum_buffer"] = buffer
        return params - change, new_state

    def effective_lr(self, state, lr):
        """lr / (sqrt(square_avg [- grad_avg**2]) + eps), the denominator of torch's update."""
        with np.errstate(all="ignore"):
            return as_column(lr) / self._denominator(state["square_avg"], state.get("grad_avg"))
