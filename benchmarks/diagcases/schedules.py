"""torch.optim.lr_scheduler's values, written from torch's documented formulas, for the oracle's own
quadratic computation. Nothing here imports lrtui: the labels of quadratic + SGD cases share no code
with lrtui (the oracle checks these curves against lrtui's recorded LRs on every such case instead).

`curve(schedule, base_lr, steps)` gives, for t = 0..steps-1, the LR update t + 1 uses (the scheduler's
value after t calls to step()), and the cycled momentum (or None), for a vector of base LRs at once.
ReduceLROnPlateau, which needs the loss, is `Plateau`, stepped by the caller.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

# The scheduler parameters that are learning rates, scaled with the LR of a grid run.
LR_KEYS = {"cosine": ("eta_min",), "cosine_warm_restarts": ("eta_min",), "cyclic": ("base_lr", "max_lr"),
           "onecycle": ("max_lr",), "plateau": ("min_lr",)}

DEFAULTS = {
    "constant_factor": {"factor": 1.0 / 3.0, "total_iters": 5},
    "step": {"gamma": 0.1},
    "multistep": {"gamma": 0.1},
    "linear": {"start_factor": 1.0 / 3.0, "end_factor": 1.0, "total_iters": 5},
    "polynomial": {"total_iters": 5, "power": 1.0},
    "cosine": {"eta_min": 0.0},
    "cosine_warm_restarts": {"T_mult": 1, "eta_min": 0.0},
    "onecycle": {"pct_start": 0.3, "anneal_strategy": "cos", "div_factor": 25.0, "final_div_factor": 1e4,
                 "three_phase": False, "cycle_momentum": True, "base_momentum": 0.85, "max_momentum": 0.95},
    "cyclic": {"step_size_up": 2000, "step_size_down": None, "mode": "triangular", "gamma": 1.0,
               "cycle_momentum": True, "base_momentum": 0.8, "max_momentum": 0.9},
    "plateau": {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel",
                "cooldown": 0, "min_lr": 0.0, "eps": 1e-8},
}


def full(schedule: dict) -> dict:
    """The schedule table with torch's defaults filled in."""
    kind = schedule.get("type", "constant")
    return {**DEFAULTS.get(kind, {}), **schedule, "type": kind}


def scaled(schedule: dict, factor: float) -> dict:
    """The same schedule for a run whose LR is `factor` times the case's (absolute LRs scale too)."""
    out = dict(schedule)
    for key in LR_KEYS.get(out.get("type", "constant"), ()):
        if key in out:
            out[key] = out[key] * factor
    if out.get("type") == "sequential":
        out["schedulers"] = [scaled(piece, factor) for piece in out["schedulers"]]
    return out


def _factor_curve(s: dict, t: np.ndarray) -> np.ndarray:
    """LR / base LR at steps t for the closed-form, base-relative schedules."""
    kind = s["type"]
    if kind == "constant":
        return np.ones(t.shape)
    if kind == "constant_factor":
        return np.where(t < s["total_iters"], s["factor"], 1.0)
    if kind == "step":
        return s["gamma"] ** (t // s["step_size"]).astype(float)
    if kind == "multistep":
        ms = sorted(s["milestones"])
        return s["gamma"] ** np.array([bisect.bisect_right(ms, int(k)) for k in t], dtype=float)
    if kind == "exponential":
        return s["gamma"] ** t.astype(float)
    if kind == "linear":
        frac = np.minimum(t, s["total_iters"]) / s["total_iters"]
        return s["start_factor"] + (s["end_factor"] - s["start_factor"]) * frac
    if kind == "polynomial":
        return (1.0 - np.minimum(t, s["total_iters"]) / s["total_iters"]) ** s["power"]
    raise ValueError(kind)


def _cosine(s, t, base):
    return s["eta_min"] + (base - s["eta_min"]) * (1.0 + np.cos(math.pi * t / s["T_max"])) / 2.0


def _warm_restarts(s, t, base):
    t_cur, t_i, out = 0, s["T_0"], []
    for _ in range(len(t)):
        out.append((t_cur, t_i))
        t_cur += 1
        if t_cur >= t_i:
            t_cur -= t_i
            t_i *= s["T_mult"]
    cur = np.array([c for c, _ in out], dtype=float)[:, None]
    per = np.array([i for _, i in out], dtype=float)[:, None]
    return s["eta_min"] + (base - s["eta_min"]) * (1.0 + np.cos(math.pi * cur / per)) / 2.0


def _onecycle(s, t, base):
    max_lr = np.broadcast_to(s["max_lr"], base.shape).astype(float)
    initial = max_lr / s["div_factor"]
    floor = initial / s["final_div_factor"]
    total, pct = s["total_steps"], s["pct_start"]
    hi_m, lo_m = s["max_momentum"], s["base_momentum"]
    if s["three_phase"]:
        phases = [(pct * total - 1, initial, max_lr, hi_m, lo_m), (2 * pct * total - 2, max_lr, initial, lo_m, hi_m),
                  (total - 1, initial, floor, hi_m, hi_m)]
    else:
        phases = [(pct * total - 1, initial, max_lr, hi_m, lo_m), (total - 1, max_lr, floor, lo_m, hi_m)]

    def anneal(start, end, frac):
        if s["anneal_strategy"] == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * frac) + 1.0)
        return (end - start) * frac + start

    lrs, moms = [], []
    for step in t:
        begin = 0.0
        for i, (end_step, lr0, lr1, m0, m1) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                frac = (step - begin) / (end_step - begin)
                lrs.append(anneal(lr0, lr1, frac))
                moms.append(anneal(m0, m1, frac))
                break
            begin = end_step
    return np.array(lrs), (np.array(moms, dtype=float) if s["cycle_momentum"] else None)


def _cyclic(s, t, base):
    lo = np.broadcast_to(s["base_lr"], base.shape).astype(float)
    hi = np.broadcast_to(s["max_lr"], base.shape).astype(float)
    up = float(s["step_size_up"])
    down = up if s["step_size_down"] is None else float(s["step_size_down"])
    total = up + down
    ratio = up / total
    lrs, moms = [], []
    for step in t:
        cycle = math.floor(1 + step / total)
        x = 1.0 + step / total - cycle
        scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        if s["mode"] == "triangular":
            fn = 1.0
        elif s["mode"] == "triangular2":
            fn = 1 / (2.0 ** (cycle - 1))
        else:
            fn = s["gamma"] ** step
        lrs.append(lo + (hi - lo) * scale * fn)
        moms.append(s["max_momentum"] - (s["max_momentum"] - s["base_momentum"]) * scale * fn)
    return np.array(lrs), (np.array(moms, dtype=float) if s["cycle_momentum"] else None)


def curve(schedule: dict, base_lr, steps: int):
    """(lr of shape (steps, R), momentum of shape (steps,) or None) for t = 0..steps-1."""
    s = full(schedule)
    kind = s["type"]
    base = np.atleast_1d(np.asarray(base_lr, dtype=float))
    t = np.arange(steps)
    if kind == "plateau":
        raise ValueError("plateau depends on the loss; use Plateau")
    if kind == "cosine":
        return _cosine(s, t[:, None], base), None
    if kind == "cosine_warm_restarts":
        return _warm_restarts(s, t, base), None
    if kind == "onecycle":
        lr, mom = _onecycle(s, t, base)
        return np.array(lr).reshape(steps, -1) * np.ones(base.shape), mom
    if kind == "cyclic":
        lr, mom = _cyclic(s, t, base)
        return np.array(lr).reshape(steps, -1) * np.ones(base.shape), mom
    if kind == "sequential":
        pieces, marks = s["schedulers"], list(s["milestones"])
        if any(p.get("type") in ("cyclic", "onecycle", "plateau", "sequential") for p in pieces):
            raise ValueError("sequential with cyclic, onecycle, plateau or sequential pieces is not generated")
        out = np.empty((steps, base.size))
        for k in range(steps):
            i = bisect.bisect_right(marks, k)
            local = k - (marks[i - 1] if i else 0)
            out[k] = curve(pieces[i], base, local + 1)[0][-1]
        return out, None
    return _factor_curve(s, t)[:, None] * base, None


class Plateau:
    """ReduceLROnPlateau for R runs at once: `lr` now; `observe(losses)` after each optimizer step."""

    def __init__(self, schedule: dict, base_lr, factors=None):
        self.s = full(schedule)
        self.lr = np.atleast_1d(np.asarray(base_lr, dtype=float)).copy()
        n = self.lr.size
        # min_lr is an LR: it scales with each grid run's factor on the case's LR.
        self.min_lr = self.s["min_lr"] * (np.ones(n) if factors is None else np.asarray(factors, dtype=float))
        self.best = np.full(n, math.inf if self.s["mode"] == "min" else -math.inf)
        self.bad = np.zeros(n, dtype=np.int64)
        self.cooldown = np.zeros(n, dtype=np.int64)

    def _better(self, a):
        s, best = self.s, self.best
        with np.errstate(all="ignore"):
            if s["mode"] == "min":
                limit = best * (1.0 - s["threshold"]) if s["threshold_mode"] == "rel" else best - s["threshold"]
                return a < limit
            limit = best * (s["threshold"] + 1.0) if s["threshold_mode"] == "rel" else best + s["threshold"]
            return a > limit

    def observe(self, losses) -> None:
        a = np.asarray(losses, dtype=float)
        better = self._better(a)
        self.best = np.where(better, a, self.best)
        self.bad = np.where(better, 0, self.bad + 1)
        cooling = self.cooldown > 0
        self.cooldown = np.where(cooling, self.cooldown - 1, self.cooldown)
        self.bad = np.where(cooling, 0, self.bad)
        cut = self.bad > self.s["patience"]
        new = np.maximum(self.lr * self.s["factor"], self.min_lr)
        apply = cut & (self.lr - new > self.s["eps"])
        self.lr = np.where(apply, new, self.lr)
        self.cooldown = np.where(cut, self.s["cooldown"], self.cooldown)
        self.bad = np.where(cut, 0, self.bad)
