"""Random key sequences over the whole key table, with waits and resizes: the app must never raise (issue 13).

Hypothesis types sequences drawn from every binding of the app and of each of its screens (browser,
finder, explanation, help, glossary, outcomes, ...), found by introspection so that a key added
later is typed too, plus the generic keys a person presses (escape, enter, arrows, ctrl+p). Each
sequence starts on a built-in scenario at 100x30, 80x24 or 60x20 and mixes in waits (so play
steps, workers finish and frames draw) and resizes, down to tiny windows.

Starting an app costs about half a second, so one app serves every example: it runs in a thread
of its own with its own event loop, the examples drive it through its Pilot, and each example
first puts it back on a scenario at step 0 on the main screen. A crash restarts it. `make test`
runs the walkthrough's sequences, then as many random ones of up to 6 actions as fit in 40 seconds
(43 to 103 in runs on a 2-core machine shared with other work, where 12 fit before these changes; more
on a quiet one); `make fuzz` runs thousands, of up to 12.
Keys go in as Pilot.press sends them, without its waits for an idle process, and each lesson's
experiment is built once and copied (tests/tui/built_once.py): most of an example's time was those.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import time
import traceback

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from textual.events import Resize
from textual.geometry import Size
from textual.screen import Screen

from lrtui.scenario.library import builtin_scenarios
from lrtui.tui.app import LrtuiApp
from tests.fuzz.harness import CASES, SLOWEST, fuzz_settings
from tests.tui.built_once import cached_builds

KIND = "key sequence"
SIZES = [(100, 30), (80, 24), (60, 20)]
QUIT_KEYS = {"q", "ctrl+q", "ctrl+c"}  # they end the app, as they should: not a crash
GENERIC_KEYS = ["escape", "enter", "up", "down", "left", "right", "pageup", "pagedown", "home", "end", "tab",
                "shift+tab", "ctrl+p", "f1", "backspace", "space"]
# In `make test` the sequences stop after this many seconds (each further example passes at once);
# `make fuzz` runs them all.
BUDGET_SECONDS = float(os.environ.get("LRTUI_FUZZ_KEYS_SECONDS", 0 if os.environ.get("LRTUI_FUZZ_EXAMPLES") else 100))
CALL_SECONDS = 60.0  # one action, or the reset before an example: longer is a hang
EXAMPLES = 300
# Sequences of up to 6 actions in `make test` (an action costs 50-150 ms of layout and drawing, so about twice
# as many sequences fit in its time budget), up to 12 in `make fuzz`.
MAX_ACTIONS = 12 if os.environ.get("LRTUI_FUZZ_EXAMPLES") else 6
PLAY_SECONDS = 0.1  # a "play" action steps for at most this long (10 to 10,000 steps): far enough to end most lessons


def _binding_keys(bindings) -> set[str]:
    keys = set()
    for binding in bindings:
        key = binding.key if hasattr(binding, "key") else binding[0]
        keys.update(k.strip() for k in key.split(",") if k.strip())
    return keys


def screen_classes() -> list[type]:
    """Every screen class the app defines (lrtui.tui.screens.*)."""
    import importlib
    import pkgutil

    import lrtui.tui.screens as screens

    found = []
    for info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"lrtui.tui.screens.{info.name}")
        found += [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, Screen) and cls.__module__ == module.__name__]
    return found


def key_table() -> list[str]:
    keys = _binding_keys(LrtuiApp.BINDINGS)
    for cls in screen_classes():
        keys |= _binding_keys(getattr(cls, "BINDINGS", []))
    keys |= set(GENERIC_KEYS)
    return sorted(keys - QUIT_KEYS)


KEYS = key_table()
SCENARIOS = [entry.name for entry in builtin_scenarios()]

actions = st.one_of(
    st.sampled_from(KEYS).map(lambda k: ("key", k)),
    st.sampled_from(KEYS).map(lambda k: ("key", k)),
    st.sampled_from(KEYS).map(lambda k: ("key", k)),
    st.sampled_from([0.02, 0.05, 0.2]).map(lambda s: ("wait", s)),
    # A long wait while playing, without the wait: what the run looks like 10 to 100,000 steps on.
    st.sampled_from([10, 100, 1000, 10_000]).map(lambda n: ("play", n)),
    st.one_of(st.sampled_from(SIZES + [(10, 5), (30, 10), (160, 50)]),
              st.tuples(st.integers(8, 200), st.integers(4, 60))).map(lambda size: ("resize", size)),
)


class AppHost:
    """One LrtuiApp under a Pilot, in a thread with its own event loop; `call` runs a coroutine there."""

    def __init__(self):
        self.app: LrtuiApp | None = None
        self.pilot = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.stop: asyncio.Event | None = None
        self.failure: BaseException | None = None

    def start(self) -> None:
        from lrtui.scenario.library import find_builtin

        scenarios = [cached_builds(find_builtin(name).load()) for name in SCENARIOS]
        ready = threading.Event()

        async def main():
            self.stop = asyncio.Event()
            self.app = LrtuiApp(scenarios, fps=30)
            try:
                async with self.app.run_test(size=SIZES[0]) as pilot:
                    self.pilot = pilot
                    ready.set()
                    await self.stop.wait()
            except BaseException as exc:  # the app's own crash, re-raised by run_test on the way out
                self.failure = exc
            finally:
                ready.set()

        def thread_main():
            self.loop = asyncio.new_event_loop()
            try:
                self.loop.run_until_complete(main())
            finally:
                self.loop.close()

        self.failure = None
        self.thread = threading.Thread(target=thread_main, name="key-fuzz-app", daemon=True)
        self.thread.start()
        ready.wait(CALL_SECONDS)

    @property
    def alive(self) -> bool:
        return (self.thread is not None and self.thread.is_alive() and self.app is not None
                and self.app.is_running and self.app._exception is None)

    def crash(self) -> BaseException | None:
        if self.app is not None and self.app._exception is not None:
            return self.app._exception
        return self.failure

    def call(self, coroutine_function, *args):
        async def in_context():
            with self.app._context():  # active_app and friends, as run_test sets them for its own tasks
                return await coroutine_function(*args)

        future = asyncio.run_coroutine_threadsafe(in_context(), self.loop)
        return future.result(CALL_SECONDS)

    def shutdown(self) -> None:
        if self.thread is not None and self.thread.is_alive() and self.loop is not None:
            self.loop.call_soon_threadsafe(self.stop.set)
            self.thread.join(CALL_SECONDS)
        self.thread = None

    def restart(self) -> None:
        self.shutdown()
        self.start()

    # -- coroutines run in the app's loop ------------------------------------------------
    async def reset(self, scenario: int, size: tuple[int, int]) -> None:
        app, pilot = self.app, self.pilot
        app.session.playing = False
        await app.workers.wait_for_complete()
        while len(app.screen_stack) > 2:  # the default screen and the main screen stay
            app.pop_screen()
        if tuple(app.size) != tuple(size):  # a resize lays out and draws every panel again: only when needed
            await resize(pilot, *size)
        reset_view = getattr(app, "reset_view", None)
        if reset_view is not None:
            reset_view()
        app.session.speed_index = 3
        app.session.open(scenario)
        app.redraw()
        await drained(pilot)

    async def act(self, action) -> None:
        kind, value = action
        pilot = self.pilot
        if kind == "key":
            await press(pilot, value)
        elif kind == "wait":
            await asyncio.sleep(value)
            await drained(pilot)
        elif kind == "play":
            app = self.app
            playing = app.session.playing
            app.session.playing = False
            await app.workers.wait_for_complete()
            app.session.advance(value, budget_seconds=PLAY_SECONDS)
            app.session.playing = playing and not app.session.finished
            app.redraw()
            await drained(pilot)
        else:
            await resize(pilot, *value)

    async def settle(self) -> None:
        app = self.app
        app.session.playing = False
        await app.workers.wait_for_complete()
        await self.pilot.pause()


async def press(pilot, key: str) -> None:
    """The key as Pilot.press sends it (the same Key event, through the driver), then the screen drained.

    Pilot.press also waits twice for the process to go idle after each key: 40 ms or more per key, and up to
    its 1 s cap while a run plays in a worker thread, which was most of an example's time."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key

    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(pilot.app)
    pilot.app._driver.send_message(event)
    await drained(pilot)


async def drained(pilot) -> None:
    """Every message the screen's widgets have queued is handled (Pilot.pause(0)), without `pause()`'s wait for
    the process to go idle: while a run plays, a worker thread keeps it busy, and that wait ran to its 1 s cap
    after every action. The key handlers and redraws ran all the same; a crash surfaces either way."""
    await pilot.pause(0)


async def resize(pilot, width: int, height: int) -> None:
    size = Size(width, height)
    pilot.app._driver._size = size
    pilot.app.post_message(Resize(size, size))
    await drained(pilot)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    # `e` and `w` write files into the working directory: keep them out of the repository.
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("key-fuzz"))
    host = AppHost()
    host.start()
    host.started = time.perf_counter()
    try:
        yield host
    finally:
        host.shutdown()
        os.chdir(cwd)


def describe(scenario: int, size, sequence, done: int) -> str:
    steps = " ".join(f"{k}={v}" for k, v in sequence[:done + 1])
    return f"lrtui {SCENARIOS[scenario]} at {size[0]}x{size[1]}, then: {steps}"


def test_the_key_table_is_whole():
    """Every binding of the app and of each screen is typed, so a key added later is fuzzed too."""
    for key in ("space", "l", "left_square_bracket", "asterisk", "question_mark", "escape", "1", "5", "f"):
        assert key in KEYS
    names = {cls.__name__ for cls in screen_classes()}
    assert {"BrowserScreen", "FinderScreen", "ExplanationScreen", "MainScreen", "KeysScreen"} <= names
    assert not QUIT_KEYS & set(KEYS)


# The learner walkthrough's key sequences (walk-report.md, defects 1-22), replayed before the random ones.
def _walk(name: str, size, *actions):
    return example(scenario=SCENARIOS.index(name), size=size,
                   sequence=[("key", a) if isinstance(a, str) else a for a in actions])


WALKTHROUGH = [
    _walk("too-high-divergence", (100, 30), "space", ("play", 300), "escape", "enter"),
    _walk("lr-sweep", (80, 24), "space", ("play", 1000), "escape", "tab", "tab", "tab", "tab", "tab", "enter"),
    _walk("digits-lr-classic", (80, 24), ("play", 450), "escape", "tab", "asterisk", "asterisk", "r", "space"),
    _walk("adagrad-decays-too-fast", (100, 30), ("play", 600), "escape", "plus", "r", "space", ("wait", 0.2)),
    _walk("just-right", (100, 30), "space", ("play", 200), "escape", "tab", "enter", "escape", "a", "a", "space"),
    _walk("schedule-too-aggressive", (100, 30), "space", ("play", 300), "escape", "enter"),
    _walk("too-high-oscillation", (100, 30), ("play", 200), "f", ("wait", 0.2), "4"),
    _walk("too-high-divergence", (100, 30), "f", ("wait", 0.2), "v", "tab", "pagedown", "end"),
    _walk("too-high-divergence", (100, 30), "less_than_sign", "less_than_sign", "less_than_sign", "space",
          ("wait", 0.2), ("play", 40), "c"),
    _walk("too-high-oscillation", (100, 30), "a", "a", "r", "minus"),
    _walk("step-decay", (100, 30), ("play", 1000), "escape", "m"),
    _walk("too-high-divergence", (100, 30), "R", "minus", "space", "R", "o", "space"),
    _walk("too-high-oscillation", (60, 20), "question_mark", "escape", "f", ("wait", 0.2), "escape", "pagedown",
          "pagedown", "pageup"),
    _walk("adagrad-decays-too-fast", (80, 24), "pagedown", "pagedown", "d", "pagedown", "u"),
    # Found by this test: a window 8 columns wide left the finder's list, then Textual's command palette, 0
    # columns to wrap their options to (ValueError inside Textual's layout).
    _walk("too-high-oscillation", (100, 30), "f", ("resize", (8, 10)), "r", "c"),
    _walk("lr-sweep", (100, 30), "ctrl+p", ("resize", (8, 10)), ("resize", (3, 3))),
]


def _with_walkthrough(test):
    for walk in reversed(WALKTHROUGH):
        test = walk(test)
    return test


@fuzz_settings(EXAMPLES)
@_with_walkthrough
@given(scenario=st.integers(0, len(SCENARIOS) - 1), size=st.sampled_from(SIZES),
       sequence=st.lists(actions, min_size=1, max_size=MAX_ACTIONS))
def test_no_key_sequence_crashes_the_app(host, scenario, size, sequence):
    if BUDGET_SECONDS and time.perf_counter() - host.started > BUDGET_SECONDS:
        return  # the time budget of `make test` is spent; `make fuzz` has none
    started = time.perf_counter()
    if not host.alive:
        host.restart()
    done = -1
    try:
        host.call(host.reset, scenario, size)
        for done, action in enumerate(sequence):
            host.call(host.act, action)
            if not host.alive:
                break
        if host.alive:
            host.call(host.settle)
    except TimeoutError:
        pytest.fail(f"no answer within {CALL_SECONDS:.0f} s: {describe(scenario, size, sequence, done)}")
    crash = host.crash()
    if crash is not None or not host.alive:
        detail = "".join(traceback.format_exception(crash)) if crash is not None else "the app stopped"
        host.restart()
        pytest.fail(f"{describe(scenario, size, sequence, done)}\n{detail}")
    CASES[KIND, "valid"] += 1
    SLOWEST[KIND] = max(SLOWEST.get(KIND, 0.0), time.perf_counter() - started)

