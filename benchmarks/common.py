"""What every benchmark shares: a result row, best-of-N timing, and running code in another interpreter.

The machines these run on are shared and noisy, so a time is the best of
several repeats (the run least disturbed by others), and comparisons are made
as ratios of times taken in the same process, alternating between the two
sides so that a burst of load hits both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASS, FAIL, SKIPPED = "pass", "FAIL", "skipped"


@dataclass
class Result:
    target: str  # what is measured, e.g. "sweep: lrtui / fused NumPy (run-steps/s)"
    measured: str  # the number, formatted
    limit: str  # the target, formatted, e.g. ">= 0.7x"
    status: str  # PASS, FAIL or SKIPPED
    note: str = ""  # how it was measured, or why it was skipped

    def as_dict(self) -> dict:
        return vars(self).copy()


def verdict(ok: bool) -> str:
    return PASS if ok else FAIL


def best_time(fn, repeats: int = 5) -> float:
    """The shortest of `repeats` wall-clock times of fn(), in seconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def best_times(fns: dict, repeats: int = 5) -> dict:
    """Best time of each function, alternating between them so that load on the machine hits all alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def torch_available(python: str | None) -> bool:
    """True when `python` (default: this interpreter) can import torch."""
    if python is None:
        try:
            import torch  # noqa: F401
        except ImportError:
            return False
        return True
    probe = subprocess.run([python, "-c", "import torch"], capture_output=True, timeout=120)
    return probe.returncode == 0


def run_in(python: str | None, module: str, *args: str, timeout: float = 1800) -> dict:
    """Run `python -m benchmarks.<module> args...` and return the JSON it prints last.

    Used to measure torch baselines in an interpreter that has torch, so
    lrtui's own environment never needs it. The child imports nothing of lrtui.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [python or sys.executable, "-m", f"benchmarks.{module}", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt_rate(value: float, unit: str = "") -> str:
    """1234567 -> '1.23M' (3 significant figures)."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}{unit}"
    return f"{value:.3g}{unit}"
