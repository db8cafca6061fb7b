"""The 45-case regression suite (tests/diagnostics/cases.toml) labelled by the contracts' oracle.

    python -m benchmarks.diagcases.suite45 [--jobs 2]     # label every run, write suite45_labels.json
    python -m benchmarks.diagcases.suite45 --compare      # then: where the suite's hand labels differ

Labelling never reads the suite's `expect` values: each [[case]] is turned into a scenario from its loss,
optimizer, schedule and steps only (`scenarios`), and each of its runs is labelled by `oracle.final_label`
exactly as a generated case is. `--compare` reads `expect` afterwards, from the written labels, and lists the
runs where the hand label and the contracts' label differ, for the lead to re-examine.

The contracts are written for full-batch runs. Four suite cases train on mini-batches; for them L(t) is taken
as the training loss over the whole set at w_t (benchmarks.diagcases.simulate), and the record says so.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import tomllib
from pathlib import Path

from benchmarks.diagcases.build import CONTRACTS_VERSION

HERE = Path(__file__).resolve().parent
SUITE = HERE.parents[1] / "tests" / "diagnostics" / "cases.toml"
LABELS_FILE = HERE / "suite45_labels.json"
SCENARIO_KEYS = ("steps", "loss", "optimizer", "schedule", "seed")


def scenarios(path: Path = SUITE) -> list[tuple[str, int, dict]]:
    """(case id, run index, scenario dict) for every run of every case, without the case's `expect`."""
    data = tomllib.loads(path.read_text())
    out = []
    for case in data["case"]:
        opts = case["optimizer"] if isinstance(case["optimizer"], list) else [case["optimizer"]]
        for run, opt in enumerate(opts):
            scenario = {k: case[k] for k in SCENARIO_KEYS if k in case}
            scenario.update(name=f"suite {case['id']}", optimizer=opt)
            out.append((str(case["id"]), run, scenario))
    return out


def _grid_evidence(out: dict) -> dict:
    keys = ("grid_gaps", "S1_gaps", "S2_gaps", "M_gaps", "cap_gaps", "cap", "cap_over_lr", "s_end", "s_end_at",
            "limit_c", "larger_counted", "extra_lrs", "smaller_much_lower", "larger_much_lower",
            "larger_uncapped_much_lower", "any_much_lower", "flat", "small_gradient", "small_gradient_ratio",
            "stationary", "bouncing", "bounce_cos", "negative_curvature", "lambda_min", "lambda_max", "t_kill",
            "floor_kind", "grid_floor_at", "perturbed", "unperturbed_label", "unperturbed_clause")
    return {k: out[k] for k in keys if k in out}


def label_one(item: tuple[str, int, dict]) -> dict:
    from benchmarks.diagcases.oracle import compact, final_label
    from benchmarks.diagcases.simulate import case_lr, lrtui_parts

    case_id, run, scenario = item
    started = time.perf_counter()
    try:
        out = compact(final_label(scenario))
    except Exception as exc:  # reported in the file, never silently dropped
        return {"id": case_id, "run": run, "label": None, "clause": f"error: {type(exc).__name__}: {exc}"}
    _, loss, _ = lrtui_parts(scenario)
    return {"id": case_id, "run": run, "label": out["label"], "clause": out["clause"], "G": out.get("G"),
            "f_star": out.get("f_star"), "floor_known": out.get("floor_known"),
            "minibatch": getattr(loss, "batch_size", None) is not None, "lr": case_lr(scenario),
            "grid_lrs_factor": "lr * 10^(k/4), k = -12..12", "evidence": _grid_evidence(out),
            "seconds": round(time.perf_counter() - started, 2)}


def label_all(jobs: int) -> list[dict]:
    items = scenarios()
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            rows = list(pool.imap(label_one, items, chunksize=1))
    else:
        rows = [label_one(i) for i in items]
    return rows


def compare(rows: list[dict], path: Path = SUITE) -> list[dict]:
    """Runs where the suite's hand label (`expect`) differs from the contracts' label."""
    data = tomllib.loads(path.read_text())
    expect = {str(c["id"]): list(c["expect"]) for c in data["case"]}
    out = []
    for row in rows:
        old = expect[row["id"]][row["run"]]
        if old != row["label"]:
            out.append({"id": row["id"], "run": row["run"], "expect": old, "label": row["label"],
                        "clause": row["clause"], "G": row["G"]})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--compare", action="store_true", help="compare the written labels with the suite's expect")
    args = parser.parse_args(argv)
    if args.compare:
        rows = json.loads(LABELS_FILE.read_text())["runs"]
        diffs = compare(rows)
        for d in diffs:
            print(f"{d['id']:40s} run {d['run']}  expect {d['expect']:24s} contracts {d['label']:24s} "
                  f"clause {d['clause']:24s} G={d['G']}")
        print(f"{len(diffs)} of {len(rows)} runs differ")
        return 0
    started = time.perf_counter()
    rows = label_all(args.jobs)
    LABELS_FILE.write_text(json.dumps({"contracts": CONTRACTS_VERSION, "source": "tests/diagnostics/cases.toml",
                                       "runs": rows}, indent=1, allow_nan=False) + "\n")
    for r in rows:
        print(f"{r['id']:40s} run {r['run']}  {str(r['label']):24s} clause {r['clause']:24s} G={r.get('G')} "
              f"({r.get('seconds')} s)")
    print(f"{len(rows)} runs labelled in {time.perf_counter() - started:.0f} s; written to {LABELS_FILE}")
    return 1 if any(r["label"] is None for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
