"""Verdicts walkthrough 21b found wrong or unclear: a "local minimum" far from any bottom (V2), and "improving" for
a run above its start (V1)."""

from lrtui.core.diagnostics.types import ABOVE_START, IMPROVING_WORDS
from lrtui.scenario.library import find_builtin
from lrtui.tui.session import Session


def test_a_run_whose_first_steps_met_a_huge_gradient_is_no_local_minimum():
    """V2 (and walkthrough 16b, K7): Adagrad switched to RMSProp at lr 0.5 on Rosenbrock, which has one minimum,
    read "local minimum" at loss 0.29 with |g| 0.88: stationary only against its first steps' huge gradient.
    Contracts v2d: a local minimum's gradient is also small for the height left and the curvature."""
    session = Session([find_builtin("adagrad-decays-too-fast").load()])
    session.cycle_optimizer()
    exp = session.experiment
    assert exp.spec(0).optimizer == "rmsprop"
    exp.step(session.scenario.steps)
    assert exp.verdict(0) != "local_minimum"
    assert all(d.code != "local_minimum" for d in exp.diagnoses(0))


def test_a_real_local_minimum_still_reads_so():
    """Rastrigin's run held in a dimple, |g| 1.6e-13 at loss 17.9: the small-gradient test passes by 30 decades."""
    session = Session([find_builtin("rastrigin-local-minimum").load()])
    exp = session.experiment
    exp.step(session.scenario.steps)
    assert exp.verdict(0) == "local_minimum"


def test_a_run_still_above_its_start_says_so_and_points_to_a_smaller_lr():
    """V1: lesson 17 after + + and c, the x3 copy (Adagrad at lr 6) ends at 14.1 from 12.5 and read "improving"."""
    session = Session([find_builtin("adagrad-decays-too-fast").load()])
    session.scale_lr(2)
    session.scale_lr(2)
    session.fork()
    exp = session.experiment
    exp.step(session.scenario.steps)
    above = exp.summary(3)
    assert exp.verdict(3) == "improving" and above.words == ABOVE_START and ABOVE_START in IMPROVING_WORDS
    assert "above the 12.5 it started at" in above.message
    assert "smaller" in above.explanation and "- halves it" in above.explanation
    assert exp.summary(0).words != ABOVE_START  # run 0 at lr 2 ends at 0.0548, far below its start


def test_a_spiking_adaptive_run_told_too_slow_says_why_the_spikes_do_not_mean_a_smaller_lr():
    """V3: lesson 17's RMSProp raised tenfold at step 317 spikes to about 1e2 and read "too slow" with nothing on
    the spikes. The larger LR's try really ends much lower (0.00358 against 0.629); the explanation now says so
    beside the spikes."""
    session = Session([find_builtin("adagrad-decays-too-fast").load()])
    exp = session.experiment
    exp.step(317)
    session.focus_next()
    session.scale_lr(10)
    exp.step(session.scenario.steps - 317)
    slow = exp.summary(1)
    assert exp.verdict(1) == "too_slow"
    assert "it spikes" in slow.explanation and "a larger one, tried, ended much lower" in slow.explanation
    calm = Session([find_builtin("adagrad-decays-too-fast").load()]).experiment
    calm.step(600)
    assert calm.verdict(0) == "too_slow" and "spikes" not in calm.summary(0).explanation  # Adagrad's slow crawl


def test_a_local_minimum_says_the_changes_were_tried_one_at_a_time():
    """22c W3: lesson 5 read "nothing tried did much better", while its task (a larger LR, then a schedule) reaches
    loss 0."""
    exp = Session([find_builtin("rastrigin-local-minimum").load()]).experiment
    exp.step(300)
    assert "one change at a time" in exp.summary(0).explanation


def test_a_run_settled_over_its_limit_with_nothing_tried_says_a_lower_lr_is_the_learners_to_try():
    """22b X1: lesson 23's run raised to lr 10 ends at chance accuracy, read "nothing the checks tried did much
    better" when nothing had been tried, and lr 1 reaches 94%."""
    session = Session([find_builtin("digits-lr-classic").load()])
    session.scale_lr(10)
    session.scale_lr(10)
    exp = session.experiment
    exp.step(session.scenario.steps)
    settled = exp.summary(0)
    assert settled.words == "settled (over the limit)" and "no lower LR was tried" in settled.message
    assert "nothing the checks tried" not in settled.explanation and "a lower one is yours to try" in settled.explanation


def test_a_slow_healthy_run_whose_schedule_cut_its_lr_says_so():
    """22c W4: lesson 8's gamma 0.98 ended five decades above the constant LR reading only "improving"."""
    exp = Session([find_builtin("exponential-decay").load()]).experiment
    exp.step(200)
    assert exp.verdict(0) == "improving"
    assert "Its schedule has cut the LR 57-fold from its peak 0.039" in exp.summary(0).explanation


def test_a_run_climbing_back_from_its_best_reads_rising_and_points_to_a_lower_lr():
    """23b Z2: lesson 16's Adam at lr 2 fell to 2.3e-14 and climbed back to 0.046, read "improving" beside "up 20%
    per step"."""
    from lrtui.core.diagnostics.types import RISING

    session = Session([find_builtin("rosenbrock-sgd-vs-adam").load()])
    session.focused = 1
    session.scale_lr(100)
    exp = session.experiment
    exp.step(session.scenario.steps)
    rising = exp.summary(1)
    assert exp.verdict(1) == "improving" and rising.words == RISING and RISING in IMPROVING_WORDS
    assert "from its best" in rising.message and "slow, but" not in rising.message
    assert "a lower one is yours to try" in rising.explanation


def test_a_on_a_converged_run_applies_no_old_findings_fix():
    """23b Z1: in lesson 20, a on a converged run, whose box showed no fix, replayed every run with an old step-30
    finding's fix (lr 0.004 -> 0.02, 219% of the limit)."""
    session = Session([find_builtin("himmelblau-which-minimum").load()])
    exp = session.experiment
    exp.step(session.scenario.steps)
    assert exp.verdict(0) == "converged" and session.fix_of(0) is None
    session.apply_fix()
    assert "no fix to apply, the run is converged" in session.message and session.experiment is exp
