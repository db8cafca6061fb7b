"""Edge of stability in `make bench`: full-batch GD on the spiral set, tanh MLP [32, 32], lr 0.2, 0.5 and 1.0
for 4,000 steps (Cohen et al., 2021). Each run sharpens to about 2/lr and keeps training; lrtui must raise no
warning or error on any of them (tests/core/test_edge_of_stability.py holds the same). Printed per run: the
verdict, the findings, the gauge (lr x the largest sharpness met / 2), the final loss and test accuracy, and
the same run at 0.8 x the edge LR 2/lambda_max from the start (what an "lr too high" warning would have told
the learner to do), for comparison.

    python -m benchmarks.edge_of_stability
"""

from __future__ import annotations

import sys
import time

from lrtui.scenario.loader import scenario_from_data

LOSS = {"type": "mlp", "dataset": "spiral", "hidden": [32, 32], "activation": "tanh"}
STEPS = 4000


def trained(lr: float):
    data = {"name": "edge of stability", "steps": STEPS, "loss": LOSS, "optimizer": {"type": "sgd", "lr": lr}}
    exp = scenario_from_data(data, "edge of stability").build()
    exp.step(STEPS)
    return exp


def outcome(exp) -> tuple[float, float]:
    """(final training loss, test accuracy) of run 0."""
    now = exp.current(0)
    scores = exp.loss_of(0).evaluate(now["params"][None])
    return float(now["loss"]), float(scores["test_accuracy"][0])


def main() -> int:
    started = time.perf_counter()
    print(f"Edge of stability: spiral, tanh [32, 32], full-batch GD, {STEPS:,} steps")
    print(f"{'lr':>5} {'verdict':>10} {'alarms':>7} {'findings':>28} {'gauge':>6} {'loss':>7} {'test acc':>8}"
          f" {'at 0.8 x edge: lr':>18} {'loss':>7} {'test acc':>8}")
    bad = 0
    for lr in (0.2, 0.5, 1.0):
        exp = trained(lr)
        found = exp.diagnoses(0)
        alarms = [d for d in found if d.severity in ("warning", "error")]
        bad += len(alarms)
        loss, acc = outcome(exp)
        lower = 0.8 * lr / max(exp.gauge(0), 1e-12)
        other_loss, other_acc = outcome(trained(lower))
        print(f"{lr:5.2f} {exp.verdict(0):>10} {len(alarms):7d} {','.join(d.code for d in found)[:28]:>28} "
              f"{exp.gauge(0):6.0%} {loss:7.3f} {acc:8.1%} {lower:18.3g} {other_loss:7.3f} {other_acc:8.1%}")
    print(f"warnings or errors on these runs: {bad} (must be 0); {time.perf_counter() - started:.0f} s")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
