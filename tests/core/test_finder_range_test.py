"""The range test on losses whose answer is known, its stop rules, and that it leaves the caller's state alone."""

import copy
import json

import numpy as np
import pytest

from lrtui.core.experiment import Experiment
from lrtui.core.finder import RULES, range_test, verify_suggestions
from lrtui.core.finder.range_test import ramp
from lrtui.core.losses import build_loss
from lrtui.core.run_spec import RunSpec
from lrtui.core.simulation import Simulation
from lrtui.core.smoothing import debiased_ema

# On a quadratic, plain gradient descent converges fastest at the constant lr 2/(λmin + λmax) and
# diverges above 2/λmax. The recommendation must land within this factor below the best LR, and
# never above the divergence point.
TRUTH_FACTOR = 4.0


def _quadratic(eigenvalues, dims=None):
    if dims is not None:
        return build_loss("quadratic", condition_number=eigenvalues, dims=dims, rotation_seed=1)
    return build_loss("quadratic", eigenvalues=eigenvalues, start=[1.0] * len(eigenvalues))


@pytest.mark.parametrize("eigenvalues, dims", [([1.0, 50.0], None), ([1.0, 10.0], None), ([0.1, 100.0], None),
                                               ([1.0, 1.0], None), (1000.0, 20), (30.0, 5)])
@pytest.mark.parametrize("num_it", [100, 200])
def test_on_quadratics_the_recommendation_is_within_a_factor_of_the_best_lr(eigenvalues, dims, num_it):
    loss = _quadratic(eigenvalues, dims)
    spectrum = np.linalg.eigvalsh(loss.hessian(loss.start[None])[0])
    best, diverges = 2.0 / (spectrum.min() + spectrum.max()), 2.0 / spectrum.max()
    result = range_test(loss, RunSpec(), num_it=num_it)
    assert best / TRUTH_FACTOR <= result.recommended_lr <= min(best, diverges)
    # A noiseless loss falls from the first point, so valley declines and the recommendation falls back.
    assert result.suggestions["valley"] is None and "first point" in result.notes["valley"]
    assert result.recommended == "minimum"


def test_the_smoothed_curve_is_the_bias_corrected_ema_of_the_losses_taken():
    result = range_test(_quadratic([1.0, 50.0]), RunSpec())
    assert result.lr.shape == result.loss.shape == result.smoothed.shape
    np.testing.assert_allclose(result.smoothed, debiased_ema(result.loss, 0.98), rtol=1e-12)
    np.testing.assert_array_equal(result.lr, ramp(1e-7, 10.0, 100)[: result.lr.size])


def test_it_stops_at_the_first_point_whose_smoothed_loss_exceeds_4x_the_best_so_far():
    result = range_test(_quadratic([1.0, 50.0]), RunSpec())
    assert result.stop_reason == "smoothed loss exceeded 4x the best"
    assert result.lr.size < 100
    best_so_far = np.minimum.accumulate(result.smoothed)
    assert result.smoothed[-1] > 4 * best_so_far[-1]
    assert np.all(result.smoothed[:-1] <= 4 * best_so_far[:-1])


def test_a_smaller_diverge_factor_stops_sooner():
    loss = _quadratic([1.0, 50.0])
    early = range_test(loss, RunSpec(), diverge_factor=1.5)
    assert early.stop_reason == "smoothed loss exceeded 1.5x the best"
    assert early.lr.size < range_test(loss, RunSpec()).lr.size


def test_it_stops_when_the_loss_becomes_non_finite():
    result = range_test(_quadratic([1.0, 50.0]), RunSpec(), diverge_factor=1e300, end_lr=1e6)
    assert result.stop_reason == "loss became non-finite"
    assert not np.isfinite(result.loss[-1]) and not np.isfinite(result.smoothed[-1])
    assert np.isfinite(result.loss[:-1]).all()
    assert result.recommended_lr is not None  # the rules read the curve up to the first non-finite point


def test_a_curve_that_never_blows_up_reaches_end_lr():
    result = range_test(_quadratic([1.0, 1.0]), RunSpec(), end_lr=1.0)
    assert result.stop_reason == "reached end_lr" and result.lr.size == 100 and result.lr[-1] == 1.0


def test_linear_mode_ramps_in_equal_steps():
    result = range_test(_quadratic([1.0, 10.0]), RunSpec(), start_lr=1e-3, end_lr=0.5, num_it=60, mode="linear")
    steps = np.diff(result.lr)
    np.testing.assert_allclose(steps, (0.5 - 1e-3) / 59, rtol=1e-9)
    assert result.lr[0] == 1e-3 and result.settings["mode"] == "linear"
    assert result.stop_reason == "smoothed loss exceeded 4x the best"  # 0.5 is past 2/10
    assert result.recommended_lr is not None and result.recommended_lr < 0.2


def test_a_negative_minimum_does_not_stop_the_test_at_once():
    loss = build_loss("six_hump_camel")  # its minimum is -1.03: heights are measured above it
    result = range_test(loss, RunSpec())
    assert result.lr.size > 50


def test_the_callers_loss_spec_and_experiment_are_untouched():
    loss = build_loss("mlp", dataset="circles", hidden=[8], batch_size=16)
    spec = RunSpec(label="mine", optimizer="adam", optimizer_params={"lr": 0.01})
    exp = Experiment.single(loss, [spec])
    exp.step(7)
    before_loss_start, before_spec = loss.start.copy(), copy.deepcopy(exp.spec(0))
    before_params, before_history = exp.current(0)["params"].copy(), exp.series(0, "loss")[1].copy()
    range_test(exp.loss_of(0), exp.spec(0), num_it=50)
    np.testing.assert_array_equal(loss.start, before_loss_start)
    assert exp.spec(0) == before_spec and exp.step_count == 7
    np.testing.assert_array_equal(exp.current(0)["params"], before_params)
    np.testing.assert_array_equal(exp.series(0, "loss")[1], before_history)
    exp.step(1)  # and the experiment carries on as if nothing happened
    assert exp.step_count == 8


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_mini_batches_and_optimizer_state_match_a_simulation_driven_along_the_same_ramp(optimizer):
    loss = build_loss("mlp", dataset="circles", hidden=[8], batch_size=16)
    spec = RunSpec(optimizer=optimizer, optimizer_params={"lr": 1e-3, "weight_decay": 1e-4})
    result = range_test(loss, spec, seed=3, start_lr=1e-4, end_lr=1.0, num_it=30)
    sim = Simulation(loss, [spec], seed=3, diagnostics=False)
    for lr in result.lr:
        sim.set_lr(0, float(lr))
        sim.step()
    # Point i is the LR of update i and the loss just after it, on the batch the next update uses.
    np.testing.assert_allclose(sim.history.series("loss", 0)[1][1:], result.loss, rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"start_lr": 0.0}, "start_lr must be a finite number > 0"),
    ({"end_lr": float("inf")}, "end_lr must be a finite number > 0"),
    ({"start_lr": 1.0, "end_lr": 0.5}, "end_lr must be larger than start_lr"),
    ({"num_it": 1}, "num_it must be a whole number from 2"),
    ({"num_it": 10.5}, "num_it must be a whole number"),
    ({"mode": "log"}, "mode must be one of exp, linear"),
    ({"beta": 1.0}, "beta must be a number from 0 up to"),
    ({"diverge_factor": 1.0}, "diverge_factor must be larger than 1"),
    ({"seed": -1}, "seed must be a whole number >= 0"),
])
def test_bad_settings_are_refused_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        range_test(_quadratic([1.0, 10.0]), RunSpec(), **kwargs)


def test_verify_trains_the_grid_and_every_pick_and_ranks_them_against_the_grids_best():
    loss, spec = _quadratic([1.0, 50.0]), RunSpec()
    result = range_test(loss, spec)
    report = verify_suggestions(loss, spec, result, steps=200, grid_points=9)
    json.dumps(report, allow_nan=False)  # JSON-ready: no NaN or infinity anywhere
    grid = report["grid"]
    assert len(grid) == 9 and grid[0]["lr"] == pytest.approx(result.lr[0])
    assert grid[-1]["lr"] == pytest.approx(result.lr[-1])
    finished = [row for row in grid if row["final_loss"] is not None]
    assert report["best"]["final_loss"] == min(row["final_loss"] for row in finished)
    assert grid[-1]["diverged"]  # the test ran past 2/λmax, so the top of the grid diverges
    for name in RULES:
        entry = report["rules"][name]
        if result.suggestions[name] is None:
            assert entry is None
            continue
        # Each pick's final loss is what a plain run at that LR reaches.
        sim = Simulation(loss, [RunSpec(optimizer_params={"lr": entry["lr"]})], diagnostics=False)
        sim.run(200)
        assert entry["final_loss"] == pytest.approx(float(sim.loss_now[0]), rel=1e-12)
        assert entry["ratio"] == pytest.approx(entry["final_loss"] / report["best"]["final_loss"])
    assert report["measure"] == "loss" and grid[0]["test_accuracy"] is None


def test_verify_reports_the_full_training_loss_and_test_accuracy_of_models():
    loss = build_loss("mlp", dataset="circles", hidden=[8], batch_size=16)
    spec = RunSpec()
    result = range_test(loss, spec, num_it=60)
    report = verify_suggestions(loss, spec, result, steps=40, grid_points=4)
    assert report["measure"] == "full training loss"
    row = report["grid"][1]
    sim = Simulation(loss, [RunSpec(optimizer_params={"lr": row["lr"]})], diagnostics=False)
    sim.run(40)
    final = loss.evaluate(sim.params)
    assert row["final_loss"] == pytest.approx(float(final["train_loss"][0]), rel=1e-12)
    assert row["test_accuracy"] == pytest.approx(float(final["test_accuracy"][0]), rel=1e-12)


def test_verify_refuses_bad_budgets_by_name():
    loss, spec = _quadratic([1.0, 10.0]), RunSpec()
    result = range_test(loss, spec)
    with pytest.raises(ValueError, match="steps must be a whole number >= 1"):
        verify_suggestions(loss, spec, result, steps=0)
    with pytest.raises(ValueError, match="grid_points must be a whole number from 2"):
        verify_suggestions(loss, spec, result, steps=10, grid_points=1)
