"""Relabel a contracts-2b file under 2c: `python -m benchmarks.diagcases.relabel_v2c [--jobs 2]`.

Contracts 2c change one thing: for the adaptive optimizers (Adam, AdamW, NAdam, RMSprop, Adagrad) too_slow's
"a larger LR" is every larger LR of the grid, with no cap from the end sharpness (their preconditioned
sharpness follows their LR: RMSprop ends at its own edge of stability, so 2b's cap sat below the run's own LR
in 137 of 281 RMSprop cases). Only clause 7 of adaptive cases moves, and only towards too_slow, so a 2b label
can change only where (a) the optimizer is adaptive, (b) no clause before 7 fired (the label is 8:flat, 9, or
ambiguous), and (c) some larger grid LR ends much lower (`larger_uncapped_much_lower`, computed unrounded by
the oracle), or the case was fragile (its perturbed twins may move). Those cases are labelled again in full
(the oracle and its +-1e-6 perturbations); every other line is restamped 2c unchanged. One approximation:
a case whose own larger LRs are not much lower but whose perturbed twin's would be (a knife edge) keeps its
2b label rather than becoming fragile.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time

from benchmarks.diagcases.build import CASES, CONTRACTS_VERSION, _read, _rewrite, _work
from benchmarks.diagcases.oracle import ADAPTIVE


def touched(item: dict) -> bool:
    if item["case"]["optimizer"]["type"] not in ADAPTIVE:
        return False
    clause = str(item["clause"])
    if clause == "fragile":
        return True
    return clause in ("8:flat", "9", "9:smaller-lr-much-lower") and bool(item["evidence"].get("larger_uncapped_much_lower"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    items = _read(CASES)
    redo = sorted(s for s, item in items.items() if item.get("contracts") == "2b" and touched(item))
    print(f"{len(items)} cases; {len(redo)} to label again under 2c", flush=True)
    started = time.perf_counter()
    pool = multiprocessing.get_context("fork").Pool(args.jobs) if args.jobs > 1 else None
    lines = pool.imap_unordered(_work, redo, chunksize=1) if pool else map(_work, redo)
    changed: dict[tuple[str, str, str], int] = {}
    for line in lines:
        new = json.loads(line)
        if "skip" in new:
            raise SystemExit(f"seed {new['seed']} failed to relabel: {new.get('error', new['skip'])}")
        old = items[new["seed"]]
        if old["label"] != new["label"]:
            key = (old["split"], old["label"], new["label"])
            changed[key] = changed.get(key, 0) + 1
        items[new["seed"]] = new
    if pool:
        pool.close()
    for item in items.values():
        item["contracts"] = CONTRACTS_VERSION
    _rewrite(CASES, items)
    print(f"relabelled in {time.perf_counter() - started:.0f} s; label changes (split, 2b -> 2c):")
    for (split, a, b), n in sorted(changed.items()):
        print(f"  {split:8s} {a} -> {b}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
