"""The evidence the curve-only rules judge: one pass over a loss curve (and its LR and
validation loss, when the log has them) that records every number a verdict or a message needs.

The judging thresholds live in lrtui.core.diagnostics.curve and arrive here as `checks`;
the settings below only say how the curve is measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from lrtui.core.diagnostics.curve_features import (
    Bounce, block_medians, bounce_stats, floor_of, log_gap, median_sigma, noise_sigma, trend, window_bounds)

SMOOTH_SPAN = 0.02  # the EMA averages over about 2% of the run...
SMOOTH_MIN, SMOOTH_MAX = 0.6, 0.99  # ...with a weight between TensorBoard's default and 0.99
WINDOWS = 20  # the run is cut into this many windows for its medians
RECENT = 1 / 3  # the current trend is judged on the last third of the run...
RECENT_WINDOWS = 7  # ...cut into this many windows
MIN_WINDOW_POINTS = 3  # no median of fewer points
START_POINTS = 5  # the starting level is the median of the first five points
FLAT_BAND = 0.05  # windows within 5% (or the noise) of the last are part of its flat stretch
BLOCKS = 1000  # divergence is confirmed on medians of blocks of n/1000 points (at least 3)
OSC_DETREND = 9  # a bounce is measured around a centred moving average of this many points
MAX_BOUNCE_POINTS = 50_000  # ...over at most this many of the latest points
MIN_AFTER_CUT = 0.1  # a schedule cut is judged once 10% of the run (and 10 points) have followed it


def smoothing_weight(n: int) -> float:
    """The EMA weight for an n-point curve: an effective span of about 2% of the run."""
    span = SMOOTH_SPAN * n
    return float(min(SMOOTH_MAX, max(SMOOTH_MIN, 1.0 - 1.0 / span))) if span > 1 else SMOOTH_MIN


@dataclass
class Evidence:
    points: int = 0  # finite loss values before the first non-finite one
    last_step: int = 0
    span_steps: float = 1.0  # steps in one run-length
    weight: float = SMOOTH_MIN
    nonfinite_at: int = -1
    nonfinite_value: str = ""
    start_value: float = math.nan
    best_value: float = math.nan  # lowest window median
    best_step: int = 0
    best_end_step: int = 0
    level_now_value: float = math.nan  # median of the last window
    gap_now: float = math.nan  # level now as a fraction of the starting level (both above the floor)
    median_noise: float = 0.0  # scatter of a window median, in log units
    smoothed_end: float = math.nan
    blowup_at: int = -1
    blowup_best: float = math.nan
    blowup_value: float = math.nan
    blowup_value_ratio: float = math.nan
    spike_at: int = -1
    spike_best: float = math.nan
    spike_peak: float = math.nan
    recent_rate: float = 0.0  # fall of log(gap) per run-length over the last third
    recent_se: float = math.inf
    recent_span: float = RECENT
    recent_from: int = 0
    falling: bool = False
    needed: float = math.inf  # run-lengths until the level reaches the tolerance at the recent pace
    flat_from: int = 0
    rising: bool = False
    rise_ratio: float = 1.0
    bounce: Bounce = field(default_factory=lambda: Bounce(0.0, 0.0, 0.0, 0.0, 0))
    bouncing: bool = False
    bounce_from: int = 0
    lr_now: float = math.nan
    lr_max: float = math.nan
    cut_at: int = -1
    cut_fraction: float = math.nan
    pre_cut_rate: float = math.nan
    post_cut_rate: float = math.nan
    gap_at_cut: float = math.nan
    cut_stalled: bool = False
    overfit_at: int = -1
    val_best: float = math.nan
    val_now: float = math.nan
    train_at_val_best: float = math.nan
    _steps: np.ndarray | None = None
    _lr: np.ndarray | None = None

    def lr_at(self, step: int) -> float:
        if self._lr is None or self._steps is None:
            return math.nan
        i = min(int(np.searchsorted(self._steps, step, side="right")) - 1, self._lr.size - 1)
        return float(self._lr[max(i, 0)])


def measure(loss, steps, smoothed, lr, val_steps, val_loss, checks: dict) -> Evidence:
    c = SimpleNamespace(**checks)
    e = Evidence(weight=smoothing_weight(loss.size), last_step=int(steps[-1]), _steps=steps, _lr=_filled(lr))
    bad = np.flatnonzero(~np.isfinite(loss))
    end = int(bad[0]) if bad.size else loss.size
    if bad.size:
        e.nonfinite_at = int(steps[end])
        e.nonfinite_value = "nan" if math.isnan(loss[end]) else ("inf" if loss[end] > 0 else "-inf")
    e.points = end
    if end == 0:
        return e
    x, s = loss[:end], smoothed[:end]
    span = float(steps[end - 1] - steps[0])
    e.span_steps = span if span > 0 else float(max(end - 1, 1))
    t = (steps[:end] - steps[0]) / span if span > 0 else np.linspace(0.0, 1.0, end)
    floor = floor_of(x)
    logs = log_gap(x, floor)
    sigma = noise_sigma(logs)
    e.start_value = float(np.median(x[:START_POINTS]))
    start_log = float(log_gap(np.array([e.start_value]), floor)[0])
    bounds = window_bounds(end, WINDOWS, MIN_WINDOW_POINTS)
    med = np.array([np.median(logs[a:b]) for a, b in bounds])
    e.median_noise = median_sigma(sigma, min(b - a for a, b in bounds))
    margin = c.noise_margin * math.sqrt(2.0) * e.median_noise
    k_best = int(np.argmin(med))
    e.best_value = float(np.exp(med[k_best]) + floor)
    e.best_step = int(steps[(bounds[k_best][0] + bounds[k_best][1] - 1) // 2])
    e.best_end_step = int(steps[bounds[k_best][1] - 1])
    e.level_now_value = float(np.exp(med[-1]) + floor)
    e.gap_now = float(np.exp(med[-1] - start_log))
    e.smoothed_end = float(s[-1])
    _blowup(e, x, s, steps, floor, sigma, c)
    if end < c.min_points:
        return e
    recent = min(end, max(math.ceil(end * RECENT), 2 * MIN_WINDOW_POINTS))
    tr = trend(t[-recent:], logs[-recent:], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    e.recent_rate, e.recent_se = tr.rate, tr.se
    e.recent_span, e.recent_from = float(t[-1] - t[end - recent]), int(steps[end - recent])
    e.falling = tr.falling(c.flat_rate, c.significance)
    e.needed = _needed(e.gap_now, tr.rate, c.tolerance)
    band = max(math.log1p(FLAT_BAND), margin)
    k = len(med) - 1
    while k > 0 and abs(med[k - 1] - med[-1]) <= band:
        k -= 1
    e.flat_from = int(steps[bounds[k][0]])
    risen = float(med[-1] - med[k_best])
    e.rise_ratio = math.exp(risen)
    e.rising = risen > math.log(c.rise) and risen > margin and not e.falling
    tail = x[-min(recent, MAX_BOUNCE_POINTS):]
    b = e.bounce = bounce_stats(tail, floor, OSC_DETREND)
    e.bouncing = (b.points >= c.osc_min_points and b.lag1 <= c.osc_lag1 and b.lag2 >= c.osc_lag2
                  and b.flips >= c.osc_flips and b.swing >= c.osc_swing and not e.falling)
    if e.bouncing:
        e.bounce_from = _alternating_since(x, steps, c.osc_flips)
    if e._lr is not None:
        _schedule_cut(e, e._lr[:end], t, logs, steps, start_log, sigma, c)
    if val_loss is not None:
        _overfitting(e, val_steps, val_loss, steps[:end], s, margin, c)
    return e


def _filled(lr) -> np.ndarray | None:
    """The LR at every row: carried forward over gaps, and back over the first ones."""
    if lr is None or not np.isfinite(lr).any():
        return None
    ok = np.isfinite(lr)
    idx = np.where(ok, np.arange(lr.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = lr[idx]
    out[: int(np.argmax(ok))] = lr[int(np.argmax(ok))]
    return out


def _needed(gap: float, rate: float, tolerance: float) -> float:
    if gap <= tolerance:
        return 0.0
    return math.log(gap / tolerance) / rate if rate > 0 else math.inf


def _blowup(e: Evidence, x, s, steps, floor, sigma, c) -> None:
    """A climb to BLOWUP x the best level, seen both in the smoothed loss and in block medians."""
    n = x.size
    block = max(MIN_WINDOW_POINTS, math.ceil(n / BLOCKS)) if n >= MIN_WINDOW_POINTS else 1
    q = block_medians(x, block) - floor
    qbest = np.minimum.accumulate(q)
    margin = c.noise_margin * math.sqrt(2.0) * median_sigma(sigma, block)
    with np.errstate(all="ignore"):
        hit_q = (q > c.blowup * qbest) & (np.log(q) - np.log(qbest) > margin)
    sg = s - floor
    sbest = np.minimum.accumulate(sg)
    hit_s = sg > c.blowup * sbest
    padded = np.zeros(q.size * block, dtype=bool)
    padded[:n] = hit_s
    s_from_here = np.logical_or.accumulate(padded.reshape(q.size, block).any(axis=1)[::-1])[::-1]
    hits = hit_q & s_from_here
    end_q = float(np.median(x[-block:]) - floor)
    stayed = bool(hits.any() and hit_q[-1] and end_q > c.blowup * qbest[-1] and sg[-1] > c.blowup * sbest[-1])
    final = q.size
    if stayed:
        while final > 0 and hit_q[final - 1]:
            final -= 1
        j = _first_above(x, floor, c.blowup * qbest[final], final, block)
        e.blowup_at = int(steps[j])
        e.blowup_best = float(sbest[j] + floor)
        e.blowup_value = float(s[-1])
        e.blowup_value_ratio = float(sg[-1] / sbest[j]) if sbest[j] > 0 else math.inf
    earlier = np.flatnonzero(hits[:final])
    if earlier.size:
        k = int(earlier[0])
        j = _first_above(x, floor, c.blowup * qbest[k], k, block)
        recovered = j + np.argmax(sg[j:] <= c.blowup * sbest[j]) if (sg[j:] <= c.blowup * sbest[j]).any() else n
        e.spike_at = int(steps[j])
        e.spike_best = float(sbest[j] + floor)
        e.spike_peak = float(np.max(s[j: max(recovered, j + 1)]))


def _first_above(x, floor, level, k, block) -> int:
    """The first point of block k (or of the block before it) above `level`."""
    lo, hi = max(0, (k - 1) * block), min(x.size, (k + 1) * block)
    above = np.flatnonzero(x[lo:hi] - floor > level)
    return lo + int(above[0]) if above.size else min(k * block, x.size - 1)


def _alternating_since(x, steps, share: float) -> int:
    """Where the final stretch of step-by-step reversals began."""
    d = np.diff(x)
    flips = (d[:-1] * d[1:] < 0).astype(float)
    width = 10
    if flips.size < width:
        return int(steps[0])
    rolling = np.convolve(flips, np.full(width, 1.0 / width), mode="valid")
    i = rolling.size - 1
    while i > 0 and rolling[i - 1] >= share:
        i -= 1
    return int(steps[i])


def _schedule_cut(e: Evidence, lr, t, logs, steps, start_log, sigma, c) -> None:
    """An LR cut 100x from its peak early, while the loss was still falling, and the loss then stalled."""
    end = logs.size
    peak = np.fmax.accumulate(lr)
    e.lr_now, e.lr_max = float(lr[-1]), float(peak[-1])
    cut = (peak > 0) & (lr <= peak / c.big_cut * (1 + 1e-9))
    first = np.flatnonzero(cut)
    if first.size == 0:
        return
    ci = int(first[0])
    e.cut_at, e.cut_fraction = int(steps[ci]), float(t[ci])
    after = end - ci
    before = ci - max(0, ci - after)
    if not cut[-1] or after < max(10, math.ceil(MIN_AFTER_CUT * end)) or before < 2 * MIN_WINDOW_POINTS:
        return
    pre = trend(t[ci - before: ci], logs[ci - before: ci], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    post = trend(t[ci:], logs[ci:], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    e.pre_cut_rate, e.post_cut_rate = pre.rate, post.rate
    e.gap_at_cut = float(np.exp(pre.end_level - start_log))
    gap_after = float(np.exp(post.end_level - start_log))
    progressing = (post.falling(c.flat_rate, c.significance)
                   and _needed(gap_after, post.rate, c.tolerance) <= c.slow_factor)
    e.cut_stalled = bool(e.cut_fraction <= c.early_cut and e.gap_at_cut > c.tolerance
                         and pre.falling(c.flat_rate, c.significance) and not progressing
                         and post.rate < c.stall_ratio * pre.rate)


def _overfitting(e: Evidence, val_steps, val_loss, steps, smoothed, margin, c) -> None:
    """The validation loss climbing above its best while the training loss keeps falling."""
    keep = np.isfinite(val_loss) & (val_steps <= steps[-1])
    vs, vl = val_steps[keep], val_loss[keep]
    if vl.size < c.overfit_min_points:
        return
    padded = np.concatenate([vl[:1], vl, vl[-1:]])
    vm = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    b = int(np.argmin(vm))
    if vl.size - 1 - b < 2:
        return
    floor = floor_of(vl)
    v_margin = c.noise_margin * math.sqrt(2.0) * median_sigma(noise_sigma(log_gap(vl, floor)), 3)
    val_now = float(np.median(vl[-3:]))
    rise = float(log_gap(np.array([val_now]), floor)[0] - log_gap(np.array([vm[b]]), floor)[0])
    train_then = float(np.interp(vs[b], steps, smoothed))
    if rise > max(math.log1p(c.overfit_rise), v_margin) and e.level_now_value < train_then:
        e.overfit_at, e.val_best, e.val_now = int(vs[b]), float(vm[b]), val_now
        e.train_at_val_best = train_then
