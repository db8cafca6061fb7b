"""Run every performance benchmark and print one table: target, measured, limit, pass/FAIL/skipped.

    python -m benchmarks.run                                  # torch parts skipped unless torch imports here
    python -m benchmarks.run --torch-python /path/to/venv/bin/python
    python -m benchmarks.run --only sweep single_run         # a subset

`make bench` runs this and the diagnostics' confusion matrix. The torch
baselines run in the interpreter given by --torch-python (or $TORCH_PYTHON),
so lrtui's own environment never needs torch. Numbers are best-of-N wall
times (CPU time for drawing frames); see each module's docstring for what
exactly is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

from benchmarks import digits, drawing, latency, single_run, startup, sweep, sweep_process
from benchmarks.common import FAIL, Result

GROUPS = {
    "sweep": lambda args: sweep.results(args.torch_python),
    "sweep_process": lambda args: sweep_process.results(),
    "single_run": lambda args: single_run.results(),
    "digits": lambda args: digits.results(args.torch_python),
    "drawing": lambda args: drawing.results(),
    "startup": lambda args: startup.results(),
    "latency": lambda args: latency.results(),
}


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import numpy

    load = " / load %.1f %.1f %.1f" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    return (f"{model}, {os.cpu_count()} cores{load}; Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}, {platform.system()} {platform.release()}")


def table(rows: list[Result]) -> str:
    headers = ("target", "measured", "limit", "result")
    cells = [(r.target, r.measured, r.limit, r.status) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(cell, widths)) for cell in cells]
    out.append("")
    out += [f"{i + 1}. {r.target}: {r.note}" for i, r in enumerate(rows) if r.note]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="lrtui's performance benchmarks (issue 7).")
    parser.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON") or None, metavar="PATH",
                        help="an interpreter with torch, for the torch baselines (default: $TORCH_PYTHON)")
    parser.add_argument("--only", nargs="+", choices=sorted(GROUPS), help="run only these benchmarks")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows: list[Result] = []
    for name in args.only or GROUPS:
        print(f"running {name}...", file=sys.stderr, flush=True)
        rows += GROUPS[name](args)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=1))
    else:
        print(f"lrtui performance on {machine()}\n")
        print(table(rows))
        print(f"\n({time.perf_counter() - started:.0f} s)")
    return 1 if args.strict and any(r.status == FAIL for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
