"""The largest stable learning rate for each optimizer, from the top Hessian eigenvalue.

On a quadratic these bounds are exact (see shared theory, section 1):

  gradient descent        lr * lam < 2
  heavy ball, momentum b  lr * lam < 2 + 2b      (torch SGD, dampening d scales lr by 1 - d)
  Nesterov, momentum b    lr * lam < (2 + 2b) / (1 + 2b)
  Adam, beta1 b           lr * lam(P^-1 H) < (2 + 2b) / (1 - b), P = diag(sqrt(v_hat) + eps)

Adagrad and RMSprop are gradient descent (or heavy ball) preconditioned by
their own denominators, so their bound is the first (or second) line applied
to the preconditioned sharpness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StabilityRule:
    limit: np.ndarray  # bound on lr * sharpness, per run
    preconditioned: bool  # True when sharpness must be of P^-1 H
    formula: str  # how the limit reads in a message, e.g. "2/λ"


def _column(params: list[dict], key: str, default=0.0) -> np.ndarray:
    return np.array([float(p.get(key, default)) for p in params])


def stability_rule(optimizer: str, params: list[dict]) -> StabilityRule:
    """The stability bound of an optimizer for each run's hyperparameters."""
    if optimizer == "sgd":
        beta = _column(params, "momentum")
        damp = _column(params, "dampening")
        nesterov = np.array([bool(p.get("nesterov", False)) for p in params])
        heavy = (2.0 + 2.0 * beta) / np.where(beta > 0, 1.0 - damp, 1.0)
        limit = np.where(nesterov, (2.0 + 2.0 * beta) / (1.0 + 2.0 * beta), heavy)
        formula = "2/λ" if np.all(beta == 0) else ("(2+2β)/((1+2β)λ)" if nesterov.any() else "(2+2β)/λ")
        return StabilityRule(limit, False, formula)
    if optimizer in ("adam", "adamw", "nadam"):
        beta1 = np.array([float(p.get("betas", (0.9, 0.999))[0]) for p in params])
        return StabilityRule((2.0 + 2.0 * beta1) / (1.0 - beta1), True, "(2+2β1)/((1-β1)λ)")
    if optimizer == "rmsprop":
        beta = _column(params, "momentum")
        return StabilityRule(2.0 + 2.0 * beta, True, "2/λ" if np.all(beta == 0) else "(2+2β)/λ")
    return StabilityRule(np.full(len(params), 2.0), True, "2/λ")


def preconditioner(effective_lr: np.ndarray | None, lr: np.ndarray) -> np.ndarray | None:
    """P = lr / effective_lr, so that lr * lam(P^-1 H) is what bounds an adaptive step."""
    if effective_lr is None:
        return None
    with np.errstate(all="ignore"):
        p = np.asarray(lr, dtype=np.float64)[:, None] / effective_lr
    return np.where(np.isfinite(p) & (p > 0), p, 1.0)
