"""Sharpness on big model sweeps: one estimate per distinct point, at most SHARPNESS_RUNS per sample, in turn."""

from __future__ import annotations

import numpy as np

from lrtui.core.diagnostics.curvature import ITERATIONS, SHARPNESS_RUNS
from lrtui.core.losses import build_loss
from lrtui.core.run_spec import RunSpec
from lrtui.core.sharpness import extreme_eigenvalues
from lrtui.core.simulation import Simulation

RUNS = 40  # more than two turns of SHARPNESS_RUNS


def sweep(runs=RUNS):
    loss = build_loss("mlp", dataset="circles", hidden=[8], n_samples=120)
    specs = [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.01 * (1 + i)}) for i in range(runs)]
    return loss, Simulation(loss, specs, budget=1000)


def test_a_sweep_that_starts_at_one_point_gets_every_start_gauge_from_one_estimate():
    loss, sim = sweep()
    top = sim.monitor.top
    assert RUNS > SHARPNESS_RUNS and np.isfinite(top).all() and np.all(top == top[0])
    # The shared estimate is the one a lone run at that point gets, and each run's gauge uses its own LR.
    alone = extreme_eigenvalues(loss, sim.params[:1]).top[0]
    np.testing.assert_allclose(top[0], alone, rtol=1e-6)
    lr = np.array([spec.optimizer_params["lr"] for spec in sim.specs])
    np.testing.assert_allclose(sim.monitor.gauge(lr), lr * top / 2.0, rtol=1e-12)


def test_later_samples_refresh_the_runs_in_turn_and_every_run_gets_its_turn():
    _, sim = sweep()
    every = sim.monitor.sample_every
    # A model's estimate is spread over the steps after its sample (one product a step for 16 runs), so each
    # check looks ITERATIONS steps past a sample: that sample's estimate is in, the next one not yet begun.
    sim.step(ITERATIONS)
    before = sim.monitor.top.copy()
    refreshed = np.zeros(RUNS, dtype=bool)
    for turn in range(-(-RUNS // SHARPNESS_RUNS)):
        sim.step(every)  # the runs have moved apart: no two share a point any more
        now = sim.monitor.top.copy()
        # Turn k estimates the next SHARPNESS_RUNS runs in order, wrapping around; the others keep theirs.
        expected = (turn * SHARPNESS_RUNS + np.arange(SHARPNESS_RUNS)) % RUNS
        assert np.flatnonzero(now != before).tolist() == sorted(expected.tolist())
        assert np.isfinite(now).all()
        refreshed |= now != before
        before = now
    assert refreshed.all()


def test_a_sweep_within_the_cap_is_estimated_whole_every_sample():
    _, sim = sweep(runs=SHARPNESS_RUNS)
    before = sim.monitor.top.copy()
    sim.step(sim.monitor.sample_every + ITERATIONS)
    assert (sim.monitor.top != before).all()
