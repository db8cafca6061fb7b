"""Lesson challenges: not met as the file stands, met at the best LR the engine finds, checked in the app."""

import pytest

from lrtui.scenario.challenges import CHALLENGES, best_constant_lr, final_metric
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp

ANALYTIC = [name for name in CHALLENGES if not name.startswith("digits")]


@pytest.mark.parametrize("name", ANALYTIC)
def test_each_challenge_is_open_and_reachable(name):
    challenge, scenario = CHALLENGES[name], find_builtin(name).load()
    exp = scenario.build()
    exp.step(scenario.steps)
    assert not challenge.met(final_metric(exp, challenge.run, challenge.metric))  # a challenge, not a given
    lr, value = best_constant_lr(scenario, challenge)
    assert challenge.met(value), (lr, value)  # the engine's own sweep shows it can be done


def test_the_digits_challenge_is_open_and_the_other_run_shows_it_can_be_done():
    from lrtui.core.simulation import Simulation
    from lrtui.scenario.challenges import _sim_metric
    from lrtui.torch_script import run_parts

    challenge, scenario = CHALLENGES["digits-lr-classic"], find_builtin("digits-lr-classic").load()
    loss, _ = run_parts(scenario, 0)
    specs = [run_parts(scenario, run)[1] for run in range(len(scenario.runs))]
    sim = Simulation(loss, specs, seed=scenario.seed, eval_every=scenario.eval_every, diagnostics=False)
    sim.step(scenario.steps)  # both runs in one batch, without the diagnostics (the same training)
    assert not challenge.met(_sim_metric(sim, challenge.run, challenge.metric))
    assert challenge.met(_sim_metric(sim, 0, challenge.metric))  # lr 0.1 on the same network and data


async def test_the_outcome_table_checks_the_challenge_and_shows_the_best_lr():
    app = LrtuiApp([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        assert "Challenge:" in app.screen.query_one("#lesson-text").render().plain
        await pilot.press("asterisk", "asterisk", "asterisk")  # lr 0.5
        app.session.experiment.step(200)
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = app.screen.query_one("#challenge").render().plain
        assert "done: run 0 ends at" in text and "the best constant LR the engine found: 0.5" in text
