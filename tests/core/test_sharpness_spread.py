"""A model's sharpness estimate is warm-started, stops once converged, and is spread over the steps after its
sample, without losing accuracy and without depending on how the steps were chunked."""

from __future__ import annotations

import numpy as np
from lrtui.core.diagnostics.curvature import ITERATIONS, PRODUCTS_PER_STEP
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.sharpness import Lanczos, extreme_eigenvalues
from lrtui.scenario.library import find_builtin

TOP_TOLERANCE = 1e-5  # relative to the top eigenvalue (measured: up to 1.2e-7)
BOTTOM_TOLERANCE = 0.03  # as a fraction of the top: a cold 20-product estimate is itself up to ~1% off here


def digits():
    exp = find_builtin("digits-lr-classic").load().build()
    return exp, exp.simulations[0]


def test_lanczos_advanced_in_pieces_equals_lanczos_run_at_once():
    q = Quadratic(eigenvalues=np.linspace(-2.0, 30.0, 60), rotation_seed=3)
    params = np.random.default_rng(5).standard_normal((3, 60))
    whole = extreme_eigenvalues(q, params, iterations=20)
    solver = Lanczos(q, params, iterations=20)
    for products in (1, 3, 2, 7, 100):
        solver.advance(products)
    pieces = solver.spectrum()
    assert solver.done and pieces.products == 20
    assert np.array_equal(whole.top, pieces.top) and np.array_equal(whole.bottom, pieces.bottom)


def test_a_warm_start_with_a_tolerance_stops_early_and_is_still_right():
    lam = np.r_[np.linspace(0.1, 10.0, 198), -4.0, 50.0]
    q = Quadratic(eigenvalues=lam, rotation_seed=4)
    at = np.zeros((1, 200))
    cold = extreme_eigenvalues(q, at, iterations=40)
    warm = extreme_eigenvalues(q, at, warm_start=cold.warm_start, iterations=40, tolerance=1e-6)
    assert warm.products < 10 < cold.products
    np.testing.assert_allclose([warm.top[0], warm.bottom[0]], [50.0, -4.0], rtol=1e-9)


def test_warm_started_estimates_match_a_cold_full_estimate():
    exp, sim = digits()
    every = sim.monitor.sample_every
    for sample in range(2 * every, 12 * every + 1, 2 * every):
        exp.step(sample - sim.step_count)
        params = sim.params.copy()
        exp.step(ITERATIONS)  # by now the estimate sampled at `sample` is in force, the next not yet begun
        # The estimate is of the Hessian on a fixed subset of the training samples (curvature.SAMPLES).
        cold = extreme_eigenvalues(sim.loss, params, batch=sim.monitor.curvature.hessian_batch)
        np.testing.assert_allclose(sim.monitor.top, cold.top, rtol=TOP_TOLERANCE)
        assert np.all(np.abs(sim.monitor.bottom - cold.bottom) <= BOTTOM_TOLERANCE * cold.top)


def test_an_estimate_comes_in_after_its_sample_and_the_step_it_does_does_not_depend_on_chunking():
    exp, sim = digits()
    every = sim.monitor.sample_every
    first = sim.monitor.top.copy()
    exp.step(every)
    assert np.array_equal(sim.monitor.top, first)  # the estimate sampled now has only begun
    exp.step(ITERATIONS)
    assert np.all(sim.monitor.top != first)
    chunked, chunked_sim = digits()
    chunked.step(every + ITERATIONS)
    for name in ("top", "bottom", "max_top"):
        assert np.array_equal(getattr(sim.monitor, name), getattr(chunked_sim.monitor, name))
    one_by_one = [exp.step(1) or sim.monitor.top.copy() for _ in range(3 * every)]
    chunked.step(3 * every)
    assert np.array_equal(one_by_one[-1], chunked_sim.monitor.top)
    steps, top = sim.monitor.record.field("top", 0)
    chunked_steps, chunked_top = chunked_sim.monitor.record.field("top", 0)
    assert np.array_equal(steps, chunked_steps) and np.array_equal(top, chunked_top, equal_nan=True)
    # Each estimate lands between its sample and the next, at most ITERATIONS / products a step later.
    delay = steps[1:] % every
    per_step = max(1, PRODUCTS_PER_STEP // sim.n_runs)
    assert np.all(delay <= -(-ITERATIONS // per_step)) and len(steps) == 1 + 4


def test_a_fork_in_the_middle_of_an_estimate_starts_warm_from_its_parent():
    exp, sim = digits()
    every = sim.monitor.sample_every
    exp.step(every + 2)  # an estimate is in progress
    curvature = sim.monitor.curvature
    assert curvature.in_progress
    new = sim.fork(0)
    assert new == [2, 3]
    for run in new:
        assert np.array_equal(curvature.warm_start(run), curvature.warm_start(0))
        assert sim.monitor.top[run] == sim.monitor.top[0]
    exp.step(every + ITERATIONS)
    assert np.isfinite(sim.monitor.top).all() and all(curvature.warm_start(r) is not None for r in range(4))


def test_spread_estimates_of_a_mixed_sweep_taking_turns_do_not_depend_on_chunking():
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    def build():
        loss = build_loss("mlp", dataset="circles", hidden=[8], n_samples=120)
        specs = [RunSpec(optimizer="adam" if i % 2 else "sgd", optimizer_params={"lr": 0.01 * (1 + i)})
                 for i in range(40)]
        return Simulation(loss, specs, budget=1000)

    whole, stepped, uneven = build(), build(), build()
    whole.step(150)
    for _ in range(150):
        stepped.step(1)
    for n in (7, 33, 64, 46):
        uneven.step(n)
    for other in (stepped, uneven):
        for name in ("top", "bottom", "max_top"):
            assert np.array_equal(getattr(whole.monitor, name), getattr(other.monitor, name), equal_nan=True)
        record, other_record = whole.monitor.record, other.monitor.record
        assert np.array_equal(record.steps[: record.count], other_record.steps[: other_record.count])
        assert np.array_equal(record.values[:, : record.count], other_record.values[:, : other_record.count],
                              equal_nan=True)
    assert np.isfinite(whole.monitor.top).all()
    # The two groups' estimates finish at different steps; an Adam run's effective LR is recorded at each.
    steps, median = whole.monitor.record.field("lr_median", 1)
    first = np.argmax(np.isfinite(median))  # the Adam group's first estimate after step 0 (no update before it)
    assert len(steps) - first > 5 and np.isfinite(median[first:]).all()
