"""How often `lrtui diagnose` agrees with the counterfactual labels of the grading corpus (benchmarks/log_corpus.py).

Every curve is written in one of the log formats, read back with lrtui.logs and judged, exactly as
`lrtui diagnose FILE` does. Each held-out set was graded once, after the tuning of its phase, and then counts as
looked at: the odd seeds 1-5 (phase 1), seeds 6-11 (phase 2), seeds 12-17 (phase 3), seeds 18-23 (phase 4) and
seeds 24-29 (phase 5, the current held-out set, what `make bench` prints). Phase 5 tuned on seeds 0-23.

    python -m benchmarks.log_grading --phase5        # the current held-out set, seeds 24-29 (`make bench`)
    python -m benchmarks.log_grading --tuning -v     # every seed looked at (0-23, phase 5's tuning set), with
                                                     # every disagreement (--cache FILE keeps its curves)
    python -m benchmarks.log_grading --phase4        # seeds 18-23 (held out in phase 4, looked at since)
    python -m benchmarks.log_grading --phase3        # seeds 12-17 (held out in phase 3, looked at since)
    python -m benchmarks.log_grading --fresh         # seeds 6-11 (held out in phase 2, looked at since)
    python -m benchmarks.log_grading                 # the odd seeds 1-5 (held out in phase 1, looked at since)

Phase 5 (`--phase5`, graded once on 2026-12-06 after the tuning on seeds 0-23 was done): agreement 659/692 = 95.2%
(goal 95%), no false alarm on 114 healthy runs, the fix pointing the right way on 667/692 = 96.4%, 64 borderline
runs (none called diverged). Label / verdict class (healthy, too_low, too_high, diverged): healthy 114, 0, 0, 0;
too_low 12, 255, 0, 0; too_high 4, 1, 99, 2; diverged 0, 0, 6, 38; stuck 8, 123, 30, 0 (153/161 plateau or too
slow). The tuning set, seeds 0-23 (`--tuning`), went from 2574/2737 = 94.0% with 9 false alarms on 453 healthy
runs to 2601/2737 = 95.0% with 6.

Each run is also judged as `lrtui watch` judges it while its log still grows (`live`): on the first 10%, 25%,
50% and 100% of its steps. A healthy run should raise no alarm on any of them; the table says how many did,
and how often a run with a wrong LR was already told so.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before NumPy: one BLAS thread
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.log_corpus import (  # noqa: E402
    CLASSES, FRESH_SEEDS, PHASE3_SEEDS, PHASE4_SEEDS, PHASE5_SEEDS, SEEDS, SWEEPS, TUNING_SEEDS, corpus, export, label)

GOAL = 0.95


def verdict_class(report) -> str:
    """The corpus class a verdict stands for (see benchmarks/log_corpus.py)."""
    code = report.verdict
    if code == "diverged":
        return "diverged"
    if code in ("improving", "converged"):
        return "healthy"
    if code == "oscillating":
        return "too_high"
    if code == "plateau":
        return "too_high" if _lowers(report) else "too_low"
    return "too_low"  # too_slow, schedule_too_aggressive


def _lowers(report) -> bool:
    """Whether the verdict's fix lowers the LR."""
    factor = report.evidence.get("lr_factor")
    return factor is not None and factor < 1


PREFIXES = (0.1, 0.25, 0.5, 1.0)


def judge(curves, folder: Path):
    from lrtui.core.diagnostics.curve import diagnose_curve
    from lrtui.logs import read_runs

    rows, live = [], []
    for index, c in enumerate(curves):
        fmt, path = export(c, index, folder)
        log = read_runs(path).pick()
        report = diagnose_curve(log.loss, log.steps, log.lr, log.val_loss, log.val_steps)
        rows.append((c, fmt, report, verdict_class(report)))
        live.append([_live_prefix(diagnose_curve, log, share) for share in PREFIXES])
    return rows, live


def _live_prefix(diagnose_curve, log, share: float):
    """The verdict `lrtui watch` gives while the log holds the first `share` of the run's steps."""
    n = max(3, int(round(share * log.loss.size)))
    end = log.steps[n - 1]
    val = None if log.val_steps is None else log.val_steps <= end
    return diagnose_curve(log.loss[:n], log.steps[:n], None if log.lr is None else log.lr[:n],
                          None if val is None else log.val_loss[val], None if val is None else log.val_steps[val],
                          live=True)


def live_table(rows, live) -> list[str]:
    """Per prefix: alarms on healthy runs, and wrong-LR runs already called so (their class, as finished)."""
    lines = [f"{'while the log grows (lrtui watch, live), on the first part of each run:':<72}" +
             "".join(f"{int(100 * p):>6}%" for p in PREFIXES)]
    healthy = [k for k, r in enumerate(rows) if r[0].label == "healthy"]
    wrong = [k for k, r in enumerate(rows) if r[0].label in ("too_low", "too_high", "diverged")]
    alarms = [sum(live[k][j].diagnoses[0].severity != "info" for k in healthy) for j in range(len(PREFIXES))]
    caught = [sum(verdict_class(live[k][j]) == rows[k][0].label for k in wrong) for j in range(len(PREFIXES))]
    lines.append(f"{f'  healthy runs with a warning or error (of {len(healthy)}):':<72}" +
                 "".join(f"{a:>7}" for a in alarms))
    lines.append(f"{f'  too low, too high or diverged runs called so (of {len(wrong)}):':<72}" +
                 "".join(f"{c:>7}" for c in caught))
    return lines


def false_alarms(curve, report) -> list:
    """Warnings and errors a healthy run should not get: a warning or error verdict, or an overfitting finding
    that the validation series does not bear out (its last value at least 10% above its lowest)."""
    wrong = [d for d in report.diagnoses[:1] if d.severity in ("warning", "error")]
    for d in report.diagnoses[1:]:
        if d.code == "overfitting":
            val = curve.val_loss[np.isfinite(curve.val_loss)]
            if not (val.size and val[-1] >= 1.1 * val.min()):
                wrong.append(d)
        elif d.severity != "info":
            wrong.append(d)
    return wrong


def _direction(cls: str) -> str:
    return {"diverged": "lower", "too_high": "lower", "too_low": "raise"}.get(cls, cls)


def agrees(label: str, report, got: str) -> bool:
    if label == "stuck":
        return report.verdict in ("plateau", "too_slow")
    return got == label


def table(rows) -> str:
    labels = [c for c in CLASSES if any(r[0].label == c for r in rows)]
    got_classes = list(CLASSES)
    head = f"{'label / verdict':<16}" + "".join(f"{g:>10}" for g in got_classes) + f"{'agree':>8}"
    lines = [head]
    for lab in labels:
        mine = [r for r in rows if r[0].label == lab]
        counts = Counter(r[3] for r in mine)
        ok = sum(agrees(lab, r[2], r[3]) for r in mine)
        lines.append(f"{lab:<16}" + "".join(f"{counts.get(g, 0):>10}" for g in got_classes) + f"{ok:>5}/{len(mine)}")
    return "\n".join(lines)


def _corpus(cache: str | None, seeds=SEEDS):
    if cache is None:
        return corpus(SWEEPS, seeds)
    import pickle

    path = Path(cache)
    if path.exists():
        curves = [c for c in pickle.loads(path.read_bytes()) if c.seed in seeds]
        if {c.seed for c in curves} == set(seeds):
            groups: dict = {}
            for c in curves:  # labelled again, in case the definitions changed since the file was written
                groups.setdefault((c.sweep, c.seed), []).append(c)
            for group in groups.values():
                label(group)
            order = {(sweep.name, seed): k for k, (sweep, seed) in enumerate(
                (sweep, seed) for sweep in SWEEPS for seed in seeds)}
            return sorted(curves, key=lambda c: (order[(c.sweep, c.seed)], c.lr))  # as corpus() lists them
    curves = corpus(SWEEPS, seeds)
    path.write_bytes(pickle.dumps(curves))
    return curves


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuning", action="store_true", help="grade every seed looked at before phase 5 (seeds "
                        f"{TUNING_SEEDS[0]}-{TUNING_SEEDS[-1]}), phase 5's tuning set")
    parser.add_argument("--fresh", action="store_true", help="grade the seeds of phase 2 (seeds "
                        f"{FRESH_SEEDS[0]}-{FRESH_SEEDS[-1]}: held out then; its even seeds tuned phase 3)")
    parser.add_argument("--phase3", action="store_true", help="grade the seeds of phase 3 (seeds "
                        f"{PHASE3_SEEDS[0]}-{PHASE3_SEEDS[-1]}: held out then; phase 4 tuned on them)")
    parser.add_argument("--phase4", action="store_true", help="grade the seeds of phase 4 (seeds "
                        f"{PHASE4_SEEDS[0]}-{PHASE4_SEEDS[-1]}: held out then; phase 5 tuned on them)")
    parser.add_argument("--phase5", action="store_true", help="grade the held-out seeds of phase 5 (seeds "
                        f"{PHASE5_SEEDS[0]}-{PHASE5_SEEDS[-1]}, never used while tuning): the current held-out set")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    parser.add_argument("--cache", metavar="FILE", help="keep the trained curves in FILE (a pickle) between runs")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.phase5:
        curves = corpus(SWEEPS, PHASE5_SEEDS)
    elif args.tuning:
        curves = _corpus(args.cache, TUNING_SEEDS)
    elif args.phase4:
        curves = corpus(SWEEPS, PHASE4_SEEDS)
    elif args.phase3:
        curves = corpus(SWEEPS, PHASE3_SEEDS)
    elif args.fresh:
        curves = corpus(SWEEPS, FRESH_SEEDS)
    else:
        curves = [c for c in _corpus(args.cache) if c.held_out]
    with tempfile.TemporaryDirectory() as tmp:
        rows, live = judge(curves, Path(tmp))
    graded = [r for r in rows if r[0].label != "borderline"]
    agree = sum(agrees(r[0].label, r[2], r[3]) for r in graded)
    healthy = [r for r in graded if r[0].label == "healthy"]
    alarms = [r for r in healthy if false_alarms(r[0], r[2])]
    border = [r for r in rows if r[0].label == "borderline"]
    border_errors = sum(r[2].verdict == "diverged" for r in border)
    direction = sum(_direction(r[0].label) == _direction(r[3]) or (r[0].label == "stuck" and agrees("stuck", r[2], r[3]))
                    for r in graded)
    half = (f"held-out seeds {PHASE5_SEEDS[0]}-{PHASE5_SEEDS[-1]} (phase 5)" if args.phase5 else
            f"the tuning set, seeds {TUNING_SEEDS[0]}-{TUNING_SEEDS[-1]} (all looked at)" if args.tuning else
            f"seeds {PHASE4_SEEDS[0]}-{PHASE4_SEEDS[-1]} (held out in phase 4, looked at since)" if args.phase4 else
            f"seeds {PHASE3_SEEDS[0]}-{PHASE3_SEEDS[-1]} (held out in phase 3, looked at since)" if args.phase3 else
            f"seeds {FRESH_SEEDS[0]}-{FRESH_SEEDS[-1]} (held out in phase 2, looked at since)" if args.fresh else
            "odd seeds 1-5 (held out in phase 1, looked at since)")
    print(f"Training-log diagnosis against counterfactual labels: {half}, {len(rows)} curves of lrtui's models at "
          f"LRs 1e-5..30, written in 8 log formats and read back")
    print(table(graded))
    print(f"agreement {agree}/{len(graded)} = {100 * agree / len(graded):.1f}% (goal >= {100 * GOAL:.0f}%); "
          f"false alarms on healthy runs: {len(alarms)}/{len(healthy)}; borderline (not graded): {len(border)}, "
          f"of which called diverged: {border_errors}  ({time.perf_counter() - started:.0f} s)")
    print(f"the fix points the right way (lower the LR for diverged and too high, raise it for too low, none for "
          f"healthy): {direction}/{len(graded)} = {100 * direction / len(graded):.1f}%")
    for line in live_table(rows, live):
        print(line)
    if args.verbose:
        for c, fmt, report, got in rows:
            if (c.label != "borderline" and not agrees(c.label, report, got)) or (
                    c.label == "healthy" and false_alarms(c, report)):
                print(f"  {c.key:<44} {fmt:<12} label {c.label:<9} got {report.verdict:<24} "
                      f"{report.diagnoses[0].message[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
