"""Soak: 8 runs x 1,000,000 steps, headless, with history and diagnostics; memory must stay flat after warm-up.

Run with `make soak` (about a minute). Every SAMPLE_EVERY steps it reads the
process's resident set size and the bytes held by the history and the
diagnostics' record. Warm-up ends once the recent history has filled and
begun folding into buckets (WARM_UP steps); after that the RSS may not grow by
more than ALLOWED_GROWTH_MB. Exits with status 1 when it does.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks.drawing import scenario

STEPS = 1_000_000
SAMPLE_EVERY = 50_000
WARM_UP = 300_000  # the recent buffer (131,072 rows) has filled and folded at least twice
ALLOWED_GROWTH_MB = 10.0


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmRSS in /proc/self/status (the soak test reads Linux's /proc)")


def held_mb(exp) -> float:
    total = 0
    for sim in exp.simulations:
        total += sim.history.nbytes()
        if sim.monitor is not None:
            total += sim.monitor.record.values.nbytes
    return total / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)
    exp = scenario(args.steps).build()
    print(f"{exp.n_runs} runs x {args.steps:,} steps, history + diagnostics, no app")
    print(f"{'step':>10} {'RSS MB':>8} {'history+record MB':>18} {'s':>6}")
    started = time.perf_counter()
    samples = []
    while exp.step_count < args.steps:
        exp.step(min(SAMPLE_EVERY, args.steps - exp.step_count))
        samples.append((exp.step_count, rss_mb()))
        print(f"{exp.step_count:>10,} {samples[-1][1]:>8.1f} {held_mb(exp):>18.1f} "
              f"{time.perf_counter() - started:>6.0f}", flush=True)
    after = [rss for step, rss in samples if step >= WARM_UP]
    if not after:
        print(f"fewer than {WARM_UP:,} steps: nothing to judge after warm-up")
        return 0
    growth = max(after) - after[0]
    flat = growth <= ALLOWED_GROWTH_MB
    print(f"\nRSS after warm-up ({WARM_UP:,} steps): {after[0]:.1f} MB, highest {max(after):.1f} MB, "
          f"growth {growth:.1f} MB (allowed {ALLOWED_GROWTH_MB:.0f}): {'flat' if flat else 'GROWING'}")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
