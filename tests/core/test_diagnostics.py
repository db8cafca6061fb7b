import math

import numpy as np
import pytest

from lrtui.core.losses import build_loss
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.optimizers import OPTIMIZERS, build_optimizer
from lrtui.core.optimizers.base import Optimizer
from lrtui.core.run_spec import RunSpec
from lrtui.core.simulation import Simulation


def monitored(optimizer="sgd", steps=1, eigenvalues=(1.0, 50.0), budget=200, **params):
    q = Quadratic(eigenvalues=list(eigenvalues), start=[1.0, 1.0])
    sim = Simulation(q, [RunSpec(optimizer=optimizer, optimizer_params=params)], budget=budget)
    sim.step(steps)
    return sim


@pytest.mark.parametrize("params, limit", [
    ({"lr": 0.05}, 2.0),
    ({"lr": 0.05, "momentum": 0.9}, 3.8),
    ({"lr": 0.05, "momentum": 0.9, "nesterov": True}, 3.8 / 2.8),
    ({"lr": 0.05, "momentum": 0.5, "dampening": 0.5}, 3.0 / 0.5),
])
def test_the_gauge_is_exact_on_a_quadratic(params, limit):
    sim = monitored(steps=0, **params)
    m = sim.monitor
    assert m.top[0] == pytest.approx(50.0, rel=1e-13) and m.max_top[0] == m.top[0]
    assert m.gauge(sim.lr_now)[0] == pytest.approx(params["lr"] * 50.0 / limit, rel=1e-13)
    assert m.evidence_now.at(0).lr_limit == pytest.approx(limit / 50.0, rel=1e-13)


@pytest.mark.parametrize("params", [{}, {"momentum": 0.9}, {"momentum": 0.5}, {"momentum": 0.9, "nesterov": True},
                                    {"momentum": 0.7, "dampening": 0.3}])
def test_the_stability_limits_are_where_quadratics_start_to_diverge(params):
    limit = build_optimizer("sgd", **params).stability_rule(1).limit[0]
    lam = 50.0
    below = Quadratic(eigenvalues=[lam], start=[1.0])
    outcomes = {}
    for factor in (0.98, 1.02):
        sim = Simulation(below, [RunSpec(optimizer="sgd", optimizer_params={**params, "lr": factor * limit / lam})],
                         diagnostics=False)
        sim.step(3000)
        outcomes[factor] = abs(sim.params[0, 0])
    assert outcomes[0.98] < 1e-3 and (outcomes[1.02] > 1e3 or not np.isfinite(outcomes[1.02]))


def test_every_optimizer_owns_its_stability_limit_and_a_missing_one_is_an_error():
    for name, cls in OPTIMIZERS.items():
        rule = cls().stability_rule(3)
        assert rule.limit.shape == (3,) and np.all(rule.limit >= 2.0), name

    class NoLimit(Optimizer):
        name = "nolimit"

        def _init_buffers(self, params):
            return {}

        def update(self, grads, state, params, lr, momentum=None):
            return params, state

    with pytest.raises(TypeError, match="stability_rule"):
        NoLimit()


def test_adam_gauge_uses_the_preconditioned_sharpness():
    sim = monitored("adam", steps=5, lr=0.01)
    m = sim.monitor
    eff = sim.effective_lr(0)
    expected_top = np.max(np.linalg.eigvals(np.diag(eff) @ sim.loss.matrix).real) / 0.01
    assert m.top[0] == pytest.approx(expected_top, rel=1e-9)
    assert m.gauge(sim.lr_now)[0] == pytest.approx(0.01 * m.max_top[0] / ((2 + 1.8) / 0.1), rel=1e-12)
    assert m.formula[0] == "(2+2β1)/((1-β1)λ)"


def test_an_oscillation_is_checked_before_it_is_shown_and_names_its_evidence():
    sim = Simulation(build_loss("himmelblau", start=[0.0, 0.0]),
                     [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.025})], budget=200)
    sim.step(200)
    [d] = [d for d in sim.monitor.diagnoses(0) if d.code == "oscillating"]
    assert d.severity == "warning" and 0 < d.step < 200
    assert d.fix is not None and d.fix["optimizer.lr"] < 0.025
    assert d.tried is not None and d.tried.helped and d.tried.from_step > 0
    assert d.tried.loss <= d.tried.baseline / 10
    assert "tried" in d.message and "running cosine" in d.explanation
    # The fix really does what the check found, applied at that step in a fresh run.
    again = Simulation(build_loss("himmelblau", start=[0.0, 0.0]),
                       [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.025})], budget=200, diagnostics=False)
    again.step(d.tried.from_step)
    again.apply_changes(0, d.fix)
    again.step(d.tried.steps)
    assert again.loss_now[0] == pytest.approx(d.tried.loss, rel=1e-12)


def test_divergence_is_an_error_whose_fix_replays_from_the_start_and_trains():
    sim = monitored(steps=200, lr=0.05)
    [d] = [d for d in sim.monitor.diagnoses(0) if d.code == "diverged"]
    assert d.severity == "error" and sim.monitor.verdict(0) == "diverged"
    assert d.tried.from_step == 0 and d.tried.baseline_diverged and d.tried.helped
    assert d.fix["optimizer.lr"] < 2 / 50 and math.isfinite(d.tried.loss)


def test_a_too_slow_run_is_told_a_larger_lr_that_was_tried():
    sim = monitored(steps=200, lr=0.0005, eigenvalues=(1.0, 2.0))
    assert sim.monitor.verdict(0) == "too_slow"
    [d] = [d for d in sim.monitor.diagnoses(0) if d.code == "too_slow"]
    assert d.fix["optimizer.lr"] > 0.0005 and d.tried.helped
    assert d.fix["optimizer.lr"] < 2 / 2.0  # never past the stable limit


def test_verdicts_follow_forks():
    sim = monitored(steps=60, lr=0.0005, eigenvalues=(1.0, 2.0))
    assert sim.monitor.verdict(0) == "too_slow"
    sim.fork(0, (1.0, 100.0))
    sim.step(140)
    assert sim.monitor.verdict(0) == "too_slow"
    assert sim.monitor.verdict(1) in ("improving", "converged")


def test_no_warning_escapes_from_diagnostics_on_nan():
    import warnings

    q = Quadratic(eigenvalues=[1.0, 1e6], start=[1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim = Simulation(q, [RunSpec(optimizer="adam", optimizer_params={"lr": 1e300})], budget=50)
        sim.step(50)
        sim.monitor.summary(0)


def test_a_fix_applied_by_hand_is_judged_afresh():
    sim = monitored(steps=100, lr=0.0005, eigenvalues=(1.0, 2.0), budget=1000)
    [slow] = [d for d in sim.monitor.diagnoses(0) if d.code == "too_slow"]
    sim.apply_changes(0, slow.fix)
    sim.step(200)
    assert sim.monitor.verdict(0) in ("improving", "converged")
    # Made too slow again by hand (from a point far from the minimum), it is told again, with a new check.
    sim.apply_changes(0, {"optimizer.lr": 1e-7})
    sim.params[:] = 1.0
    sim.step(50)
    found = [d for d in sim.monitor.diagnoses(0) if d.code == "too_slow"]
    assert len(found) == 2 and found[1].step > 300 and found[1].tried.from_step > 300
