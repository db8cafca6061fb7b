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


def test_a_sweeps_too_slow_fix_is_the_sibling_that_ended_best_quoted_at_its_last_step():
    """Walk 6, D25: lr-sweep's run at 1e-5 was told "try lr = 0.00052 (tried: loss 4.18 at step 30)", the sibling
    that led at step 30, which the same screen calls too slow itself. At the end of the budget the siblings are
    asked once more: the fix is the LR that ended best below every LR a sibling diverged at, and the try quotes
    the losses the table shows. Walk 7: that sibling (run 4, 0.0019) is too slow too, and its own fix, tried from
    step 0 to the end, ends lower still: the slower runs are sent there."""
    exp = _finished(SCENARIOS / "lr-sweep.toml")
    finals = [exp.series(run, "loss")[1][-1] for run in range(exp.n_runs)]
    alive = [run for run in range(exp.n_runs) if exp.diverged_at(run) < 0]
    best = min(alive, key=lambda run: finals[run])
    chained = exp.summary(best)
    assert best == 4 and chained.code == "too_slow" and chained.tried.from_step == 0 and chained.tried.helped
    assert chained.tried.loss < finals[best]
    for run in (0, 1, 2, 3):
        verdict = exp.summary(run)
        assert verdict.code == "too_slow" and verdict.fix == chained.fix, verdict.message
        assert verdict.tried.end_step == exp.step_count
        assert f"loss {chained.tried.loss:.3g} at step {exp.step_count}" in verdict.message
        assert f"against {finals[run]:.3g} unchanged" in verdict.message


def test_the_run_table_states_each_verdict_as_the_app_explains_it():
    """`lrtui run` once printed the finding as made mid-run ("converged: loss 2e-05" beside a final loss of
    1.3e-08, in a scenario at another LR); it prints the verdict as it stands at the end, as `enter` does."""
    from lrtui.export import to_table

    exp = _finished(SCENARIOS / "lr-sweep.toml")
    table = to_table(exp, "sweep")
    for run in range(exp.n_runs):
        assert f"run {run}: {exp.summary(run).message}" in table
