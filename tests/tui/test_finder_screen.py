"""The LR finder (f): the range test on the focused run, every rule's pick, and choosing one."""

import math

import numpy as np
import pytest

from lrtui.core.finder import RULES, range_test
from lrtui.find_command import _loss_and_spec
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.finder_panel import finder_picture


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names])


async def open_finder(app, pilot):
    await pilot.press("f")
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert type(screen).__name__ == "FinderScreen" and screen.result is not None
    return screen


async def test_f_runs_the_same_test_as_the_cli_and_lists_every_rule():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "n", "n")
        params = app.session.experiment.current(0)["params"].copy()
        screen = await open_finder(app, pilot)
        result = screen.result
        scenario = app.session.scenario
        expected = range_test(*_loss_and_spec(scenario, 0), seed=scenario.seed)
        assert result.suggestions == expected.suggestions and result.recommended == expected.recommended
        np.testing.assert_array_equal(result.smoothed, expected.smoothed)

        listing = screen.query_one("#picks")
        assert [listing.get_option_at_index(i).id for i in range(listing.option_count)] == list(RULES)
        for i, rule in enumerate(RULES):
            option = listing.get_option_at_index(i)
            pick = result.picks[rule]
            assert option.disabled == (pick.lr is None)
            prompt = str(option.prompt)
            assert prompt.startswith(f"{i + 1} {rule}")
            assert (pick.reason in prompt) if pick.lr is None else (f"{pick.lr:.3g}" in prompt)
        assert result.picks["valley"].lr is None  # a noiseless loss: valley abstains, and says why
        assert listing.highlighted == RULES.index(result.recommended)
        assert "recommended" in str(listing.get_option_at_index(listing.highlighted).prompt)

        # The test ran on copies: the experiment is where it was.
        assert app.session.experiment.step_count == 3
        np.testing.assert_array_equal(app.session.experiment.current(0)["params"], params)


async def test_a_number_key_sets_the_focused_runs_lr_from_the_next_step_and_marks_it():
    app = make_app("rosenbrock-sgd-vs-adam")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "n", "tab")
        exp = app.session.experiment
        before = exp.current(0)["lr"]
        screen = await open_finder(app, pilot)
        assert screen.result.settings["optimizer"] == exp.spec(1).optimizer == "adam"
        number, rule = next((i + 1, r) for i, r in enumerate(RULES) if screen.result.picks[r].lr is not None)
        chosen = screen.result.picks[rule].lr
        await pilot.press(str(number))
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert exp.current(1)["lr"] == pytest.approx(chosen)
        assert exp.current(0)["lr"] == before
        assert [(e.step, e.run, e.kind) for e in exp.events] == [(2, 1, "lr")]
        assert f"LR finder: {rule}" in app.session.message and "from step 2" in app.session.message
        await pilot.press("n")
        steps, lrs = exp.series(1, "lr")
        assert lrs[-2] == pytest.approx(chosen)  # row t holds the LR that update t+1 used


async def test_enter_takes_the_recommended_pick_and_escape_changes_nothing():
    app = make_app("just-right")
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        lr = exp.current(0)["lr"]
        await open_finder(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert exp.current(0)["lr"] == lr and not exp.events
        assert "nothing changed" in app.session.message

        screen = await open_finder(app, pilot)
        recommended = screen.result.recommended_lr
        await pilot.press("enter")
        await pilot.pause()
        assert exp.current(0)["lr"] == pytest.approx(recommended)
        assert [e.kind for e in exp.events] == ["lr"]


async def test_a_rule_that_abstained_cannot_be_chosen_and_says_why():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_finder(app, pilot)
        await pilot.press("1")  # valley abstains on this noiseless loss
        assert app.screen is screen
        hint = str(screen.query_one("#finder-hint").render())
        assert hint.startswith("valley did not pick: the longest falling stretch")
        assert not app.session.experiment.events


async def test_f_pauses_play_and_a_scenario_switch_meanwhile_cancels_the_choice():
    app = make_app("too-high-oscillation", "too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.speed_index = 0
        await pilot.press("space")
        assert app.session.playing
        await open_finder(app, pilot)
        assert not app.session.playing
        await app.action_scenario(1)  # as the command palette could, while the finder is open
        await pilot.press("enter")
        await pilot.pause()
        assert "scenario changed" in app.session.message
        assert not app.session.experiment.events


async def test_the_finder_runs_on_the_digits_mlp_in_a_worker():
    app = make_app("digits-lr-classic")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_finder(app, pilot)
        result = screen.result
        assert result.lr.size == 100 and result.recommended_lr is not None
        assert 1e-3 < result.recommended_lr < 5  # the recommendation reaches 90% test accuracy (core tests)


def test_the_picture_marks_each_pick_on_a_log_lr_axis():
    scenario = find_builtin("too-high-oscillation").load()
    result = range_test(*_loss_and_spec(scenario, 0), seed=scenario.seed)
    picture = finder_picture(result)
    picked = [p for p in result.picks.values() if p.lr is not None]
    assert sorted(x for x, _ in picture.vlines) == pytest.approx(sorted(math.log10(p.lr) for p in picked))
    assert picture.x_range[0] <= min(math.log10(p.lr) for p in picked)
    assert picture.x_range[1] == pytest.approx(math.log10(result.lr[-1]))
    assert picture.log_y  # the loss spans many decades before the test stops
    curve = picture.lines[1]
    np.testing.assert_allclose(curve.x, np.log10(result.lr))
    np.testing.assert_allclose(curve.y, result.smoothed)


@pytest.mark.parametrize("size", [(80, 24), (40, 12), (12, 5)])
async def test_the_finder_survives_small_terminals(size):
    app = make_app("too-high-oscillation")
    async with app.run_test(size=size) as pilot:
        screen = await open_finder(app, pilot)
        await pilot.press(str(RULES.index(screen.result.recommended) + 1))
        await pilot.pause()
        assert app.session.experiment.current(0)["lr"] == pytest.approx(screen.result.recommended_lr)


async def test_a_range_test_that_fails_says_so_and_escape_still_closes(monkeypatch):
    def refuse(*args, **kwargs):
        raise ValueError("start must have 2 values, got 3")

    monkeypatch.setattr("lrtui.tui.screens.finder.range_test", refuse)
    app = make_app("just-right")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "FinderScreen" and screen.result is None
        assert "the range test failed: start must have 2 values" in str(screen.query_one("#finder-title").render())
        await pilot.press("1")
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen" and not app.session.experiment.events
