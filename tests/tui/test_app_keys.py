"""Drive the app with a Pilot, as a person would, and check the state each key changes."""

import pytest

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names or ("too-high-oscillation",)])


async def test_stepping_keys_advance_the_experiment():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        assert app.session.experiment.step_count == 1
        await pilot.press("right")
        await pilot.press("N")
        assert app.session.experiment.step_count == 12
        await pilot.press("shift+right")
        assert app.session.experiment.step_count == 22


async def test_lr_keys_scale_the_focused_run():
    app = make_app("rosenbrock-sgd-vs-adam")
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        await pilot.press("plus")
        assert exp.current(0)["lr"] == pytest.approx(0.001)
        await pilot.press("minus", "minus")
        assert exp.current(0)["lr"] == pytest.approx(0.00025)
        await pilot.press("tab", "asterisk")
        assert app.session.focused == 1 and exp.current(1)["lr"] == pytest.approx(0.2)
        await pilot.press("slash")
        assert exp.current(1)["lr"] == pytest.approx(0.02)
        assert [e.kind for e in exp.events] == ["lr"] * 5


async def test_space_plays_and_pauses():
    app = make_app("rosenbrock-sgd-vs-adam")
    async with app.run_test(size=(100, 30)) as pilot:
        app.session.speed_index = 0  # one step per frame: the budget cannot run out mid-test
        await pilot.press("space")
        assert app.session.playing
        await pilot.pause(0.3)
        await pilot.press("space")
        assert not app.session.playing
        await app.workers.wait_for_complete()  # a chunk that was stepping when space came finishes
        played = app.session.experiment.step_count
        assert played > 0
        await pilot.pause(0.2)
        assert app.session.experiment.step_count == played


async def test_optimizer_schedule_fork_reset_and_toggles():
    app = make_app("too-high-oscillation", "too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        s = app.session
        await pilot.press("o")
        assert s.experiment.spec(0).optimizer == "adagrad"
        await pilot.press("s")
        assert s.experiment.spec(0).schedule == "linear"  # warmup comes first after constant
        await pilot.press("n", "c")
        assert s.experiment.n_runs == 3
        await pilot.press("r")
        assert s.experiment.step_count == 0 and s.experiment.n_runs == 1
        await pilot.press("l", "m", "d")
        main = app.main
        assert main.log_scale and main.smoothing and main.description == "task"
        await pilot.press("right_square_bracket")
        assert s.scenario.name.startswith("Too low")
        await pilot.press("left_square_bracket")
        assert s.scenario.name.startswith("Too high")
        speed = s.speed
        await pilot.press("greater_than_sign")
        assert s.speed > speed


async def test_help_screen_opens_and_closes():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "KeysScreen"
        await pilot.press("f1")
        assert type(app.screen).__name__ == "MainScreen"
        await pilot.press("g")  # the glossary: the same screen, scrolled to it
        assert type(app.screen).__name__ == "KeysScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"


@pytest.mark.parametrize("size", [(80, 24), (40, 12), (12, 5)])
async def test_small_terminals_do_not_crash(size):
    app = make_app("rosenbrock-sgd-vs-adam")
    async with app.run_test(size=size) as pilot:
        await pilot.press("N", "N")
        await pilot.pause()
        assert app.session.experiment.step_count == 20


async def test_a_applies_the_focused_runs_suggestion_and_enter_explains():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(10):
            await pilot.press("N")
        exp = app.session.experiment
        assert exp.verdict(0) == "oscillating"
        await pilot.press("a")
        assert exp.current(0)["lr"] == pytest.approx(0.016)
        assert "applied lr = 0.016" in app.session.message
        panel = app.screen.query_one("DiagnosticsPanel")
        assert panel.findings and panel.findings[0].code == "oscillating"
        panel.focus()
        panel.highlighted = 0
        await pilot.press("enter")
        assert type(app.screen).__name__ == "ExplanationScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"
