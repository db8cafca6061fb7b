"""The rest of issue 5's key table, one key at a time, each checked on the state it changes."""

import numpy as np
import pytest

from lrtui.scenario import load_scenario
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.session import SPEEDS


def make_app(*names):
    return LrtuiApp([find_builtin(n).load() for n in names or ("too-high-oscillation",)])


async def test_less_and_greater_change_the_play_speed_within_its_range():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        s = app.session
        start = s.speed
        await pilot.press("less_than_sign")
        assert s.speed == SPEEDS[SPEEDS.index(start) - 1] and s.message == f"speed: {s.speed} steps per frame"
        for _ in range(len(SPEEDS)):
            await pilot.press("less_than_sign")
        assert s.speed == SPEEDS[0]
        for _ in range(len(SPEEDS) + 1):
            await pilot.press("greater_than_sign")
        assert s.speed == SPEEDS[-1]


async def test_brackets_switch_scenario_and_wrap_around():
    app = make_app("too-high-oscillation", "too-low-slow", "just-right")
    async with app.run_test(size=(100, 30)) as pilot:
        s = app.session
        await pilot.press("n", "left_square_bracket")
        assert s.index == 2 and s.scenario.name.startswith("Just right") and s.experiment.step_count == 0
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert s.index == 1 and s.scenario.name.startswith("Too low")


async def test_c_forks_the_focused_run_at_this_step_into_three_lrs():
    app = make_app("too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        await pilot.press("n", "n", "n")
        lr, params = exp.current(0)["lr"], exp.current(0)["params"].copy()
        await pilot.press("c")  # (run 1 is the lesson's good run: the copies are runs 2 and 3)
        assert exp.n_runs == 4
        assert [exp.current(r)["lr"] for r in (0, 2, 3)] == pytest.approx([lr, 0.3 * lr, 3 * lr])
        for run in (2, 3):
            assert (exp.current(run)["params"] == params).all()  # from the same state
        assert [e.kind for e in exp.events] == ["fork", "fork"]
        await pilot.press("n")
        assert exp.current(2)["loss"] > exp.current(0)["loss"] > exp.current(3)["loss"]


async def test_tab_cycles_the_focus_through_every_run_and_back():
    app = make_app("rosenbrock-sgd-vs-adam")
    async with app.run_test(size=(100, 30)) as pilot:
        s = app.session
        seen = []
        for _ in range(s.experiment.n_runs):
            await pilot.press("tab")
            seen.append(s.focused)
        assert seen == [1, 0] and s.message.startswith("focused run 0")


async def test_o_and_s_cycle_the_optimizer_and_schedule_and_mark_the_change():
    app = make_app("too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        lr = exp.current(0)["lr"]
        await pilot.press("n", "o", "o")
        assert exp.spec(0).optimizer == "rmsprop" and exp.current(0)["lr"] == pytest.approx(lr)
        await pilot.press("s", "s")
        assert exp.spec(0).schedule == "sequential"  # constant -> warmup -> warmup then cosine
        assert [(e.step, e.kind) for e in exp.events] == [(1, "optimizer")] * 2 + [(1, "schedule")] * 2


async def test_r_replays_with_the_changes_and_R_resets_to_the_file():
    app = make_app("too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        exp = app.session.experiment
        lr = exp.view(0).lr
        await pilot.press("N", "plus", "c", "N")
        before = [exp.view(run).history.series("loss")[1] for run in range(exp.n_runs)]
        await pilot.press("r")  # step 0 again; the LR change and the fork come back at step 10
        exp = app.session.experiment
        assert exp.step_count == 0 and exp.n_runs == 4 and exp.view(0).lr == lr
        assert "your changes (LR, optimizer, schedule, forks) come back" in app.session.message
        await pilot.press("N")
        assert exp.view(0).lr == 2 * lr and [exp.view(r).lr for r in (2, 3)] == pytest.approx([0.6 * lr, 6 * lr])
        await pilot.press("N")
        after = [exp.view(run).history.series("loss")[1] for run in range(exp.n_runs)]
        assert all(np.array_equal(a, b) for a, b in zip(before, after))  # bit for bit
        await pilot.press("R")  # the file as it is
        exp = app.session.experiment
        assert exp.step_count == 0 and exp.n_runs == 2 and not exp.events
        assert exp.view(0).lr == lr and app.session.message.startswith("reset to the file at step 0")


async def test_l_m_d_each_toggle_one_thing_and_back():
    """The view flags are the main screen's reactives, not the session's: the session has none of them."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        main = app.main
        loss = app.screen.query_one("#loss")
        assert main.log_scale is None and not loss.shown_log  # automatic: linear at step 0
        await pilot.press("l")
        assert main.log_scale is True and loss.shown_log
        await pilot.press("l")  # the automatic scale again (linear here): two states where it is linear
        assert main.log_scale is None and not loss.shown_log
        await pilot.press("m")
        assert main.smoothing
        await pilot.press("m")
        assert not main.smoothing
        assert not hasattr(app.session, "log_scale") and not hasattr(app.session, "smoothing")
        panel = app.screen.query_one("#description")
        full = panel.query_one("#lesson-text").render().plain
        await pilot.press("d")  # the task alone: shorter, and still the lesson's "Try ..."
        task = panel.query_one("#lesson-text").render().plain
        assert main.description == "task" and panel.display and "Try" in task and len(task) < len(full)
        await pilot.press("d")
        assert main.description == "off" and not panel.display
        await pilot.press("d")
        assert main.description == "full" and panel.display
        await pilot.press("l")
        assert main.log_scale and "loss (log10)" in app.screen.query_one("#loss").render().plain


async def test_e_writes_csv_and_json_in_the_working_directory_and_names_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "n", "e")
        written = sorted(p.name for p in tmp_path.iterdir())
        stem = "lrtui-too-high-bouncing-around-a-minimum-step2"
        assert written == [f"{stem}.csv", f"{stem}.json"]
        assert f"{stem}.csv" in app.session.message and ".json" in app.session.message
        assert len((tmp_path / f"{stem}.csv").read_text().splitlines()) == 1 + 3  # header, steps 0..2


async def test_w_writes_a_scenario_file_that_loads_back_with_the_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("minus", "w")
        path = tmp_path / "lrtui-too-high-bouncing-around-a-minimum.toml"
        assert path.exists() and path.name in app.session.message
        assert load_scenario(path).build().current(0)["lr"] == pytest.approx(app.session.experiment.current(0)["lr"])


async def test_b_opens_the_browser_escape_closes_and_enter_opens_the_highlighted_scenario():
    app = make_app("too-high-oscillation")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        assert type(app.screen).__name__ == "BrowserScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen" and app.session.scenario.name.startswith("Too high")
        await pilot.press("b", "down")
        screen = app.screen
        listing = screen.query_one("OptionList")
        entry = screen.entries[int(listing.get_option_at_index(listing.highlighted).id.removeprefix("entry-"))]
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert app.session.scenario.name == find_builtin(entry.key).load().name != "too-high-oscillation"


async def test_f_and_every_other_binding_is_in_the_help_screen_app_keys_first_then_glossary():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        rendered = app.screen.query_one("#keys-text").render().plain
        flat = " ".join(rendered.split())  # (entries wrap to the screen, with a hanging indent)
        for binding in app.BINDINGS:
            assert binding.description in flat, binding
        groups = ["Play", "Learning rate", "Runs", "View", "Lessons and files", "Glossary", "Textual's own keys"]
        places = [rendered.index(f"{title}\n") for title in groups]
        assert places == sorted(places) and "More\n" not in rendered  # every binding sits in a named group
        for term in ("% of limit", "sharpness", "dotted theory curve", "★", "●", "·"):
            assert term in flat
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "MainScreen"


async def test_q_quits():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0 and not app.is_running


async def test_s_reaches_every_schedule_kind_warmup_included():
    from lrtui.core.schedules import SCHEDULES

    app = make_app("too-low-slow")
    async with app.run_test(size=(100, 30)) as pilot:
        seen = []
        for _ in range(len(SCHEDULES) + 1):
            await pilot.press("s")
            seen.append(app.session.experiment.spec(0).schedule)
            assert "schedule ->" in app.session.message, app.session.message
            await pilot.press("n")
        assert set(seen) == set(SCHEDULES) and "linear" in seen  # linear is torch's warmup (LinearLR)
        assert app.session.experiment.step_count == len(seen)  # every one of them trains


async def test_t_writes_the_focused_run_as_a_pytorch_script(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app("rosenbrock-sgd-vs-adam")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("tab", "t")
        [script] = tmp_path.glob("lrtui-*-run1.py")
        text = script.read_text()
        compile(text, str(script), "exec")
        # The message gives the full path: a learner finds the file whatever folder the app was started in.
        assert "torch.optim.Adam([w]" in text and app.session.message.startswith(f"wrote {script.resolve()}")
        await pilot.press("N", "plus", "N", "o", "t")  # an LR edit and an optimizer switch: the script makes both
        assert "with its 2 changes at their steps" in app.session.message and "stops" not in app.session.message
        [script] = [p for p in tmp_path.glob("lrtui-*-run1-1.py")]
        text = script.read_text()
        compile(text, str(script), "exec")
        assert "LR_CHANGES = {10: [('lr_factor', 2.0)]}" in text and "elif step == 20" not in text
        assert "if step == 20:" in text and "torch.optim.AdamW([w], lr=optimizer.param_groups[0][\"lr\"])" in text
