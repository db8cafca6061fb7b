"""The numbers a message quotes are the ones a learner can check on the same screen."""

import re
from pathlib import Path

from lrtui.scenario.loader import load_scenario, scenario_from_data

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def _finished(path):
    scenario = load_scenario(path)
    exp = scenario.build()
    exp.step(scenario.steps)
    return exp


def test_a_blow_up_does_not_inflate_the_gauge_of_its_own_explanation():
    # Sharpness measured inside the blow-up (lambda ~ 1e20) once made this read "127534731876908466176% of the
    # stable limit"; the gauge is about where the run trains, so it reads lr x lambda at the start / 2: 314%.
    exp = _finished(SCENARIOS / "too-high-divergence.toml")
    [diverged] = [d for d in exp.diagnoses(0) if d.code == "diverged"]
    percent = float(re.search(r"was ([\d,.]+)% of the stable limit", diverged.explanation).group(1).replace(",", ""))
    assert 100 <= percent <= 1000
    assert "Past the stable limit" in diverged.explanation  # a sentence starts with a capital


def test_messages_quote_the_loss_at_their_step_not_a_smoothed_one():
    data = {"name": "slow", "steps": 40, "loss": {"type": "quadratic", "eigenvalues": [1.0, 50.0], "start": [1.0, 1.0]},
            "optimizer": {"type": "sgd", "lr": 1e-5}}
    exp = scenario_from_data(data, "slow").build()
    exp.step(40)
    summary = exp.summary(0)
    loss_now = exp.series(0, "loss")[1][-1]
    assert f"{loss_now:.3g}" in summary.message


def test_a_schedule_cut_names_the_hundredth_and_the_lr_now_apart():
    data = {"name": "cut", "steps": 200, "loss": {"type": "quadratic", "eigenvalues": [1.0, 50.0], "start": [1.0, 1.0]},
            "optimizer": {"type": "sgd", "lr": 0.01}, "schedule": {"type": "exponential", "gamma": 0.8}}
    exp = scenario_from_data(data, "cut").build()
    exp.step(200)
    [cut] = [d for d in exp.diagnoses(0) if d.code == "schedule_too_aggressive"]
    assert "a hundredth of that" in cut.message and "now)" in cut.message


def test_a_run_that_went_non_finite_is_dated_at_that_step_as_its_explanation_says():
    """Walkthrough 3, defect 4: "diverged (error) at step 5" above "became non-finite at step 7" (the climb was
    seen at step 5; the explanation is of the run as it ended)."""
    exp = _finished(SCENARIOS / "too-high-divergence.toml")
    at = exp.view(0).diverged_at
    summary = exp.summary(0)
    assert summary.code == "diverged" and summary.step == at == 7
    assert f"non-finite at step {at}" in summary.explanation
