"""The evidence the curve-only rules judge: one pass over a loss curve (and its LR and validation loss, when
the log has them) that records, in a typed dataclass, every number a verdict or a message needs.

Every threshold is a field of `Thresholds`, whose defaults are the constants below (docs/diagnostics.md
explains each); the settings after them only say how the curve is measured. Levels are compared in log units
of the loss above a floor, plus a negligible amount (NEGLIGIBLE of the start): below a thousandth of where it
started, a loss is as good as zero, and ratios of two such tiny values are noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lrtui.core.diagnostics.curve_features import (
    MIN_WINDOW_POINTS, RECENT_WINDOWS, Bounce, Trend, alternating_since, bounce_stats, exp, floor_of, grad_note,
    lowest_of, median_sigma, needed, noise_sigma, spike, trend, window_bounds)
from lrtui.core.diagnostics.curve_lr import LrStory, lr_story
from lrtui.core.diagnostics.curve_schedule import judge_schedule

# -- judging thresholds (the defaults of Thresholds) ----------------------------------------------------------
DIVERGE = 4.0  # the loss now this multiple of its start (and of its best): diverged, even when flat there
BLOWUP = 4.0  # the smoothed loss this multiple of its best so far and back down again: a loss spike (info)
RISE = 2.0  # the last third this multiple of the best level before it, and not falling: unstable (too high)
RISE_FIRST = 1.25  # early on, a jump to this multiple of the start (beyond the noise): the LR knocked it up
THROWN = 4.0  # ...a jump to this multiple, and the loss still above TOLERANCE of its start: thrown up, too high
THROWN_POINTS = 2  # ...on at least this many of the first points (not one wild batch)
STALLED = 0.85  # still above this fraction of its start and not falling: flat at its initial value
DROP_GAP = 0.5  # at most this fraction of the starting level left: a real drop (converged if flat)
SLOW_GAP = 0.2  # too slow only while above this fraction of the start (below it, more steps polish)
DECAY_GAP = 0.3  # a decaying schedule is blamed for a slow run only if it lowered the LR with the loss above this
DECAY_LOW = 0.08  # ...or with the loss above this fraction of its start, if the decay then lowered it...
ANNEAL_GAIN = 1.5  # ...less than this many times (a loss the LR held up drops when the LR anneals)
PEAK_FALL = 3.0  # at its peak the LR lowered the loss less than this many times, the decay ANNEAL_GAIN x: held up
STEADY = 1.4  # too slow only if the middle third fell at most this many times faster than the last
FLAT_RATE = 0.03  # a trend below 3% per run-length (in log units) is flat
SIGNIFICANCE = 2.0  # a trend counts only beyond this many standard errors
NOISE_MARGIN = 3.0  # a level difference counts only beyond this many standard deviations of window medians
OSC_LAG1 = -0.5  # bounce: residual lag-1 autocorrelation at most this (independent noise: about -0.1)
OSC_LAG2 = 0.25  # ...and lag-2 autocorrelation at least this (independent noise: about -0.1)
OSC_FLIPS = 0.8  # ...and this fraction of steps reverse the previous one (independent noise: 2/3)
OSC_SWING = 0.1  # ...and a step moves the loss by this fraction of its level
OSC_MIN_POINTS = 24  # ...measured on at least this many points
BIG_CUT = 100.0  # an LR at or below its peak / 100 has been cut hard
EARLY_CUT = 0.75  # ...before this fraction of the run (annealing to ~0 at the end is by design)
STALL_RATIO = 0.1  # after the cut the loss falls less than a tenth as fast as before it
TOLERANCE = 0.1  # the target a schedule cut is judged against: 10% of the starting level
SLOW_FACTOR = 5.0  # ...progress after a cut that would need more than this many run-lengths is no progress
OVERFIT_RISE = 0.1  # validation loss 10% above its best, while the training loss falls: overfitting
OVERFIT_MIN_POINTS = 5  # ...judged on at least this many validation points
MIN_POINTS = 12  # fewer finite points than this: only divergence is judged

# -- how the curve is measured ---------------------------------------------------------------------------------
NEGLIGIBLE = 1e-3  # levels are compared with this fraction of the start added: tiny losses are all "zero"
SMOOTH_SPAN = 0.02  # the EMA averages over about 2% of the run...
SMOOTH_MIN, SMOOTH_MAX = 0.6, 0.99  # ...with a weight between TensorBoard's default and 0.99
WINDOWS = 20  # the run is cut into this many windows for its medians
RECENT = 1 / 3  # the current trend is judged on the last third of the run...
# ...cut into RECENT_WINDOWS = 7 windows; no median of fewer than MIN_WINDOW_POINTS = 3 points (curve_features)
START_POINTS = 5  # the start is the median of at most this many first points...
START_BAND = 1.25  # ...that agree: spread within this factor (a climb or a steep first drop leaves fewer)...
START_NOISE = 2.0  # ...plus this many deviations of the per-point noise either way
START_JUMP, START_JUMP_NOISE = 2.0, 2.0  # ...unless the first value is this far below them, and beyond the noise
START_SHARE, START_AFTER = 0.05, 10  # ...or below every one of the next 5% of the points (at least 10 of them)
OSC_DETREND = 9  # a bounce is measured around a centred moving average of this many points
MAX_BOUNCE_POINTS = 50_000  # ...over at most this many of the latest points


@dataclass(frozen=True)
class Thresholds:
    """Every number a curve verdict turns on (the grading benchmark tunes copies of it, never the defaults)."""

    diverge: float = DIVERGE
    blowup: float = BLOWUP
    rise: float = RISE
    rise_first: float = RISE_FIRST
    thrown: float = THROWN
    stalled: float = STALLED
    drop_gap: float = DROP_GAP
    slow_gap: float = SLOW_GAP
    decay_gap: float = DECAY_GAP
    decay_low: float = DECAY_LOW
    anneal_gain: float = ANNEAL_GAIN
    peak_fall: float = PEAK_FALL
    steady: float = STEADY
    flat_rate: float = FLAT_RATE
    significance: float = SIGNIFICANCE
    noise_margin: float = NOISE_MARGIN
    osc_lag1: float = OSC_LAG1
    osc_lag2: float = OSC_LAG2
    osc_flips: float = OSC_FLIPS
    osc_swing: float = OSC_SWING
    osc_min_points: int = OSC_MIN_POINTS
    big_cut: float = BIG_CUT
    early_cut: float = EARLY_CUT
    stall_ratio: float = STALL_RATIO
    tolerance: float = TOLERANCE
    slow_factor: float = SLOW_FACTOR
    overfit_rise: float = OVERFIT_RISE
    overfit_min_points: int = OVERFIT_MIN_POINTS
    min_points: int = MIN_POINTS


def smoothing_weight(n: int) -> float:
    """The EMA weight for an n-point curve: an effective span of about 2% of the run."""
    span = SMOOTH_SPAN * n
    return float(min(SMOOTH_MAX, max(SMOOTH_MIN, 1.0 - 1.0 / span))) if span > 1 else SMOOTH_MIN


@dataclass
class Evidence:
    th: Thresholds = field(default_factory=Thresholds)
    points: int = 0  # finite loss values before the first non-finite one
    first_step: int = 0
    last_step: int = 0
    weight: float = SMOOTH_MIN
    nonfinite_at: int = -1
    nonfinite_value: str = ""
    start_value: float = math.nan  # the first values (a blow-up or a steep first drop ends them)
    best_value: float = math.nan  # the lowest level: the start, or a pooled window median
    best_step: int = 0
    now_value: float = math.nan  # the median of the last window
    now_step: int = 0
    gap_now: float = math.nan  # now as a fraction of the start (both above the floor)
    over_start: float = 1.0  # now / start, with the negligible amount added to both
    over_best: float = 1.0  # now / best, likewise
    over_start_mean: float = 1.0  # the last window's trimmed mean (or median, if higher) / start
    median_noise: float = 0.0  # scatter of a window median, in log units
    noise: float = 0.0  # per-point noise of the log loss
    far_above_start: bool = False
    far_from: int = -1  # where the climb that took it far above its start began
    climb_from: int = -1  # where the smoothed loss last left BLOWUP x its best so far and did not come back
    peak_value: float = math.nan
    peak_step: int = 0
    rose_first: bool = False  # early on, it jumped well above its start
    thrown_up: bool = False  # ...to THROWN x its start, and it is still above TOLERANCE of its start
    peak_over_start: float = 1.0  # the early peak / the start (both above the floor)
    spike_at: int = -1  # a climb to BLOWUP x the best so far that came back down
    spike_best: float = math.nan
    spike_peak: float = math.nan
    recent_rate: float = 0.0  # fall of the log loss per run-length over the last third
    recent_se: float = math.inf
    recent_from: int = 0
    middle_rate: float = math.nan  # ...over the middle third
    falling: bool = False
    steady: bool = False  # the last third falls about as fast as the middle one: no slowing down yet
    slow: bool = False
    stalled_at_start: bool = False  # not falling, and still about where it started
    flat_shown: bool = False  # not falling, and even the fastest fall the noise allows is slow
    flat_from: int = 0
    lost_progress: bool = False  # back up well above its best and not coming down
    came_back: bool = False  # fell well below its start, then climbed back near it, and is not falling
    came_back_value: float = math.nan  # ...the lowest level it had reached
    came_back_step: int = 0
    rise_best_value: float = math.nan
    rise_best_step: int = 0
    rise_from: int = 0
    bounce: Bounce = field(default_factory=lambda: Bounce(0.0, 0.0, 0.0, 0.0, 0))
    bouncing: bool = False
    bounce_points: int = 0
    bounce_from: int = 0
    lr: LrStory | None = None
    cut_at: int = -1
    cut_fraction: float = math.nan
    pre_cut_rate: float = math.nan
    post_cut_rate: float = math.nan
    gap_at_cut: float = math.nan
    cut_stalled: bool = False
    decay_from: int = -1  # where a decaying schedule took the LR below half its peak, the loss still falling fast
    gap_at_decay: float = math.nan
    anneal_gain: float = math.nan  # the loss when the LR left half its peak / the loss now
    peak_fall: float = math.nan  # the loss when the LR reached its peak / when it left half of it
    decay_fall: float = math.nan  # the loss when the LR left half its peak / now (windows of 5% of the run)
    held_up: bool = False  # the peak LR held the loss up: it fell little there, and once the LR decayed
    held_from: int = -1
    held_to: int = -1
    held_value: float = math.nan
    overfit_at: int = -1
    val_best: float = math.nan
    val_now: float = math.nan
    train_at_val_best: float = math.nan
    grad_note: str = ""

    @property
    def short(self) -> bool:
        return self.points < self.th.min_points

    def lr_at(self, step: int) -> float:
        return self.lr.at(step) if self.lr is not None else math.nan

    def numbers(self) -> dict:
        """The plain numbers, for the report's evidence."""
        return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in vars(self).items()
                if isinstance(v, (bool, int, float, str, np.bool_, np.integer, np.floating))}


class Curve:
    """The finite part of a loss curve, in the forms the measurements share."""

    def __init__(self, x, steps, smoothed):
        n = x.size
        self.x, self.steps, self.smoothed, self.n = x, steps, smoothed, n
        span = float(steps[-1] - steps[0])
        self.t = (steps - steps[0]) / span if span > 0 else np.linspace(0.0, 1.0, n)
        self.floor = floor_of(x)
        # The noise is measured before the start is known: in log units of the loss above the floor.
        self.sigma = noise_sigma(np.log(np.maximum(x - self.floor, 1e-300)))
        self.start, self.start_points = _start(x - self.floor, self.sigma)
        # A start at the floor itself (a logged 0) gives no scale: the first values above it do.
        above = (x - self.floor)[x - self.floor > 0]
        scale = self.start if self.start > 0 else float(np.median(above[:START_POINTS])) if above.size else 1.0
        self.eps = NEGLIGIBLE * max(scale, 1e-300)
        self.logs = self.log_of(x)
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

    def log_of(self, values):
        with np.errstate(all="ignore"):
            return np.log(np.maximum(np.asarray(values, dtype=np.float64) - self.floor, 0.0) + self.eps)

    def value_of(self, level: float) -> float:
        return float(exp(level) - self.eps + self.floor)


def _start(gap: np.ndarray, sigma: float) -> tuple[float, int]:
    """The median of the first points (at most START_POINTS) that agree with each other, and how many: their
    spread within START_BAND, or within the noise. A climb or a steep drop in the first steps leaves only the
    very first value, which is where the run started."""
    logs = np.log(np.maximum(gap[:START_POINTS], 1e-300))
    allowed = math.log(START_BAND) + 2.0 * START_NOISE * sigma
    k = min(START_POINTS, gap.size)
    while k > 1 and float(np.ptp(logs[:k])) > allowed:
        k -= 1
    if k < 3:  # a median of two is their mean, which a blow-up at the second step pulls up: the first value
        return float(gap[0]), 1
    median = float(np.median(gap[:k]))  # thrown up at once: the first value (before any step) far below the rest
    if median > gap[0] * max(START_JUMP, exp(START_JUMP_NOISE * sigma)) or _thrown_at_once(gap):
        return float(gap[0]), 1
    return median, k


def _thrown_at_once(gap: np.ndarray) -> bool:
    """The first value below every one of the points after it (the first START_SHARE of the run, at least
    START_AFTER of them), and their median START_JUMP x above it: the very first steps threw the loss up, however
    noisy it is since. Noise alone makes the first of m + 1 points the lowest once in m + 1 runs, and then
    rarely START_JUMP x below their median."""
    m = min(gap.size - 1, max(START_AFTER, math.ceil(START_SHARE * gap.size)))
    if m < START_AFTER:
        return False
    after = gap[1: m + 1]
    return bool(np.all(after > gap[0]) and np.median(after) > START_JUMP * gap[0])


def measure(loss, steps, smoothed, lr, val_steps, val_loss, th: Thresholds, grad_norm=None) -> Evidence:
    e = Evidence(th=th, weight=smoothing_weight(loss.size), first_step=int(steps[0]), last_step=int(steps[-1]))
    bad = np.flatnonzero(~np.isfinite(loss))
    end = int(bad[0]) if bad.size else loss.size
    if lr is not None:
        e.lr = lr_story(lr, steps)
    if bad.size:
        e.nonfinite_at = int(steps[end])
        e.nonfinite_value = "nan" if math.isnan(loss[end]) else ("inf" if loss[end] > 0 else "-inf")
    e.points = end
    if end == 0:
        return e
    cv = Curve(loss[:end], steps[:end], smoothed[:end])
    _levels(e, cv)
    _spike(e, cv)
    if grad_norm is not None:
        e.grad_note = grad_note(grad_norm[:end], steps[:end])
    if e.short:
        return e
    _trends(e, cv)
    if e.lr is not None:
        judge_schedule(e, cv, e.lr)
    if val_loss is not None:
        _overfitting(e, val_steps, val_loss, cv)
    return e


def _levels(e: Evidence, cv: Curve) -> None:
    th = e.th
    start_log = cv.log_of(cv.start + cv.floor)
    e.start_value = cv.start + cv.floor
    e.median_noise = median_sigma(cv.sigma, cv.window_points)
    e.noise = cv.sigma
    k = int(np.argmin(cv.pooled))
    best = min(float(cv.pooled[k]), float(start_log))
    a, b = cv.pooled_bounds[k]
    e.best_value = cv.value_of(best)
    e.best_step = int(cv.steps[(a + b - 1) // 2]) if best < start_log else int(cv.steps[0])
    last = cv.bounds[-1][0]
    now = float(np.median(cv.logs[last:]))
    e.now_value, e.now_step = float(np.median(cv.x[last:])), int(cv.steps[-1])
    e.gap_now = float(exp(now - start_log))
    e.over_start, e.over_best = exp(now - start_log), exp(now - best)
    # Far above: by DIVERGE x at least (a margin that covers a noisy start), and beyond the last window's noise.
    noise = median_sigma(cv.sigma, cv.n - last)
    # Far above the start: the last window's median, or its mean without the highest tenth (a loss that swings
    # between low and very high batches averages high, as the training set's loss does), against the start.
    tail = np.sort(cv.x[last:])
    trimmed = float(np.mean(tail[: max(1, math.ceil(0.9 * tail.size))]))
    high = max(now, float(cv.log_of(trimmed)))
    e.far_above_start = high - start_log > max(math.log(th.diverge), th.noise_margin * noise)
    e.over_start_mean = exp(high - start_log)
    # Where the final climb began: after the last time the smoothed loss sat within BLOWUP x its best so far.
    smooth = cv.log_of(cv.smoothed)
    best_so_far = np.minimum.accumulate(np.minimum(smooth, start_log))
    calm = np.flatnonzero(smooth - best_so_far <= math.log(th.blowup))
    if calm.size and calm[-1] < cv.n - 1:
        e.climb_from = int(cv.steps[int(calm[-1]) + 1])
    if e.far_above_start:
        e.far_from = e.climb_from if e.climb_from >= 0 else int(cv.steps[0])
    # Well above its start at some point: early on (the first quarter) a jump beyond what the largest of that
    # many noisy points reaches by chance, or any window whose median is beyond its noise; at least RISE_FIRST x.
    early = cv.logs[: max(3, cv.n // 4)]
    i = int(np.argmax(early))
    e.peak_value, e.peak_step = float(cv.x[i]), int(cv.steps[i])
    chance = cv.sigma * (math.sqrt(2.0 * math.log(max(early.size, 2))) + th.noise_margin)
    jumped = early[i] - start_log > max(math.log(th.rise_first), chance)
    k = int(np.argmax(cv.med))
    window_noise = math.hypot(e.median_noise, median_sigma(cv.sigma, cv.start_points)) * th.noise_margin
    above = cv.med[k] - start_log > max(math.log(th.rise_first), window_noise + lowest_of(e.median_noise, cv.med.size))
    if above and not jumped:
        a, b = cv.bounds[k]
        e.peak_value, e.peak_step = float(np.median(cv.x[a:b])), int(cv.steps[a])
    e.rose_first = bool(jumped or above)
    e.peak_over_start = (e.peak_value - cv.floor) / cv.start if cv.start > 0 else math.inf
    # Thrown up by the first steps (the first START_SHARE of the run): not one wild batch (heavy-tailed noise has
    # those), but THROWN_POINTS points that far up, and beyond what the largest of that many noisy points reaches.
    first = cv.logs[1: 1 + max(START_AFTER, math.ceil(START_SHARE * cv.n))]
    reach = cv.sigma * (math.sqrt(2.0 * math.log(max(first.size, 2))) + th.noise_margin)
    up = np.count_nonzero(first - start_log >= max(math.log(th.thrown), reach))
    e.thrown_up = bool(e.rose_first and up >= THROWN_POINTS and e.gap_now > th.tolerance)


def _spike(e: Evidence, cv: Curve) -> None:
    found = spike(cv.smoothed - cv.floor + cv.eps, cv.steps, e.weight, e.th.blowup)
    if found is not None:
        e.spike_at, e.spike_best, e.spike_peak = found[0], found[1] + cv.floor - cv.eps, found[2] + cv.floor - cv.eps


def _trends(e: Evidence, cv: Curve) -> None:
    th = e.th
    t, logs, end, recent, sigma = cv.t, cv.logs, cv.n, cv.recent, cv.sigma
    tr = trend(t[-recent:], logs[-recent:], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    e.recent_rate, e.recent_se, e.recent_from = tr.rate, tr.se, int(cv.steps[end - recent])
    e.falling = tr.falling(th.flat_rate, th.significance)
    mid = trend(t[end - 2 * recent: end - recent], logs[end - 2 * recent: end - recent], RECENT_WINDOWS,
                MIN_WINDOW_POINTS, sigma) if end >= 2 * recent else None
    e.middle_rate = mid.rate if mid is not None else math.nan
    e.steady = bool(tr.rate > 0 and mid is not None and mid.rate <= th.steady * tr.rate)
    # Too slow: still falling but far from low, either at a pace that has not slowed down yet, or having
    # made less than half the way down from its start.
    e.slow = e.falling and not e.rose_first and e.gap_now > th.slow_gap and (e.steady or e.gap_now > th.drop_gap)
    e.stalled_at_start = (not e.falling) and th.stalled < e.gap_now <= th.rise
    # Flat, not just undecided: even at the fastest pace the noise allows, reaching TOLERANCE of the start
    # would take more than SLOW_FACTOR run-lengths.
    e.flat_shown = (not e.falling) and needed(e.gap_now, tr.rate + th.significance * tr.se, th.tolerance) \
        > th.slow_factor
    _flat_stretch(e, cv, tr)
    _lost_progress(e, cv)
    _came_back(e, cv)
    _bounce(e, cv)


def _flat_stretch(e: Evidence, cv: Curve, tr: Trend) -> None:
    """Where the flat stretch at the end began: the windows, back from the last, within 5% or the noise of it."""
    band = max(math.log(1.05), e.th.noise_margin * math.sqrt(2.0) * e.median_noise)
    k = len(cv.med) - 1
    while k > 0 and abs(cv.med[k - 1] - cv.med[-1]) <= band:
        k -= 1
    e.flat_from = int(cv.steps[cv.bounds[k][0]]) if k > 0 or not e.stalled_at_start else int(cv.steps[0])


def _lost_progress(e: Evidence, cv: Curve) -> None:
    """The whole last third, not one window, sits well above the best stretch before it, and is not falling."""
    th, end, recent = e.th, cv.n, cv.recent
    before = [k for k, (_, b) in enumerate(cv.pooled_bounds) if b <= end - recent]
    if not before:
        return
    kb = before[int(np.argmin(cv.pooled[before]))]
    a, b = cv.pooled_bounds[kb]
    best = float(cv.pooled[kb])
    e.rise_best_value = cv.value_of(best)
    e.rise_best_step, e.rise_from = int(cv.steps[(a + b - 1) // 2]), int(cv.steps[b - 1])
    risen = float(np.median(cv.logs[-recent:])) - best
    noise = math.hypot(median_sigma(cv.sigma, recent), cv.pooled_noise)
    allowance = lowest_of(cv.pooled_noise, len(before))
    e.lost_progress = bool(risen > math.log(th.rise) and risen > th.noise_margin * noise + allowance
                           and not e.falling)


def _came_back(e: Evidence, cv: Curve) -> None:
    """The loss fell well below its start (its best level under STALLED of it), then climbed back above STALLED,
    beyond the noise, and is not falling: it is near its start again, but not because it never moved. A loss does
    not climb back because the LR is too low."""
    th = e.th
    if e.falling or not e.gap_now > th.stalled:
        return
    start_log = float(cv.log_of(e.start_value))
    k = int(np.argmin(cv.pooled))
    best = float(cv.pooled[k])
    recent = float(np.median(cv.logs[-cv.recent:]))
    noise = math.hypot(median_sigma(cv.sigma, cv.recent), cv.pooled_noise)
    allowance = lowest_of(cv.pooled_noise, len(cv.pooled))
    fell = best - start_log < math.log(th.stalled) and start_log - best > th.noise_margin * cv.pooled_noise + allowance
    if fell and recent - best > th.noise_margin * noise + allowance:
        a, b = cv.pooled_bounds[k]
        e.came_back = True
        e.came_back_value, e.came_back_step = cv.value_of(best), int(cv.steps[(a + b - 1) // 2])


def _bounce(e: Evidence, cv: Curve) -> None:
    th = e.th
    tail = cv.x[-min(cv.recent, MAX_BOUNCE_POINTS):]
    e.bounce_points = int(tail.size)
    b = e.bounce = bounce_stats(tail, cv.floor - cv.eps, OSC_DETREND)
    e.bouncing = bool(b.points >= th.osc_min_points and b.lag1 <= th.osc_lag1 and b.lag2 >= th.osc_lag2
                      and b.flips >= th.osc_flips and b.swing >= th.osc_swing and not e.falling)
    if e.bouncing:
        e.bounce_from = alternating_since(cv.x, cv.steps, th.osc_flips)


def _overfitting(e: Evidence, val_steps, val_loss, cv: Curve) -> None:
    """The validation loss climbing well above its best while the training loss keeps falling."""
    th = e.th
    keep = np.isfinite(val_loss) & (val_steps <= cv.steps[-1])
    vs, vl = val_steps[keep], val_loss[keep]
    if vl.size < th.overfit_min_points:
        return
    # Medians of a tenth of the points (3 to 50): robust to a noisy evaluation, and the lowest of
    # them is not far below the true best by chance.
    width = min(50, max(3, math.ceil(vl.size / 10)))
    floor = floor_of(vl)
    logs = np.log(np.maximum(vl - floor, 1e-300))
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
    # Not a wander of a noisy evaluation: the stretch since the best climbs, beyond its noise, or the
    # rise is large against it (tripling in a dozen noisy epochs).
    span = vs[-1] - vs[0]
    after = trend((vs[b:] - vs[0]) / (span if span > 0 else 1.0), logs[b:], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    train_then = float(np.interp(vs[b], cv.steps, cv.smoothed))
    climbing = after.rising(th.flat_rate, th.significance) or rise > 2 * th.noise_margin * noise + allowance
    # ...and still up at the latest evaluation: a rise that the last value has already given back is a wander.
    still = logs[-1] - float(rolling[b]) > math.log1p(th.overfit_rise)
    if (rise > max(math.log1p(th.overfit_rise), th.noise_margin * math.sqrt(2.0) * noise + allowance)
            and climbing and still and e.now_value < train_then):
        e.overfit_at = int(vs[b])
        e.val_best, e.val_now = float(np.exp(rolling[b]) + floor), float(np.exp(now) + floor)
        e.train_at_val_best = train_then
