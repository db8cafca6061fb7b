"""The interface every optimizer implements, and hyperparameter checking.

An optimizer is pure, in the style of optax: `init` builds a state, `update`
returns new parameters and a new state and never modifies its inputs. It works
on R runs at once: parameters and gradients have shape (R, n), and every state
array has R rows, so one run's rows can be replaced (a fresh start) while the
others continue.

Numeric hyperparameters are Python floats or length-R arrays. Arrays are kept
as (R, 1) columns so that they broadcast over the parameter axis without any
per-step reshaping; an array whose runs all agree is kept as a float.

Treat state arrays as read-only: to restart a run, build new arrays with its
rows taken from `init` (the step counters Adam and NAdam return are flagged
read-only, because they remember whether all runs share one step count).
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lrtui.core.registry import did_you_mean

# torch options that pick an implementation (loops, fused kernels, graphs)
# rather than change the arithmetic; lrtui always does the plain float64 step.
TORCH_IMPLEMENTATION_SWITCHES = ("foreach", "fused", "capturable", "differentiable")

NONNEGATIVE = "nonnegative"
BETA = "beta"
ANY = "any"


def as_column(value):
    """A length-R array becomes an (R, 1) view; scalars pass through."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value[:, None]
    return value


def lerp(start: np.ndarray, end: np.ndarray, weight):
    """torch.lerp: start + weight * (end - start), in torch's two forms.

    torch switches formula at |weight| = 0.5 so that weight = 1 lands exactly
    on `end`; following it keeps trajectories within rounding of torch's.
    """
    if isinstance(weight, np.ndarray):
        small = weight < 0.5
        if small.all():
            return _lerp_small(start, end, weight)
        if not small.any():
            return _lerp_large(start, end, weight)
        return np.where(small, _lerp_small(start, end, weight), _lerp_large(start, end, weight))
    if abs(weight) < 0.5:
        return _lerp_small(start, end, weight)
    return _lerp_large(start, end, weight)


def uniform_value(array: np.ndarray) -> float | None:
    """The common value of an array whose entries are all equal, else None."""
    flat = array.ravel()
    if flat.size == 0:
        return None
    first = flat[0]
    if (flat == first).all():
        return float(first)
    return None


def steps_for_display(step: np.ndarray):
    """Completed steps, at least 1 so a fresh state's bias correction is defined; a float when runs agree."""
    step = np.maximum(step, 1.0)
    common = uniform_value(step)
    return step if common is None else common


def float_power(base, exponent):
    """base ** exponent with Python's float pow, elementwise, as torch's optimizers compute it.

    NumPy's array power may use a SIMD pow that differs in the last bit, which
    would make a batch differ from the same runs stepped one at a time; the
    few distinct (base, exponent) pairs a step needs are computed in Python.
    """
    if not isinstance(base, np.ndarray) and not isinstance(exponent, np.ndarray):
        return base**exponent
    base, exponent = np.broadcast_arrays(base, exponent)
    pairs = np.stack([base.ravel(), exponent.ravel()], axis=1)
    distinct, where = np.unique(pairs, axis=0, return_inverse=True)
    powers = np.array([b**e for b, e in distinct.tolist()])
    return powers[where.reshape(-1)].reshape(base.shape)


def _lerp_small(start, end, weight):
    out = end - start
    out *= weight
    out += start
    return out


def _lerp_large(start, end, weight):
    out = end - start
    out *= 1.0 - weight
    return np.subtract(end, out, out=out)


@dataclass(frozen=True)
class StabilityRule:
    """The largest stable LR of an optimizer, from the top Hessian eigenvalue (shared theory, section 1).

    On a quadratic: stable while lr * lam < limit, where lam is the top eigenvalue of H, or of P^-1 H
    when `preconditioned` (P the optimizer's own per-parameter denominator). Exact on quadratics, local
    elsewhere.
    """

    limit: np.ndarray  # bound on lr * sharpness, per run
    preconditioned: bool
    formula: str  # how the limit reads in a message, e.g. "2/λ"


def per_run(value, n_runs: int) -> np.ndarray:
    """A hyperparameter column (a float, or an (R, 1) array) as one value per run."""
    return np.broadcast_to(np.asarray(value, dtype=np.float64).reshape(-1), (n_runs,)).copy()


def _describe(value: float) -> str:
    return repr(float(value))


class Optimizer(ABC):
    """Base class. Subclasses set the class attributes and implement `update` and
    `_init_buffers`; adaptive ones also `effective_lr`.

    Class attributes:
      name           registry name ("adam")
      defaults       torch's defaults for every hyperparameter, in torch's order
      constraints    numeric hyperparameter -> NONNEGATIVE, BETA or ANY
      momentum_key   what momentum cycling (OneCycleLR / CyclicLR with
                     cycle_momentum) overrides: "momentum", "beta1", or None
                     when torch refuses to cycle this optimizer
      adaptive       True when the step size is divided per parameter
    """

    name: ClassVar[str] = "optimizer"
    defaults: ClassVar[dict] = {}
    constraints: ClassVar[dict] = {}
    momentum_key: ClassVar[str | None] = None
    adaptive: ClassVar[bool] = False

    # Set by every subclass's `_prepare` (`decoupled` by the Adam family only); `_apply_weight_decay` reads them.
    maximize: bool
    weight_decay: float | np.ndarray  # a float when every run agrees, else a per-run column
    decoupled: bool
    _decays: bool

    def __init__(self, **hyper):
        self._reject_unknown(hyper)
        merged = {**self.defaults, **hyper}
        self.hyperparams = merged
        self.n_runs: int | None = None
        self._last_step: tuple = (None, None)
        self._columns: dict = {}
        for key, default in self.defaults.items():
            value = merged[key]
            if isinstance(default, bool):
                self._columns[key] = self._parse_flag(key, value)
            elif key == "betas":
                self._columns[key] = self._parse_betas(value)
            else:
                self._columns[key] = self._parse_number(key, value, self.constraints.get(key, ANY))
        self._check_combinations()
        self._prepare()

    # -- the interface ---------------------------------------------------------
    def init(self, params: np.ndarray) -> dict:
        """Fresh state for params (R, n): a dict of arrays whose first axis is R."""
        params = np.asarray(params, dtype=np.float64)
        if params.ndim != 2:
            raise ValueError(f"params must have shape (runs, n_params), got shape {params.shape}")
        if self.n_runs is not None and params.shape[0] != self.n_runs:
            raise ValueError(
                f"params has {params.shape[0]} runs but the hyperparameter arrays have {self.n_runs} values"
            )
        state = {"step": np.zeros((params.shape[0], 1))}
        state.update(self._init_buffers(params))
        return state

    @abstractmethod
    def update(self, grads, state: dict, params, lr, momentum=None) -> tuple[np.ndarray, dict]:
        """One torch `optimizer.step()` for every run: (new_params, new_state).

        lr        scalar or length-R array: the learning rate in force for this step
        momentum  None, or a length-R array (or scalar) replacing the momentum
                  (SGD, RMSprop) or beta1 (Adam, AdamW, NAdam) for this step,
                  as torch's OneCycleLR / CyclicLR write it into the param group

        Diverging runs overflow: call it inside np.errstate(all="ignore"), as
        Simulation.step does, to keep NumPy's warnings off the terminal.
        """

    def effective_lr(self, state: dict, lr):
        """(R, n) per-parameter step size lr / denominator, or None when not adaptive."""
        return None

    @abstractmethod
    def stability_rule(self, n_runs: int) -> StabilityRule:
        """This optimizer's stable limit for each of its n_runs runs (every optimizer must say)."""

    # -- helpers for subclasses --------------------------------------------------
    @abstractmethod
    def _init_buffers(self, params: np.ndarray) -> dict:
        """The state arrays besides the step counter."""

    def _prepare(self) -> None:
        """Precompute per-step constants once; subclasses override."""

    def _check_combinations(self) -> None:
        """Rules that involve more than one hyperparameter; subclasses override."""

    def _step_count(self, old_step: np.ndarray, new_step: np.ndarray):
        """The step number for bias corrections: a float when every run agrees, else new_step.

        Checking agreement costs as much as a step's arithmetic on small
        parameters, so it is remembered for the step array this method last
        saw. That array is made read-only, so the memory cannot go stale.
        """
        seen, common = self._last_step
        if seen is None or old_step is not seen:
            common = uniform_value(new_step)
        elif common is not None:
            common += 1.0
        new_step.flags.writeable = False
        self._last_step = (new_step, common)
        return new_step if common is None else common

    def _apply_weight_decay(self, grads, params, lr):
        """Adam-family prologue: torch negates for maximize, then decays the weights
        directly (AdamW style, `decoupled`) or adds weight_decay * w to the gradient (L2)."""
        grad = -grads if self.maximize else grads
        if self._decays:
            if self.decoupled:
                params = params * (1.0 - lr * self.weight_decay)
            else:
                grad = grad + self.weight_decay * params
        return grad, params

    @staticmethod
    def _is_zero(value) -> bool:
        """True when a hyperparameter is zero for every run, so its term can be skipped as torch does."""
        if isinstance(value, np.ndarray):
            return not value.any()
        return value == 0

    @staticmethod
    def _momentum_column(default, momentum):
        """The momentum (or beta1) in force this step: the override when given, a float when all runs agree."""
        if momentum is None:
            return default
        momentum = np.asarray(momentum, dtype=np.float64)
        common = uniform_value(momentum)
        return as_column(momentum) if common is None else common

    # -- parsing -----------------------------------------------------------------
    def _reject_unknown(self, hyper: dict) -> None:
        allowed = list(self.defaults)
        for key in hyper:
            if key in self.defaults:
                continue
            listing = ", ".join(allowed)
            if key in TORCH_IMPLEMENTATION_SWITCHES:
                raise ValueError(
                    f"{self.name} does not take {key!r}: it picks one of torch's implementations and does not "
                    f"change the update, which lrtui always computes in float64 (allowed: {listing})"
                )
            hint = did_you_mean(key, allowed)
            raise ValueError(f'{self.name} has no hyperparameter "{key}"{hint} (allowed: {listing})')

    def _parse_flag(self, key: str, value) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise ValueError(f"{key} must be true or false, got {value!r}")

    def _parse_betas(self, value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {value!r}")
        return tuple(self._parse_number(f"betas[{i}]", v, BETA) for i, v in enumerate(value))

    def _parse_number(self, key: str, value, rule: str):
        if type(value) is float or type(value) is int:  # the common case, without the ABC checks below
            number = float(value)
            self._check_value(key, number, rule, run=None)
            return number
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{key} must be a number, got {value!r}")
        if isinstance(value, numbers.Real):
            number = float(value)
            self._check_value(key, number, rule, run=None)
            return number
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{key} must be a number or one number per run, got {value!r}") from None
        if array.ndim == 0:
            number = float(array)
            self._check_value(key, number, rule, run=None)
            return number
        if array.ndim != 1 or array.size == 0:
            raise ValueError(f"{key} must be a number or a 1-D array with one value per run, got shape {array.shape}")
        if self.n_runs is None:
            self.n_runs = array.size
        elif array.size != self.n_runs:
            raise ValueError(
                f"{key} has {array.size} values but other hyperparameters have {self.n_runs}; "
                "give every per-run array one value per run"
            )
        bad = ~np.isfinite(array)
        if rule == NONNEGATIVE:
            bad |= array < 0
        elif rule == BETA:
            bad |= (array < 0) | (array >= 1)
        if bad.any():
            run = int(np.flatnonzero(bad)[0])
            self._check_value(key, float(array[run]), rule, run=run)
        common = uniform_value(array)
        # Runs that agree share a float: the same arithmetic, and the fast paths stay open.
        return array[:, None] if common is None else common

    @staticmethod
    def _check_value(key: str, number: float, rule: str, run: int | None) -> None:
        where = "" if run is None else f" (run {run})"
        if not np.isfinite(number):
            raise ValueError(f"{key} must be a finite number, got {_describe(number)}{where}")
        if rule == NONNEGATIVE and number < 0:
            raise ValueError(f"{key} must be >= 0, got {_describe(number)}{where}")
        if rule == BETA and not 0.0 <= number < 1.0:
            raise ValueError(f"{key} must be >= 0 and < 1, got {_describe(number)}{where}")
