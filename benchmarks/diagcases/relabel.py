"""Label again the cases a predicate selects in labelled files, after an oracle fix:
`python -m benchmarks.diagcases.relabel --select relu [--jobs 2] [--quiet] FILE.jsonl ...`.

Each selected line's stored case (`case`, exactly what was labelled) goes through the oracle again in full
(`final_label`: the case, its grid, its counterfactuals and the +-1e-6 perturbations). Where the label or the
clause comes out different, that line's oracle fields (label, clause, G, f_star, floor_known, floor_kind,
oracle, evidence; build.oracle_fields) are replaced and the line is marked `"relabelled": REASON`; every other
line, selected or not, is written back byte for byte (but for `--stamp V`, which sets every line's "contracts"
to V: the version a relabelling brings the file to). The file is replaced atomically.

Prints, per file, how many lines were selected and rewritten and the label changes by split (from -> to).
`--quiet` prints one integer only, the number of lines rewritten over all files: for a held-out file, whose
cases and labels must not be looked at.

Predicates (`--select`): local_min (v2d: every line where clause 3 fired, at the case or a perturbation;
local_min_tune, the tuning half only), relu (MLPs with ReLU hidden layers: their curvature now comes from the
frozen-pattern gradient, benchmarks.diagcases.pwlinear; README DECISION 18), model (every data model), all.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import sys
from collections import Counter
from pathlib import Path

REASON = "relu-curvature"  # DECISION 18: the frozen-pattern gradient on ReLU networks


def _is_relu(item: dict) -> bool:
    loss = item["case"]["loss"]
    return loss["type"] == "mlp" and loss.get("activation", "relu") == "relu"


def _clause_3_somewhere(item: dict) -> bool:
    perturbed = (item.get("evidence") or {}).get("perturbed") or {}
    return "local_minimum" in (item["label"], item.get("unperturbed_label"), *perturbed.values())


PREDICATES = {
    "relu": _is_relu,
    "model": lambda item: item["case"]["loss"]["type"] in ("mlp", "logistic_regression"),
    "all": lambda item: True,
    # v2d: clause 3 needs a small gradient too; only a line where clause 3 fired, at the case or at one of its
    # +-1e-6 perturbations, can change (`local_min_tune` keeps to the tuning half, for tuning before grading)
    "local_min": lambda item: _clause_3_somewhere(item),
    "local_min_tune": lambda item: item["split"] == "tune" and _clause_3_somewhere(item),
    # DECISION 19: a final gradient of exactly 0 that the stored evidence did not call small
    "zero_gradient": lambda item: item.get("evidence", {}).get("grad_ratio") == 0.0
    and not item.get("evidence", {}).get("small_gradient"),
}


def _work(job: tuple[int, dict]) -> tuple[int, dict | None, str | None]:
    from benchmarks.diagcases.build import oracle_fields
    from benchmarks.diagcases.oracle import final_label

    index, case = job
    try:
        out = final_label(copy.deepcopy(case))
    except Exception as exc:  # reported, the line kept as it was
        return index, None, f"{type(exc).__name__}: {exc}"
    if out["label"] is None:
        return index, None, f"the oracle now skips it ({out['clause']})"
    return index, oracle_fields(out), None


def relabel_file(path: Path, select, jobs: int = 1, reason: str = REASON, pool=None, stamp: str | None = None) -> dict:
    """Relabel the selected lines of `path` in place. Returns {"selected", "rewritten", "errors",
    "changes": Counter of (split, old label, new label), "clause_only": Counter of (split, label, old, new)}."""
    lines = path.read_text().splitlines(keepends=True)
    items = {i: json.loads(line) for i, line in enumerate(lines) if line.strip()}
    chosen = [(i, item["case"]) for i, item in items.items() if select(item)]
    results = pool.imap_unordered(_work, chosen, chunksize=1) if pool is not None else map(_work, chosen)
    report = {"selected": len(chosen), "rewritten": 0, "errors": [], "changes": Counter(), "clause_only": Counter()}
    for index, fields, error in results:
        old = items[index]
        if error is not None:
            report["errors"].append((old["seed"], error))
            continue
        if (fields["label"], fields["clause"]) == (old["label"], old["clause"]):
            continue
        if fields["label"] != old["label"]:
            report["changes"][(old["split"], old["label"], fields["label"])] += 1
        else:
            report["clause_only"][(old["split"], old["label"], old["clause"], fields["clause"])] += 1
        new = dict(old)
        new.update(fields)
        new["relabelled"] = reason
        lines[index] = json.dumps(new, allow_nan=False) + "\n"
        report["rewritten"] += 1
    if stamp is not None:  # the contracts version every line now follows (the unselected ones could not change)
        for index, line in enumerate(lines):
            item = json.loads(line) if line.strip() else None
            if item is not None and item.get("contracts") != stamp:
                item["contracts"] = stamp
                lines[index] = json.dumps(item, allow_nan=False) + "\n"
    if report["rewritten"] or stamp is not None:
        tmp = path.with_suffix(".relabel.tmp")
        tmp.write_text("".join(lines))
        os.replace(tmp, path)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--select", choices=sorted(PREDICATES), required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--quiet", action="store_true", help="print only the number of lines rewritten")
    parser.add_argument("--stamp", help='set every line\'s "contracts" to this version (2d after --select local_min)')
    parser.add_argument("--reason", default=REASON, help=f'the "relabelled" mark on rewritten lines ({REASON})')
    args = parser.parse_args(argv)
    pool = multiprocessing.get_context("fork").Pool(args.jobs) if args.jobs > 1 else None
    total, failed = 0, 0
    try:
        for path in args.files:
            report = relabel_file(path, PREDICATES[args.select], reason=args.reason, pool=pool, stamp=args.stamp)
            total += report["rewritten"]
            failed += len(report["errors"])
            if args.quiet:
                continue
            print(f"{path.name}: {report['selected']} selected, {report['rewritten']} rewritten, "
                  f"{len(report['errors'])} errors", flush=True)
            for (split, a, b), n in sorted(report["changes"].items()):
                print(f"  {split:8s} {a} -> {b}: {n}")
            for (split, lab, a, b), n in sorted(report["clause_only"].items()):
                print(f"  {split:8s} {lab} (clause {a} -> {b}): {n}")
            for seed, error in report["errors"]:
                print(f"  seed {seed}: {error}", file=sys.stderr)
    finally:
        if pool is not None:
            pool.close()
    if args.quiet:
        print(total)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
