"""One set of rules, for every run, from evidence to verdict. Thresholds are named here and
explained in docs/diagnostics.md; no case gets a threshold of its own."""

from __future__ import annotations

import numpy as np

from lrtui.core.diagnostics.features import WINDOW, Features

BLOWUP = 4.0  # smoothed loss this many times its best (above the floor): diverged
FLAT_RATE = 1e-4  # |d log(gap)/step| below this is flat
FALLING_RATE = 1e-3  # above this the loss is still falling over the long run
STATIONARY = 1e-3  # gradient norm below this fraction of its largest: near a stationary point
SMALL_GRAD = 1e-2  # ...below this fraction: small, as on a plateau
TINY_GRAD = 1e-4  # ...below this fraction: converged
CONVERGED_GAP = 1e-6  # gap (fraction of the starting gap) that counts as at the minimum
NEAR_GAP = 1e-3  # gap that counts as near it, when the gradient is tiny as well
ABOVE_MIN = 0.01  # gap that counts as well above the global minimum
ANTI_ALIGNED = -0.5  # running cosine of consecutive gradients below this: they point against each other
FLIPPING = 0.5  # running rate of sign flips of the loss change above this: the loss bounces
ALIGNED = 0.8  # running cosine of consecutive updates above this: steady direction
BIG_CUT = 100.0  # a schedule cut by this factor or more from its peak
EARLY_CUT = 0.75  # ...before this fraction of the budget (annealing to ~0 at the very end is by design)
HEADROOM = 0.2  # too slow only while the LR could grow 5x and stay below the stable limit
SLOW_GAUGE = 0.01  # lr below this fraction of the stable limit is small, whatever the update directions
ANNEALED = 0.1  # a schedule now below this fraction of its peak: slowness is the schedule's doing
SLOW_FACTOR = 10.0  # too slow: reaching the tolerance would take this many budgets
TOLERANCE_KNOWN = 1e-3  # "too slow" target gap when the minimum is known
TOLERANCE_UNKNOWN = 0.1  # ...and when it is not (a model's loss has no known floor)
NEGATIVE_CURVATURE = 1e-8  # bottom eigenvalue below -this * |top|: a saddle


def verdict_masks(f: Features, diverged_at, gauge, secant_gauge, bottom, top, budget: int,
                  full_batch_model: bool = False) -> dict:
    """Boolean arrays over runs, one per verdict code; precedence is applied by `choose`."""
    with np.errstate(all="ignore"):
        return _masks(f, diverged_at, gauge, secant_gauge, bottom, top, budget, full_batch_model)


def _masks(f, diverged_at, gauge, secant_gauge, bottom, top, budget, full_batch_model):
    warm = f.count > WINDOW
    floor = f.floor
    gap_smooth = f.gap(f.smooth)
    gap_raw = f.gap(f.loss)
    rate = f.rate
    flat = np.abs(rate) < FLAT_RATE
    falling = rate > FALLING_RATE
    known = f.known_floor is not None
    grad_ratio = f.grad_norm / np.maximum(f.max_grad, 1e-300)
    # Above 4x its best and above where it started: a momentum transient rises, but not past the start.
    far_above_start = f.smooth - floor > BLOWUP * (f.first_loss - floor)
    blowup = (warm & (f.smooth - floor > BLOWUP * (f.best_smooth - floor)) & (f.smooth > f.first_loss)
              & ((rate < 0) | far_above_start))
    diverged = (np.asarray(diverged_at) >= 0) | blowup | ~np.isfinite(f.loss)
    if known:
        converged = (gap_raw <= CONVERGED_GAP) | ((grad_ratio <= TINY_GRAD) & (gap_raw <= NEAR_GAP))
    else:
        converged = warm & (grad_ratio <= TINY_GRAD) & flat
    saddle = bottom < -NEGATIVE_CURVATURE * np.abs(top)
    local_minimum = known & warm & (grad_ratio <= STATIONARY) & flat & (gap_raw > ABOVE_MIN) & ~saddle
    away = saddle | ((gap_raw > ABOVE_MIN) if known else (gap_smooth > 0.5))
    plateau = warm & flat & (grad_ratio <= SMALL_GRAD) & away & ~local_minimum
    # A steady two-step bounce sits exactly at the edge (secant curvature 2/lr), hence the margin.
    unstable = (gauge >= 1.0) | (secant_gauge >= 0.95)
    oscillating = warm & (f.cos_grad < ANTI_ALIGNED) & (f.flip_rate > FLIPPING) & unstable & ~falling
    tolerance = TOLERANCE_KNOWN if known else TOLERANCE_UNKNOWN
    far = np.sqrt(tolerance)  # far from converged: not even halfway there on a log scale
    still_cut = f.schedule_lr <= f.schedule_lr_max / BIG_CUT * (1 + 1e-9)
    aggressive = ((f.cut_step >= 0) & still_cut & (f.cut_step <= EARLY_CUT * budget) & (f.gap_at_cut > far)
                  & (f.count - f.cut_step >= 10) & (gap_smooth > far) & ~falling)
    long_rate = f.long_rate
    needed = np.log(np.maximum(gap_smooth, tolerance) / tolerance) / np.where(long_rate > 0, long_rate, np.nan)
    steady = (f.cos_update > ALIGNED) | ((top > 0) & (gauge >= 0) & (gauge < SLOW_GAUGE))
    not_annealed = f.schedule_lr >= ANNEALED * f.schedule_lr_max
    could_go_faster = ~(gauge >= HEADROOM)  # unknown sharpness counts as room to spare
    # A tiny LR with a sizeable gradient is too slow even when noise hides the trend.
    tiny_lr = (top > 0) & (gauge >= 0) & (gauge < SLOW_GAUGE) & (grad_ratio > SMALL_GRAD) & ~falling
    too_slow = (warm & (grad_ratio > STATIONARY) & steady & not_annealed & could_go_faster & (gap_smooth > tolerance)
                & (((long_rate > 0) & (needed > SLOW_FACTOR * budget)) | tiny_lr))
    return {
        "diverged": diverged,
        "oscillating": oscillating & ~converged,
        "schedule_too_aggressive": aggressive & ~converged,
        "converged": converged,
        "local_minimum": local_minimum,
        "plateau": plateau & ~converged,
        "too_slow": too_slow & ~converged,
        "edge_of_stability": warm & full_batch_model & (f.flip_rate > 0.3) & (gauge >= 0.9) & falling,
        "needed": needed,
    }


PRECEDENCE = ("diverged", "oscillating", "schedule_too_aggressive", "converged", "local_minimum", "plateau",
              "too_slow")
CODES = PRECEDENCE + ("improving",)  # a verdict is stored as its index here


def choose(masks: dict) -> np.ndarray:
    """Each run's verdict as an index into CODES: the first mask in PRECEDENCE that holds."""
    return np.select([masks[code] for code in PRECEDENCE], np.arange(len(PRECEDENCE)), len(PRECEDENCE))
