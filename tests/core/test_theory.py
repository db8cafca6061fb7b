"""Theory's prediction for SGD on a quadratic equals the simulation; the monitor's record feeds the panels."""

import numpy as np
import pytest

from lrtui.core.diagnostics.record import SharpnessRecord, effective_lr_stats
from lrtui.core.experiment import Experiment
from lrtui.core.losses.functions2d import Rosenbrock
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.run_spec import RunSpec
from lrtui.core.theory import predicted_loss

STEP_SCHEDULE = {"step_size": 40, "gamma": 0.5}
CASES = {
    "sgd": {"lr": 0.015},
    "momentum": {"lr": 0.01, "momentum": 0.9},
    "nesterov": {"lr": 0.01, "momentum": 0.8, "nesterov": True},
    "dampening": {"lr": 0.02, "momentum": 0.7, "dampening": 0.3},
}


def rotated_quadratic(**kwargs):
    return Quadratic(eigenvalues=[1.0, 20.0, 100.0], rotation_seed=3, start=[1.0, 2.0, -1.0], **kwargs)


def run_and_predict(loss, params, steps, schedule="step", schedule_params=STEP_SCHEDULE):
    exp = Experiment.single(loss, [RunSpec("r", "sgd", dict(params), schedule, dict(schedule_params))])
    exp.step(steps)
    _, lrs = exp.series(0, "lr")
    _, actual = exp.series(0, "loss")
    return exp, actual, predicted_loss(loss, loss.start, "sgd", params, lrs[:-1])


def relative_gap(predicted, actual):
    return np.abs(predicted - actual) / np.abs(actual)


@pytest.mark.parametrize("case", list(CASES))
def test_prediction_matches_the_simulation_under_a_step_schedule(case):
    exp, actual, predicted = run_and_predict(rotated_quadratic(), CASES[case], 200)
    lrs = exp.series(0, "lr")[1]
    assert len(set(lrs.tolist())) >= 4  # the schedule really changed the LR several times
    assert predicted.shape == actual.shape == (201,)
    assert actual[-1] < 1e-2 * actual[0]  # a converging run, so the check spans many decades
    assert relative_gap(predicted, actual).max() < 1e-10


def test_weight_decay_and_an_offset_centre_are_an_affine_recursion():
    loss = rotated_quadratic(center=[0.5, -0.2, 0.1])
    params = {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.3}
    _, actual, predicted = run_and_predict(loss, params, 60)
    assert relative_gap(predicted, actual).max() < 1e-10


def test_a_diverging_run_matches_until_overflow():
    loss = Quadratic(eigenvalues=[1.0, 100.0], angle=30.0, start=[1.0, 1.0])
    exp, actual, predicted = run_and_predict(loss, {"lr": 0.05, "momentum": 0.3}, 400, "constant", {})
    diverged = exp.diverged_at(0)
    assert 0 < diverged < 400
    assert actual[-1] > 1e200 or not np.isfinite(actual[-1])
    finite = np.isfinite(actual) & np.isfinite(predicted)
    assert finite.sum() >= diverged - 2
    assert relative_gap(predicted[finite], actual[finite]).max() < 1e-10
    theory_steps, theory = exp.theory_loss(0)
    assert theory_steps[-1] == diverged


def test_no_prediction_for_adaptive_optimizers_or_other_losses():
    loss = rotated_quadratic()
    assert predicted_loss(loss, None, "adam", {"lr": 0.1}, np.full(5, 0.1)) is None
    assert predicted_loss(Rosenbrock(), None, "sgd", {"lr": 0.1}, np.full(5, 0.1)) is None
    exp = Experiment.single(loss, [RunSpec("a", "adam", {"lr": 0.1}), RunSpec("s", "sgd", {"lr": 0.01})])
    exp.step(5)
    assert exp.theory_loss(0) is None and exp.theory_loss(1) is not None


def test_bad_parameters_are_refused_in_words():
    with pytest.raises(ValueError, match="momentum must be >= 0"):
        predicted_loss(rotated_quadratic(), None, "sgd", {"lr": 0.1, "momentum": -0.5}, np.full(3, 0.1))


def test_experiment_prediction_is_incremental_and_follows_user_changes():
    loss = rotated_quadratic()
    exp = Experiment.single(loss, [RunSpec("m", "sgd", {"lr": 0.01, "momentum": 0.9})])
    exp.step(30)
    exp.theory_loss(0)
    exp.scale_lr(0, 0.5)
    exp.step(30)
    [child] = exp.fork(0, (1.0, 2.0))
    exp.step(40)
    for run in (0, child):
        steps, theory = exp.theory_loss(run)
        actual_steps, actual = exp.series(run, "loss")
        assert np.array_equal(steps, actual_steps) and steps[-1] == 100
        assert relative_gap(theory, actual).max() < 1e-10
    exp.set_optimizer(0, "sgd", {"lr": 0.01, "momentum": 0.5})
    assert exp.theory_loss(0) is None  # the recorded history no longer follows one set of hyperparameters
    exp.reset()
    exp.step(10)
    assert exp.theory_loss(0)[0][-1] == 10


def test_curvature_record_holds_sharpness_and_gauge_at_each_update():
    loss = rotated_quadratic()
    exp = Experiment.single(loss, [RunSpec("s", "sgd", {"lr": 0.015}), RunSpec("m", "sgd", {"lr": 0.01, "momentum": 0.9})])
    exp.step(23)
    steps, top, gauge = exp.curvature_history(1)
    assert steps.tolist() == [0, 1, 2, 3, 4, 5, 10, 15, 20]  # a small loss: every step at first, then every 5
    assert np.allclose(top, 100.0, rtol=1e-6)
    assert np.allclose(gauge, 0.01 * 100.0 / (2 + 2 * 0.9), rtol=1e-6)
    _, low, median, high = exp.effective_lr_history(0)
    assert np.all(np.isnan(low)) and np.all(np.isnan(median)) and np.all(np.isnan(high))


def test_effective_lr_record_is_the_spread_over_parameters():
    loss = rotated_quadratic()
    exp = Experiment.single(loss, [RunSpec("a", "adam", {"lr": 0.01}), RunSpec("r", "rmsprop", {"lr": 0.001})])
    exp.step(10)
    for run in (0, 1):
        steps, low, median, high = exp.effective_lr_history(run)
        assert steps[-1] == 10 and np.isnan(low[0])  # no second moment before the first update
        now = exp.effective_lr(run)
        assert (low[-1], median[-1], high[-1]) == (now.min(), np.median(now), now.max())
        assert np.all(low[1:] <= median[1:]) and np.all(median[1:] <= high[1:]) and high[-1] > low[-1]


def test_record_stays_bounded_and_spans_the_whole_run():
    record = SharpnessRecord(2, capacity=8)
    for step in range(0, 100, 5):
        record.add(step, np.array([step, -step]), np.zeros(2), effective_lr_stats(None, np.ones(2), 2))
    steps, top = record.field("top", 1)
    assert len(steps) <= 8 and steps[0] == 0 and steps[-1] == 95
    assert np.array_equal(top, -steps.astype(float))
    assert np.all(np.diff(steps) > 0)
    record.add_runs([1])
    assert np.array_equal(record.field("top", 2)[1], top)
