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
    Bounce, block_medians, bounce_stats, floor_of, log_gap, lowest_of, median_sigma, noise_sigma, trend,
    window_bounds)

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
    rose_first: bool = False  # the loss rose well above its start early in the run
    flat_shown: bool = False  # flat over a stretch of at least a third of the run, beyond the noise
    needed_fastest: float = math.inf  # `needed` at the fastest pace the noise allows
    early_rate: float = math.nan  # the trend over the first third
    steady: bool = False  # the recent pace is not much slower than the early one (no deceleration)
    rising: bool = False
    rise_ratio: float = 1.0
    rise_best_value: float = math.nan  # the lowest level before the last third
    rise_best_step: int = 0
    rise_from: int = 0
    bounce: Bounce = field(default_factory=lambda: Bounce(0.0, 0.0, 0.0, 0.0, 0))
    bouncing: bool = False
    bounce_points: int = 0
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
    curve = _Curve(loss[:end], steps[:end], smoothed[:end])
    _levels(e, curve)
    _blowup(e, curve, c)
    if end < c.min_points:
        return e
    _trends(e, curve, c)
    if e._lr is not None:
        _schedule_cut(e, e._lr[:end], curve, c)
    if val_loss is not None:
        _overfitting(e, val_steps, val_loss, curve, c)
    return e


class _Curve:
    """The finite part of a loss curve, in the forms the measurements share."""

    def __init__(self, x, steps, smoothed):
        n = x.size
        self.x, self.steps, self.smoothed, self.n = x, steps, smoothed, n
        span = float(steps[-1] - steps[0])
        self.span_steps = span if span > 0 else float(max(n - 1, 1))
        self.t = (steps - steps[0]) / span if span > 0 else np.linspace(0.0, 1.0, n)
        self.floor = floor_of(x)
        self.logs = log_gap(x, self.floor)
        self.sigma = noise_sigma(self.logs)
        self.bounds = window_bounds(n, WINDOWS, MIN_WINDOW_POINTS)
        self.med = np.array([np.median(self.logs[a:b]) for a, b in self.bounds])
        self.window_points = min(b - a for a, b in self.bounds)
        # Reference levels pool three neighbouring windows: the lowest of twenty single-window medians
        # sits well below the true level by chance, which would make any later level look risen.
        span3 = min(3, len(self.bounds))
        self.pooled_bounds = [(self.bounds[k][0], self.bounds[k + span3 - 1][1])
                              for k in range(len(self.bounds) - span3 + 1)]
        self.pooled = np.array([np.median(self.logs[a:b]) for a, b in self.pooled_bounds])
        self.pooled_noise = median_sigma(self.sigma, min(b - a for a, b in self.pooled_bounds))
        self.recent = min(n, max(math.ceil(n * RECENT), 2 * MIN_WINDOW_POINTS))

    def log_of(self, value: float) -> float:
        return float(log_gap(np.array([value]), self.floor)[0])


def _levels(e: Evidence, cv: _Curve) -> None:
    e.span_steps = cv.span_steps
    first = float(np.median(cv.x[:START_POINTS]))
    # A first point far above its neighbours (beyond the noise) is the real start of a steep first drop.
    # (Not one far below: that is as likely an outlier, and a low start would make a healthy run look stuck.)
    if cv.logs[0] - cv.log_of(first) > 3.0 * max(cv.sigma, 1e-12):
        first = float(cv.x[0])
    e.start_value = first
    e.median_noise = median_sigma(cv.sigma, cv.window_points)
    k = int(np.argmin(cv.pooled))
    a, b = cv.pooled_bounds[k]
    e.best_value = float(np.median(cv.x[a:b]))
    e.best_step = int(cv.steps[(a + b - 1) // 2])
    e.level_now_value = float(np.median(cv.x[cv.bounds[-1][0]:]))
    # A loss that first shot up and then settled was knocked there by too large a step.
    block = min(MIN_WINDOW_POINTS, cv.n)
    early = log_gap(block_medians(cv.x[: max(block, cv.n // 3)], block), cv.floor)
    noise = math.sqrt(2.0) * median_sigma(cv.sigma, block)
    highest = lowest_of(median_sigma(cv.sigma, block), early.size)  # the top of many blocks, by chance
    reference = min(cv.log_of(first), float(cv.med[-1]))  # the start, or the level it settled at
    e.rose_first = bool(np.max(early) - reference > math.log(2.0) + 3.0 * noise + highest)
    e.gap_now = float(np.exp(cv.med[-1] - cv.log_of(first)))
    e.smoothed_end = float(cv.smoothed[-1])


def _trends(e: Evidence, cv: _Curve, c) -> None:
    t, logs, end, recent, sigma = cv.t, cv.logs, cv.n, cv.recent, cv.sigma
    tr = trend(t[-recent:], logs[-recent:], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    e.recent_rate, e.recent_se = tr.rate, tr.se
    e.recent_span, e.recent_from = float(t[-1] - t[end - recent]), int(cv.steps[end - recent])
    e.falling = tr.falling(c.flat_rate, c.significance)
    e.needed = _needed(e.gap_now, tr.rate, c.tolerance)
    e.needed_fastest = _needed(e.gap_now, tr.rate + c.significance * tr.se, c.tolerance)
    third = max(2 * MIN_WINDOW_POINTS, end // 3)
    early = trend(t[:third], logs[:third], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    e.early_rate = early.rate
    e.steady = tr.rate > 0 and early.rate <= c.steady * tr.rate
    # The flat stretch: the windows, back from the last, within 5% (or the noise) of it.
    med = cv.med
    band = max(math.log1p(FLAT_BAND), c.noise_margin * math.sqrt(2.0) * e.median_noise)
    k = len(med) - 1
    while k > 0 and abs(med[k - 1] - med[-1]) <= band:
        k -= 1
    a = cv.bounds[k][0]
    e.flat_from = int(cv.steps[a])
    if (end - a) / end >= c.plateau_span:
        flat = trend(t[a:], logs[a:], max(2, round(WINDOWS * (end - a) / end)), MIN_WINDOW_POINTS, sigma)
        e.flat_shown = (not flat.falling(c.flat_rate, c.significance)
                        and _needed(e.gap_now, flat.rate + c.significance * flat.se, c.tolerance) > c.slow_factor)
    # Risen: the whole last third, not one window, sits well above the best stretch before it.
    before = [k for k, (_, b) in enumerate(cv.pooled_bounds) if b <= end - recent]
    if before:
        kb = before[int(np.argmin(cv.pooled[before]))]
        a, b = cv.pooled_bounds[kb]
        best = float(cv.pooled[kb])
        e.rise_best_value = float(np.median(cv.x[a:b]))
        e.rise_best_step, e.rise_from = int(cv.steps[(a + b - 1) // 2]), int(cv.steps[b - 1])
        risen = float(np.median(logs[-recent:])) - best
        noise = math.hypot(median_sigma(sigma, recent), cv.pooled_noise)
        allowance = lowest_of(cv.pooled_noise, len(before))
        e.rise_ratio = math.exp(risen)
        e.rising = risen > math.log(c.rise) and risen > c.noise_margin * noise + allowance and not e.falling
    tail = cv.x[-min(recent, MAX_BOUNCE_POINTS):]
    e.bounce_points = int(tail.size)
    b = e.bounce = bounce_stats(tail, cv.floor, OSC_DETREND)
    e.bouncing = (b.points >= c.osc_min_points and b.lag1 <= c.osc_lag1 and b.lag2 >= c.osc_lag2
                  and b.flips >= c.osc_flips and b.swing >= c.osc_swing and not e.falling)
    if e.bouncing:
        e.bounce_from = _alternating_since(cv.x, cv.steps, c.osc_flips)


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


def _blowup(e: Evidence, cv: _Curve, c) -> None:
    """A climb to BLOWUP x the best level, in block medians and in the smoothed loss alike."""
    x, s, floor, n = cv.x, cv.smoothed, cv.floor, cv.n
    block = max(MIN_WINDOW_POINTS, math.ceil(n / BLOCKS)) if n >= MIN_WINDOW_POINTS else 1
    logs_q = log_gap(block_medians(x, block), floor)
    starts = np.arange(logs_q.size) * block
    # The best pooled level among stretches finished before each block began (the first stretch's
    # own level for blocks inside it, so that an immediate blow-up still has a reference).
    ends = np.array([b for _, b in cv.pooled_bounds])
    running = np.minimum.accumulate(cv.pooled)
    best_before = running[np.maximum(np.searchsorted(ends, starts, side="right") - 1, 0)]
    # The reference is the lowest of many pooled medians, which noise drags down: allow for that too.
    allowance = lowest_of(cv.pooled_noise, len(cv.pooled))
    noise = math.hypot(median_sigma(cv.sigma, block), cv.pooled_noise)
    high = logs_q - best_before > max(math.log(c.blowup), c.noise_margin * noise + allowance)
    sg = s - floor
    # The first few smoothed values average only a point or two: they do not set the best.
    warm = min(math.ceil(1.0 / (1.0 - e.weight)), max(1, n // 4), n - 1)
    sbest = np.concatenate([np.full(warm, np.inf), np.minimum.accumulate(sg[warm:])])
    hit_s = sg > c.blowup * sbest
    padded = np.zeros(logs_q.size * block, dtype=bool)
    padded[:n] = hit_s
    s_from_here = np.logical_or.accumulate(padded.reshape(logs_q.size, block).any(axis=1)[::-1])[::-1]
    hits = high & s_from_here
    # Still up at the end: the latest few points, not one, and the smoothed loss with them.
    last = min(max(block, 5, math.ceil(n / 50)), max(1, n // 4))
    end_log = cv.log_of(float(np.median(x[-last:])))
    end_noise = math.hypot(median_sigma(cv.sigma, last), cv.pooled_noise)
    stayed = bool(hits.any()
                  and end_log - float(running[-1]) > max(math.log(c.blowup), c.noise_margin * end_noise + allowance)
                  and np.median(sg[-last:]) > c.blowup * sbest[-1])
    final = logs_q.size
    if stayed:
        while final > 0 and high[final - 1]:
            final -= 1
        final = min(final, logs_q.size - 1)
        j = _first_above(x, floor, c.blowup * math.exp(best_before[final]), final, block)
        best = sbest[j] if math.isfinite(sbest[j]) else sg[j]
        e.blowup_at = int(cv.steps[j])
        e.blowup_best = float(best + floor)
        e.blowup_value = float(s[-1])
        e.blowup_value_ratio = float(sg[-1] / best) if best > 0 else math.inf
    earlier = np.flatnonzero(hits[:final])
    if earlier.size:
        k = int(earlier[0])
        j = _first_above(x, floor, c.blowup * math.exp(best_before[k]), k, block)
        base = sbest[j] if math.isfinite(sbest[j]) else sg[j]
        above = sg[j:] > c.blowup * base
        up = int(np.argmax(above)) if above.any() else 0
        back = np.flatnonzero(~above[up:])
        stop = j + up + (int(back[0]) if back.size else n)
        e.spike_at = int(cv.steps[j])
        e.spike_best = float(base + floor)
        e.spike_peak = float(np.max(s[j: max(stop, j + 1)]))


def _first_above(x, floor, level, k, block) -> int:
    """The first point of block k (or of the block before it) above `level`."""
    lo, hi = max(0, (k - 1) * block), min(x.size, (k + 1) * block)
    above = np.flatnonzero(x[lo:hi] - floor > level)
    return lo + int(above[0]) if above.size else min(k * block, x.size - 1)


def _alternating_since(x, steps, share: float) -> int:
    """Where the final stretch of step-by-step reversals began: the start of the suffix with the
    largest excess of reversals over the midway rate between noise (2/3) and `share`."""
    d = np.diff(x)
    flips = (d[:-1] * d[1:] < 0).astype(float)
    if flips.size == 0:
        return int(steps[0])
    excess = np.cumsum((flips - (share + 2.0 / 3.0) / 2.0)[::-1])[::-1]
    return int(steps[int(np.argmax(excess))])


def _schedule_cut(e: Evidence, lr, cv: _Curve, c) -> None:
    """An LR cut 100x from its peak early, while the loss was still falling, and the loss then stalled."""
    t, logs, steps, sigma, end = cv.t, cv.logs, cv.steps, cv.sigma, cv.n
    start_log = cv.log_of(e.start_value)
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


def _overfitting(e: Evidence, val_steps, val_loss, cv: _Curve, c) -> None:
    """The validation loss climbing above its best while the training loss keeps falling."""
    keep = np.isfinite(val_loss) & (val_steps <= cv.steps[-1])
    vs, vl = val_steps[keep], val_loss[keep]
    if vl.size < c.overfit_min_points:
        return
    # Medians of a tenth of the points (3 to 50): robust to a noisy evaluation, and the lowest of
    # them is not far below the true best by chance.
    width = min(50, max(3, math.ceil(vl.size / 10)))
    floor = floor_of(vl)
    logs = log_gap(vl, floor)
    half = width // 2
    padded = np.concatenate([np.full(half, logs[0]), logs, np.full(width - 1 - half, logs[-1])])
    rolling = np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=1)
    b = int(np.argmin(rolling))
    if vl.size - 1 - b < width:
        return
    sigma = noise_sigma(logs)
    noise = median_sigma(sigma, width)
    now = float(np.median(logs[-width:]))
    rise = now - float(rolling[b])
    allowance = lowest_of(noise, max(2, vl.size // width))
    # Not a wander of a noisy evaluation: the stretch since the best climbs, beyond its noise.
    span = vs[-1] - vs[0]
    after = trend((vs[b:] - vs[0]) / (span if span > 0 else 1.0), logs[b:], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    train_then = float(np.interp(vs[b], cv.steps, cv.smoothed))
    if (rise > max(math.log1p(c.overfit_rise), c.noise_margin * math.sqrt(2.0) * noise + allowance)
            and after.rising(c.flat_rate, c.significance) and e.level_now_value < train_then):
        e.overfit_at = int(vs[b])
        e.val_best, e.val_now = float(np.exp(rolling[b]) + floor), float(np.exp(now) + floor)
        e.train_at_val_best = train_then
