"""Degenerate settings get a finite, positive suggestion that differs from today's and names the real cause."""

import math

import pytest

from lrtui.scenario.loader import scenario_from_data

BASE = {"name": "degenerate", "steps": 100, "loss": {"type": "quadratic", "eigenvalues": [1.0, 50.0]},
        "optimizer": {"type": "sgd", "lr": 0.01}}


def judged(**changes):
    data = {**BASE, **{k: {**BASE.get(k, {}), **v} if isinstance(v, dict) else v for k, v in changes.items()}}
    scenario = scenario_from_data(data, "degenerate")
    exp = scenario.build()
    exp.step(scenario.steps)
    return exp, exp.summary(0)


def assert_sensible(diagnosis, lr_now: float):
    fix = diagnosis.fix
    assert fix, diagnosis.message
    for key, value in fix.items():
        if isinstance(value, float):
            assert math.isfinite(value) and value > 0, (key, value)
    if "optimizer.lr" in fix:
        assert fix["optimizer.lr"] != lr_now
    assert diagnosis.tried is not None and diagnosis.tried.helped
    assert "nan" not in diagnosis.message and "n/a" not in diagnosis.message


def test_a_zero_lr_is_too_slow_not_a_schedule_cut():
    exp, d = judged(optimizer={"lr": 0.0})
    assert d.code == "too_slow" and "schedule" not in d.message
    assert_sensible(d, 0.0)


def test_adam_with_zero_eps_at_a_zero_gradient_is_told_about_eps_not_the_lr():
    exp, d = judged(optimizer={"type": "adam", "lr": 0.01, "eps": 0.0}, loss={"start": [0.0, 0.0]})
    assert d.code == "diverged" and "eps" in d.message
    assert d.fix == {"optimizer.eps": 1e-8}


def test_a_huge_lr_gets_a_finite_positive_lr():
    exp, d = judged(optimizer={"lr": 1e308})
    assert d.code == "diverged"
    assert_sensible(d, 1e308)
    assert d.fix["optimizer.lr"] < 2 / 50


@pytest.mark.parametrize("schedule", [
    {"type": "cyclic", "base_lr": 1e-300, "max_lr": 1e300},
    {"type": "onecycle", "max_lr": 1e300, "total_steps": 100},
])
def test_a_cyclic_schedule_that_blows_up_is_told_to_lower_its_peak(schedule):
    exp, d = judged(schedule=schedule)
    assert d.code == "diverged" and "peak" in d.message and "the LR 1e-300" not in d.message
    assert_sensible(d, exp.current(0)["lr"])
    assert "schedule.max_lr" in d.fix and d.fix["schedule.max_lr"] < 1.0


def test_non_finite_data_names_the_data_not_the_start():
    data = {"name": "noisy", "steps": 10, "loss": {"type": "mlp", "dataset": "circles", "hidden": [4],
                                                  "noise": 1e308}, "optimizer": {"type": "sgd", "lr": 0.1}}
    exp = scenario_from_data(data, "noisy").build()
    exp.step(10)
    d = exp.summary(0)
    assert d.code == "diverged" and "data set" in d.message and not d.fix
