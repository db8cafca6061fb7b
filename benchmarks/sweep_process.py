"""Issue 12's speed target: `lrtui run` of a 1,024-LR Adam sweep (1,000 steps on Rosenbrock, history and
diagnostics on, its table printed) finishes, as a whole process, within 4x of a hand-fused NumPy script
doing the same training and recording as a whole process.

Both are started as separate processes, alternately, several times; the figures are the medians of each
one's CPU time (user + system, from the operating system's own accounting of the finished child) and wall
time. The verdict uses CPU time, which the other work on a shared machine does not inflate; wall time is
printed beside it.

lrtui's modules are compiled to bytecode first, as `pip install` leaves them (and as Python writes them on a
first run): otherwise a checkout run with PYTHONDONTWRITEBYTECODE set, or freshly edited, would time the
compiling of some 60 modules (about 0.06 s) rather than lrtui. NumPy is compiled either way.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import Result, verdict

LIMIT = 4.0
RUNS, STEPS = 1_024, 1_000

FUSED = '''
import numpy as np
runs, steps = {runs}, {steps}
lrs = np.logspace(-4, -1, runs)
beta1, beta2, eps = 0.9, 0.999, 1e-8
params = np.tile(np.array((-1.5, 2.0)), (runs, 1))
m, v = np.zeros_like(params), np.zeros_like(params)
lr = lrs[:, None]
record = np.empty((steps + 1, 3, runs))
record_params = np.empty((steps + 1, runs, 2))
for t in range(steps + 1):
    x, y = params[:, 0], params[:, 1]
    ridge = y - x * x
    loss = (1 - x) ** 2 + 100 * ridge ** 2
    grad = np.stack([-2 * (1 - x) - 400 * x * ridge, 200 * ridge], axis=1)
    record[t, 0], record[t, 1], record[t, 2] = lrs, loss, np.sqrt((grad * grad).sum(1))
    record_params[t] = params
    if t == steps:
        break
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    bc1, bc2 = 1 - beta1 ** (t + 1), 1 - beta2 ** (t + 1)
    params = params - (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps)
print(f"{{np.nanmin(record[-1, 1]):.3g}}")
'''


def scenario_text(runs: int = RUNS, steps: int = STEPS) -> str:
    values = ", ".join(repr(float(x)) for x in np.logspace(-4, -1, runs))
    return (f'name = "{runs:,} Adam runs on Rosenbrock"\nsteps = {steps}\n'
            '[loss]\ntype = "rosenbrock"\nstart = [-1.5, 2.0]\n'
            '[optimizer]\ntype = "adam"\nlr = 0.001\n'
            f'[sweep]\n"optimizer.lr" = [{values}]\n')


def _timed(argv: list[str], env: dict) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process, as the operating system counted them."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def measure(repeats: int = 7) -> dict:
    import lrtui

    compileall.compile_dir(Path(lrtui.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "sweep.toml"
        scenario.write_text(scenario_text())
        fused = Path(folder) / "fused.py"
        fused.write_text(FUSED.format(runs=RUNS, steps=STEPS))
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        lrtui = [sys.executable, "-m", "lrtui", "run", str(scenario)]
        numpy_only = [sys.executable, str(fused)]
        _timed(lrtui, env), _timed(numpy_only, env)  # warm the file cache
        times = {"lrtui": [], "fused": []}
        for _ in range(repeats):
            times["lrtui"].append(_timed(lrtui, env))
            times["fused"].append(_timed(numpy_only, env))
    out = {}
    for name, pairs in times.items():
        out[f"{name}_cpu"] = statistics.median(c for c, _ in pairs)
        out[f"{name}_wall"] = statistics.median(w for _, w in pairs)
    out["cpu_ratio"] = statistics.median(a[0] / b[0] for a, b in zip(times["lrtui"], times["fused"]))
    out["wall_ratio"] = statistics.median(a[1] / b[1] for a, b in zip(times["lrtui"], times["fused"]))
    return out


def results(repeats: int = 7) -> list[Result]:
    m = measure(repeats)
    return [Result(f"lrtui run of a {RUNS:,}-LR Adam sweep x {STEPS:,} steps, diagnostics on, against a fused "
                   "NumPy script, whole processes (CPU time)", f"{m['cpu_ratio']:.2f}x", f"<= {LIMIT:g}x",
                   verdict(m["cpu_ratio"] <= LIMIT),
                   f"medians of {repeats} runs each, alternating: lrtui {m['lrtui_cpu']:.2f} s CPU / "
                   f"{m['lrtui_wall']:.2f} s wall, the script {m['fused_cpu']:.2f} s CPU / {m['fused_wall']:.2f} s "
                   f"wall (wall ratio {m['wall_ratio']:.2f}x); one BLAS thread for both")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.repeats)))
