"""The scenario browser (b), exports (e), saved settings (w), the command palette, and the help panel."""

import csv
import dataclasses
import io
import json

import pytest
from rich.console import Console
from textual.app import get_system_commands_provider
from textual.binding import Binding

from lrtui.scenario import builtin_scenarios, find_builtin, load_scenario
from lrtui.tui.app import LrtuiApp
from lrtui.tui.commands import LrtuiCommands

TINY = """\
name = "Tiny: two runs"
description = "Two SGD runs on a quadratic. Watch them."
steps = 100

[loss]
type = "quadratic"
eigenvalues = [1.0, 10.0]
start = [1.0, 1.0]

[optimizer]
type = "sgd"
lr = 0.05

[[runs]]
label = "a"

[[runs]]
label = "b"
optimizer.lr = 0.01
"""


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def option_keys(screen):
    listing = screen.query_one("OptionList")
    options = [listing.get_option_at_index(i) for i in range(listing.option_count)]
    # (the course's chapter headings have no id: they cannot be opened)
    return [screen.entries[int(option.id.removeprefix("entry-"))].key for option in options if option.id]


async def test_b_lists_given_files_and_builtins_enter_opens_and_escape_closes(tiny):
    app = LrtuiApp([load_scenario(tiny), find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        screen = app.screen
        assert type(screen).__name__ == "BrowserScreen"
        keys = option_keys(screen)
        builtins = [e.name for e in builtin_scenarios()]
        # The learner's own files first, then every built-in lesson once, in the course's order (an open one too).
        assert keys[0] == str(tiny)
        assert keys[1:] == [e.name for e in sorted(builtin_scenarios(), key=lambda e: e.number)]
        assert sorted(keys[1:]) == sorted(builtins)
        assert all(e.summary for e in screen.entries)
        assert screen.entries[0].summary.startswith("Tiny: two runs: Two SGD runs")
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen" and app.session.index == 0

        await pilot.press("b")
        listing = app.screen.query_one("OptionList")
        listing.highlighted = listing.get_option_index(
            f"entry-{[e.key for e in app.screen.entries].index('cosine-annealing')}")
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert app.session.scenario.name == "Cosine annealing" and app.session.index == 2
        assert len(app.session.scenarios) == 3

        # Opened once, it is one of the app's scenarios: listed once, and [ ] cycle through it.
        await pilot.press("b")
        assert option_keys(app.screen).count("cosine-annealing") == 1
        assert next(e for e in app.screen.entries if e.key == "cosine-annealing").session_index == 2
        await pilot.press("escape", "right_square_bracket")
        assert app.session.index == 0


async def test_a_file_that_turned_bad_shows_its_error_and_a_fixed_one_is_read_afresh(tiny):
    app = LrtuiApp([load_scenario(tiny)])
    async with app.run_test(size=(100, 30)) as pilot:
        tiny.write_text(TINY.replace('type = "sgd"', 'type = "adamm"'))
        await pilot.press("b", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "BrowserScreen"
        error = str(app.screen.query_one("#browser-error").render())
        assert 'unknown optimizer "adamm"; did you mean "adam"?' in error and "\n" not in error.strip()
        assert app.session.experiment.spec(0).optimizer == "sgd"

        tiny.write_text(TINY.replace("lr = 0.05", "lr = 0.02"))
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert len(app.session.scenarios) == 1
        assert app.session.experiment.current(0)["lr"] == pytest.approx(0.02)


async def test_e_exports_csv_and_json_and_never_overwrites(tiny):
    app = LrtuiApp([load_scenario(tiny)])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "n", "n", "c", "e")
        csv_path, json_path = tiny.parent / "lrtui-tiny-two-runs-step3.csv", tiny.parent / "lrtui-tiny-two-runs-step3.json"
        assert app.session.message == f"exported {csv_path.name} and .json (4 runs)"
        rows = list(csv.DictReader(csv_path.open()))
        assert {r["run"] for r in rows} == {"0", "1", "2", "3"} and rows[0]["step"] == "0"
        data = json.loads(json_path.read_text())
        assert [r["label"] for r in data["runs"]] == ["a", "b", "a x0.3", "a x3"]
        # Each run's config is what it trains with now: the fork at x3 has three times the LR.
        assert data["runs"][3]["config"]["optimizer"]["lr"] == pytest.approx(0.15)
        first = csv_path.read_text(), json_path.read_text()

        await pilot.press("n", "e")
        assert (tiny.parent / "lrtui-tiny-two-runs-step4.csv").exists()
        await pilot.press("e")
        again = tiny.parent / "lrtui-tiny-two-runs-step4-1.csv"
        assert again.exists() and again.with_suffix(".json").exists() and again.name in app.session.message
        assert not (tiny.parent / "lrtui-tiny-two-runs-step4-2.csv").exists()
        assert (csv_path.read_text(), json_path.read_text()) == first
        assert not list(tiny.parent.glob(".*.tmp"))


async def test_w_saves_the_current_settings_as_a_scenario_that_loads_back(tiny):
    app = LrtuiApp([load_scenario(tiny)])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "o", "tab", "plus", "c", "w")
        saved = tiny.parent / "lrtui-tiny-two-runs.toml"
        assert saved.name in app.session.message
        exp = app.session.experiment
        back = load_scenario(saved).build()  # the runs as they started, the changes made at step 1 to come
        assert back.n_runs == exp.n_runs == 4 and back.view(0).spec.optimizer == "sgd"
        back.step(1)
        assert [back.view(r).spec.optimizer for r in range(4)] == ["adagrad", "sgd", "sgd", "sgd"]
        # Run b was doubled to 0.02, then forked at x0.3 and x3.
        assert [back.view(r).lr for r in range(4)] == pytest.approx([0.05, 0.02, 0.006, 0.06])
        assert back.labels == exp.labels

        await pilot.press("w")
        assert (tiny.parent / "lrtui-tiny-two-runs-1.toml").exists()
        first = load_scenario(saved).runs[0]
        assert first.optimizer["type"] == "sgd" and first.changes[0].changes == {"optimizer.type": "adagrad"}


async def test_palette_finds_scenarios_and_actions_and_keeps_the_system_commands(tiny):
    assert get_system_commands_provider in LrtuiApp.COMMANDS  # the theme picker
    app = LrtuiApp([load_scenario(tiny)])
    async with app.run_test(size=(100, 30)) as pilot:
        provider = LrtuiCommands(app.screen)
        await provider.startup()
        hits = [hit async for hit in provider.search("cosine")]
        assert "open lesson 9: cosine-annealing" in [h.text for h in hits]
        discovered = [hit async for hit in provider.discover()]
        assert len(discovered) == len(LrtuiApp.BINDINGS) + len(builtin_scenarios()) + 1

        export = next(h for h in [hit async for hit in provider.search("export")] if h.help == "key: e")
        await export.command()
        assert list(tiny.parent.glob("lrtui-*.csv"))

        step = [hit async for hit in provider.search("10 steps")][0]
        assert step.help == "key: N or shift+→"

        hit = next(h for h in hits if h.text == "open lesson 9: cosine-annealing")
        hit.command()
        await pilot.pause()
        assert app.session.scenario.name == "Cosine annealing"


async def test_palette_opens_a_scenario_when_typed(tiny):
    app = LrtuiApp([load_scenario(tiny)])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"cosine-anneal")
        for _ in range(50):  # the palette searches in the background
            await pilot.pause(0.02)
            if app.screen.query_one("CommandList").option_count:
                break
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.scenario.name == "Cosine annealing"


ISSUE_KEYS = ["space", "n", "right", "N", "shift+right", "plus", "minus", "asterisk", "slash", "o", "s", "c", "tab",
              "r", "left_square_bracket", "right_square_bracket", "less_than_sign", "greater_than_sign", "l", "m", "d",
              "a", "b", "e", "w", "q", "question_mark", "f1"]


async def test_every_key_of_the_issue_is_in_the_help_panel(tiny):
    app = LrtuiApp([load_scenario(tiny)])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        rendered = " ".join(app.screen.query_one("#keys-text").render().plain.split())
        shown = rendered.replace(" or ", " ").split()
        template = Binding("x", "noop")
        for key in ISSUE_KEYS:
            display = app.get_key_display(dataclasses.replace(template, key=key))
            assert display in shown, f"{key} ({display}) is not in the help panel"
        for words in ("browse lessons", "export CSV+JSON", "save as TOML"):
            assert words in rendered


def test_file_names_are_short_plain_slugs():
    from lrtui.tui.saving import slug

    assert slug("Too high: bouncing around a minimum") == "too-high-bouncing-around-a-minimum"
    assert slug("Étude à la plage") == "etude-a-la-plage" and slug("日本") == "scenario"
    assert slug("word " * 30) == "-".join(["word"] * 8)


@pytest.mark.parametrize("size", [(80, 24), (20, 6)])
async def test_browser_survives_small_terminals(tiny, size):
    app = LrtuiApp([load_scenario(tiny)])
    async with app.run_test(size=size) as pilot:
        await pilot.press("b", "down", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen" and len(app.session.scenarios) == 2
