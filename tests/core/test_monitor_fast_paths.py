"""The monitor's shortcuts compute bit for bit what the plain NumPy calls compute, and a sweep's diagnoses do not
depend on how its steps were chunked."""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.core.diagnostics.record import effective_lr_stats
from lrtui.core.losses import build_loss
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.run_spec import RunSpec
from lrtui.core.sharpness import extreme_eigenvalues
from lrtui.core.simulation import Simulation


def awkward(shape, seed=0):
    """Values of every magnitude, with NaN, infinities and signed zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * np.exp(5 * rng.standard_normal(shape))
    flat = x.reshape(-1)
    flat[::7], flat[::11], flat[::13], flat[::17], flat[::19] = np.nan, np.inf, -np.inf, 0.0, -0.0
    return x


def test_the_two_parameter_lr_stats_equal_min_median_max():
    lr = awkward((5000, 2), seed=1)
    steps = np.arange(5000) % 3
    with np.errstate(all="ignore"):
        expected = np.stack([np.min(lr, axis=1), np.median(lr, axis=1), np.max(lr, axis=1)])
    expected[:, steps == 0] = np.nan
    got = effective_lr_stats(lr, steps, 5000)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_eigenvalues_without_vectors_agree_with_eigh_on_two_parameters():
    loss = build_loss("rosenbrock")
    rng = np.random.default_rng(2)
    points = rng.uniform(-3, 3, (20000, 2))
    precond = np.exp(rng.uniform(-8, 8, (20000, 2)))
    fast = extreme_eigenvalues(loss, points, preconditioner=precond, vectors=False)
    full = extreme_eigenvalues(loss, points, preconditioner=precond)
    assert fast.vector is None and full.vector is not None
    scale = np.maximum(np.abs(full.top), np.abs(full.bottom))
    assert np.all(np.abs(fast.top - full.top) <= 1e-13 * scale)
    assert np.all(np.abs(fast.bottom - full.bottom) <= 1e-13 * scale)
    # The smaller eigenvalue keeps its relative accuracy even when it is tiny beside the larger.
    tiny = np.array([[[1e8, 1.0], [1.0, 1e-8 + 1e-8]]])
    exact_small = np.linalg.eigvalsh(tiny)[0, 0]
    got = extreme_eigenvalues(_Fixed(tiny), np.zeros((1, 2)), vectors=False).bottom[0]
    assert abs(got - exact_small) <= 1e-6 * abs(exact_small)
    # Above 2x2 the eigenvalues alone could differ in the last bit, so they come from eigh as before.
    q = Quadratic(eigenvalues=[0.5, 3.0, 80.0], rotation_seed=1)
    three = rng.uniform(-3, 3, (50, 3))
    spectrum = extreme_eigenvalues(q, three, preconditioner=np.exp(three), vectors=False)
    expected = np.linalg.eigh(q.hessian(three) / np.sqrt(np.exp(three))[:, :, None] / np.sqrt(np.exp(three))[:, None])[0]
    assert spectrum.vector is not None and np.allclose(spectrum.top, expected[:, -1], rtol=1e-12)


class _Fixed:
    """A loss whose Hessian is given."""

    def __init__(self, h):
        self.h = h

    def hessian(self, params):
        return self.h


def sweep(runs: int, optimizer: str):
    lrs = np.logspace(-4, -1, runs)
    specs = [RunSpec(optimizer=optimizer, optimizer_params={"lr": float(lr)}) for lr in lrs]
    return Simulation(build_loss("rosenbrock"), specs, budget=600)


def findings(sim):
    return [(d.code, d.step, d.run, d.message, d.explanation, repr(d.fix), repr(d.tried)) for d in sim.monitor.found]


@pytest.mark.parametrize("runs", [8, 100])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_sweep_is_judged_the_same_in_one_chunk_or_one_step_at_a_time(runs, optimizer):
    whole, stepped = sweep(runs, optimizer), sweep(runs, optimizer)
    whole.step(600)
    for _ in range(600):
        stepped.step(1)
    assert findings(whole) == findings(stepped) and findings(whole)
    for name in ("top", "bottom", "max_top", "limit"):
        assert np.array_equal(getattr(whole.monitor, name), getattr(stepped.monitor, name), equal_nan=True)
    assert [whole.monitor.verdict(r) for r in range(runs)] == [stepped.monitor.verdict(r) for r in range(runs)]
