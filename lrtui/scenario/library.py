"""The built-in scenario library, shipped inside the package."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from lrtui.scenario.errors import Problem, ScenarioError, did_you_mean
from lrtui.scenario.loader import load_scenario, parse_scenario
from lrtui.scenario.model import Scenario

DEFAULT_SCENARIO = "too-high-oscillation"


def library_dir() -> Path:
    try:
        # An installed wheel maps the repository's scenarios/ to this data-only package.
        package = importlib.import_module("lrtui.scenarios")
        return Path(next(iter(package.__path__)))
    except (ModuleNotFoundError, StopIteration):
        # A source checkout or editable install: the files sit at the repository root.
        return Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class LibraryEntry:
    name: str
    path: Path

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def load(self, overrides=()) -> Scenario:
        return parse_scenario(self.text(), self.name, overrides)


def builtin_scenarios() -> list[LibraryEntry]:
    return [LibraryEntry(p.stem, p) for p in sorted(library_dir().glob("*.toml"))]


def find_builtin(name: str) -> LibraryEntry:
    entries = {e.name: e for e in builtin_scenarios()}
    if name in entries:
        return entries[name]
    hint = did_you_mean(name, entries)
    raise ScenarioError([Problem(name, "", f"no built-in scenario by that name{hint}; `lrtui list` shows them all, "
                                      "or give the path of a .toml file")])


def resolve(name_or_path: str, overrides=()) -> Scenario:
    """A file path when one exists (or it looks like one), otherwise a built-in name."""
    path = Path(name_or_path)
    if os.path.lexists(path) or path.suffix == ".toml" or "/" in name_or_path:  # lexists: never raises
        return load_scenario(path, overrides)
    return find_builtin(name_or_path).load(overrides)
