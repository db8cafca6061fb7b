"""Every change to a run joins its timeline, so a replay retraces the run bit for bit; views read runs safely."""

import numpy as np
import pytest

from lrtui.core.losses import build_loss
from lrtui.core.run_spec import Change, RunSpec
from lrtui.core.simulation import Simulation
from lrtui.scenario.library import resolve


def edited_sweep():
    exp = resolve("lr-sweep").build()
    exp.step(50)
    exp.scale_lr(2, 3.0)
    new = exp.fork(1)
    exp.step(40)
    exp.set_optimizer(0, "adam", {"lr": 0.01})
    exp.set_schedule(3, "step", {"step_size": 20, "gamma": 0.5})
    exp.apply_changes(new[0], {"optimizer.momentum": 0.9})
    exp.step(60)
    return exp


def test_a_replay_retraces_every_edit_and_fork_bit_for_bit():
    exp = edited_sweep()
    again = exp.replayed()
    again.step(exp.step_count)
    assert again.n_runs == exp.n_runs and again.labels == exp.labels
    for run in range(exp.n_runs):
        for field in ("loss", "lr", "grad_norm"):
            assert np.array_equal(exp.series(run, field)[1], again.series(run, field)[1], equal_nan=True)
    replayed_events = {(e.step, e.run, e.kind) for e in again.events}
    assert {(e.step, e.run, e.kind) for e in exp.events if e.kind != "fork"} <= replayed_events


def test_a_fix_replayed_from_the_start_is_the_run_built_with_it():
    from lrtui.core.experiment import Experiment

    loss = build_loss("quadratic", eigenvalues=[1.0, 50.0])
    exp = Experiment.single(loss, [RunSpec(optimizer_params={"lr": 1.0})])
    exp.step(300)
    assert exp.diverged_at(0) >= 0
    fixed = exp.replayed({0: {"optimizer.lr": 0.03}})
    fixed.step(30)
    direct = Simulation(loss, [RunSpec(optimizer_params={"lr": 0.03})], diagnostics=False)
    direct.step(30)
    assert fixed.diverged_at(0) == -1
    assert np.array_equal(fixed.series(0, "loss")[1], direct.history.series("loss", 0)[1])


def test_changes_in_a_spec_apply_at_their_steps():
    loss = build_loss("quadratic", eigenvalues=[1.0, 10.0])
    planned = Simulation(loss, [RunSpec(optimizer_params={"lr": 0.01},
                                        changes=[Change(20, {"optimizer.lr": 0.1})])], diagnostics=False)
    planned.step(40)
    by_hand = Simulation(loss, [RunSpec(optimizer_params={"lr": 0.01})], diagnostics=False)
    by_hand.step(20)
    by_hand.set_lr(0, 0.1)
    by_hand.step(20)
    assert np.array_equal(planned.history.series("loss", 0)[1], by_hand.history.series("loss", 0)[1])
    assert planned.history.series("lr", 0)[1][20] == pytest.approx(0.1)


def test_labels_made_from_settings_follow_them_and_given_labels_stay():
    loss = build_loss("rosenbrock")
    sim = Simulation(loss, [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.001}),
                            RunSpec(label="mine", optimizer="sgd", optimizer_params={"lr": 0.001})],
                     diagnostics=False)
    for run in (0, 1):
        sim.set_optimizer(run, "adam", {"lr": 0.01})
    assert sim.specs[0].label == "adam lr=0.01" and sim.specs[1].label == "mine"


def test_a_view_reads_a_run_and_the_revision_moves_with_every_change():
    exp = resolve("too-high-oscillation").build()
    first = exp.revision
    view = exp.view(0)
    assert view.revision == first and view.step == 0 and view.diverged_at == -1
    exp.step(3)
    assert exp.revision > first
    before = exp.revision
    exp.scale_lr(0, 0.5)
    after = exp.view(0)
    assert exp.revision > before and after.spec.optimizer_params["lr"] == pytest.approx(0.5 * view.lr)
    assert after.lr == pytest.approx(0.5 * view.lr) and after.timeline[0].changes == {"optimizer.lr_factor": 0.5}
    steps, values = after.history.series("loss")
    assert steps.tolist() == [0, 1, 2, 3] and values.shape == (4,)
    assert after.lr_block(3, 2).tolist() == pytest.approx([after.lr] * 2)
