"""Running `lrtui` on one fuzzed input and checking the robustness contract.

The contract (issue 8): every input ends as a valid run (exit 0, nothing on
stderr) or a clean error (exit 2, each stderr line one problem that names the
input), never a traceback, a warning, a hang past a few seconds, or a runaway
allocation. Most cases run in-process through `lrtui.cli.main`, which is fast;
a SIGALRM timer bounds the time and an address-space limit bounds the memory,
so a case that would hang or allocate gigabytes fails here instead.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import signal
import time
import warnings
from collections import Counter
from dataclasses import dataclass

from lrtui.cli import main

CASE_SECONDS = float(os.environ.get("LRTUI_FUZZ_CASE_SECONDS", 8.0))  # generous: 2 cores shared by several people
MEMORY_HEADROOM = 3 * 2**30  # address space a case may add to what the test process already has
MAX_ERROR_LINE = 2_000  # an error line echoes a bad value, but never pages of it
# Texts of Python's and NumPy's own exceptions: an error line that carries one was not written for a user.
RAW_MESSAGES = ("could not convert", "SeedSequence", "new_shape", "too large to convert", "object of type",
                "unsupported operand", "NoneType", "not subscriptable", "has no attribute", "invalid literal for",
                "expected non-negative integer", "must be real number", "argument must be", "positional argument",
                "unhashable", "index out of range", "out of bounds", "cannot be interpreted", "is not iterable",
                "not supported between", "Numerical result out of range", "math domain error", "division by zero",
                "Unable to allocate", "maximum recursion", "int too big", "must be a real number, not")

CASES: Counter = Counter()  # fuzz cases run, by (kind, "valid" or "refused"); printed at the end of the session
SLOWEST: dict[str, float] = {}


class CaseTimeout(BaseException):
    """Raised by the timer inside a case; a BaseException so no `except Exception` in lrtui swallows it."""


@dataclass
class Outcome:
    argv: list[str]
    code: int
    out: str
    err: str
    seconds: float
    warnings: list[str]

    def describe(self) -> str:
        return (f"lrtui {' '.join(self.argv)} -> exit {self.code} in {self.seconds:.2f} s\n"
                f"stderr: {self.err[:3000]!r}\nstdout: {self.out[:500]!r}\nwarnings: {self.warnings}")


def _on_alarm(signum, frame):
    raise CaseTimeout()


@contextlib.contextmanager
def bounded_memory(headroom: int = MEMORY_HEADROOM):
    """Cap this process's address space at its current size plus `headroom` while the block runs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: the time bound still holds, the memory one is left to the subprocess cases
        yield
        return
    limit = current + headroom
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_cli(argv: list[str], kind: str, seconds: float = CASE_SECONDS) -> Outcome:
    """`lrtui ARGV` in this process, with stdout and stderr captured, under a time and memory bound."""
    out, err = io.StringIO(), io.StringIO()
    caught: list[warnings.WarningMessage] = []
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, bounded_memory():
            warnings.simplefilter("always")
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                signal.setitimer(signal.ITIMER_REAL, seconds)
                try:
                    code = main(list(argv))
                except SystemExit as exc:  # argparse
                    code = exc.code if isinstance(exc.code, int) else 2
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
    except CaseTimeout:
        raise AssertionError(f"lrtui {' '.join(argv)} ran for more than {seconds:g} s") from None
    finally:
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - started
    CASES[kind, "valid" if code == 0 else "refused"] += 1
    SLOWEST[kind] = max(SLOWEST.get(kind, 0.0), elapsed)
    return Outcome(list(argv), code, out.getvalue(), err.getvalue(), elapsed,
                   [f"{w.category.__name__}: {w.message}" for w in caught])


def assert_clean(outcome: Outcome, names: tuple[str, ...]) -> None:
    """Exit 0 with a silent stderr, or exit 2 with one-line problems that each start with one of `names`."""
    detail = outcome.describe()
    assert not outcome.warnings, detail
    assert "Traceback" not in outcome.err and "Traceback" not in outcome.out, detail
    if outcome.code == 0:
        assert outcome.err == "", detail
        assert outcome.out.strip(), detail
        if "csv" not in outcome.argv:  # a CSV export is data; tables and reports are for a terminal
            assert all(line.isprintable() for line in outcome.out.splitlines()), detail
        return
    assert outcome.code == 2, detail
    lines = outcome.err.rstrip("\n").split("\n")
    assert lines and all(line.strip() for line in lines), detail
    for line in lines:
        assert line.startswith(names) and line.isprintable(), detail
        assert len(line) <= MAX_ERROR_LINE, detail
        assert not any(raw in line for raw in RAW_MESSAGES), detail


def fuzz_settings(default_examples: int, long_share: float = 1.0):
    """Hypothesis settings: a few deterministic examples in `make test`, many random ones in `make fuzz`.

    LRTUI_FUZZ_EXAMPLES (set by `make fuzz`) replaces every test's example count, times `long_share`
    for tests whose cases are slow (a process each).
    """
    from hypothesis import HealthCheck, settings

    wanted = os.environ.get("LRTUI_FUZZ_EXAMPLES")
    long_run = bool(wanted)
    return settings(
        max_examples=max(default_examples, int(int(wanted) * long_share)) if long_run else default_examples,
        deadline=None,
        derandomize=not long_run,  # the default suite must not fail one day and pass the next
        database=None if not long_run else settings.default.database,
        suppress_health_check=list(HealthCheck),
        print_blob=long_run,
    )
