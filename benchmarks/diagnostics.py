"""Agreement of the diagnostics with the labelled suite, per verdict, as a confusion matrix.

Run with `make bench` or `python benchmarks/diagnostics.py`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lrtui.core.diagnostics.agreement import confusion_table, load_cases, run_case

CASES = Path(__file__).resolve().parents[1] / "tests" / "diagnostics" / "cases.toml"


def main() -> int:
    started = time.perf_counter()
    results = []
    for case in load_cases(CASES):
        results += run_case(case)
    print(f"Diagnostics against {len(results)} labelled runs ({CASES.relative_to(CASES.parents[2])})\n")
    print(confusion_table(results))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
