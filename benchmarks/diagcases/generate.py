"""One benchmark case per integer seed: `generate(seed)` -> {"seed", "family", "kind", "lr_ref", "case"}.

`case` is a scenario dict that `lrtui.scenario.loader.scenario_from_data` accepts (steps, loss with start,
optimizer, schedule). Everything is drawn from np.random.default_rng(seed):
- family: quadratic (2-100 dims, a random spectrum over 1-4 decades, rotated), one of the seven 2-D test
  functions, a formula template (templates.py), or a classifier (logistic regression or a small MLP) on a 2-D
  set or the digits; full batch always;
- optimizer: each of sgd, sgd+momentum, sgd+nesterov, adagrad, rmsprop, adam, adamw, nadam equally often;
- schedule: constant about 45% of the time, else any of the twelve others with random (sometimes lethal)
  parameters;
- LR: log-uniform over 6 decades, from 1e-4 to 1e2 times a reference: the stable limit at the start
  (see `reference_lr`); a fifth of SGD-on-quadratic cases are drawn just under the exact limit instead.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.diagcases import curvature, quadratic, templates
from benchmarks.diagcases.templates import sig

FAMILIES = {"quadratic": 0.34, "function": 0.26, "expression": 0.22, "model": 0.18}
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam")
SCHEDULES = ("constant_factor", "step", "multistep", "exponential", "cosine", "cosine_warm_restarts", "linear",
             "polynomial", "onecycle", "cyclic", "plateau", "sequential")
P_CONSTANT = 0.45
DECADES_BELOW = 3.5  # lr = reference * 10^U(-DECADES_BELOW, 6 - DECADES_BELOW)
P_NEAR_LIMIT = 0.35  # of SGD-on-quadratic cases
TWO_D_SETS = ("circles", "xor", "gaussians", "spiral")


# ---- losses ---------------------------------------------------------------------------------------------------
def _quadratic(rng) -> dict:
    dims = int(round(10 ** rng.uniform(math.log10(2), 2)))
    decades = rng.uniform(1.0, 4.0)
    top = 10 ** rng.uniform(-1, 2)
    inner = rng.uniform(0, 1, max(dims - 2, 0))
    lam = top * 10 ** (-decades * np.concatenate([[0.0, 1.0], inner]))[:dims]
    table = {"type": "quadratic", "eigenvalues": [sig(v) for v in lam]}
    if dims > 2 or rng.random() < 0.5:
        table["rotation_seed"] = int(rng.integers(0, 10_000))
    else:
        table["angle"] = sig(rng.uniform(0, 90), 4)
    table["start"] = [sig(v) for v in rng.standard_normal(dims) * 10 ** rng.uniform(-1, 1)]
    return table


def _model(rng) -> dict:
    logistic = rng.random() < 0.35
    digits = rng.random() < (0.08 if logistic else 0.03)  # rare: a digits case costs ~50x a 2-D set's
    table = {"type": "logistic_regression" if logistic else "mlp",
             "dataset": "digits" if digits else TWO_D_SETS[rng.integers(4)],
             "seed": int(rng.integers(0, 1000))}
    if not digits:
        table["n_samples"] = int(rng.integers(150, 401))
        table["data_seed"] = int(rng.integers(0, 100))
    if not logistic:
        choices = ([8],) if digits else ([4], [8], [16], [32], [8, 8], [16, 16])
        table["hidden"] = list(choices[rng.integers(len(choices))])
        table["activation"] = ("relu", "tanh", "sigmoid")[rng.integers(3)]
    if rng.random() < 0.3:
        table["l2"] = sig(10 ** rng.uniform(-4, -2), 3)
    return table


def _steps(rng, family: str, loss: dict) -> int:
    if family != "model":
        return int(round(10 ** rng.uniform(2, 3)))
    if loss["dataset"] == "digits":
        return int(round(10 ** rng.uniform(math.log10(30), math.log10(60))))
    return int(round(10 ** rng.uniform(math.log10(60), math.log10(400))))


# ---- optimizers ---------------------------------------------------------------------------------------------
def _optimizer(rng, kind: str, family: str) -> dict:
    if kind in ("sgd", "momentum", "nesterov"):
        opt: dict = {"type": "sgd"}
        if kind != "sgd":
            opt["momentum"] = sig(0.9 if rng.random() < 0.5 else rng.uniform(0.5, 0.97), 3)
        if kind == "nesterov":
            opt["nesterov"] = True
        if family == "model" and rng.random() < 0.2:
            opt["weight_decay"] = sig(10 ** rng.uniform(-4, -2), 3)
        return opt
    opt = {"type": kind}
    if kind == "adagrad" and rng.random() < 0.2:
        opt["lr_decay"] = sig(10 ** rng.uniform(-4, -2), 3)
    if kind == "rmsprop":
        if rng.random() < 0.3:
            opt["alpha"] = sig(rng.uniform(0.9, 0.999), 3)
        if rng.random() < 0.25:
            opt["momentum"] = sig(rng.uniform(0.5, 0.95), 3)
        if rng.random() < 0.2:
            opt["centered"] = True
    if kind in ("adam", "adamw", "nadam") and rng.random() < 0.3:
        opt["betas"] = [sig(rng.uniform(0.5, 0.95), 3), sig(1 - 10 ** rng.uniform(-4, -2), 5)]
    if kind == "adam" and rng.random() < 0.15:
        opt["amsgrad"] = True
    if kind == "adamw" and rng.random() < 0.5:
        opt["weight_decay"] = sig(10 ** rng.uniform(-3, -1), 3)
    return opt


# ---- schedules ----------------------------------------------------------------------------------------------
def _int_between(rng, low: float, high: float) -> int:
    low, high = max(1, int(low)), max(1, int(high))
    return int(round(10 ** rng.uniform(math.log10(low), math.log10(max(low, high)))))


def _decay_piece(rng, steps: int) -> dict:
    kind = ("cosine", "exponential", "step", "polynomial")[rng.integers(4)]
    if kind == "cosine":
        return {"type": "cosine", "T_max": max(1, steps)}
    if kind == "exponential":
        return {"type": "exponential", "gamma": sig(1 - 10 ** rng.uniform(-3.5, -0.7), 5)}
    if kind == "step":
        return {"type": "step", "step_size": _int_between(rng, 2, steps / 2), "gamma": sig(rng.uniform(0.05, 0.7), 3)}
    return {"type": "polynomial", "total_iters": max(1, steps), "power": sig(rng.uniform(0.5, 3), 3)}


def _schedule(rng, kind: str, steps: int, lr: float, cycles_ok: bool) -> dict:
    b = steps
    if kind == "constant_factor":
        return {"type": kind, "factor": sig(rng.uniform(0.05, 0.9), 3), "total_iters": _int_between(rng, 2, b / 2)}
    if kind == "step":
        gamma = 0.1 if rng.random() < 0.4 else sig(rng.uniform(0.05, 0.9), 3)
        return {"type": kind, "step_size": _int_between(rng, 1, b / 2), "gamma": gamma}
    if kind == "multistep":
        marks = sorted({int(m) for m in rng.integers(1, b, int(rng.integers(1, 5)))})
        return {"type": kind, "milestones": marks, "gamma": sig(rng.uniform(0.02, 0.7), 3)}
    if kind == "exponential":
        return {"type": kind, "gamma": sig(1 - 10 ** rng.uniform(-4, -0.5), 5)}
    if kind == "cosine":
        table = {"type": kind, "T_max": _int_between(rng, b / 5, 2 * b)}
        if rng.random() < 0.2:
            table["eta_min"] = sig(lr * 10 ** rng.uniform(-4, -1))
        return table
    if kind == "cosine_warm_restarts":
        return {"type": kind, "T_0": _int_between(rng, 5, b / 2), "T_mult": int(rng.choice([1, 2]))}
    if kind == "linear":
        if rng.random() < 0.5:  # warm-up
            return {"type": kind, "start_factor": sig(10 ** rng.uniform(-3, -0.3), 3), "end_factor": 1.0,
                    "total_iters": _int_between(rng, 5, b)}
        return {"type": kind, "start_factor": 1.0, "end_factor": sig(rng.choice([0.0, 10 ** rng.uniform(-3, -1)]), 3),
                "total_iters": _int_between(rng, b / 10, b)}
    if kind == "polynomial":
        return {"type": kind, "total_iters": _int_between(rng, b / 10, 1.2 * b), "power": sig(rng.uniform(0.5, 3), 3)}
    if kind == "onecycle":
        total = int(b + rng.integers(0, b // 2 + 1))
        pct = sig(rng.uniform(max(0.1, 3.0 / total), 0.5), 3)
        table = {"type": kind, "max_lr": lr, "total_steps": total, "pct_start": pct,
                 "anneal_strategy": "cos" if rng.random() < 0.7 else "linear",
                 "div_factor": sig(25.0 if rng.random() < 0.5 else 10 ** rng.uniform(0.5, 2), 3),
                 "final_div_factor": sig(1e4 if rng.random() < 0.5 else 10 ** rng.uniform(1, 5), 3),
                 "three_phase": bool(rng.random() < 0.25), "cycle_momentum": bool(cycles_ok and rng.random() < 0.6)}
        return table
    if kind == "cyclic":
        table = {"type": kind, "base_lr": sig(lr / 10 ** rng.uniform(0.5, 3)), "max_lr": lr,
                 "step_size_up": _int_between(rng, 5, b / 2),
                 "mode": ("triangular", "triangular2", "exp_range")[rng.integers(3)],
                 "cycle_momentum": bool(cycles_ok and rng.random() < 0.6)}
        if table["mode"] == "exp_range":
            table["gamma"] = sig(1 - 10 ** rng.uniform(-4, -1.5), 5)
        return table
    if kind == "plateau":
        return {"type": kind, "factor": sig(rng.uniform(0.05, 0.7), 3), "patience": int(rng.integers(0, 21)),
                "threshold": sig(1e-4 if rng.random() < 0.6 else 10 ** rng.uniform(-3, -1), 3),
                "cooldown": int(rng.integers(0, 6))}
    if kind == "sequential":
        warm = _int_between(rng, 2, b / 3)
        first = ({"type": "linear", "start_factor": sig(10 ** rng.uniform(-2.5, -0.5), 3), "total_iters": warm}
                 if rng.random() < 0.7 else {"type": "constant_factor", "factor": sig(rng.uniform(0.05, 0.5), 3),
                                             "total_iters": warm})
        return {"type": kind, "milestones": [warm], "schedulers": [first, _decay_piece(rng, b - warm)]}
    raise ValueError(kind)


LETHAL = ("step", "multistep", "exponential", "cosine", "linear", "polynomial", "plateau", "sequential")
P_LETHAL = 0.45  # of scheduled cases with a schedule above: parameters that kill the LR early


def _lethal_decay(rng, kind: str, b: int) -> dict:
    """A schedule that takes the LR to 1/100 of its peak or less well before the end of the budget."""
    early = _int_between(rng, max(2, b / 20), 0.6 * b)
    if kind == "step":
        return {"type": kind, "step_size": _int_between(rng, 1, b / 10), "gamma": sig(rng.uniform(0.01, 0.2), 3)}
    if kind == "multistep":
        marks = sorted({int(m) for m in rng.integers(1, max(2, b // 2), int(rng.integers(2, 4)))})
        return {"type": kind, "milestones": marks, "gamma": sig(rng.uniform(0.01, 0.1), 3)}
    if kind == "exponential":
        target = 10 ** rng.uniform(-8, -2)  # the factor reached at half the budget
        return {"type": kind, "gamma": sig(target ** (2.0 / b), 6)}
    if kind == "cosine":
        return {"type": kind, "T_max": early}
    if kind == "linear":
        return {"type": kind, "start_factor": 1.0, "end_factor": sig(rng.choice([0.0, 10 ** rng.uniform(-4, -2.5)]), 3),
                "total_iters": early}
    if kind == "polynomial":
        return {"type": kind, "total_iters": early, "power": sig(rng.uniform(0.5, 3), 3)}
    if kind == "plateau":
        return {"type": kind, "factor": sig(10 ** rng.uniform(-2, -1), 3), "patience": int(rng.integers(0, 4)),
                "threshold": sig(10 ** rng.uniform(-2, -1), 3)}
    warm = _int_between(rng, 2, b / 10)
    first = {"type": "linear", "start_factor": sig(10 ** rng.uniform(-2.5, -0.5), 3), "total_iters": warm}
    return {"type": "sequential", "milestones": [warm],
            "schedulers": [first, _lethal_decay(rng, ("step", "exponential", "polynomial")[rng.integers(3)], b - warm)]}


# ---- the reference LR -------------------------------------------------------------------------------------
SGD_FACTOR = {"sgd": lambda b: 2.0, "momentum": lambda b: 2.0 + 2.0 * b,
              "nesterov": lambda b: (2.0 + 2.0 * b) / (1.0 + 2.0 * b)}


def _lrtui_grad(loss_table: dict):
    from lrtui.core.losses import build_loss

    loss = build_loss(loss_table["type"], **{k: v for k, v in loss_table.items() if k != "type"})
    return (lambda p: loss.value_and_grad(np.atleast_2d(p))[1]), np.asarray(loss.start, dtype=float)


def _typical_top(grad, rng_seed: int, window, n: int = 16) -> float:
    """Median top Hessian eigenvalue over n points of the window: the curvature a start in a flat region
    would meet further on."""
    rng = np.random.default_rng(rng_seed)
    tops = []
    for _ in range(n):
        w = np.array([rng.uniform(lo, hi) for lo, hi in window])
        tops.append(curvature.extremes(grad, w)[1])
    return float(np.median(tops))


def reference_lr(kind: str, opt: dict, family: str, loss: dict, seed: int) -> float:
    """The stable limit at the start: SGD's exact one on quadratics (2/lam_max, (2 + 2 beta)/lam_max,
    (2 + 2 beta)/((1 + 2 beta) lam_max)); elsewhere the same with lam_max of the Hessian at the start (or, if
    larger, the median over the window). Adaptive optimizers: the same bound on the preconditioned Hessian
    P^-1 H at the start, P = |g0| + 1e-3 rms(g0) (their first step divides by about |g0|), with constant
    2 (adagrad), 2 sqrt(1 - alpha) (rmsprop) or (2 + 2 beta1)/(1 - beta1) (adam, adamw, nadam); capped to
    [1e-6, 10]."""
    if family == "quadratic":
        lam = np.asarray(loss["eigenvalues"], dtype=float)
        q = quadratic.rotation(lam.size, float(loss.get("angle", 0.0)), loss.get("rotation_seed"))
        hess = (q * lam) @ q.T
        grad, start = (lambda p: np.atleast_2d(p) @ hess), np.asarray(loss["start"], dtype=float)
        top = float(lam.max())
    else:
        grad, start = _lrtui_grad(loss)
        top = curvature.extremes(grad, start, seed=seed)[1]
        if family in ("function", "expression") and start.size <= 8:
            window = [templates.WINDOWS.get(loss["type"], (-3, 3, -3, 3))[i:i + 2] for i in (0, 2)]
            window = (window * start.size)[: start.size]
            top = max(top, _typical_top(grad, seed, window))
    if kind in SGD_FACTOR:
        return SGD_FACTOR[kind](float(opt.get("momentum", 0.0))) / max(top, 1e-12)
    g0 = np.abs(grad(start)[0])
    p = g0 + 1e-3 * math.sqrt(float(np.mean(g0 * g0))) + 1e-12
    # legacy_step: the reference keeps the difference step it was drawn with (README, DECISION 16), so that
    # every seed draws the same case as before.
    top_p = curvature.preconditioned_top(grad, start, p, seed=seed, legacy_step=True) if family != "quadratic" \
        else float(
        np.linalg.eigvalsh(hess / np.sqrt(p)[:, None] / np.sqrt(p)[None, :])[-1])
    beta1 = float(opt.get("betas", [0.9])[0])
    const = {"adagrad": 2.0, "rmsprop": 2.0 * math.sqrt(1 - float(opt.get("alpha", 0.99)))}.get(
        kind, (2.0 + 2.0 * beta1) / (1.0 - beta1))
    return float(np.clip(const / max(top_p, 1e-300), 1e-6, 10.0))


# ---- the case -------------------------------------------------------------------------------------------------
def generate(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    names = list(FAMILIES)
    family = names[rng.choice(len(names), p=np.array(list(FAMILIES.values())) / sum(FAMILIES.values()))]
    kind = OPTIMIZERS[rng.integers(len(OPTIMIZERS))]
    template = None
    if family == "quadratic":
        loss = _quadratic(rng)
    elif family == "function":
        loss = templates.function_loss(rng)
    elif family == "expression":
        loss, template = templates.expression_loss(rng)
    else:
        loss = _model(rng)
    steps = _steps(rng, family, loss)
    opt = _optimizer(rng, kind, family)
    ref = reference_lr(kind, opt, family, loss, seed)
    sched_kind = "constant" if rng.random() < P_CONSTANT else SCHEDULES[rng.integers(len(SCHEDULES))]
    lethal = sched_kind in LETHAL and rng.random() < P_LETHAL
    if lethal:  # a good LR that the schedule then kills: DECISIONS
        lr = ref * 10 ** rng.uniform(-2, 0.3)
    elif family == "quadratic" and kind in SGD_FACTOR and rng.random() < P_NEAR_LIMIT:
        lr = ref * (1 - 10 ** rng.uniform(-3.5, -0.7))  # just under the exact limit: the bounce
    else:
        lr = ref * 10 ** rng.uniform(-DECADES_BELOW, 6 - DECADES_BELOW)
    lr = sig(lr)
    opt["lr"] = lr
    case = {"name": f"diagcase {seed}", "steps": steps, "seed": 0, "loss": loss, "optimizer": opt}
    if lethal:
        case["schedule"] = _lethal_decay(rng, sched_kind, steps)
    elif sched_kind != "constant":
        case["schedule"] = _schedule(rng, sched_kind, steps, lr, cycles_ok=kind != "adagrad")
    out = {"seed": seed, "family": family, "kind": template or loss["type"], "optimizer": kind,
           "lr_ref": sig(ref), "case": case}
    return out


def check(case: dict) -> None:
    """Raise if lrtui's loader refuses the case (a generator bug)."""
    import copy

    from lrtui.scenario.loader import scenario_from_data

    scenario_from_data(copy.deepcopy(case), case["name"])
