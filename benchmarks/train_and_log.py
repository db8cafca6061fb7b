"""A training loop that logs as yours does, for trying `lrtui watch` (and the README's example).

Trains lrtui's digits MLP with SGD (momentum 0.9) one step at a time and appends a Python logging line per
step to LOG (`2026-12-06 17:59:45,123 INFO:step 12: train loss=2.21, lr=1`), sleeping between steps:

    python -m benchmarks.train_and_log train.log --lr 1 --steps 400 &
    lrtui watch train.log
"""

from __future__ import annotations

import argparse
import logging
import sys
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.02, help="seconds between steps (default 0.02)")
    args = parser.parse_args(argv)
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    logger = logging.getLogger("train")
    handler = logging.FileHandler(args.log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s:%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    loss = build_loss("mlp", seed=0, dataset="digits", hidden=[32], batch_size=32)
    spec = RunSpec(optimizer="sgd", optimizer_params={"lr": args.lr, "momentum": 0.9})
    sim = Simulation(loss, [spec], seed=0, diagnostics=False)
    for step in range(args.steps):
        sim.run(step + 1)
        _, values = sim.history.series("loss", 0)
        _, lrs = sim.history.series("lr", 0)
        logger.info(f"step {step}: train loss={values[-1]:.5f}, lr={lrs[-1]:.4g}")
        time.sleep(args.delay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
