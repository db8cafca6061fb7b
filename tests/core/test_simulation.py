import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.core.losses import build_loss
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.run_spec import RunSpec
from lrtui.core.simulation import Simulation

OPTIMIZER_CASES = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", {}),
    ("rmsprop", {"momentum": 0.5, "centered": True}),
    ("adam", {}),
    ("adam", {"amsgrad": True}),
    ("adamw", {}),
    ("nadam", {}),
]


def run_losses(sim, run):
    return sim.history.series("loss", run)[1]


@settings(max_examples=25, deadline=None)
@given(case=st.sampled_from(OPTIMIZER_CASES), steps=st.integers(1, 30))
def test_zero_learning_rate_leaves_parameters_unchanged(case, steps):
    name, params = case
    loss = build_loss("rosenbrock")
    sim = Simulation(loss, [RunSpec(optimizer=name, optimizer_params={**params, "lr": 0.0})])
    sim.step(steps)
    assert np.array_equal(sim.params[0], loss.start)


@settings(max_examples=20, deadline=None)
@given(
    case=st.sampled_from(OPTIMIZER_CASES),
    lrs=st.lists(st.floats(1e-5, 0.05), min_size=2, max_size=5),
    loss_name=st.sampled_from(["rosenbrock", "beale", "himmelblau", "ackley", "quadratic"]),
)
def test_batch_of_runs_equals_separate_runs_bit_for_bit(case, lrs, loss_name):
    name, params = case
    loss = build_loss(loss_name)
    specs = [RunSpec(optimizer=name, optimizer_params={**params, "lr": lr}) for lr in lrs]
    together = Simulation(loss, specs)
    together.step(40)
    for i, spec in enumerate(specs):
        alone = Simulation(loss, [spec])
        alone.step(40)
        assert np.array_equal(alone.params[0], together.params[i], equal_nan=True)
        assert np.array_equal(run_losses(alone, 0), run_losses(together, i), equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(
    eigenvalues=st.lists(st.floats(0.1, 20.0), min_size=2, max_size=6),
    lr=st.floats(0.001, 0.2),
    steps=st.integers(1, 60),
    seed=st.integers(0, 10),
)
def test_sgd_on_a_quadratic_contracts_as_theory_says(eigenvalues, lr, steps, seed):
    q = Quadratic(eigenvalues=eigenvalues, rotation_seed=seed, start=np.linspace(1.0, -1.0, len(eigenvalues)))
    sim = Simulation(q, [RunSpec(optimizer="sgd", optimizer_params={"lr": lr})])
    sim.step(steps)
    c0 = q.coordinates(q.start[None, :])[0]
    ct = q.coordinates(sim.params)[0]
    expected = c0 * (1.0 - lr * q.eigenvalues) ** steps
    # Rounding in the rotated frame is relative to the largest component, so atol scales with it.
    scale = max(np.abs(c0).max(), np.abs(expected).max())
    np.testing.assert_allclose(ct, expected, rtol=1e-9, atol=1e-12 * scale)


def test_row_t_holds_state_after_t_updates_and_the_lr_for_update_t_plus_1():
    loss = build_loss("quadratic", eigenvalues=[1.0, 4.0])
    spec = RunSpec(optimizer="sgd", optimizer_params={"lr": 0.1}, schedule="step",
                   schedule_params={"step_size": 3, "gamma": 0.5})
    sim = Simulation(loss, [spec])
    sim.step(7)
    steps, lr = sim.history.series("lr", 0)
    assert list(steps) == list(range(8))
    np.testing.assert_allclose(lr, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])
    _, params = sim.history.params_series(0)
    # Replaying plain gradient descent with those rates gives the recorded parameters.
    w = loss.start.copy()
    for t in range(7):
        np.testing.assert_array_equal(params[t], w)
        w = w - lr[t] * loss.grad(w[None, :])[0]
    np.testing.assert_allclose(params[7], w, rtol=1e-15)
    np.testing.assert_allclose(sim.history.series("loss", 0)[1], loss.value(params))


def test_diverging_run_freezes_at_the_right_step_while_others_continue():
    q = Quadratic(eigenvalues=[1.0, 50.0])
    specs = [RunSpec(optimizer="sgd", optimizer_params={"lr": lr}) for lr in (0.01, 1.0)]
    sim = Simulation(q, specs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim.step(400)
    # The loss 25 * 49**(2t) first overflows float64 at t = 91.
    first_overflow = int(np.floor((np.log10(np.finfo(float).max) - np.log10(25.0)) / (2 * np.log10(49.0)))) + 1
    assert sim.diverged_at[0] == -1
    d = sim.diverged_at[1]
    assert d == first_overflow == 91
    steps, losses = sim.history.series("loss", 1)
    assert steps[-1] == d and not np.isfinite(losses[-1]) and np.all(np.isfinite(losses[:-1]))
    assert sim.history.series("loss", 0)[0][-1] == 400
    assert [e.kind for e in sim.events] == ["diverged"]
    frozen = sim.params[1].copy()
    sim.step(5)
    assert np.array_equal(sim.params[1], frozen, equal_nan=True)


def test_same_seed_gives_identical_histories_for_a_minibatch_model():
    def make():
        loss = build_loss("mlp", dataset="circles", hidden=[8], batch_size=16, seed=3)
        return Simulation(loss, [RunSpec(optimizer="adam", optimizer_params={"lr": 0.01})], seed=7)

    a, b = make(), make()
    a.step(30)
    b.step(30)
    assert np.array_equal(run_losses(a, 0), run_losses(b, 0))
    assert np.array_equal(a.params, b.params)
    assert np.all(np.isfinite(a.history.series("test_accuracy", 0)[1]))


def test_changing_the_lr_takes_effect_at_the_next_step_and_leaves_a_marker():
    loss = build_loss("quadratic", eigenvalues=[1.0, 2.0])
    sim = Simulation(loss, [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.1})])
    sim.step(5)
    sim.scale_lr(0, 2.0)
    before = sim.params.copy()
    sim.step(1)
    np.testing.assert_allclose(sim.params, before - 0.2 * loss.grad(before), rtol=1e-15)
    assert sim.history.series("lr", 0)[1][5] == pytest.approx(0.2)
    assert sim.events[-1].kind == "lr" and sim.events[-1].step == 5
    sim.set_lr(0, 0.05)
    assert sim.lr_now[0] == pytest.approx(0.05)


def test_switching_optimizer_keeps_position_and_restarts_state():
    loss = build_loss("rosenbrock")
    specs = [RunSpec(optimizer="sgd", optimizer_params={"lr": 1e-3}) for _ in range(2)]
    sim = Simulation(loss, specs)
    sim.step(10)
    sim.set_optimizer(1, "adam", {"lr": 0.01})
    assert sim.specs[1].optimizer == "adam" and sim.specs[1].optimizer_params["betas"] == (0.9, 0.999)
    here = sim.params[1].copy()
    sim.step(1)
    # Adam's first step moves every coordinate by lr (up to eps) against the gradient sign.
    np.testing.assert_allclose(np.abs(sim.params[1] - here), 0.01, rtol=1e-6)
    assert sim.events[-1].kind == "optimizer"
    with pytest.raises(ValueError, match="unknown optimizer"):
        sim.set_optimizer(0, "adamm")


def test_fork_continues_from_the_same_state_at_three_rates():
    loss = build_loss("rosenbrock")
    sim = Simulation(loss, [RunSpec(optimizer="adam", optimizer_params={"lr": 0.01})])
    sim.step(20)
    reference = Simulation(loss, [RunSpec(optimizer="adam", optimizer_params={"lr": 0.01})])
    reference.step(35)
    new = sim.fork(0, (0.3, 1.0, 3.0))
    assert new == [1, 2] and sim.n_runs == 3
    np.testing.assert_allclose(sim.lr_now, [0.01, 0.003, 0.03])
    sim.step(15)
    # The factor-1 branch is the original run, undisturbed.
    assert np.array_equal(sim.params[0], reference.params[0])
    prefix = run_losses(sim, 1)[:21]
    assert np.array_equal(prefix, run_losses(sim, 0)[:21])
    assert not np.array_equal(sim.params[1], sim.params[2])


def test_plateau_schedule_cuts_the_lr_when_the_loss_stalls():
    loss = build_loss("quadratic", eigenvalues=[1.0, 1.0])
    spec = RunSpec(optimizer="sgd", optimizer_params={"lr": 1.0}, schedule="plateau",
                   schedule_params={"patience": 2, "factor": 0.5})
    sim = Simulation(loss, [spec])
    sim.step(10)  # lr = 1 jumps straight to the minimum; then nothing improves
    lr = sim.history.series("lr", 0)[1]
    assert lr[0] == 1.0 and lr[-1] < 1.0


def test_reset_returns_to_step_zero():
    loss = build_loss("beale")
    sim = Simulation(loss, [RunSpec(optimizer="sgd", optimizer_params={"lr": 1e-3})])
    sim.step(10)
    sim.scale_lr(0, 10.0)
    sim.reset()
    assert sim.step_count == 0 and np.array_equal(sim.params[0], loss.start) and sim.events == []
    assert sim.lr_now[0] == 1e-3


def test_history_memory_stays_flat_on_long_runs():
    loss = build_loss("rosenbrock")
    specs = [RunSpec(optimizer="sgd", optimizer_params={"lr": 1e-4}) for _ in range(8)]
    sim = Simulation(loss, specs, history_rows=512)
    sim.step(5_000)
    size = sim.history.nbytes()
    sim.step(15_000)
    assert sim.history.nbytes() <= size * 1.2
    steps, _ = sim.history.series("loss", 3)
    assert steps[-1] == 20_000 and len(steps) < 3_000


def test_bad_start_length_is_a_clear_error():
    with pytest.raises(ValueError, match="start must have 2 values"):
        Simulation(build_loss("rosenbrock"), [RunSpec(start=np.zeros(3))])
