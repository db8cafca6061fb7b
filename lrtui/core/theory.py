"""What theory predicts for SGD on a quadratic: the loss at every step, exactly.

On f(w) = 1/2 (w - c)^T A (w - c) the gradient is linear in w, so torch's SGD
(heavy ball or Nesterov momentum, dampening, weight decay, maximize) is a
linear recursion. In A's eigenvectors it splits into one independent
recursion per eigenvalue, which we run for all directions at once. Given the
learning rate each update really used, the prediction equals the simulation
up to rounding: the gap between them is the lesson, not an approximation.

Adaptive optimizers divide by running statistics of the gradient, which makes
the recursion non-linear; for them there is no exact prediction and we say so
(None) rather than draw a misleading line.
"""

from __future__ import annotations


import numpy as np

from lrtui.core.history import History
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.optimizers.sgd import SGD

EXACT_OPTIMIZERS = ("sgd",)
CHUNK_STEPS = 4096  # steps whose coordinates are held at once, bounding scratch memory
PREDICTION_ROWS = 8192  # full-resolution steps kept per tracked run; older ones fold into min/max buckets


class SGDRecursion:
    """torch SGD on a quadratic in eigen-coordinates z = Q^T (w - c), advanced step by step.

    In those coordinates the gradient torch uses (after maximize and weight
    decay) is h * z + b per direction, with h = +-lambda + weight_decay and
    b = weight_decay * Q^T c, so one update costs a few length-n operations.
    """

    def __init__(self, loss: Quadratic, start, params: dict):
        SGD(**params)  # the same checks and messages as building the optimizer
        full = {**SGD.defaults, **params}
        for key in ("lr", "momentum", "dampening", "weight_decay"):
            if np.ndim(full[key]) != 0:
                raise ValueError(f"{key} must be one number for a single run's prediction, got {full[key]!r}")
        self.momentum = float(full["momentum"])
        self.keep = 1.0 - float(full["dampening"])
        self.nesterov = bool(full["nesterov"])
        decay = float(full["weight_decay"])
        sign = -1.0 if full["maximize"] else 1.0
        q = loss.eigenvectors
        self.lam = loss.eigenvalues
        self.slope = sign * self.lam + decay
        self.offset = decay * (loss.center @ q)
        start = np.asarray(loss.start if start is None else start, dtype=np.float64).reshape(-1)
        if start.shape != (loss.n_params,):
            raise ValueError(f"start must have {loss.n_params} values, got {start.size}")
        self.z = (start - loss.center) @ q
        self.buffer = np.zeros_like(self.z)
        self.has_buffer = False
        self.steps = 0

    def loss(self) -> float:
        with np.errstate(all="ignore"):
            return float(0.5 * np.sum(self.lam * self.z * self.z))

    def advance(self, lrs) -> np.ndarray:
        """Take one update per learning rate; the loss after each, shape (len(lrs),)."""
        lrs = np.asarray(lrs, dtype=np.float64).reshape(-1)
        out = np.empty(lrs.size)
        for lo in range(0, lrs.size, CHUNK_STEPS):
            out[lo : lo + CHUNK_STEPS] = self._advance_chunk(lrs[lo : lo + CHUNK_STEPS].tolist())
        return out

    def _advance_chunk(self, lrs: list[float]) -> np.ndarray:
        path = np.empty((len(lrs), self.z.size))
        z, buffer = self.z.copy(), self.buffer.copy()
        slope, offset, mu, keep = self.slope, self.offset, self.momentum, self.keep
        affine, heavy = bool(np.any(offset != 0.0)), mu != 0.0
        with np.errstate(all="ignore"):
            for i, lr in enumerate(lrs):
                grad = slope * z
                if affine:
                    grad += offset
                if heavy:
                    if self.has_buffer:
                        buffer *= mu
                        buffer += keep * grad
                    else:
                        # torch's first buffer is the gradient itself, undamped
                        buffer = grad.copy()
                        self.has_buffer = True
                    if self.nesterov:
                        grad += mu * buffer
                        direction = grad
                    else:
                        direction = buffer
                else:
                    direction = grad
                z -= lr * direction
                path[i] = z
            losses = 0.5 * ((path * path) @ self.lam)
        self.z, self.buffer = z, buffer
        self.steps += len(lrs)
        return losses


def predicted_loss(loss: Quadratic, start, optimizer: str, params: dict, lrs: np.ndarray) -> np.ndarray | None:
    """The loss theory predicts before the first update and after each one, shape (len(lrs) + 1,).

    `lrs[t]` is the learning rate of update t + 1 (the history's `lr` column,
    rows 0..T-1). Returns None when the optimizer has no exact theory here
    (the adaptive ones), or when the loss is not a quadratic.
    """
    if not isinstance(loss, Quadratic) or optimizer not in EXACT_OPTIMIZERS:
        return None
    recursion = SGDRecursion(loss, start, params)
    return np.concatenate([[recursion.loss()], recursion.advance(lrs)])


def fastest_constant_lr(loss: Quadratic) -> float | None:
    """2 / (λmax + λmin): the constant LR at which plain gradient descent on a positive definite quadratic
    shrinks its slowest direction fastest (the steepest and the flattest contract at the same rate). None when
    the quadratic has a direction that is not curved upward."""
    lam = np.asarray(loss.eigenvalues, dtype=np.float64)
    if lam.size == 0 or not np.all(lam > 0):
        return None
    return float(2.0 / (lam.max() + lam.min()))


def fastest_theory(loss: Quadratic, start, params: dict, steps: int) -> tuple[float, np.ndarray] | None:
    """(lr, the loss theory predicts at steps 0..steps) for plain SGD at `fastest_constant_lr`: a reference for a
    run whose LR is far below it (lesson 3). None where it does not apply (momentum, weight decay, no minimum)."""
    if any(float(params.get(key, 0.0) or 0.0) != 0.0 for key in ("momentum", "weight_decay")) or params.get("maximize"):
        return None
    lr = fastest_constant_lr(loss)
    if lr is None:
        return None
    values = predicted_loss(loss, start, "sgd", params, np.full(int(steps), lr))
    return None if values is None else (lr, values)


class TheoryTracker:
    """One run's prediction kept up to date as its simulation steps, so a frame costs only the new steps.

    The predicted losses live in a bounded History of their own, so memory stays
    flat however long the run goes.
    """

    def __init__(self, sim, local: int):
        self.sim, self.local, self.history = sim, local, sim.history
        spec = sim.specs[local]
        loss = sim.loss.rows([local])
        start = loss.start if spec.start is None else spec.start
        self.recursion = SGDRecursion(loss, start, spec.optimizer_params)
        self.record = History(1, 0, recent_rows=PREDICTION_ROWS)
        self.record.append(np.array([[np.nan], [self.recursion.loss()], [np.nan]]))
        self.broken = False

    def is_for(self, sim, local: int) -> bool:
        return self.sim is sim and self.local == local and self.history is sim.history

    def update(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.broken:
            return None
        sim, local = self.sim, self.local
        taken = min(sim.step_count, int(self.history.end_step[local]))
        done = self.recursion.steps
        if taken > done:
            steps, lrs = self.history.series("lr", local)
            first = int(np.searchsorted(steps, done))
            wanted = lrs[first : first + taken - done]
            if first >= steps.size or steps[first] != done or wanted.size != taken - done:
                # Those learning rates were folded into buckets before we read them.
                self.broken = True
                return None
            for lr, value in zip(wanted.tolist(), self.recursion.advance(wanted).tolist()):
                self.record.append(np.array([[lr], [value], [np.nan]]))
        return self.record.series("loss", 0)


def theory_applies(sim, local: int) -> bool:
    """True when the run is torch SGD on a quadratic, with its optimizer never changed mid-run.

    A forked run inherits its parent's past, so a change the parent saw before
    the fork counts too.
    """
    spec = sim.specs[local]
    if not isinstance(sim.loss.rows([local]), Quadratic) or spec.optimizer not in EXACT_OPTIMIZERS:
        return False
    if sim.cycles_momentum(local):
        return False  # the schedule overrides momentum every step
    run: int | None = local
    until = sim.step_count
    while run is not None:
        if any(e.run == run and e.kind == "optimizer" and e.step <= until for e in sim.events):
            return False
        run, until = _parent(sim, run, until)
    return True


def _parent(sim, run: int, until: int) -> tuple[int | None, int]:
    for e in sim.events:
        if e.run == run and e.kind == "fork" and e.parent >= 0:
            return e.parent, min(until, e.step)
    return None, until
