"""Every scenario the app can open: the ones it was given, then the built-in library.

The scenario browser and the command palette both list these entries. An entry
loads its scenario only when opened, so a file edited since the app started
is read afresh, and a file that has become invalid yields its error then.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lrtui.scenario.errors import ScenarioError
from lrtui.scenario.library import builtin_scenarios
from lrtui.scenario.loader import load_scenario
from lrtui.scenario.model import Scenario
from lrtui.scenario.summary import summary_line
from lrtui.text import visible


@dataclass(frozen=True)
class CatalogEntry:
    key: str  # the built-in's name or the file's path: what the user typed to get it
    summary: str  # "Scenario name: first sentence of its description"
    builtin: bool
    session_index: int | None  # where it sits in the session's list, or None if not opened yet
    loader: Callable[[], Scenario]
    number: int = 0  # the lesson's place in the course (1..), 0 for a file of the user's

    @property
    def title(self) -> str:
        """'lesson 4: too-low-slow', or the file's key."""
        return f"lesson {self.number}: {self.key}" if self.number else self.key

    def load(self) -> Scenario:
        return self.loader()


def one_line_error(exc: Exception) -> str:
    """A scenario error can list many problems; the browser and status line show the first."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    more = len(lines) - 1
    return lines[0] + (f" (and {more} more problem{'s' if more > 1 else ''}; `lrtui check` lists them)" if more else "")


def _file_entry(index: int, scenario: Scenario) -> CatalogEntry:
    path = Path(scenario.source)
    try:
        summary = summary_line(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        summary = f"(cannot read the file: {getattr(exc, 'strerror', None) or exc})"
    # The path is shown in the browser, the palette and messages: a file name can hold escape sequences too.
    return CatalogEntry(visible(scenario.source), summary, False, index, lambda: load_scenario(path))


def _given_entry(index: int, scenario: Scenario) -> CatalogEntry:
    return CatalogEntry(visible(scenario.source or scenario.name), summary_line(scenario.text) if scenario.text
                        else scenario.name, False, index, lambda: scenario)


def catalog_entries(scenarios: list[Scenario]) -> list[CatalogEntry]:
    """The session's own files in order, then the built-in lessons in the course's order, open or not (an open
    one is the session's copy: walkthrough 3 saw lessons visited out of order listed first, 1-7, 19, 18, 17, 20-23,
    and the rest after a rule)."""
    entries = []
    open_builtins = set()
    library = builtin_scenarios()
    texts = {}
    for index, scenario in enumerate(scenarios):
        if Path(scenario.source).is_file():
            entries.append(_file_entry(index, scenario))
            continue
        entry = next((e for e in library if e.name == scenario.source), None)
        if entry is not None:
            texts.setdefault(entry.name, entry.text())
            if texts[entry.name] == scenario.text:
                open_builtins.add(entry.name)
                entries.append(CatalogEntry(entry.name, summary_line(scenario.text), True, index, lambda s=scenario: s,
                                            entry.number))
                continue
        entries.append(_given_entry(index, scenario))
    for entry in library:
        if entry.name not in open_builtins:
            text = texts.get(entry.name) or entry.text()
            entries.append(CatalogEntry(entry.name, summary_line(text), True, None, entry.load, entry.number))
    own = [e for e in entries if not e.builtin]
    lessons = sorted((e for e in entries if e.builtin), key=lambda e: (e.number or 10**6, e.key))
    return own + lessons


def try_load(entry: CatalogEntry) -> tuple[Scenario | None, str]:
    """(scenario, "") or (None, the one-line reason it cannot be opened)."""
    try:
        return entry.load(), ""
    except (ScenarioError, ValueError, OSError) as exc:
        return None, one_line_error(exc)
