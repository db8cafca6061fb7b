"""Target 3: one full-batch epoch of the default MLP (64-32-10, ReLU, SGD) within 1.5x of torch on the CPU.

An epoch is a forward pass over the whole training split, the backward pass
and the update, with the loss recorded: lrtui's `Simulation.step()` with
diagnostics and the per-step test-set evaluation off, as torch does none of
that. Both work in float64 on the same machine, one after the other;
torch runs in its own interpreter (--torch-python). The note gives lrtui's
epoch as the app runs it too (test evaluation and diagnostics on).
"""

from __future__ import annotations

import argparse
import json

from benchmarks.common import SKIPPED, Result, best_time, run_in, torch_available, verdict

LIMIT = 1.5
EPOCHS = 20  # per timed call


def build(diagnostics: bool, eval_every: int | None):
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    loss = build_loss("mlp", dataset="digits")
    sim = Simulation(loss, [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.1})], diagnostics=diagnostics,
                     eval_every=eval_every)
    return sim, loss.n_train


def measure(repeats: int = 5) -> dict:
    out = {}
    for name, diagnostics, eval_every in (("training", False, 10**9), ("as_the_app_runs_it", True, None)):
        sim, samples = build(diagnostics, eval_every)
        sim.step(EPOCHS)  # warm-up
        out[name] = best_time(lambda: sim.step(EPOCHS), repeats) / EPOCHS
        out["samples"] = samples
    return out


def results(torch_python: str | None, repeats: int = 5) -> list[Result]:
    target = "digits MLP full-batch epoch: lrtui / torch"
    if not torch_available(torch_python):
        return [Result(target, "-", f"<= {LIMIT}x", SKIPPED, "torch not importable (give --torch-python)")]
    m = measure(repeats)
    torch = run_in(torch_python, "torch_baselines", "mlp-epoch", str(m["samples"]))
    ratio = m["training"] / torch["seconds_per_epoch"]
    return [Result(target, f"{ratio:.2f}x", f"<= {LIMIT}x", verdict(ratio <= LIMIT),
                   f"lrtui {1e3 * m['training']:.2f} ms, torch {1e3 * torch['seconds_per_epoch']:.2f} ms "
                   f"({m['samples']} samples, float64, torch {torch['threads']} threads); with test evaluation "
                   f"and diagnostics as in the app, lrtui {1e3 * m['as_the_app_runs_it']:.2f} ms")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    print(json.dumps(measure(parser.parse_args().repeats)))
