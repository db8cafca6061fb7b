"""The gradient the oracle differences on ReLU networks: its own, with the ReLU pattern held at the base point.

Central differences of lrtui's gradient (curvature.py) assume the gradient is smooth within the difference
step h = 1e-4 * max(1, |w|). On an MLP with ReLU activations it is not: with hundreds of samples, some
pre-activation of some sample is always within h of zero, and a step across that kink changes the gradient
by O(1), not O(h): differenced, that is an O(1/h) "curvature" (578 for a true 7.49 on seed 2364).

The Hessian the contracts mean is the one of the smooth piece the point lies in: the loss with each hidden
unit's on/off pattern (per sample) fixed at w is smooth (linear maps, softmax cross-entropy, the l2 term), it
equals the loss wherever the pattern is unchanged, and its Hessian at w is the generalized Hessian that
treats ReLU's second derivative as 0 (what torch's double backward and an R-operator give). So on ReLU
networks the oracle differences its own gradient of that frozen-pattern loss, written here from the network's
layout and data (public attributes of lrtui's loss object: `layers`, `dataset`, `l2`, `activation`), with the
same central differences, steps and Lanczos as everywhere else. No Hessian code of lrtui's is used, and
nothing of lrtui.core.diagnostics. At w itself the frozen gradient is the true one; `model_gradient` checks
that against lrtui's value_and_grad, so a misread layout cannot pass silently.

Smooth models (tanh, sigmoid, logistic regression) and every other loss keep lrtui's value_and_grad as before.
"""

from __future__ import annotations

import numpy as np

SELF_CHECK = 1e-9  # the frozen gradient at w must equal lrtui's there, to this relative tolerance


def is_relu_network(loss) -> bool:
    """An MLP with ReLU hidden layers (logistic regression has no hidden layer, so no kink)."""
    return bool(getattr(loss, "is_model", False) and getattr(loss, "hidden", ()) and loss.activation == "relu")


class FrozenReluGradient:
    """Gradient of the full-batch training loss of a ReLU MLP with the on/off pattern of every hidden unit
    on every training sample fixed as it is at `base` (z > 0: on; z <= 0: off, ReLU's slope 0 at 0 as in torch).

    Parameter layout (lrtui's, torch's): layer by layer, the weight (fan_out, fan_in) row-major, then the bias.
    Loss: mean softmax cross-entropy over the training samples + (l2 / 2) * sum of squared weights (biases
    not penalised)."""

    def __init__(self, loss, base: np.ndarray):
        data = loss.dataset
        self.x = np.asarray(data.x_train, dtype=float)
        self.y = np.asarray(data.y_train, dtype=int)
        self.n_classes = int(data.n_classes)
        self.l2 = float(loss.l2)
        self.shapes = [(layer.fan_out, layer.fan_in, layer.weight, layer.bias) for layer in loss.layers]
        self.n = int(self.shapes[-1][3].stop)
        base = np.asarray(base, dtype=float)
        if base.shape != (self.n,):
            raise ValueError(f"base point has shape {base.shape}, the network {self.n} parameters")
        self.masks = []  # per hidden layer, (m, width): 1.0 where the unit is on at the base point
        a = self.x
        for i, (fan_out, fan_in, ws, bs) in enumerate(self.shapes[:-1]):
            z = a @ base[ws].reshape(fan_out, fan_in).T + base[bs]
            mask = (z > 0.0).astype(float)
            self.masks.append(mask)
            a = z * mask
        self.onehot = np.eye(self.n_classes)[self.y]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """(R, n) points -> (R, n) gradients of the frozen-pattern loss."""
        points = np.atleast_2d(np.asarray(points, dtype=float))
        out = np.empty_like(points)
        m = self.x.shape[0]
        with np.errstate(all="ignore"):
            for r, w in enumerate(points):
                acts = [self.x]
                weights = []
                a = self.x
                for i, (fan_out, fan_in, ws, bs) in enumerate(self.shapes):
                    wmat = w[ws].reshape(fan_out, fan_in)
                    weights.append(wmat)
                    z = a @ wmat.T + w[bs]
                    if i < len(self.shapes) - 1:
                        a = z * self.masks[i]
                        acts.append(a)
                logits = z - z.max(axis=1, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(axis=1, keepdims=True)
                dz = (p - self.onehot) / m  # d loss / d logits, (m, classes)
                for i in range(len(self.shapes) - 1, -1, -1):
                    fan_out, fan_in, ws, bs = self.shapes[i]
                    gw = dz.T @ acts[i]
                    if self.l2:
                        gw = gw + self.l2 * weights[i]
                    out[r, ws] = gw.ravel()
                    out[r, bs] = dz.sum(axis=0)
                    if i > 0:
                        dz = (dz @ weights[i]) * self.masks[i - 1]
        return out


def model_gradient(loss, base: np.ndarray):
    """The gradient function (R, n) -> (R, n) the oracle differences around `base`: the frozen-pattern one on
    ReLU networks (checked against lrtui's gradient at `base`), else lrtui's own value_and_grad."""
    lrtui_grad = lambda p: loss.value_and_grad(np.atleast_2d(p))[1]  # noqa: E731
    base = np.asarray(base, dtype=float)
    if not is_relu_network(loss) or not np.all(np.isfinite(base)):
        return lrtui_grad
    frozen = FrozenReluGradient(loss, base)
    with np.errstate(all="ignore"):
        mine, theirs = frozen(base[None, :])[0], lrtui_grad(base[None, :])[0]
    if np.all(np.isfinite(theirs)):
        scale = max(float(np.linalg.norm(theirs)), 1e-300)
        rounding = 1e-12 * max(1.0, float(np.linalg.norm(base))) ** 2  # summation order, where g is ~0
        if not float(np.linalg.norm(mine - theirs)) <= SELF_CHECK * scale + rounding:
            raise AssertionError(f"the frozen-pattern gradient differs from lrtui's at the base point: "
                                 f"{np.linalg.norm(mine - theirs):.3g} against |g| = {scale:.3g}")
    return frozen
