import numpy as np
import pytest

from lrtui.core.diagnostics.stability import stability_rule
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.run_spec import RunSpec
from lrtui.core.simulation import Simulation


def monitored(optimizer="sgd", steps=1, eigenvalues=(1.0, 50.0), **params):
    q = Quadratic(eigenvalues=list(eigenvalues), start=[1.0, 1.0])
    sim = Simulation(q, [RunSpec(optimizer=optimizer, optimizer_params=params)], budget=200)
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
    assert m.top[0] == pytest.approx(50.0, rel=1e-13)
    assert m.gauge[0] == pytest.approx(params["lr"] * 50.0 / limit, rel=1e-13)
    assert m.evidence(0)["lr_limit"] == pytest.approx(limit / 50.0, rel=1e-13)


@pytest.mark.parametrize("params", [{}, {"momentum": 0.9}, {"momentum": 0.5}, {"momentum": 0.9, "nesterov": True},
                                    {"momentum": 0.7, "dampening": 0.3}])
def test_the_stability_limits_are_where_quadratics_start_to_diverge(params):
    limit = stability_rule("sgd", [params]).limit[0]
    lam = 50.0
    below = Quadratic(eigenvalues=[lam], start=[1.0])
    outcomes = {}
    for factor in (0.98, 1.02):
        sim = Simulation(below, [RunSpec(optimizer="sgd", optimizer_params={**params, "lr": factor * limit / lam})],
                         diagnostics=False)
        sim.step(3000)
        outcomes[factor] = abs(sim.params[0, 0])
    assert outcomes[0.98] < 1e-3 and (outcomes[1.02] > 1e3 or not np.isfinite(outcomes[1.02]))


def test_adam_gauge_uses_the_preconditioned_sharpness():
    sim = monitored("adam", steps=5, lr=0.01)
    m = sim.monitor
    group = sim._opt_groups[0]
    eff = group.optimizer.effective_lr(group.state, sim.lr_now)[0]
    expected_top = np.max(np.linalg.eigvals(np.diag(eff) @ sim.loss.matrix).real) / 0.01
    assert m.top[0] == pytest.approx(expected_top, rel=1e-9)
    assert m.gauge[0] == pytest.approx(0.01 * expected_top / ((2 + 1.8) / 0.1), rel=1e-9)
    assert m.formula[0] == "(2+2β1)/((1-β1)λ)"


def test_an_oscillation_message_names_the_percentage_the_limit_and_the_fix():
    from lrtui.core.losses import build_loss

    sim = Simulation(build_loss("himmelblau", start=[0.0, 0.0]),
                     [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.025})], budget=200)
    sim.step(200)
    [d] = [d for d in sim.monitor.diagnoses(0) if d.code == "oscillating"]
    assert d.severity == "warning" and 30 < d.step < 200
    assert d.message.startswith("lr is 125% of the stable limit 2/λ = 0.02: the loss oscillates; try lr ≤ 0.016")
    assert d.suggestion == {"optimizer.lr": 0.016}
    assert "running cosine -1.00" in d.explanation and "100% of steps" in d.explanation


def test_divergence_is_an_error_with_a_lower_lr():
    sim = monitored(steps=200, lr=0.05)
    [d] = sim.monitor.diagnoses(0)
    assert d.code == "diverged" and d.severity == "error"
    assert d.suggestion["optimizer.lr"] == pytest.approx(0.032)  # 0.8 of 2/50
    assert sim.monitor.verdict(0) == "diverged"


def test_verdicts_follow_forks_and_keep_their_history():
    sim = monitored(steps=60, lr=0.0005, eigenvalues=(1.0, 2.0))
    assert sim.monitor.verdict(0) == "too_slow"
    sim.fork(0, (1.0, 100.0))
    sim.step(60)
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
