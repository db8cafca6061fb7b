"""Grade lrtui's diagnostics against the oracle's labels: `python -m benchmarks.diagcases.score [--split tune]`.

Each case runs exactly as a user's scenario would: scenario_from_data -> scenario.build() -> exp.step(steps);
the verdict is exp.verdict(0), and the alarms are the warning or error diagnoses at any step of
exp.diagnoses(0). Prints, for one half (tune by default, or held_out): the confusion matrix (expected x got),
agreement excluding the ambiguous cases, false alarms on healthy runs (labelled improving or converged),
agreement per loss family, the worst misses with their seeds, and the time taken.

Tune only on the tuning half. The held-out half grades the work once, at the end.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.diagcases.build import CASES

LABELS = ("diverged", "oscillating", "too_slow", "schedule_too_aggressive", "plateau", "local_minimum",
          "improving", "converged")
HEALTHY = ("improving", "converged")
ALARMS = ("warning", "error")
MAX_ALARMS = 20  # alarms kept per case (the count is kept whole)


def run_case(item: dict) -> dict:
    """lrtui's verdict and alarms on one stored case, as a user would get them."""
    from lrtui.scenario.loader import scenario_from_data

    started = time.perf_counter()
    try:
        scenario = scenario_from_data(copy.deepcopy(item["case"]), f"diagcase-{item['seed']}")
        exp = scenario.build()
        exp.step(scenario.steps)
        verdict = str(exp.verdict(0))
        alarms = [(str(d.code), str(d.severity), int(d.step)) for d in exp.diagnoses(0) if d.severity in ALARMS]
    except Exception as exc:  # reported as its own column: a crash is a miss, not a reason to stop grading
        verdict, alarms = f"crash:{type(exc).__name__}", [("crash", "error", 0)]
    return {"seed": item["seed"], "verdict": verdict, "alarms": alarms[:MAX_ALARMS], "n_alarms": len(alarms),
            "seconds": time.perf_counter() - started}


def load(path: Path, split: str, family: str | None, limit: int | None) -> list[dict]:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    items = [i for i in items if split in ("all", i["split"]) and (family is None or i["family"] == family)]
    items.sort(key=lambda i: i["seed"])
    return items[:limit] if limit else items


def _table(rows: list[str], cols: list[str], cell) -> str:
    width = max(len(r) for r in rows) + 2
    short = {c: c.replace("schedule_too_aggressive", "sched_aggr").replace("local_minimum", "local_min") for c in cols}
    colw = [max(6, len(short[c]) + 1) for c in cols]
    lines = [" " * width + "".join(f"{short[c]:>{w}}" for c, w in zip(cols, colw)) + "   total"]
    for r in rows:
        values = [cell(r, c) for c in cols]
        lines.append(f"{r:<{width}}" + "".join(f"{(v or '.'):>{w}}" for v, w in zip(values, colw))
                     + f"{sum(values):>8}")
    return "\n".join(lines)


def _miss_rank(item: dict, got: dict) -> int:
    """0: a healthy run alarmed or judged unhealthy; 1: a problem called healthy; 2: another confusion."""
    if item["label"] in HEALTHY and (got["verdict"] not in HEALTHY or got["n_alarms"]):
        return 0
    if item["label"] not in HEALTHY and got["verdict"] in HEALTHY:
        return 1
    return 2


def _describe(item: dict) -> str:
    case = item["case"]
    sched = (case.get("schedule") or {"type": "constant"})["type"]
    lr = case["optimizer"]["lr"] if sched not in ("onecycle", "cyclic") else case["schedule"]["max_lr"]
    return f"{item['kind']} {item['optimizer']} {sched} lr={lr:.3g} B={case['steps']}"


def report(items: list[dict], results: dict[int, dict], split: str, worst: int, wall: float) -> str:
    out = []
    expected_rows = [lab for lab in LABELS + ("ambiguous",) if any(i["label"] == lab for i in items)]
    got_cols = list(LABELS) + sorted({r["verdict"] for r in results.values()} - set(LABELS))
    matrix = Counter((i["label"], results[i["seed"]]["verdict"]) for i in items)
    out.append(f"Generated benchmark, {split} half: {len(items)} cases (rows: the oracle's label; columns: lrtui's verdict)")
    out.append(_table(expected_rows, got_cols, lambda r, c: matrix[(r, c)]))
    graded = [i for i in items if i["label"] != "ambiguous"]
    agree = sum(results[i["seed"]]["verdict"] == i["label"] for i in graded)
    share = 100.0 * agree / max(1, len(graded))
    fragile = sum(i["clause"] == "fragile" for i in items)
    out.append(f"\nagreement: {agree}/{len(graded)} = {share:.1f}% (excluding {len(items) - len(graded)} ambiguous "
               f"cases: {fragile} fragile, {len(items) - len(graded) - fragile} where only a smaller LR ends much lower)")
    healthy = [i for i in items if i["label"] in HEALTHY]
    alarmed = [i for i in healthy if results[i["seed"]]["n_alarms"]]
    out.append(f"false alarms: {len(alarmed)} of {len(healthy)} healthy runs (improving or converged) got a warning "
               f"or an error at some step")
    if alarmed:
        codes = Counter(a[0] for i in alarmed for a in results[i["seed"]]["alarms"][:1])
        out.append("  first alarm codes: " + ", ".join(f"{c} {n}" for c, n in codes.most_common()))
    out.append("\nper family: agreement (excluding ambiguous), false alarms on healthy runs")
    by_family: dict[str, list] = defaultdict(list)
    for i in items:
        by_family[i["family"]].append(i)
    for fam, group in sorted(by_family.items()):
        g = [i for i in group if i["label"] != "ambiguous"]
        ok = sum(results[i["seed"]]["verdict"] == i["label"] for i in g)
        h = [i for i in group if i["label"] in HEALTHY]
        fa = sum(bool(results[i["seed"]]["n_alarms"]) for i in h)
        out.append(f"  {fam:12s} {ok:5d}/{len(g):<5d} {100.0 * ok / max(1, len(g)):5.1f}%   false alarms {fa}/{len(h)}")
    pairs = Counter((i["label"], results[i["seed"]]["verdict"]) for i in graded
                    if results[i["seed"]]["verdict"] != i["label"])
    if pairs:
        out.append("\nmost common misses (label -> got): " + ", ".join(
            f"{lab} -> {got} {n}" for (lab, got), n in pairs.most_common(10)))
    misses = [i for i in graded if results[i["seed"]]["verdict"] != i["label"]]
    misses += [i for i in alarmed if i not in misses]
    misses.sort(key=lambda i: (_miss_rank(i, results[i["seed"]]), i["seed"]))
    if misses:
        out.append(f"\nworst misses ({min(worst, len(misses))} of {len(misses)}; healthy runs alarmed first, then "
                   f"problems called healthy):")
        for i in misses[:worst]:
            got = results[i["seed"]]
            alarm = f" alarms {got['alarms'][0][0]}@{got['alarms'][0][2]}" if got["alarms"] else ""
            out.append(f"  seed {i['seed']:5d} {i['family']:10s} expected {i['label']:23s} got {got['verdict']:23s}"
                       f" clause {i['clause']:>6s} G={i['G']}  {_describe(i)}{alarm}")
    secs = [r["seconds"] for r in results.values()]
    fam_time = {f: sum(results[i["seed"]]["seconds"] for i in g) for f, g in by_family.items()}
    out.append(f"\ntime: {wall:.1f} s wall for {len(items)} cases ({sum(secs):.1f} s of lrtui in all, "
               f"{sum(secs) / max(1, len(secs)):.3f} s a case; by family: "
               + ", ".join(f"{f} {t:.0f} s" for f, t in sorted(fam_time.items())) + ")")
    slow = sorted(results.values(), key=lambda r: -r["seconds"])[:3]
    out.append("  slowest: " + ", ".join(f"seed {r['seed']} {r['seconds']:.1f} s" for r in slow))
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Score lrtui's diagnostics on the generated benchmark.")
    parser.add_argument("--split", choices=("tune", "held_out", "all"), default="tune",
                        help="which half (all: every case of the file, for a fresh held-out file such as "
                             "cases_fresh.jsonl)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases of the half, by seed")
    parser.add_argument("--family", choices=("quadratic", "function", "expression", "model"), default=None)
    parser.add_argument("--worst", type=int, default=15, help="how many misses to list (default 15)")
    parser.add_argument("--file", type=Path, default=CASES, help=f"the labelled cases (default {CASES})")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write each case's result to this JSON Lines file (tuning half only)")
    args = parser.parse_args(argv)
    if args.out is not None and args.split != "tune":
        print("--out writes per-case results for the tuning half only; the held-out half is graded as a whole",
              file=sys.stderr)
        return 2
    items = load(args.file, args.split, args.family, args.limit)
    if not items:
        print("no cases match", file=sys.stderr)
        return 2
    started = time.perf_counter()
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            results = {r["seed"]: r for r in pool.imap_unordered(run_case, items, chunksize=2)}
    else:
        results = {r["seed"]: r for r in map(run_case, items)}
    wall = time.perf_counter() - started
    print(report(items, results, args.split, args.worst, wall))
    if args.out:
        write_results(args.out, items, results)
    return 0


def per_case(item: dict, got: dict) -> dict:
    """One line of --out: the case, the oracle's label and clause, lrtui's verdict and its alarms with steps."""
    return {"id": item["seed"], "family": item["family"], "kind": item["kind"], "optimizer": item["optimizer"],
            "schedule": item["schedule"], "label": item["label"], "clause": item["clause"], "got": got["verdict"],
            "agree": got["verdict"] == item["label"],
            "alarms": [{"code": c, "severity": sev, "step": step} for c, sev, step in got["alarms"]],
            "n_alarms": got["n_alarms"], "seconds": round(got["seconds"], 3)}


def write_results(path: Path, items: list[dict], results: dict[int, dict]) -> None:
    with open(path, "w") as out:
        for item in items:
            out.write(json.dumps(per_case(item, results[item["seed"]])) + "\n")


if __name__ == "__main__":
    sys.exit(main())
