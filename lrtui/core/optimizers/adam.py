"""Adam and AdamW (with optional AMSGrad), as torch.optim.Adam and torch.optim.AdamW."""

from __future__ import annotations

import numpy as np

from lrtui.core.optimizers.base import (
    NONNEGATIVE,
    Optimizer,
    StabilityRule,
    as_column,
    float_power,
    lerp,
    per_run,
    steps_for_display,
)


class Adam(Optimizer):
    """torch.optim.Adam.

    State: "step" (R, 1), "exp_avg" (R, n), "exp_avg_sq" (R, n) and, with
    amsgrad, "max_exp_avg_sq" (R, n). decoupled_weight_decay=True makes it
    AdamW: parameters shrink by lr * weight_decay before the Adam step instead
    of weight_decay * params being added to the gradient.
    """

    name = "adam"
    defaults = {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
        "maximize": False,
        "decoupled_weight_decay": False,
    }
    constraints = {"lr": NONNEGATIVE, "eps": NONNEGATIVE, "weight_decay": NONNEGATIVE}
    momentum_key = "beta1"
    adaptive = True

    def _decoupled(self) -> bool:
        return self._columns["decoupled_weight_decay"]

    def stability_rule(self, n_runs: int) -> StabilityRule:
        """lr·λ(P⁻¹H) < (2 + 2β1)/(1 - β1), P = diag(√v̂ + ε) (Cohen et al., 2022)."""
        beta1 = per_run(self.beta1, n_runs)
        return StabilityRule((2.0 + 2.0 * beta1) / (1.0 - beta1), True, "(2+2β1)/((1-β1)λ)")

    def _prepare(self) -> None:
        cols = self._columns
        self.beta1, self.beta2 = cols["betas"]
        self.new_weight1 = 1.0 - self.beta1
        self.new_weight2 = 1.0 - self.beta2
        self.eps = cols["eps"]
        self.weight_decay = cols["weight_decay"]
        self.amsgrad = cols["amsgrad"]
        self.maximize = cols["maximize"]
        self.decoupled = self._decoupled()
        self._decays = not self._is_zero(cols["weight_decay"])

    def _init_buffers(self, params: np.ndarray) -> dict:
        buffers = {"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)}
        if self.amsgrad:
            buffers["max_exp_avg_sq"] = np.zeros_like(params)
        return buffers

    def update(self, grads, state, params, lr, momentum=None):
        lr = as_column(lr)
        grad, params = self._apply_weight_decay(grads, params, lr)
        if momentum is None:
            beta1, new_weight1 = self.beta1, self.new_weight1
        else:
            beta1 = self._momentum_column(None, momentum)
            new_weight1 = 1.0 - beta1
        step = state["step"] + 1.0

        exp_avg = lerp(state["exp_avg"], grad, new_weight1)
        exp_avg_sq = state["exp_avg_sq"] * self.beta2
        weighted = self.new_weight2 * grad
        weighted *= grad
        exp_avg_sq += weighted
        new_state = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        second_moment = exp_avg_sq
        if self.amsgrad:
            second_moment = np.maximum(state["max_exp_avg_sq"], exp_avg_sq)
            new_state["max_exp_avg_sq"] = second_moment

        t = self._step_count(state["step"], step)
        step_size = lr / (1.0 - float_power(beta1, t))
        change = step_size * exp_avg
        change /= self._denominator(second_moment, t)
        return np.subtract(params, change, out=change), new_state

    def _denominator(self, second_moment, t):
        correction_root = float_power(1.0 - float_power(self.beta2, t), 0.5)
        denominator = np.sqrt(second_moment)
        denominator /= correction_root
        denominator += self.eps
        return denominator

    def effective_lr(self, state, lr):
        """lr / (sqrt(v / (1 - beta2**t)) + eps), v the (max) second moment, t >= 1.

        The update is this times the bias-corrected first moment exp_avg / (1 - beta1**t).
        """
        second_moment = state["max_exp_avg_sq"] if self.amsgrad else state["exp_avg_sq"]
        with np.errstate(all="ignore"):
            return as_column(lr) / self._denominator(second_moment, steps_for_display(state["step"]))


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay, on by default (0.01)."""

    name = "adamw"
    defaults = {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 1e-2,
        "amsgrad": False,
        "maximize": False,
    }

    def _decoupled(self) -> bool:
        return True
