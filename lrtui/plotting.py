"""What every chart of lrtui shares, in the app and on the command line: log axes and their ticks.

Headless (no Textual, no Rich); plotext itself is imported only where a chart is drawn.
"""

from __future__ import annotations

import math

DECADE_NAMES = {0: "1", 1: "10", -1: "0.1"}


def nice_steps():
    """1, 2, 3, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500, ...: decades between two ticks."""
    yield from (1, 2, 3, 4, 5)
    scale = 10
    while True:
        yield from (scale, 2 * scale, 5 * scale // 2, 5 * scale)
        scale *= 10


def decade_ticks(low: float, high: float, most: int = 6) -> tuple[list[float], list[str]]:
    """Ticks in log10 units for data spanning log10 values low..high, labelled 1e-3, 0.1, 1, 10, 1e2 ...

    One per decade, or one every few decades (at multiples of that step: 1e-20, 1e-10, 1) when there
    are more than about `most`. The first tick is at or below `low` and the last at or above `high`,
    so an axis pinned to them clips nothing.
    """
    lo, hi = math.floor(low), math.ceil(high)
    step = next(n for n in nice_steps() if n * most >= hi - lo)
    first, last = step * math.floor(lo / step), step * math.ceil(hi / step)
    ticks = list(range(first, last + 1, step))
    return [float(t) for t in ticks], [DECADE_NAMES.get(t, f"1e{t}") for t in ticks]


def decade_axis(low: float, high: float, most: int = 6) -> tuple[tuple[float, float], list[float], list[str]]:
    """A log10 axis for data spanning low..high: its limits (whole decades around the data) and the ticks inside."""
    limits = (float(math.floor(low)), float(max(math.ceil(high), math.floor(low) + 1)))
    ticks, labels = decade_ticks(*limits, most=most)
    inside = [(t, label) for t, label in zip(ticks, labels) if limits[0] <= t <= limits[1]]
    return limits, [t for t, _ in inside], [label for _, label in inside]
