"""Issue 15, finding 4: memory stays within what the README promises, and what would not fit is refused first.

The cases that blew up are run in a subprocess under an address-space limit (RLIMIT_AS), so that a
regression fails with a MemoryError here instead of swapping the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

from lrtui import export
from lrtui.cli import main
from lrtui.core.history import History, plan_rows, planned_bytes
from lrtui.scenario.budget import DEFAULT_BUDGET, memory_needed
from lrtui.scenario.loader import parse_scenario

HISTORY_BUDGET = 64 * 2**20


def limited(code: str, limit_mb: int, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python whose address space is capped at `limit_mb` (one BLAS thread: OpenBLAS
    reserves address space per thread)."""
    prelude = ("import resource; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0}))\n"
               .format(limit_mb * 2**20))
    import os

    full_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), *args], capture_output=True,
                          text=True, timeout=300, env=full_env)


@pytest.mark.parametrize("runs, params", [(1, 2), (8, 2), (1024, 2), (4096, 2), (4096, 16), (1013, 16), (64, 1000)])
def test_the_history_plan_fits_its_budget(runs, params):
    rows, buckets = plan_rows(runs, params, 3)
    assert rows >= 64 and buckets >= 32
    assert planned_bytes(runs, params, 3) <= 1.05 * HISTORY_BUDGET
    if runs <= 8:
        assert (rows, buckets) == (131072, 2048)  # few runs keep the full resolution, as before


def test_a_history_of_4096_runs_of_16_parameters_stays_near_64_mb_as_it_fills_and_folds():
    history = History(4096, 16)
    row = np.ones((3, 4096))
    params = np.ones((4096, 16))
    for _ in range(4 * history.capacity + 7):
        history.append(row, params)
    assert history.nbytes() <= 1.05 * HISTORY_BUDGET
    steps, values = history.series("loss", 4095)
    assert steps[-1] == 4 * history.capacity + 6 and np.all(values == 1.0)


def test_a_long_history_of_4096_runs_runs_under_a_memory_limit():
    # It held at least 2,048 rows: 1.27 GB of recent rows alone, and 1.7 GB more of buckets as it folded.
    done = limited("""
        import numpy as np
        from lrtui.core.history import History
        history = History(4096, 16)
        row, params = np.ones((3, 4096)), np.ones((4096, 16))
        for _ in range(3000):
            history.append(row, params)
        print(history.nbytes() // 2**20)
    """, 700)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) <= 68


LOSS_SWEEP = """\
name = "loss sweep"
steps = {steps}

[loss]
type = "quadratic"
eigenvalues = [1.0, 10.0]

[optimizer]
type = "sgd"
lr = 0.01

[sweep]
"loss.eigenvalues" = {values}
"""


def loss_sweep(tmp_path, steps: int, count: int = 4096):
    path = tmp_path / "loss-sweep.toml"
    path.write_text(LOSS_SWEEP.format(steps=steps, values=json.dumps([[1.0, 1.0 + i / 100] for i in range(count)])))
    return path


def test_a_loss_sweep_past_the_budget_is_refused_at_once_under_a_memory_limit(tmp_path):
    # 2,048 loss values stack into one simulation, but each keeps its own history: about 11 GB at 200,000 steps.
    path = loss_sweep(tmp_path, 200_000, count=2048)
    code = "import sys; from lrtui.cli import main; raise SystemExit(main(sys.argv[1:]))"
    for command in ("check", "run"):
        done = limited(code, 1000, command, str(path))
        assert done.returncode == 2, done.stderr[-2000:]
        line = done.stderr.strip()
        assert "\n" not in line and line.startswith(f"{path}:12: sweep: these runs need about 10.8 GB of memory")
        assert "2,048 runs over 2,048 sets of loss.* values" in line and "the budget is 2.0 GB" in line and "LRTUI_MAX_MEMORY=" in line
    # The knob: a larger budget lets it through (check only: training it would take hours).
    done = limited(code, 1000, "check", str(path), env={"LRTUI_MAX_MEMORY": "16G"})
    assert done.returncode == 0 and done.stdout == f"{path}: ok\n", done.stderr


def test_the_budget_knob_is_checked(tmp_path, monkeypatch, capsys):
    path = loss_sweep(tmp_path, 10, count=2)
    monkeypatch.setenv("LRTUI_MAX_MEMORY", "lots")
    assert main(["check", str(path)]) == 2
    assert "LRTUI_MAX_MEMORY='lots' is not a size; write it as 512M, 8G or a number of bytes" in capsys.readouterr().err
    monkeypatch.setenv("LRTUI_MAX_MEMORY", "1.5G")
    assert main(["check", str(path)]) == 0


def test_the_estimate_covers_what_a_loss_sweep_really_uses():
    # Measured with `python benchmarks/memory.py` (README, Limits): 4,096 one-run simulations of 200 steps
    # peaked at 543 MB; the estimate must not be below that, nor wildly above.
    estimate = memory_needed([(1, 2, False)] * 4096, 200)
    assert 543 * 2**20 <= estimate <= 2 * 543 * 2**20
    assert memory_needed([(8, 2, False)], 1_000_000) < DEFAULT_BUDGET / 8  # the app's soak case passes easily
    # Stacked into one simulation (lrtui.core.losses.stacked) the same sweep peaked at 143 MB: each loss's runs
    # keep their history, and the fixed cost of a simulation is paid once.
    stacked = memory_needed([(1, 2, False)] * 4096, 200, stacked=True)
    assert 143 * 2**20 <= stacked <= 2 * 143 * 2**20


SWEEP = """\
name = "sweep"
steps = 300

[loss]
type = "rosenbrock"

[optimizer]
type = "adam"
lr = 0.01

[sweep]
"optimizer.lr" = {lrs}
"""


@pytest.fixture(scope="module")
def big_sweep():
    lrs = [round(1e-4 * (1 + i / 10), 8) for i in range(96)]
    scenario = parse_scenario(SWEEP.format(lrs=json.dumps(lrs)), "sweep.toml")
    exp = scenario.build()
    exp.step(300)
    return scenario, exp


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_are_streamed_not_built_whole(big_sweep, fmt):
    scenario, exp = big_sweep
    make = (lambda: export.csv_chunks(exp)) if fmt == "csv" else (
        lambda: export.json_chunks(exp, scenario.name, [run.as_dict() for run in scenario.runs]))
    tracemalloc.start()
    total = 0
    for chunk in make():
        total += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Building the whole text held all of it at once, and JSON its Python lists too (10.5 GB at 4,096 x 20k).
    assert total > 2 * 2**20 and peak < total / 4, (total, peak)  # whole, the text alone is total


def test_find_verify_respects_the_runs_times_parameters_cap_under_a_memory_limit(tmp_path):
    # A wide MLP and 1,000 grid points: 1,005 runs of 301,066 parameters took 4.7 GB and ended in a traceback.
    path = tmp_path / "wide.toml"
    path.write_text('name = "wide"\nsteps = 50\n[loss]\ntype = "mlp"\ndataset = "digits"\nhidden = [512, 512]\n'
                    '[optimizer]\ntype = "sgd"\nlr = 0.1\n')
    code = "import sys; from lrtui.cli import main; raise SystemExit(main(sys.argv[1:]))"
    done = limited(code, 1500, "find", str(path), "--verify", "--grid-points", "1000")
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr == ("--verify trains 1,005 runs (--grid-points 1000 and up to 5 picks) of 301,066 parameters, "
                           "302,571,330 in all; at most 4,194,304 are allowed: use --grid-points 8 or fewer\n")
