"""Target 1: a sweep of 1,024 Adam runs x 1,000 steps on Rosenbrock through the public API, history included.

- Against a hand-fused NumPy loop of the same update, gradient and history in
  the same process: lrtui's run-steps per second must be at least 0.7x.
- Against torch.optim.Adam stepping the same runs one at a time: at least
  1,000x faster (measured on RUNS_FOR_TORCH runs, as torch's time per
  run-step does not depend on how many runs follow; skipped without torch).

lrtui is measured twice: as `lrtui run` runs a sweep (diagnostics on, every
run judged at every step) and with diagnostics off (history only, as the
fused loop). The times are of stepping (run-steps per second); building the
1,024-run Simulation is a one-off cost reported beside them.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from benchmarks.common import SKIPPED, Result, fmt_rate, run_in, torch_available, verdict

RUNS, STEPS = 1_024, 1_000
START = (-1.5, 2.0)  # Rosenbrock's default start
FUSED_LIMIT = 0.7
TORCH_LIMIT = 1_000.0
RUNS_FOR_TORCH = 8


def learning_rates(runs: int = RUNS) -> np.ndarray:
    return np.logspace(-4, -1, runs)


def build_sweep(lrs: np.ndarray, diagnostics: bool):
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    specs = [RunSpec(optimizer="adam", optimizer_params={"lr": float(lr)}) for lr in lrs]
    return Simulation(build_loss("rosenbrock", start=list(START)), specs, diagnostics=diagnostics)


def fused_sweep(lrs: np.ndarray, steps: int) -> np.ndarray:
    """Adam (torch's defaults) on Rosenbrock written out by hand for all runs at once, recording
    what lrtui's history records (lr, loss, gradient norm, parameters) at every step."""
    runs = lrs.size
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    params = np.tile(np.array(START), (runs, 1))
    exp_avg, exp_avg_sq = np.zeros_like(params), np.zeros_like(params)
    grad, scratch = np.empty_like(params), np.empty_like(params)
    lr = lrs[:, None]
    record_lr = np.empty((steps + 1, runs))
    record_loss = np.empty((steps + 1, runs))
    record_grad_norm = np.empty((steps + 1, runs))
    record_params = np.empty((steps + 1, runs, 2))
    for t in range(steps + 1):
        x, y = params[:, 0], params[:, 1]
        ridge = y - x * x
        off = 1.0 - x
        record_loss[t] = off * off + 100.0 * ridge * ridge
        grad[:, 0] = -2.0 * off - 400.0 * x * ridge
        grad[:, 1] = 200.0 * ridge
        record_grad_norm[t] = np.sqrt(np.einsum("ij,ij->i", grad, grad))
        record_params[t] = params
        record_lr[t] = lrs
        if t == steps:
            break
        n = t + 1
        exp_avg *= beta1
        exp_avg += (1.0 - beta1) * grad
        exp_avg_sq *= beta2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - beta2
        exp_avg_sq += scratch
        np.sqrt(exp_avg_sq, out=scratch)
        scratch /= math.sqrt(1.0 - beta2**n)
        scratch += eps
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= lr / (1.0 - beta1**n)
        params -= scratch
    return params


def measure(repeats: int = 3) -> dict:
    lrs = learning_rates()
    # The fused loop must do the same arithmetic, or the comparison means nothing.
    check = build_sweep(lrs, diagnostics=False)
    check.step(STEPS)
    fused = fused_sweep(lrs, STEPS)
    assert np.allclose(check.params, fused, rtol=1e-6, atol=1e-9), "the fused loop does not follow lrtui's Adam"
    rates, build = {}, math.inf
    for name, diagnostics in (("lrtui", False), ("lrtui_diagnostics", True)):
        fused_best = lrtui_best = math.inf
        for _ in range(repeats):  # alternating, so that load on the machine hits both sides alike
            started = time.perf_counter()
            fused_sweep(lrs, STEPS)
            fused_best = min(fused_best, time.perf_counter() - started)
            started = time.perf_counter()
            sim = build_sweep(lrs, diagnostics)
            built = time.perf_counter()
            sim.step(STEPS)
            lrtui_best = min(lrtui_best, time.perf_counter() - built)
            build = min(build, built - started)
            del sim
        rates[name] = RUNS * STEPS / lrtui_best
        rates[f"fused_vs_{name}"] = RUNS * STEPS / fused_best
    return {**rates, "fused": max(rates["fused_vs_lrtui"], rates["fused_vs_lrtui_diagnostics"]),
            "build_seconds": build}


def results(torch_python: str | None, repeats: int = 3) -> list[Result]:
    m = measure(repeats)
    out = []
    for key, label in (("lrtui", "history, no diagnostics"), ("lrtui_diagnostics", "history + diagnostics")):
        ratio = m[key] / m[f"fused_vs_{key}"]
        out.append(Result(f"sweep 1,024 Adam x 1,000 on Rosenbrock, {label}: lrtui / fused NumPy",
                          f"{ratio:.2f}x", f">= {FUSED_LIMIT}x", verdict(ratio >= FUSED_LIMIT),
                          f"lrtui {fmt_rate(m[key])} run-steps/s, fused loop {fmt_rate(m[f'fused_vs_{key}'])}; "
                          f"building the Simulation takes {1e3 * m['build_seconds']:.0f} ms more"))
    if not torch_available(torch_python):
        out.append(Result("sweep: lrtui / torch.optim.Adam one run at a time", "-", f">= {TORCH_LIMIT:,.0f}x",
                          SKIPPED, "torch not importable (give --torch-python)"))
        return out
    torch_rate = 1.0 / run_in(torch_python, "torch_baselines", "adam-sweep", str(RUNS_FOR_TORCH),
                              str(STEPS))["seconds_per_run_step"]
    for key, label in (("lrtui_diagnostics", "history + diagnostics"), ("lrtui", "history, no diagnostics")):
        ratio = m[key] / torch_rate
        out.append(Result(f"sweep, {label}: lrtui / torch.optim.Adam one run at a time",
                          f"{ratio:,.0f}x", f">= {TORCH_LIMIT:,.0f}x", verdict(ratio >= TORCH_LIMIT),
                          f"torch {fmt_rate(torch_rate)} run-steps/s ({RUNS_FOR_TORCH} runs x {STEPS:,} steps, "
                          "autograd + Adam + loss/params recorded)"))
    return out


def profile(lines: int = 20) -> None:
    """Where a diagnostics sweep's time goes: cProfile's cumulative times of one 1,024 x 1,000 sweep."""
    import cProfile
    import pstats

    sim = build_sweep(learning_rates(), diagnostics=True)
    profiler = cProfile.Profile()
    profiler.runcall(sim.step, STEPS)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"lrtui|linalg", lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where the diagnostics sweep's time goes")
    args = parser.parse_args()
    if args.profile:
        profile()
    else:
        print(json.dumps(measure(args.repeats)))
