"""Hand-made cases to sanity-check the oracle: `python -m benchmarks.diagcases.handcases [--heavy]`.

Each is a scenario dict labelled by the oracle; the expected label is what the contracts should say, and the
script prints both (it does not run lrtui's diagnostics). `--heavy` adds the edge-of-stability spiral MLP
(tanh [32, 32], full batch, 4,000 steps at lr 0.2, 0.5 and 1.0), which takes minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.diagcases.oracle import compact, label


def _case(loss: dict, optimizer: dict, steps: int, schedule: dict | None = None) -> dict:
    case = {"name": "hand case", "steps": steps, "seed": 0, "loss": loss, "optimizer": optimizer}
    if schedule:
        case["schedule"] = schedule
    return case


QUAD = {"type": "quadratic", "eigenvalues": [1.0, 50.0], "start": [1.0, 1.0]}
DOUBLE_WELL = {"type": "expression", "expr": "(x**2 - 1)**2 + y**2", "vars": ["x", "y"], "min_value": 0.0}
TAIL = {"type": "expression", "expr": "1 - exp(-(x**2 + y**2))", "vars": ["x", "y"], "min_value": 0.0,
        "start": [13.0, 0.5]}
BEALE_START = [1.0, 1.5]
TWO_WELLS = {"type": "expression", "expr": "-exp(-((x - 2)**2 + y**2)) - 0.5*exp(-((x + 2)**2 + y**2)/0.7)",
             "vars": ["x", "y"]}


def hand_cases(heavy: bool = False) -> list[tuple[str, str, dict]]:
    """(name, label the contracts should give, case)."""
    limit = 2.0 / 50.0
    cases = [
        ("quadratic GD at 0.5x the limit, 200 steps", "too_slow (G 6e-6)",
         _case(QUAD, {"type": "sgd", "lr": 0.5 * limit}, 200)),
        ("quadratic GD at 0.5x the limit, 400 steps", "converged", _case(QUAD, {"type": "sgd", "lr": 0.5 * limit}, 400)),
        ("quadratic GD at 0.98x the limit, 60 steps", "improving", _case(QUAD, {"type": "sgd", "lr": 0.98 * limit}, 60)),
        ("quadratic GD at 0.98x the limit, 200 steps", "converged", _case(QUAD, {"type": "sgd", "lr": 0.98 * limit}, 200)),
        ("quadratic GD at 0.995x the limit, 100 steps", "oscillating",
         _case(QUAD, {"type": "sgd", "lr": 0.995 * limit}, 100)),
        ("quadratic GD at 1.02x the limit", "diverged", _case(QUAD, {"type": "sgd", "lr": 1.02 * limit}, 200)),
        ("quadratic needing ~100x its budget", "too_slow",
         _case({"type": "quadratic", "eigenvalues": [1.0, 10.0], "start": [1.0, 1.0]}, {"type": "sgd", "lr": 1e-3},
               100)),
        ("lr-sweep's run at lr 1e-5 (Beale, momentum 0.9)", "too_slow",
         _case({"type": "beale", "start": BEALE_START}, {"type": "sgd", "lr": 1e-5, "momentum": 0.9}, 300)),
        ("rosenbrock SGD 0.0005, 1000 steps", "improving (v2b: the cap 0.9*2/s_end is 3.0x lr: 1.78x counts, not 10x lower)",
         _case({"type": "rosenbrock", "start": [-1.5, 2.0]}, {"type": "sgd", "lr": 5e-4}, 1000)),
        ("Adagrad stalling (quadratic, lr 0.01)", "too_slow",
         _case({"type": "quadratic", "eigenvalues": [1.0, 100.0], "start": [3.0, 3.0]}, {"type": "adagrad", "lr": 0.01},
               500)),
        ("StepLR dividing by 10 every 5 steps", "schedule_too_aggressive",
         _case(QUAD, {"type": "sgd", "lr": 0.01}, 200, {"type": "step", "step_size": 5, "gamma": 0.1})),
        ("ExponentialLR gamma 0.9 (quadratic)", "schedule_too_aggressive",
         _case(QUAD, {"type": "sgd", "lr": 0.01}, 200, {"type": "exponential", "gamma": 0.9})),
        ("ExponentialLR gamma 0.9 (Rosenbrock, SGD 5e-4)", "improving (v2: the gradient is not small for the gap)",
         _case({"type": "rosenbrock", "start": [-1.5, 2.0]}, {"type": "sgd", "lr": 5e-4}, 300,
               {"type": "exponential", "gamma": 0.9})),
        ("double well, start next to the saddle (eigenvalue -4)", "plateau",
         _case(dict(DOUBLE_WELL, start=[1e-9, 1.0]), {"type": "sgd", "lr": 0.01}, 300)),
        ("flat exponential tail, gradient ~1e-72", "plateau", _case(TAIL, {"type": "sgd", "lr": 0.1}, 300)),
        ("Rastrigin local minimum (lr 0.002)", "local_minimum",
         _case({"type": "rastrigin", "start": [3.2, -2.7]}, {"type": "sgd", "lr": 0.002}, 300)),
        ("Rastrigin, lr 0.05 + cosine", "improving or converged",
         _case({"type": "rastrigin", "start": [3.2, -2.7]}, {"type": "sgd", "lr": 0.05}, 300,
               {"type": "cosine", "T_max": 300})),
        # Version 2 of the contracts.
        ("quadratic GD at 0.55x the limit, 200 steps", "improving (v2: 1.78x lr is past the cap 0.9x the limit)",
         _case(QUAD, {"type": "sgd", "lr": 0.55 * limit}, 200)),
        ("quadratic GD at 1e-5x the limit, 100 steps", "too_slow (v2: the cap's own LRs, past the grid)",
         _case(QUAD, {"type": "sgd", "lr": 1e-5 * limit}, 100)),
        ("logistic regression + l2 at its optimum (gaussians)", "improving (v2: a model's floor 0 is not known)",
         _case({"type": "logistic_regression", "dataset": "gaussians", "l2": 0.01}, {"type": "sgd", "lr": 0.5}, 400)),
        ("two Gaussian wells, no min_value, start in the deep one", "converged (v2: the 257x257 grid floor)",
         _case(dict(TWO_WELLS, start=[1.6, 0.3]), {"type": "sgd", "lr": 0.2}, 300)),
        ("two Gaussian wells, no min_value, start in the shallow one", "local_minimum (v2: the grid floor is known)",
         _case(dict(TWO_WELLS, start=[-1.6, 0.3]), {"type": "sgd", "lr": 0.2}, 300)),
        # Version 2b: the cap from the sharpness at w_B, not the largest met along the run.
        ("Adagrad, stiff coordinate 1e-4 from its minimum, lr 0.1", "too_slow (v2b: P^-1 H is 1e4 after one "
         "update, 10 at w_B; the cap is 1.8x lr)",
         _case({"type": "quadratic", "eigenvalues": [1.0, 10.0], "start": [3.0, 1e-4]}, {"type": "adagrad", "lr": 0.1},
               300)),
    ]
    if heavy:
        spiral = {"type": "mlp", "dataset": "spiral", "hidden": [32, 32], "activation": "tanh"}
        for lr in (0.2, 0.5, 1.0):
            cases.append((f"edge of stability: spiral tanh [32, 32], lr {lr}, 4,000 steps", "improving (healthy)",
                          _case(spiral, {"type": "sgd", "lr": lr}, 4000)))
    return cases


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heavy", action="store_true", help="add the 4,000-step spiral MLPs")
    parser.add_argument("--only", default=None, help="only the cases whose name contains this text")
    parser.add_argument("--json", type=Path, default=None, help="also write each case's full record here")
    args = parser.parse_args(argv)
    records = []
    for name, expected, case in hand_cases(args.heavy):
        if args.only and args.only not in name:
            continue
        started = time.perf_counter()
        out = label(case)
        records.append({"name": name, "expected": expected, "case": case, **compact(out)})
        print(f"{name:58s} got {out['label']:24s} clause {out['clause']:10s} G={out.get('G', float('nan')):.3g} "
              f"cap/lr={out.get('cap_over_lr', float('nan')):.3g} ({time.perf_counter() - started:.1f} s)\n"
              f"    expected {expected}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
