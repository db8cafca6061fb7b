"""Walkthrough 7's defects in lesson 2 (too-high-divergence), checked on the engine as the app drives it."""

import pytest

from lrtui.scenario.challenges import best_constant, best_known, challenge_for, tried_constant_lrs
from lrtui.scenario.library import find_builtin


@pytest.fixture(scope="module")
def lesson():
    return find_builtin("too-high-divergence").load()


def test_a_diverged_run_halved_by_hand_gets_the_fix_a_fresh_divergence_gets(lesson):
    """D28: `n n n -` then play: 0.003 threw the run far up in 3 steps and it diverged at 0.0015. Its fix replays
    from the start, so it lowers the largest LR the run used, 0.003, not 0.0015: fractions of 0.0015 gave 0.0011,
    which ends at 4.91 and misses the challenge (below 3); a fresh divergence's fix is 0.00203 (0.00142)."""
    exp = lesson.build()
    exp.step(3)
    exp.scale_lr(0, 0.5)
    exp.step(lesson.steps - 3)
    fresh = lesson.build()
    fresh.step(lesson.steps)
    verdict, expected = exp.summary(0), fresh.summary(0)
    assert exp.diverged_at(0) > 3 and verdict.code == expected.code == "diverged"
    assert verdict.fix == expected.fix and verdict.fix["optimizer.lr"] > 0.0015
    # Walk 8, D32: "the LR 0.0015 is too high; try lr = 0.00203" read backwards: the words say what blew it up.
    assert "a larger LR (0.003 at the start) before a change by hand threw it off (the LR is 0.0015 now)" in verdict.message
    assert "replays it from step 0" in verdict.message and "the LR 0.003 is too high" in expected.message
    replay = exp.replayed({0: verdict.fix}, {0: 0})
    replay.step(lesson.steps)
    assert replay.series(0, "loss")[1][-1] < 3 and replay.diverged_at(0) < 0


def test_the_best_constant_lr_known_counts_the_fixes_the_checks_tried(lesson):
    """D27: u's sweep found 0.00204 (ends at 0.0522) beside a fix, 0.00203, tried on copies from step 0 to the
    end, that ends at 0.00142: on this sharp edge the fix is the better constant LR, and u says so."""
    challenge = challenge_for(lesson.source)
    exp = lesson.build()
    exp.step(lesson.steps)
    tried = tried_constant_lrs(exp, challenge)
    assert tried and all(lr == 0.00203 for lr, _ in tried)
    sweep = best_constant(lesson, challenge)
    best = best_known(sweep, exp, challenge)
    assert best.value <= min(value for _, value in tried) < sweep.value
    assert best.lr == 0.00203 and best.how.startswith("tried by the checks as a fix")


def test_a_on_one_diverged_run_of_a_sweep_takes_the_other_diverged_runs_fixes_along():
    """D31: lesson 22's `a` on run 5 replayed every run from step 0, which cleared runs 6 and 7's fixes: three
    plays to fix three runs. Their fixes replay from step 0 too, so they go along, and the message names them."""
    from lrtui.tui.session import Session

    session = Session([find_builtin("lr-sweep").load()])
    exp = session.experiment
    exp.step(session.scenario.steps)
    diverged = [run for run in range(exp.n_runs) if exp.diverged_at(run) >= 0]
    fixes = {run: session.fix_of(run).fix for run in diverged}
    assert diverged == [5, 6, 7]
    session.focused = 5
    session.apply_fix()
    assert "and the other diverged runs' fixes (runs 6, 7)" in session.message, session.message
    replay = session.experiment
    assert replay.step_count == 0
    replay.step(session.scenario.steps)
    for run in diverged:
        assert replay.series(run, "lr")[1][1] == pytest.approx(fixes[run]["optimizer.lr"])
    assert all(replay.diverged_at(run) < 0 for run in range(replay.n_runs))


def test_u_remembers_the_fixes_tried_before_a_replay(lesson):
    """Walk 8, D27 on its path: play (the run diverges; the fix 0.00203 is tried and ends at 0.00142), `-` (every
    run replays at half the LR), play, `u`: the new experiment had forgotten the try, and u called the sweep's
    0.00204 (0.0522) the best constant LR. The session keeps the tries across replays of the open lesson."""
    from lrtui.tui.session import Session

    session = Session([lesson])
    session.experiment.step(lesson.steps)
    session.scale_lr(0.5)
    assert session.experiment.step_count == 0  # the budget was used up: `-` replayed every run
    session.experiment.step(lesson.steps)
    challenge = challenge_for(lesson.source)
    assert tried_constant_lrs(session.experiment, challenge) == []  # the improving replay tried no constant LR
    key = session.settings_key(challenge.run)
    remembered = [(lr, value) for k, lr, value in session.remembered_tries if k == key]
    assert remembered and remembered[0][0] == 0.00203
    best = best_known(best_constant(lesson, challenge), session.experiment, challenge, remembered)
    assert best.lr == 0.00203 and best.value < 0.01
    session.open(session.index)  # another lesson, or this one afresh: nothing remembered
    assert session.remembered_tries == []


def test_the_replay_message_says_tried_once(lesson):
    """Walk 9, D34: "(the fix was tried from the start: tried: loss ...)"."""
    from lrtui.tui.session import Session

    session = Session([lesson])
    session.experiment.step(lesson.steps)
    session.apply_fix()
    assert "tried from the start, loss 0.00142 at step 300" in session.message, session.message
    assert session.message.count("tried") == 1
