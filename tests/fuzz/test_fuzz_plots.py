"""Random pictures through the one plot renderer (lrtui.plotting): it never raises, and the NumPy lines match plotext.

Issue 13's crash lived here: a log axis whose ticks stopped below the data, and plotext's legend
indexing the colours of a series with no point in view. Whatever the values (tiny, huge, NaN,
negative on a log axis, one point, a range of zero width), labels, markers, axis ranges and
sizes, drawing gives a canvas of the asked size.
"""

from __future__ import annotations

import contextlib
import signal
import time

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from lrtui.plotting import Line, Picture, draw
from tests.fuzz.harness import CASE_SECONDS, CASES, SLOWEST, fuzz_settings

KIND = "plot"
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e6, 1e6),
    st.floats(1e-320, 1e-300),
    st.floats(1e-30, 10.0),
    st.sampled_from([0.0, -0.0, 1.0, 1e308, -1e308, 5e-324, float("nan"), float("inf")]),
)


@st.composite
def lines(draw_):
    n = draw_(st.integers(1, 40))
    y = np.array(draw_(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
    start = draw_(st.floats(-1e6, 1e6))
    step = draw_(st.floats(1e-6, 1e4))
    x = start + step * np.arange(n) if draw_(st.booleans()) else np.array(
        draw_(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
    label = draw_(st.one_of(st.none(), st.text(min_size=0, max_size=20)))
    marker = draw_(st.sampled_from([None, "dot", "braille", "*", "o", "x"]))
    color = draw_(st.sampled_from(["red", "cyan", "gray", "default", (10, 200, 30)]))
    return Line(x, y, color, label, marker)


@st.composite
def loss_curves(draw_):
    """What the app mostly draws: a loss that falls (or grows) geometrically, over up to hundreds of decades."""
    n = draw_(st.integers(2, 300))
    start = draw_(st.floats(1e-3, 1e3))
    ratio = draw_(st.floats(1e-3, 1.5))
    with np.errstate(all="ignore"):
        y = start * ratio ** np.arange(n, dtype=np.float64)
    label = draw_(st.one_of(st.none(), st.sampled_from(["sgd lr=0.025", "theory", "run 2 (diverged)"])))
    return Line(np.arange(n, dtype=np.float64), y, draw_(st.sampled_from(["red", "gray"])), label)


@st.composite
def pictures(draw_):
    picture = Picture(lines=draw_(st.lists(st.one_of(lines(), loss_curves()), min_size=0, max_size=5)),
                      log_y=draw_(st.booleans()), log_x=draw_(st.booleans()),
                      title=draw_(st.text(max_size=30)), x_label=draw_(st.text(max_size=10)))
    if draw_(st.booleans()):
        picture.x_range = (draw_(values), draw_(values))
    if draw_(st.booleans()):
        picture.y_range = (draw_(values), draw_(values))
    picture.vlines = [(draw_(values), "gray") for _ in range(draw_(st.integers(0, 3)))]
    picture.texts = [("pick", draw_(values), draw_(values), "red") for _ in range(draw_(st.integers(0, 2)))]
    picture.message = draw_(st.sampled_from(["", "", "", "nothing yet"]))
    return picture


# The learner's crash: a loss from 2 down to 1e-121 on a log axis, beside a line that stays near the top.
CRASH = Picture(lines=[Line(np.arange(200.0), 2.0 * 0.25 ** np.arange(200.0), "gray", "theory"),
                       Line(np.arange(200.0), np.full(200, 1.9), "red", "sgd lr=0.0005")],
                log_y=True, x_range=(0.0, 200.0))


# Ranges past what a float can divide into rows, found by the fuzz test itself (each raised OverflowError or
# StopIteration): a pinned log axis of 1.76e308 decades, one of 1e-308 decades, and steps 1e-320 apart.
TWO = dict(x=np.array([0.0, 1.0]), y=np.array([1.0, 1.0]), color="red")
HUGE_LOG = Picture(lines=[Line(**TWO)], log_y=True, y_range=(0.0, 1.7624442498650155e308))
TINY_LOG = Picture(lines=[Line(**TWO)], log_y=True, y_range=(0.0, 1.1125369292536007e-308))
SUBNORMAL_X = Picture(lines=[Line(np.array([0.0, 1e-320]), np.array([0.0, 0.0]), "red")])


@fuzz_settings(150)
@example(picture=CRASH, width=54, height=14, ascii_only=False)
@example(picture=HUGE_LOG, width=1, height=1, ascii_only=False)
@example(picture=TINY_LOG, width=40, height=12, ascii_only=False)
@example(picture=SUBNORMAL_X, width=1, height=1, ascii_only=False)
@given(picture=pictures(), width=st.integers(1, 160), height=st.integers(1, 50), ascii_only=st.booleans())
def test_any_picture_draws_at_any_size(picture, width, height, ascii_only):
    started = time.perf_counter()
    with time_limit(CASE_SECONDS):
        check(picture, width, height, ascii_only)
    CASES[KIND, "valid"] += 1
    SLOWEST[KIND] = max(SLOWEST.get(KIND, 0.0), time.perf_counter() - started)


def check(picture, width, height, ascii_only):
    canvas = draw(picture, width, height, ascii_only=ascii_only)
    rows = canvas.runs()
    assert len(rows) == height and all(sum(len(text) for text, _ in row) == width for row in rows)
    if ascii_only:
        assert canvas.plain().isascii()
    canvas.ansi()
    if not picture.texts:  # the NumPy lines are plotext's own, cell for cell
        slow = draw(picture, width, height, ascii_only=ascii_only, fast=False)
        assert slow.plain() == canvas.plain()


@contextlib.contextmanager
def time_limit(seconds: float):
    def on_alarm(signum, frame):
        raise TimeoutError(f"drawing took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
