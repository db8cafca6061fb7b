"""The PyTorch side of the comparisons, run in an interpreter that has torch (see run.py --torch-python).

It imports torch and NumPy only, never lrtui, so lrtui's environment never
needs torch. Each mode prints one JSON object on its last line.

  adam-sweep RUNS STEPS   Adam on Rosenbrock, one run at a time (lrs log-spaced as in sweep.py);
                          prints seconds per run-step
  mlp-epoch SAMPLES       one full-batch epoch of the 64-32-10 ReLU MLP on the digits;
                          prints seconds per epoch
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

DIGITS = Path(__file__).resolve().parents[1] / "lrtui" / "core" / "data" / "digits.npz"


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def adam_sweep(runs: int, steps: int, repeats: int = 3) -> dict:
    """One torch.optim.Adam per run, stepped alone, recording the loss and parameters each step."""
    lrs = np.logspace(-4, -1, runs)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for lr in lrs:
            p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
            opt = torch.optim.Adam([p], lr=float(lr))
            losses, path = [], []
            for _ in range(steps):
                opt.zero_grad()
                loss = rosenbrock(p)
                loss.backward()
                losses.append(loss.item())
                opt.step()
                path.append(p.detach().clone())
        best = min(best, time.perf_counter() - started)
    return {"seconds_per_run_step": best / (runs * steps), "torch": torch.__version__}


def mlp_epoch(samples: int, epochs: int = 20, repeats: int = 5) -> dict:
    """Full-batch SGD epochs (forward, backward, step) of nn.Sequential(Linear, ReLU, Linear) in float64."""
    torch.manual_seed(0)
    with np.load(DIGITS) as stored:
        x = torch.tensor(stored["images"][:samples].astype(np.float64) / 16.0)
        y = torch.tensor(stored["labels"][:samples].astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    criterion = torch.nn.CrossEntropyLoss()
    losses = []

    def epoch():
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    for _ in range(epochs):  # warm-up
        epoch()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(epochs):
            epoch()
        best = min(best, (time.perf_counter() - started) / epochs)
    return {"seconds_per_epoch": best, "threads": torch.get_num_threads(), "torch": torch.__version__}


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "adam-sweep":
        print(json.dumps(adam_sweep(int(args[0]), int(args[1]))))
    elif mode == "mlp-epoch":
        print(json.dumps(mlp_epoch(int(args[0]))))
    else:
        sys.exit(f"unknown mode {mode!r}; use adam-sweep or mlp-epoch")
