"""The rules that read a learning rate off a range-test curve.

Each rule is a small pure function of plain arrays: the learning rates of the
points taken and the smoothed loss at each. The tools people know run their
rules on the smoothed curve, and so do we. A rule that cannot pick returns a
`Pick` whose `lr` is None and whose `reason` says why, never an exception.

fastai's four rules (valley, slide, steep, minimum) first drop the first
num_it // 10 points and the last 5, then cut the curve at its first
non-finite value. The gradient rule (Lightning, torch-lr-finder) drops the
first 10 points and the last one, and cuts at the first non-finite value too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RULES = ("valley", "slide", "steep", "minimum", "gradient")

FASTAI_SKIP_END = 5
GRADIENT_SKIP_START = 10
GRADIENT_SKIP_END = 1
SLIDE_WINDOW = 15  # points between the two slopes slide compares
SLIDE_THRESHOLD = 0.005  # slopes agree when they differ by less than this, per step, in units of the starting loss
MINIMUM_DIVISOR = 10.0
FLAT_TOLERANCE = 1e-9  # a fall smaller than this fraction of the starting level is no fall


@dataclass(frozen=True)
class Pick:
    """One rule's answer: the LR and its index in the full curve, or None and the reason."""

    lr: float | None
    index: int | None
    reason: str = ""


def _none(reason: str) -> Pick:
    return Pick(None, None, reason)


def fastai_window(n_points: int, num_it: int) -> slice:
    """The points fastai's rules look at: without the first num_it // 10 and the last 5."""
    return slice(num_it // 10, max(num_it // 10, n_points - FASTAI_SKIP_END))


def gradient_window(n_points: int) -> slice:
    return slice(GRADIENT_SKIP_START, max(GRADIENT_SKIP_START, n_points - GRADIENT_SKIP_END))


def _kept(lr, smoothed, window: slice, need: int) -> tuple[np.ndarray, np.ndarray, int, str]:
    """The points in `window` before the first non-finite loss, their offset, and a reason if too few."""
    lr = np.asarray(lr, dtype=np.float64)
    smoothed = np.asarray(smoothed, dtype=np.float64)
    if lr.shape != smoothed.shape or lr.ndim != 1:
        raise ValueError(f"lr and smoothed must be 1-D arrays of one length, got shapes {lr.shape} and "
                         f"{smoothed.shape}")
    start = window.start
    part_lr, part_loss = lr[window], smoothed[window]
    bad = np.flatnonzero(~np.isfinite(part_loss) | ~np.isfinite(part_lr))
    if bad.size:
        part_lr, part_loss = part_lr[: bad[0]], part_loss[: bad[0]]
    if part_loss.size < need:
        return part_lr, part_loss, start, (f"only {part_loss.size} usable points after trimming "
                                           f"(this rule needs {need}); take more steps or widen the range")
    fall = part_loss[0] - part_loss.min()
    if not fall > FLAT_TOLERANCE * max(abs(part_loss[0]), np.finfo(float).tiny):
        return part_lr, part_loss, start, "the smoothed loss never falls below where it starts"
    return part_lr, part_loss, start, ""


def valley(lr, smoothed, num_it: int) -> Pick:
    """About half way along the longest stretch of consecutive points where the smoothed loss keeps falling."""
    part_lr, loss, offset, reason = _kept(lr, smoothed, fastai_window(len(lr), num_it), 2)
    if reason:
        return _none(reason)
    falling = np.diff(loss) < 0
    best_start, best_span, run_start = 0, 0, 0
    for i, down in enumerate(falling):
        if not down:
            run_start = i + 1
        elif i + 1 - run_start > best_span:  # the first of equally long stretches wins
            best_start, best_span = run_start, i + 1 - run_start
    # fastai's arithmetic: a third of the stretch plus a sixth, each rounded down: at or just before the middle.
    index = best_start + best_span // 3 + best_span // 6
    if best_start == 0:
        # The loss was already falling where the rule starts looking (always so without noise), so the
        # stretch's start, and with it its middle, says nothing about the LR: decades too low, typically.
        return _none(f"the longest falling stretch begins at the first point looked at, so where the fall "
                     f"starts is unknown (a noiseless loss falls from the start); fastai would pick "
                     f"{part_lr[index]:.3g}")
    return Pick(float(part_lr[index]), offset + index)


def slide(lr, smoothed, num_it: int) -> Pick:
    """Slide a window of 15 steps leftwards from the end until the slopes at its two ends agree."""
    part_lr, loss, offset, reason = _kept(lr, smoothed, fastai_window(len(lr), num_it), SLIDE_WINDOW + 1)
    if reason:
        return _none(reason)
    slope = np.gradient(loss / abs(loss[0]) if loss[0] != 0 else loss)
    right = loss.size - 1
    left = right - SLIDE_WINDOW
    if abs(slope[right] - slope[left]) <= SLIDE_THRESHOLD:
        return Pick(float(part_lr[left]), offset + left)
    while left > 0 and abs(slope[right] - slope[left]) > SLIDE_THRESHOLD:
        right, left = right - 1, left - 1
    if abs(slope[right] - slope[left]) > SLIDE_THRESHOLD:
        return _none("the slopes never settled before the window reached the first point")
    # The answer is the left end of the last window whose slopes still disagreed.
    return Pick(float(part_lr[left + 1]), offset + left + 1)


def steep(lr, smoothed, num_it: int) -> Pick:
    """The left end of the segment where the smoothed loss falls fastest against log(lr)."""
    part_lr, loss, offset, reason = _kept(lr, smoothed, fastai_window(len(lr), num_it), 2)
    if reason:
        return _none(reason)
    slope = np.diff(loss) / np.diff(np.log(part_lr))
    index = int(np.argmin(slope))
    if not slope[index] < 0:
        return _none("the smoothed loss never falls between two points")
    return Pick(float(part_lr[index]), offset + index)


def minimum(lr, smoothed, num_it: int) -> Pick:
    """A tenth of the LR where the smoothed loss is lowest."""
    part_lr, loss, offset, reason = _kept(lr, smoothed, fastai_window(len(lr), num_it), 2)
    if reason:
        return _none(reason)
    index = int(np.argmin(loss))
    return Pick(float(part_lr[index] / MINIMUM_DIVISOR), offset + index)


def gradient(lr, smoothed, num_it: int) -> Pick:
    """Where the smoothed loss falls fastest from one step to the next (central differences)."""
    part_lr, loss, offset, reason = _kept(lr, smoothed, gradient_window(len(lr)), 2)
    if reason:
        return _none(reason)
    slope = np.gradient(loss)
    index = int(np.argmin(slope))
    if not slope[index] < 0:
        return _none("the smoothed loss never falls between two points")
    return Pick(float(part_lr[index]), offset + index)


RULE_FUNCTIONS = {"valley": valley, "slide": slide, "steep": steep, "minimum": minimum, "gradient": gradient}


def suggest(lr, smoothed, num_it: int | None = None) -> dict[str, Pick]:
    """Every rule's pick on one curve, in RULES order; `num_it` defaults to the number of points."""
    num_it = len(lr) if num_it is None else int(num_it)
    return {name: RULE_FUNCTIONS[name](lr, smoothed, num_it) for name in RULES}
