"""What a logged LR schedule did to a loss curve: a cut that stalled training, a decay that hid a too-low LR,
and a peak that held the loss up until the decay let it fall. Measured into the curve rules' Evidence
(lrtui.core.diagnostics.curve_evidence, which calls `judge_schedule` when the log has an LR). NumPy only.
"""

from __future__ import annotations

import math
import typing

import numpy as np

from lrtui.core.diagnostics.curve_features import (
    MIN_WINDOW_POINTS, RECENT_WINDOWS, median_sigma, needed, trend)

if typing.TYPE_CHECKING:  # (imported as a module: the docs test lists this module's upper-case numbers)
    from lrtui.core.diagnostics.curve_evidence import Curve, Evidence
    from lrtui.core.diagnostics.curve_lr import LrStory

MIN_AFTER_CUT = 0.1  # a schedule cut is judged once 10% of the run (and 10 points) have followed it
LEVEL_SHARE = 0.05  # the loss at a point of the schedule: the median of this share of the run's points


def judge_schedule(e: Evidence, cv: Curve, story: LrStory) -> None:
    _schedule_cut(e, cv, story)
    _decay(e, cv, story)


def _schedule_cut(e: Evidence, cv: Curve, story: LrStory) -> None:
    """An LR cut 100x from its peak early, while the loss was still falling, and the loss then stalled."""
    th, t, logs, steps, sigma, end = e.th, cv.t, cv.logs, cv.steps, cv.sigma, cv.n
    lr = story.values[:end]
    start_log = float(cv.log_of(e.start_value))
    peak = np.fmax.accumulate(lr)
    cut = (peak > 0) & (lr <= peak / th.big_cut * (1 + 1e-9))
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
    progressing = (post.falling(th.flat_rate, th.significance)
                   and needed(gap_after, post.rate, th.tolerance) <= th.slow_factor)
    e.cut_stalled = bool(e.cut_fraction <= th.early_cut and e.gap_at_cut > th.tolerance
                         and pre.falling(th.flat_rate, th.significance) and not progressing
                         and post.rate < th.stall_ratio * pre.rate)


def _decay(e: Evidence, cv: Curve, story: LrStory) -> None:
    """A schedule that decays the LR (cosine, linear, steps) changes what the end of the curve means: judge the
    stretch where the LR was at least half its peak, and what the decay after it did."""
    lr, end = story.values[: cv.n], cv.n
    peak = float(np.nanmax(lr))
    high = np.flatnonzero(lr >= 0.5 * peak)
    if story.constant or peak <= 0 or high.size == 0 or lr[-1] >= 0.5 * peak:
        return
    a, b = int(high[0]), int(high[-1]) + 1
    if b - a < 4 * MIN_WINDOW_POINTS or b >= end:
        return
    _slow_at_peak(e, cv, lr, a, b)
    _held_up(e, cv, int(np.argmax(lr >= peak * (1 - 1e-3))), b)


def _slow_at_peak(e: Evidence, cv: Curve, lr: np.ndarray, a: int, b: int) -> None:
    """A decaying LR slows any loss down at the end, so a too-low LR hides there: judge the pace on the stretch
    [a, b) where the LR was at least half its peak instead. Still falling steadily, and far from low, when the
    LR left that stretch: too slow."""
    th = e.th
    third = max(2 * MIN_WINDOW_POINTS, (b - a) // 3)
    t, logs, sigma = cv.t, cv.logs, cv.sigma
    last = trend(t[b - third: b], logs[b - third: b], RECENT_WINDOWS, MIN_WINDOW_POINTS, sigma)
    mid = trend(t[b - 2 * third: b - third], logs[b - 2 * third: b - third], RECENT_WINDOWS, MIN_WINDOW_POINTS,
                sigma) if b - 2 * third >= a else None
    gap = float(np.exp(last.end_level - cv.log_of(e.start_value)))
    # Not slowing down, per unit of LR: the LR itself falls by up to half over the stretch, and slows a too-low
    # LR's loss as much, so each third's pace is divided by its mean LR.
    lr_last = float(np.mean(lr[b - third: b]))
    lr_mid = float(np.mean(lr[b - 2 * third: b - third])) if mid is not None else lr_last
    steady = last.rate > 0 and (mid is None or mid.rate / lr_mid <= th.steady * last.rate / lr_last)
    # Or the decay did little: a loss a too-high LR held up drops as the LR anneals, one a too-low LR held up stalls.
    e.anneal_gain = annealed = gap / max(e.gap_now, 1e-300)
    weak = gap > th.decay_low and annealed < th.anneal_gain and not e.falling
    if last.falling(th.flat_rate, th.significance) and ((steady and gap > th.decay_gap) or weak) and not e.rose_first:
        e.decay_from, e.gap_at_decay = int(cv.steps[b]), gap


def _held_up(e: Evidence, cv: Curve, p: int, b: int) -> None:
    """The peak held the loss up: from where the LR first reached its peak (p) to where it left half of it (b),
    the loss fell less than PEAK_FALL x, and the decay after it lowered it ANNEAL_GAIN x or more, beyond the
    noise. A loss that an LR too high keeps up (bouncing across the valley) drops once the LR decays; one that a
    good peak LR drives down falls most while the LR is high."""
    th, logs = e.th, cv.logs
    w = max(MIN_WINDOW_POINTS, math.ceil(LEVEL_SHARE * cv.n))
    if b - p < 2 * w or cv.n - b < w:
        return
    at_peak, at_half, now = (float(np.median(logs[p: p + w])), float(np.median(logs[b - w: b])),
                             float(np.median(logs[-w:])))
    e.peak_fall, e.decay_fall = math.exp(at_peak - at_half), math.exp(at_half - now)
    noise = math.sqrt(2.0) * median_sigma(cv.sigma, w) * th.noise_margin
    e.held_up = bool(e.peak_fall < th.peak_fall and e.decay_fall >= th.anneal_gain and at_half - now > noise)
    if e.held_up:
        e.held_from, e.held_to = int(cv.steps[p]), int(cv.steps[b])
        e.held_value = cv.value_of(at_half)
