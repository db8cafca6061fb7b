"""A fix is applied exactly as the engine tried it: at the step it was tried from, after the changes already
made up to then, so the replay ends where the try did (a learner's walkthrough found a fix tried from step 125
replayed from step 0, where it diverged, and a fix at step 0 undone by an earlier edit at step 0)."""

import math

from lrtui.scenario.library import find_builtin


def finished(name):
    scenario = find_builtin(name).load()
    exp = scenario.build()
    exp.step(scenario.steps)
    return exp, scenario.steps


def replay_ends_like_the_try(exp, steps, run, diagnosis):
    tried = diagnosis.tried
    again = exp.replayed({run: diagnosis.fix}, {run: tried.from_step})
    again.step(steps)
    loss = again.series(run, "loss")[1][-1]
    assert math.isclose(loss, tried.loss, rel_tol=1e-9, abs_tol=1e-300), (loss, tried)
    return again


def test_a_fix_tried_from_a_later_step_replays_from_that_step():
    exp, steps = finished("too-high-oscillation")
    later = [(run, d) for run in range(exp.n_runs) for d in [exp.summary(run)] + exp.diagnoses(run)
             if d.fix and d.tried is not None and d.tried.from_step > 0]
    assert later, "lesson 1's bounce has a fix tried from a later step"
    run, diagnosis = later[0]
    replay_ends_like_the_try(exp, steps, run, diagnosis)


def test_a_fix_from_the_start_has_the_last_word_over_an_edit_at_step_0():
    scenario = find_builtin("too-high-oscillation").load()
    exp = scenario.build()
    exp.scale_lr(0, 10.0)  # the learner's x10 at step 0: the run now diverges
    exp.step(scenario.steps)
    assert exp.diverged_at(0) >= 0
    [diagnosis] = [d for d in exp.diagnoses(0) if d.code == "diverged"]
    assert diagnosis.fix and diagnosis.tried.from_step == 0
    again = replay_ends_like_the_try(exp, scenario.steps, 0, diagnosis)
    # The LR in force at step 0 is the one the fix names (not the fix times the earlier x10).
    assert math.isclose(again.series(0, "lr")[1][0], diagnosis.fix["optimizer.lr"], rel_tol=1e-12)
