"""NAdam (Adam with Nesterov momentum and a momentum schedule), as torch.optim.NAdam."""

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

# Dozat's momentum warm-up: mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)).
WARMUP_BASE = 0.96


class NAdam(Optimizer):
    """torch.optim.NAdam.

    State: "step" (R, 1), "mu_product" (R, 1), the running product of the
    momentum schedule, "exp_avg" (R, n) and "exp_avg_sq" (R, n).

    torch keeps mu_product in torch.get_default_dtype(); lrtui keeps it in
    float64, which matches torch run with torch.set_default_dtype(torch.float64).
    Under torch's float32 default the two differ by about 1e-7 relative.
    """

    name = "nadam"
    defaults = {
        "lr": 2e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum_decay": 4e-3,
        "decoupled_weight_decay": False,
        "maximize": False,
    }
    constraints = {"lr": NONNEGATIVE, "eps": NONNEGATIVE, "weight_decay": NONNEGATIVE, "momentum_decay": NONNEGATIVE}
    momentum_key = "beta1"
    adaptive = True

    def stability_rule(self, n_runs: int) -> StabilityRule:
        """lr·λ(P⁻¹H) < (2 + 2β1)/(1 - β1), P = diag(√v̂ + ε) (Cohen et al., 2022)."""
        beta1 = per_run(self.beta1, n_runs)
        return StabilityRule((2.0 + 2.0 * beta1) / (1.0 - beta1), True, "(2+2β1)/((1-β1)λ)")

    def _prepare(self) -> None:
        cols = self._columns
        self.beta1, self.beta2 = cols["betas"]
        self.new_weight2 = 1.0 - self.beta2
        self.eps = cols["eps"]
        self.weight_decay = cols["weight_decay"]
        self.momentum_decay = cols["momentum_decay"]
        self.decoupled = cols["decoupled_weight_decay"]
        self.maximize = cols["maximize"]
        self._decays = not self._is_zero(cols["weight_decay"])

    def _init_buffers(self, params: np.ndarray) -> dict:
        return {
            "mu_product": np.ones((params.shape[0], 1)),
            "exp_avg": np.zeros_like(params),
            "exp_avg_sq": np.zeros_like(params),
        }

    def _momentum_at(self, beta1, t):
        return beta1 * (1.0 - 0.5 * float_power(WARMUP_BASE, t * self.momentum_decay))

    def update(self, grads, state, params, lr, momentum=None):
        lr = as_column(lr)
        grad, params = self._apply_weight_decay(grads, params, lr)
        beta1 = self._momentum_column(self.beta1, momentum)
        step = state["step"] + 1.0
        t = self._step_count(state["step"], step)
        mu = self._momentum_at(beta1, t)
        mu_next = self._momentum_at(beta1, t + 1.0)
        mu_product = state["mu_product"] * mu
        mu_product_next = mu_product * mu_next

        exp_avg = lerp(state["exp_avg"], grad, 1.0 - beta1)
        exp_avg_sq = state["exp_avg_sq"] * self.beta2
        weighted = self.new_weight2 * grad
        weighted *= grad
        exp_avg_sq += weighted
        denominator = self._denominator(exp_avg_sq, t)

        # Two separate additions, in torch's order: the gradient's share, then the momentum's.
        gradient_share = (lr * (1.0 - mu) / (1.0 - mu_product)) * grad
        gradient_share /= denominator
        momentum_share = (lr * mu_next / (1.0 - mu_product_next)) * exp_avg
        momentum_share /= denominator
        new_params = params - gradient_share
        new_params -= momentum_share
        new_state = {"step": step, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        return new_params, new_state

    def _denominator(self, exp_avg_sq, t):
        denominator = exp_avg_sq / (1.0 - float_power(self.beta2, t))
        np.sqrt(denominator, out=denominator)
        denominator += self.eps
        return denominator

    def effective_lr(self, state, lr):
        """lr / (sqrt(v / (1 - beta2**t)) + eps), the denominator of torch's update, t >= 1."""
        with np.errstate(all="ignore"):
            return as_column(lr) / self._denominator(state["exp_avg_sq"], steps_for_display(state["step"]))
