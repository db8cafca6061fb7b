"""Measurements on one loss curve that mini-batch noise cannot fool.

Trends are taken from the medians of windows, never from single steps; the
noise scale comes from the median absolute successive difference, which a trend
does not inflate; a bounce is recognised by the period-2 structure of the
residuals around a moving average, which independent batch noise does not have.
Everything is in log units of the distance above a floor, so "falls by 10%"
means the same at a loss of 2.3 and of 0.002. NumPy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RECENT_WINDOWS = 7  # a trend is fitted through the medians of this many windows...
MIN_WINDOW_POINTS = 3  # ...and no median has fewer points
_MAD_TO_SIGMA = 1.4826  # the median absolute deviation of a normal variable is 0.6745 sigma
_MEDIAN_EFFICIENCY = 1.2533  # the median of m normal points scatters sqrt(pi/2) times more than their mean


def exp(x: float) -> float:
    """math.exp without an OverflowError: a hostile log can put levels thousands of e-folds apart."""
    return math.exp(min(x, 700.0)) if x == x else math.nan


def floor_of(loss: np.ndarray) -> float:
    """The level gaps are measured from: 0 for a non-negative loss, else a little below its lowest value."""
    finite = loss[np.isfinite(loss)]
    if finite.size == 0 or finite.min() >= 0:
        return 0.0
    low, high = float(finite.min()), float(finite.max())
    return low - 0.01 * max(high - low, abs(low), 1e-12)


def log_gap(values: np.ndarray, floor: float) -> np.ndarray:
    """log(value - floor), with a tiny positive stand-in for values at or below the floor."""
    with np.errstate(all="ignore"):
        return np.log(np.maximum(np.asarray(values, dtype=np.float64) - floor, 1e-300))


def noise_sigma(logs: np.ndarray) -> float:
    """Per-point noise of a log curve, from the spread of its successive differences."""
    if logs.size < 3:
        return 0.0
    d = np.diff(logs)
    return float(_MAD_TO_SIGMA * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0))


def median_sigma(sigma: float, points: int) -> float:
    """How much the median of `points` noisy points scatters."""
    return _MEDIAN_EFFICIENCY * sigma / math.sqrt(max(points, 1))


def lowest_of(noise: float, count: int) -> float:
    """How far below the true level the lowest of `count` noisy estimates falls, typically."""
    return noise * math.sqrt(2.0 * math.log(count)) if count > 1 else 0.0


def window_bounds(n: int, target: int, min_points: int) -> list[tuple[int, int]]:
    """Split n points into at most `target` consecutive windows of at least `min_points` (if n allows)."""
    count = max(1, min(target, n // max(min_points, 1)))
    edges = np.linspace(0, n, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


@dataclass(frozen=True)
class Trend:
    rate: float  # decrease of log(gap) per run-length (positive: falling)
    se: float  # its standard error, never below what the noise alone implies
    start_level: float  # median log gap of the first window of the stretch
    end_level: float  # ...and of the last
    windows: int

    def falling(self, flat_rate: float, significance: float) -> bool:
        return self.rate > flat_rate and self.rate > significance * self.se

    def rising(self, flat_rate: float, significance: float) -> bool:
        return -self.rate > flat_rate and -self.rate > significance * self.se


def trend(t: np.ndarray, logs: np.ndarray, target: int, min_points: int, sigma: float) -> Trend:
    """Least-squares slope through the window medians of a stretch of (time, log gap) points."""
    bounds = window_bounds(logs.size, target, min_points)
    tm = np.array([np.median(t[a:b]) for a, b in bounds])
    ym = np.array([np.median(logs[a:b]) for a, b in bounds])
    points = min(b - a for a, b in bounds)
    noise = median_sigma(sigma, points)
    if len(bounds) < 2 or np.ptp(tm) <= 0:
        return Trend(0.0, math.inf, float(ym[0]), float(ym[-1]), len(bounds))
    dt = tm - tm.mean()
    sxx = float(dt @ dt)
    slope = float(dt @ (ym - ym.mean())) / sxx
    se = noise / math.sqrt(sxx)
    if len(bounds) > 2:
        resid = ym - ym.mean() - slope * dt
        se = max(se, math.sqrt(float(resid @ resid) / (len(bounds) - 2) / sxx))
    return Trend(-slope, se, float(ym[0]), float(ym[-1]), len(bounds))


def needed(gap: float, rate: float, tolerance: float) -> float:
    """Run-lengths a loss at `gap` (a fraction of its start) falling at `rate` needs to reach `tolerance`."""
    if gap <= tolerance:
        return 0.0
    return math.log(gap / tolerance) / rate if rate > 0 else math.inf


def block_medians(values: np.ndarray, block: int) -> np.ndarray:
    """Medians of consecutive blocks of `block` points (the last block may be shorter)."""
    n = values.size
    full = n // block
    out = np.empty(full + (1 if n % block else 0))
    if full:
        out[:full] = np.median(values[: full * block].reshape(full, block), axis=1)
    if n % block:
        out[full] = np.median(values[full * block:])
    return out


@dataclass(frozen=True)
class Bounce:
    """Period-2 statistics of a stretch of a curve."""

    lag1: float  # autocorrelation of the residuals around a moving average at lag 1 (bounce: near -1)
    lag2: float  # ...at lag 2 (bounce: near +1; independent noise: near 0)
    flips: float  # fraction of successive changes that reverse the previous one (noise: about 2/3)
    swing: float  # median size of a step's change, as a fraction of the level
    points: int


def bounce_stats(values: np.ndarray, floor: float, detrend: int) -> Bounce:
    """How much a stretch bounces up and down on alternate steps."""
    n = values.size
    if n < detrend + 4:
        return Bounce(0.0, 0.0, 0.0, 0.0, 0)
    logs = log_gap(values, floor)
    kernel = np.full(detrend, 1.0 / detrend)
    resid = logs[detrend // 2: n - detrend // 2] - np.convolve(logs, kernel, mode="valid")
    resid = resid - resid.mean()
    var = float(resid @ resid)
    if var <= 0:
        lag1 = lag2 = 0.0
    else:
        lag1 = float(resid[1:] @ resid[:-1]) / var
        lag2 = float(resid[2:] @ resid[:-2]) / var
    d = np.diff(values)
    moves = d[:-1] * d[1:]
    flips = float(np.mean(moves < 0)) if moves.size else 0.0
    level = float(np.median(values - floor))
    swing = float(np.median(np.abs(d))) / level if level > 0 else 0.0
    return Bounce(lag1, lag2, flips, swing, int(resid.size))


def alternating_since(x: np.ndarray, steps: np.ndarray, share: float) -> int:
    """Where the final stretch of step-by-step reversals began: the start of the suffix with the
    largest excess of reversals over the midway rate between noise (2/3) and `share`."""
    d = np.diff(x)
    flips = (d[:-1] * d[1:] < 0).astype(float)
    if flips.size == 0:
        return int(steps[0])
    excess = np.cumsum((flips - (share + 2.0 / 3.0) / 2.0)[::-1])[::-1]
    return int(steps[int(np.argmax(excess))])


def spike(gap: np.ndarray, steps: np.ndarray, weight: float, factor: float) -> tuple[int, float, float] | None:
    """The first climb of a smoothed curve (`gap`, positive) above `factor` x its best so far that came back
    below it before the end: (step it began, the best before it, its peak), or None."""
    n = gap.size
    if n < 4:
        return None
    # The first few smoothed values average only a point or two: they do not set the best.
    warm = min(math.ceil(1.0 / (1.0 - weight)), max(1, n // 4), n - 1)
    best = np.concatenate([np.full(warm, np.inf), np.minimum.accumulate(gap[warm:])])
    over = gap > factor * best
    if not over.any():
        return None
    edges = np.diff(np.concatenate([[0], over.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    for a, b in zip(starts, stops):
        if b < n:  # it came back down before the end
            return int(steps[a]), float(best[a]), float(np.max(gap[a:b]))
    return None


def grad_note(grad_norm: np.ndarray, steps: np.ndarray) -> str:
    """A sentence on the logged gradient norm around where things went wrong, when the log has one."""
    ok = np.isfinite(grad_norm)
    if ok.sum() < 3:
        return ""
    g, s = grad_norm[ok], steps[ok]
    early = float(np.median(g[: max(3, g.size // 10)]))
    top = int(np.argmax(g))
    if g[top] > 10 * early:
        return f"The logged gradient norm rose from about {early:.3g} to {g[top]:.3g} at step {int(s[top])}."
    return ""
