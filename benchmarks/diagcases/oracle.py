"""Labels by the verdict contracts (/work/wt/CONTRACTS.md, restated in this package's README).

`label(case)` simulates what the contracts need (benchmarks.diagcases.simulate), measures the curvature at
w_B where a clause needs it (benchmarks.diagcases.curvature, or the exact spectrum on quadratics), and
returns the first label that holds, which clause fired, and the evidence, so that a person can audit it.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np

from benchmarks.diagcases import curvature
from benchmarks.diagcases.simulate import (CASE, FACTORS, Runs, brute_force, is_scheduled, lrtui_check, own_quadratic,
                                           same_outcome)

MUCH = 10.0
TOL = 1e-6
LABELS = ("diverged", "converged", "local_minimum", "plateau", "schedule_too_aggressive", "oscillating",
          "too_slow", "improving", "ambiguous")
HEALTHY = ("improving", "converged")
CURVED = 1e-12  # the contracts' own absolute floor on curvature


def own_path(case: dict) -> bool:
    """Quadratic + SGD: labelled by the oracle's own eigenbasis computation."""
    opt = case["optimizer"]
    return (case["loss"]["type"] == "quadratic" and opt["type"] == "sgd" and "eigenvalues" in case["loss"]
            and not opt.get("weight_decay") and not opt.get("dampening") and not opt.get("maximize"))


def simulate(case: dict):
    """(runs, f* when known or None, curvature function giving (lambda_min, lambda_max, method), checks)."""
    if own_path(case):
        runs = own_quadratic(case)
        lam = np.asarray(case["loss"]["eigenvalues"], dtype=float)
        checks = lrtui_check(case, runs)
        if checks["lr_dev"] > 1e-9:
            raise AssertionError(f"own schedule differs from lrtui's: {checks}")
        checks["same_outcome"] = same_outcome(runs, checks)
        return runs, 0.0, lambda: (float(lam.min()), float(lam.max()), "exact-eigenvalues"), checks
    from benchmarks.diagcases.simulate import lrtui_parts

    _, loss, _ = lrtui_parts(case)
    floor = None if loss.min_value is None else float(loss.min_value)
    runs, loss = brute_force(case, with_m=floor is None)
    if case["loss"]["type"] == "quadratic" and "eigenvalues" in case["loss"]:
        lam = np.asarray(case["loss"]["eigenvalues"], dtype=float)
        return runs, floor, lambda: (float(lam.min()), float(lam.max()), "exact-eigenvalues"), {}

    def curv():
        return curvature.extremes(lambda p: loss.value_and_grad(p)[1], runs.w_final, seed=0)

    return runs, floor, curv, {}


def _gaps(values, f_star: float, d0: float) -> np.ndarray:
    values = np.atleast_1d(np.asarray(values, dtype=float))
    with np.errstate(all="ignore"):
        out = (values - f_star) / d0
    out[~np.isfinite(values)] = np.inf
    return out


def _much_lower(gaps: np.ndarray, g: float) -> bool:
    """Some finite gap at most G / MUCH (and strictly below G, so that G = 0 never counts)."""
    gaps = np.asarray(gaps, dtype=float)
    return bool(np.any(np.isfinite(gaps) & (gaps <= g / MUCH) & (gaps < g)))


def mean_cosine(updates: np.ndarray) -> float:
    """Mean cosine between consecutive updates (pairs where both are non-zero); NaN when there are none."""
    if len(updates) < 2:
        return math.nan
    a, b = updates[:-1], updates[1:]
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    ok = (na > 0) & (nb > 0) & np.isfinite(na) & np.isfinite(nb)
    if not ok.any():
        return math.nan
    return float(np.mean(np.sum(a[ok] * b[ok], axis=1) / (na[ok] * nb[ok])))


def kill_step(lr: np.ndarray, steps: int) -> int:
    """First t <= 0.75 B where the LR in force is at most 1/100 of its running peak; -1 when none."""
    lr = np.asarray(lr[:steps], dtype=float)
    peak = np.maximum.accumulate(lr)
    hit = np.flatnonzero((lr <= peak / 100.0) & (np.arange(lr.size) <= 0.75 * steps))
    return int(hit[0]) if hit.size else -1


def _r(x, digits: int = 4):
    """A float for the stored evidence, rounded to `digits` significant digits (JSON has no inf/NaN)."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(f"{x:.{digits}g}")


def decide(runs: Runs, floor: float | None, curv, scheduled: bool) -> dict:
    """Apply the contracts in order; the record of what fired and why."""
    steps = runs.steps
    known = floor is not None
    f_star = floor if known else runs.lowest
    l0 = float(runs.loss[0])
    d0 = l0 - f_star
    ev: dict = {"floor_known": known, "f_star": f_star, "L0": l0, "D0": d0}
    if not d0 > 1e-12 * max(1.0, abs(f_star)):
        return {"label": None, "clause": "degenerate", **ev}
    diverged = runs.diverged_at >= 0
    lb = float(runs.loss[steps]) if not diverged else math.inf
    g = math.inf if diverged or not math.isfinite(lb) else (lb - f_star) / d0
    grid = _gaps(runs.finals["grid"], f_star, d0)
    others = {k: _gaps(v, f_star, d0) for k, v in runs.finals.items() if k != "grid"}
    ev.update(G=g, LB=lb, diverged_at=runs.diverged_at, grid_gaps=grid)
    ev.update({f"{k}_gaps": v for k, v in others.items()})

    def result(name, clause):
        return {"label": name, "clause": clause, **ev}

    if diverged:
        return result("diverged", "1:non-finite")
    if g > 4:
        return result("diverged", "1:G>4")
    gn = runs.grad_norm
    g_final, g_max = float(gn[steps]), float(np.nanmax(gn[: steps + 1]))
    lr_top = runs.lr_anchor * FACTORS[-1]
    stationary = g_final <= 1e-3 * g_max
    small_rel = g_final <= 1e-2 * g_max
    small_abs = lr_top * g_final**2 <= 1e-6 * (lb - f_star)
    small = small_rel or small_abs
    gap_half = (float(runs.loss[steps // 2]) - f_star) / d0
    flat = gap_half - g <= 0.01 * g
    cos = mean_cosine(runs.updates)
    bouncing = bool(np.isfinite(cos) and cos <= -0.5)
    t_kill = kill_step(runs.lr, steps) if scheduled else -1
    ev.update(grad_ratio=g_final / g_max if g_max > 0 else math.nan, stationary=stationary, small_gradient=small,
              small_by="relative" if small_rel else ("absolute" if small_abs else "no"),
              gap_half=gap_half, flat=flat, bounce_cos=cos, bouncing=bouncing, t_kill=t_kill)
    negative = None
    if g <= TOL or small:
        lo, hi, method = curv()
        negative = lo < -1e-6 * max(abs(hi), 1e-12)
        ev.update(lambda_min=lo, lambda_max=hi, curvature=method, negative_curvature=negative)
    everything = np.concatenate([grid] + list(others.values()))
    lower_elsewhere = _much_lower(everything, g)
    smaller = _much_lower(grid[:CASE], g)
    larger = _much_lower(grid[CASE + 1:], g)
    ev.update(smaller_much_lower=smaller, larger_much_lower=larger, any_much_lower=lower_elsewhere)

    if g <= TOL and not negative and (known or flat):
        return result("converged", "2")
    # DECISIONS 2 and 3 (README): a local minimum is curved (lambda_max > 1e-12, not a region where the Hessian
    # vanishes) and at rest (not bouncing).
    curved = negative is not None and ev["lambda_max"] > CURVED
    if stationary and not negative and curved and not bouncing and flat and g > 1e-3 and (known or lower_elsewhere):
        return result("local_minimum", "3")
    # DECISION 1: a saddle plateau is flat too (not a run still falling past a region of negative curvature).
    if small and negative and flat:
        return result("plateau", "4:saddle")
    if scheduled and 0 <= t_kill and g > 1e-3:
        cf = np.concatenate([others.get("S1", []), others.get("S2", [])])
        if _much_lower(cf, g):
            return result("schedule_too_aggressive", "5")
    if bouncing and smaller:
        return result("oscillating", "6")
    if g > TOL and larger:
        return result("too_slow", "7")
    if flat and small and g > 1e-3 and (known or lower_elsewhere):
        return result("plateau", "8:flat")
    if smaller:
        return result("ambiguous", "9:smaller-lr-much-lower")
    return result("improving", "9")


def label(case: dict) -> dict:
    """The oracle's record for one case (scenario dict): label, clause, G, f*, gaps and evidence."""
    started = time.perf_counter()
    runs, floor, curv, checks = simulate(case)
    if checks.get("same_outcome") is False:  # DECISION 4: exact arithmetic and lrtui's float64 run disagree
        return {"label": None, "clause": "numerics", "checks": checks, "seconds": time.perf_counter() - started}
    out = decide(runs, floor, curv, is_scheduled(case))
    out["path"] = "own-eigenbasis" if own_path(case) else "lrtui-simulation"
    out["checks"] = checks
    out["seconds"] = time.perf_counter() - started
    return out


FRAGILE_STEP = 1e-6  # DECISION 5: the relative LR change a label must survive


def perturbed(case: dict, factor: float) -> dict:
    """The case with every LR (the optimizer's and the schedule's absolute ones) times `factor`."""
    from benchmarks.diagcases.simulate import scaled_case

    out = copy.deepcopy(case)
    out["optimizer"], schedule = scaled_case(case, factor)
    if "schedule" in case:
        out["schedule"] = schedule
    return out


def final_label(case: dict) -> dict:
    """`label`, then the same at lr x (1 +- FRAGILE_STEP): a label that does not survive that (chaotic landing
    places on many-minima landscapes, counterfactuals on a knife edge) becomes "ambiguous", clause "fragile"."""
    out = label(case)
    if out["label"] is None:
        return out
    others = {}
    for factor in (1 + FRAGILE_STEP, 1 - FRAGILE_STEP):
        again = label(perturbed(case, factor))
        others[f"{factor:.6f}"] = again["label"] or again["clause"]
        out["seconds"] += again["seconds"]
    out["perturbed"] = others
    if any(v != out["label"] for v in others.values()):
        out["unperturbed_label"], out["unperturbed_clause"] = out["label"], out["clause"]
        out["label"], out["clause"] = "ambiguous", "fragile"
    return out


def compact(record: dict) -> dict:
    """The decision record as small JSON: evidence rounded to 4 significant digits."""
    out = {}
    for key, value in record.items():
        if isinstance(value, np.ndarray):
            out[key] = [_r(v) for v in value]
        elif isinstance(value, (bool, np.bool_)):
            out[key] = bool(value)
        elif isinstance(value, (int, np.integer)):
            out[key] = int(value)
        elif isinstance(value, (float, np.floating)):
            out[key] = _r(value, 6 if key in ("G", "f_star", "D0", "L0", "LB") else 4)
        elif isinstance(value, dict):
            out[key] = compact(value)
        else:
            out[key] = value
    return out
