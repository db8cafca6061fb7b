"""Build (or extend) the labelled file: `python -m benchmarks.diagcases.build --cases 2400 --jobs 1`.

Seeds 0..N-1, one case each (generate.py), labelled by the oracle (oracle.py). Even seeds are the tuning
half ("tune"), odd seeds the held-out half ("held_out"). Incremental: each record is appended as soon as it is
labelled, so an interrupted build resumes where it stopped; seeds already in the file are not redone. A
degenerate case (D0 ~ 0) is not stored; it goes to skipped.jsonl with the reason. At the end the file is
rewritten sorted by seed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.jsonl"
CONTRACTS_VERSION = "2d"  # docs/diagnostics.md's contracts; v2b: the cap from the end sharpness; v2c: no cap
# for the adaptive optimizers (relabel_v2c.py relabels a 2b file: only the cases the change can touch); v2d: a local
# minimum needs a small gradient too (relabel.py --select local_min --stamp 2d relabels a 2c file)
SKIPPED = HERE / "skipped.jsonl"


def split_of(seed: int) -> str:
    return "tune" if seed % 2 == 0 else "held_out"


def record(seed: int) -> dict:
    """The stored line for one seed (or a skip: {"seed", "skip": reason})."""
    from benchmarks.diagcases.generate import check, generate
    from benchmarks.diagcases.oracle import final_label

    drawn = generate(seed)
    check(drawn["case"])
    out = final_label(drawn["case"])
    if out["label"] is None:
        return {"seed": seed, "skip": out["clause"]}
    fields = oracle_fields(out)
    schedule = (drawn["case"].get("schedule") or {"type": "constant"})["type"]
    return {"seed": seed, "split": split_of(seed), "contracts": CONTRACTS_VERSION, "family": drawn["family"], "kind": drawn["kind"],
            "optimizer": drawn["optimizer"], "schedule": schedule, "label": fields["label"], "clause": fields["clause"],
            "G": fields["G"], "f_star": fields["f_star"], "floor_known": fields["floor_known"],
            "floor_kind": fields["floor_kind"],
            "oracle": fields["oracle"], "lr_ref": drawn["lr_ref"], "seconds": round(out["seconds"], 3),
            "evidence": fields["evidence"], "case": drawn["case"]}


def oracle_fields(out: dict) -> dict:
    """The stored line's fields that come from the oracle's record `out` (final_label): label, clause, G, f*,
    the floor, the oracle's path and the rounded evidence (relabel.py rewrites exactly these)."""
    from benchmarks.diagcases.oracle import compact

    evidence = compact({k: v for k, v in out.items() if k not in ("label", "clause", "G", "f_star", "floor_known",
                                                                    "floor_kind", "path", "seconds")})
    return {"label": out["label"], "clause": out["clause"], **compact({"G": out["G"], "f_star": out["f_star"]}),
            "floor_known": out["floor_known"], "floor_kind": out["floor_kind"], "oracle": out["path"],
            "evidence": evidence}


def _work(seed: int) -> str:
    try:
        return json.dumps(record(seed), allow_nan=False)
    except Exception as exc:  # kept, reported and retried on the next run
        return json.dumps({"seed": seed, "skip": "error", "error": f"{type(exc).__name__}: {exc}",
                           "trace": traceback.format_exc()[-2000:]})


def _read(path: Path) -> dict[int, dict]:
    out: dict[int, dict] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                try:
                    item = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interrupted build: redone
                out[int(item["seed"])] = item
    return out


def _rewrite(path: Path, items: dict[int, dict]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(items[s], allow_nan=False) + "\n" for s in sorted(items)))
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the labelled diagnostics benchmark (resumable).")
    parser.add_argument("--cases", type=int, default=2400, help="seeds FIRST..N-1 (default 2400)")
    parser.add_argument("--first", type=int, default=0,
                        help="the first seed (default 0); a fresh held-out set uses seeds never drawn before")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--out", type=Path, default=CASES, help=f"the labelled file (default {CASES})")
    args = parser.parse_args(argv)
    skipped_path = args.out.with_name(args.out.stem + "_skipped.jsonl") if args.out != CASES else SKIPPED
    done = _read(args.out)
    stale = [s for s, v in done.items() if v.get("contracts") != CONTRACTS_VERSION]
    if stale:  # labelled under other contracts: redone (the file is rewritten at the end)
        print(f"{len(stale)} lines were labelled under other contracts and are redone", flush=True)
        for s in stale:
            del done[s]
    skipped = {s: v for s, v in _read(skipped_path).items() if v.get("skip") != "error"}
    pending = [s for s in range(args.first, args.cases) if s not in done and s not in skipped]
    print(f"{len(done)} labelled, {len(skipped)} skipped, {len(pending)} to do", flush=True)
    started = time.perf_counter()
    errors = 0
    with open(args.out, "a") as out, open(skipped_path, "a") as skip:
        if args.jobs > 1:
            pool = multiprocessing.get_context("fork").Pool(args.jobs)
            results = pool.imap_unordered(_work, pending, chunksize=1)
        else:
            pool, results = None, map(_work, pending)
        for i, line in enumerate(results, 1):
            item = json.loads(line)
            if "skip" in item:
                skip.write(line + "\n")
                skip.flush()
                errors += item["skip"] == "error"
                if item["skip"] == "error":
                    print(f"seed {item['seed']}: {item['error']}", file=sys.stderr, flush=True)
            else:
                out.write(line + "\n")
                out.flush()
                done[item["seed"]] = item
            if i % 50 == 0 or i == len(pending):
                rate = (time.perf_counter() - started) / i
                print(f"{i}/{len(pending)} ({rate:.2f} s a case, {rate * (len(pending) - i) / 60:.1f} min left)",
                      flush=True)
        if pool is not None:
            pool.close()
            pool.join()
    _rewrite(args.out, {s: v for s, v in done.items() if args.first <= s < args.cases})
    kept = _read(skipped_path)
    _rewrite(skipped_path, {s: v for s, v in kept.items() if args.first <= s < args.cases and s not in done})
    print(f"done in {time.perf_counter() - started:.0f} s; {len(done)} cases in {args.out}; {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
