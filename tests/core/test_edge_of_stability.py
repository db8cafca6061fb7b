"""Full-batch GD on a tanh MLP sharpens to 2/lr and hovers there while the loss keeps falling (Cohen et al.,
2021): lrtui reports it as information, never as a warning or an error, because a lower LR trains worse."""

import pytest

from lrtui.scenario.loader import scenario_from_data

LOSS = {"type": "mlp", "dataset": "spiral", "hidden": [32, 32], "activation": "tanh"}


def trained(lr: float):
    data = {"name": "edge of stability", "steps": 4000, "loss": LOSS, "optimizer": {"type": "sgd", "lr": lr}}
    scenario = scenario_from_data(data, "edge of stability")
    exp = scenario.build()
    exp.step(scenario.steps)
    return exp


@pytest.mark.parametrize("lr", [0.2, 0.5, 1.0])
def test_edge_of_stability_runs_get_no_warning_or_error(lr):
    exp = trained(lr)
    alarms = [d for d in exp.diagnoses(0) if d.severity in ("warning", "error")]
    assert not alarms, [d.message for d in alarms]
    assert exp.verdict(0) in ("improving", "converged")
    assert any(d.code == "edge_of_stability" for d in exp.diagnoses(0))
    # The sharpness really reached the stable limit 2/lr (the gauge reads the largest sharpness met).
    assert exp.gauge(0) >= 0.9
