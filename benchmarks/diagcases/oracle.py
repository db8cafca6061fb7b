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

from benchmarks.diagcases import curvature, floors, limits, pwlinear
from benchmarks.diagcases.simulate import (CASE, Runs, brute_force, is_scheduled, lrtui_check, own_path_case,
                                           own_quadratic, same_outcome, try_lrs)

MUCH = 10.0
HALF = 0.5  # v2: "much lower" also when at least half the starting gap closer to the floor
TOL = 1e-6
SMALL_GRAD = 1e-4  # v2: |g|^2 <= SMALL_GRAD * 2 * Lambda * (L(B) - f*)
LABELS = ("diverged", "converged", "local_minimum", "plateau", "schedule_too_aggressive", "oscillating",
          "too_slow", "improving", "ambiguous")
HEALTHY = ("improving", "converged")
CURVED = 1e-12  # the contracts' own absolute floor on curvature
ROUNDING = 16 * np.finfo(float).eps  # an update at most this times max(1, |w_B|) is rounding, not a direction


own_path = own_path_case  # quadratic + SGD: labelled by the oracle's own eigenbasis computation


def simulate(case: dict):
    """(runs, f* or None when it comes from the runs, floor kind, curvature function giving (lambda_min,
    lambda_max, method), checks). The runs carry the too_slow cap and, where it lies past the grid, the ends
    of the runs at 0.5 and 0.9 times it (finals["cap"])."""
    if own_path(case):
        runs = own_quadratic(case)
        lam = np.asarray(case["loss"]["eigenvalues"], dtype=float)
        checks = lrtui_check(case, runs)
        if checks["lr_dev"] > 1e-9:
            raise AssertionError(f"own schedule differs from lrtui's: {checks}")
        checks["same_outcome"] = same_outcome(runs, checks)
        runs.s_end, runs.s_end_at = float(lam.max()), runs.steps  # the Hessian is the same everywhere
        _cap(case, runs)
        return runs, 0.0, "known", {}, lambda: (float(lam.min()), float(lam.max()), "exact-eigenvalues"), checks
    from benchmarks.diagcases.simulate import lrtui_parts

    _, loss, _ = lrtui_parts(case)
    floor, kind, floor_evidence = floors.floor_of(case, loss)
    runs, loss = brute_force(case, with_m=kind not in floors.KNOWN_KINDS)
    # The gradient differenced for the curvature at w_B: lrtui's, except on ReLU networks, where it is the
    # oracle's own with the ReLU pattern held at w_B (a difference step across a kink is not curvature).
    grad_fn = pwlinear.model_gradient(loss, runs.w_final)
    runs.s_end = limits.s_end_of(grad_fn, runs.w_final, runs.inv_precond_end)
    runs.s_end_at = runs.steps
    _cap(case, runs)
    if case["loss"]["type"] == "quadratic" and "eigenvalues" in case["loss"]:
        lam = np.asarray(case["loss"]["eigenvalues"], dtype=float)
        return runs, floor, kind, floor_evidence, lambda: (float(lam.min()), float(lam.max()), "exact-eigenvalues"), {}

    def curv():
        lo, hi, method = curvature.extremes(grad_fn, runs.w_final, seed=0)
        return lo, hi, method + ("-frozen-relu" if isinstance(grad_fn, pwlinear.FrozenReluGradient) else "")

    return runs, floor, kind, floor_evidence, curv, {}


def _cap(case: dict, runs: Runs) -> None:
    """The too_slow cap from s_end (v2b), and the runs at 0.5 and 0.9 times it where it lies past the grid."""
    runs.limit_c = limits.limit_constant(case)
    runs.cap = limits.cap_of(runs.limit_c, runs.s_end)
    if runs.diverged_at >= 0:
        return  # diverged whatever the cap: nothing more to simulate
    runs.extra_lrs = limits.extra_lrs(case, runs.cap, float(runs.grid_lrs()[-1]))
    if runs.extra_lrs:
        finals, lowest = try_lrs(case, runs.extra_lrs)
        runs.finals["cap"] = finals
        runs.lowest = min(runs.lowest, lowest)


def _gaps(values, f_star: float, d0: float) -> np.ndarray:
    values = np.atleast_1d(np.asarray(values, dtype=float))
    with np.errstate(all="ignore"):
        out = (values - f_star) / d0
    out[~np.isfinite(values)] = np.inf
    return out


def _much_lower(gaps: np.ndarray, g: float) -> bool:
    """CONTRACTS v2 clause 2: some finite gap g' < G with g' <= G / MUCH or G - g' >= HALF (a tenth of the gap,
    or at least half the starting gap closer to the floor). g' < G keeps G = 0 from being much lower than
    itself (DECISION 6)."""
    gaps = np.asarray(gaps, dtype=float)
    with np.errstate(all="ignore"):
        return bool(np.any(np.isfinite(gaps) & (gaps < g) & ((gaps <= g / MUCH) | (g - gaps >= HALF))))


def mean_cosine(updates: np.ndarray, noise: float = 0.0) -> float:
    """Mean cosine between consecutive updates (pairs where both are larger than `noise`: an update at the
    rounding level of the parameters has no direction); NaN when there are none."""
    if len(updates) < 2:
        return math.nan
    a, b = updates[:-1], updates[1:]
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    ok = (na > noise) & (nb > noise) & np.isfinite(na) & np.isfinite(nb)
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


ADAPTIVE = ("adam", "adamw", "nadam", "rmsprop", "adagrad")  # v2c: no too_slow cap for these


def decide(runs: Runs, floor: float | None, curv, scheduled: bool, floor_kind: str | None = None,
           adaptive: bool = False) -> dict:
    """Apply the contracts in order; the record of what fired and why. `floor` is f* when the loss gives it
    (kinds "known", "grid", "zero"), or None: then f* = min(0, the lowest loss of any simulated run)."""
    steps = runs.steps
    kind = floor_kind or ("known" if floor is not None else "seen")
    known = kind in floors.KNOWN_KINDS
    f_star = float(floor) if floor is not None else min(0.0, runs.lowest)
    l0 = float(runs.loss[0])
    d0 = l0 - f_star
    ev: dict = {"floor_known": known, "floor_kind": kind, "f_star": f_star, "L0": l0, "D0": d0}
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
    stationary = g_final <= 1e-3 * g_max
    with np.errstate(all="ignore"):
        lo, hi, method = curv()
    negative = lo < -1e-6 * max(abs(hi), 1e-12)
    lam_abs = max(abs(lo), abs(hi))
    excess = lb - f_star
    # v2 clause 3: the gradient is small for the gap that is left, given the curvature at w_B.
    # DECISION 19: a gradient of exactly 0 is small whatever the curvature, even where it could not be measured.
    small = bool(excess > 0 and (g_final == 0.0 or g_final**2 <= SMALL_GRAD * 2.0 * lam_abs * excess))
    gap_half = (float(runs.loss[steps // 2]) - f_star) / d0
    flat = gap_half - g <= 0.01 * g
    # DECISION 10: updates at the rounding level of w_B (a run that has reached its point to the last digit) are
    # left out of the bouncing measure; the own eigenbasis path has no such floor (its w is never formed).
    noise = 0.0 if runs.w_final is None else ROUNDING * max(1.0, float(np.linalg.norm(runs.w_final)))
    cos = mean_cosine(runs.updates, noise)
    bouncing = bool(np.isfinite(cos) and cos <= -0.5)
    t_kill = kill_step(runs.lr, steps) if scheduled else -1
    with np.errstate(all="ignore"):
        ratio = (0.0 if g_final == 0.0 else g_final**2 / (2.0 * lam_abs * excess)) if excess > 0 and lam_abs > 0 \
            else (0.0 if excess > 0 and g_final == 0.0 else math.inf)
    ev.update(grad_ratio=g_final / g_max if g_max > 0 else math.nan, stationary=stationary, small_gradient=small,
              small_gradient_ratio=ratio, gap_half=gap_half, flat=flat, bounce_cos=cos, bouncing=bouncing,
              t_kill=t_kill, lambda_min=lo, lambda_max=hi, curvature=method, negative_curvature=negative)
    # v2b clause 4': a larger LR counts for too_slow only at or under the cap 0.9 C / s_end, s_end the top
    # eigenvalue (of P^-1 H for the adaptive optimizers) at the run's own final point w_B.
    lrs = runs.grid_lrs()
    counted = (np.arange(lrs.size) > CASE) & (lrs <= runs.cap)
    larger_gaps = np.concatenate([grid[counted], others.get("cap", np.array([]))])
    everything = np.concatenate([grid] + list(others.values()))
    lower_elsewhere = _much_lower(everything, g)
    smaller = _much_lower(grid[:CASE], g)
    larger = _much_lower(larger_gaps, g)
    if adaptive:
        # v2c: an adaptive optimizer's preconditioned sharpness adapts to its LR (RMSprop ends at its own edge
        # of stability), so no cap from it: every larger LR of the grid counts.
        larger = larger or _much_lower(grid[CASE + 1:], g)
    ev.update(s_end=runs.s_end, s_end_at=runs.s_end_at, limit_c=runs.limit_c, cap=runs.cap,
              cap_over_lr=runs.cap / runs.lr_anchor if runs.lr_anchor > 0 else math.nan,
              larger_counted=int(counted.sum()), extra_lrs=np.asarray(runs.extra_lrs, dtype=float),
              smaller_much_lower=smaller, larger_much_lower=larger, any_much_lower=lower_elsewhere,
              larger_uncapped_much_lower=_much_lower(grid[CASE + 1:], g))

    if g <= TOL and not negative and (known or flat):
        return result("converged", "2")
    # DECISIONS 2 and 3 (README): a local minimum is curved (lambda_max > 1e-12, not a region where the Hessian
    # vanishes) and at rest (not bouncing).
    # v2d: and a small gradient (as clause 4's), for stationary alone measures against the largest gradient met,
    # and a run whose first steps met a huge one passed far from any bottom (Rosenbrock: |g| 0.88 at loss 0.29).
    curved = hi > CURVED
    if stationary and small and not negative and curved and not bouncing and flat and g > 1e-3 \
            and (known or lower_elsewhere):
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
    runs, floor, kind, floor_evidence, curv, checks = simulate(case)
    if checks.get("same_outcome") is False:  # DECISION 4: exact arithmetic and lrtui's float64 run disagree
        return {"label": None, "clause": "numerics", "checks": checks, "seconds": time.perf_counter() - started}
    out = decide(runs, floor, curv, is_scheduled(case), floor_kind=kind,
                 adaptive=case["optimizer"]["type"] in ADAPTIVE)
    out.update(floor_evidence)
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
