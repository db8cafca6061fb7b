"""The diagnostics agree with the labelled suite, and never cry wolf on a healthy run."""

from pathlib import Path

import pytest

from lrtui.core.diagnostics.agreement import confusion_table, load_cases, run_case
from lrtui.core.diagnostics.types import VERDICTS

CASES = load_cases(Path(__file__).with_name("cases.toml"))


@pytest.fixture(scope="module")
def results():
    out = []
    for case in CASES:
        out += run_case(case)
    return out


def test_the_suite_is_large_and_covers_every_verdict():
    labels = [label for case in CASES for label in case["expect"]]
    assert len(labels) >= 40
    assert set(labels) == set(VERDICTS)
    losses = {case["loss"]["type"] for case in CASES}
    optimizers = {case["optimizer"]["type"] for case in CASES}
    assert len(losses) >= 8 and {"mlp", "logistic_regression"} <= losses
    assert len(optimizers) >= 4


def test_agreement_is_at_least_95_percent_with_no_false_alarms(results):
    table = confusion_table(results)
    agree = sum(r.got == r.expected for r in results) / len(results)
    assert agree >= 0.95, table
    assert not [r for r in results if r.false_alarm], table


def test_edge_of_stability_is_reported_as_info_not_oscillation():
    [case] = [c for c in CASES if c["id"] == "digits-full-batch-relu-lr-1"]
    from lrtui.scenario.loader import scenario_from_data

    scenario = scenario_from_data({k: v for k, v in case.items() if k not in ("id", "expect")} | {"name": "eos"}, "eos")
    exp = scenario.build()
    exp.step(scenario.steps)
    codes = {d.code: d for d in exp.diagnoses(0)}
    assert "edge_of_stability" in codes and codes["edge_of_stability"].severity == "info"
    assert "oscillating" not in codes and exp.verdict(0) == "improving"


def test_every_expected_verdict_is_the_contract_oracles_label():
    """The suite's labels come from outside the rules: the oracle (benchmarks/diagcases) labelled each run."""
    import json

    stored = json.loads((Path(__file__).parents[2] / "benchmarks/diagcases/suite45_labels.json").read_text())
    oracle = {(r["id"], r["run"]): r["label"] for r in stored["runs"]}
    ours = {(case["id"], i): label for case in CASES for i, label in enumerate(case["expect"])}
    assert ours == oracle
