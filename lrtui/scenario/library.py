"""The built-in scenario library, shipped inside the package."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from lrtui.scenario.errors import Problem, ScenarioError, did_you_mean
from lrtui.scenario.loader import load_scenario, parse_scenario
from lrtui.scenario.model import Scenario

# The built-in scenarios as a course, in the order of the lessons it teaches (../shared/seeds): what
# a too high LR does, then a too low one, schedules, adaptive optimizers, diagnosing and fixing, and
# the digits classic. `lrtui list`, the browser, the palette and `]`/`[` follow this order.
COURSE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Too high", ("too-high-oscillation", "too-high-divergence")),
    ("Too low", ("too-low-slow", "saddle-escape", "rastrigin-local-minimum", "just-right")),
    ("Schedules", ("step-decay", "exponential-decay", "cosine-annealing", "warm-restarts", "warmup-cosine",
                   "one-cycle", "cyclic-lr", "reduce-on-plateau")),
    ("Adaptive optimizers", ("momentum-ravine", "rmsprop-equalizes", "adagrad-decays-too-fast",
                             "rosenbrock-sgd-vs-adam")),
    ("Diagnosing and fixing", ("schedule-too-aggressive", "himmelblau-which-minimum", "minibatch-noise", "lr-sweep")),
    ("Digits", ("digits-lr-classic",)),
)
COURSE_ORDER = [name for _, names in COURSE for name in names]
CHAPTER = {name: chapter for chapter, names in COURSE for name in names}
DEFAULT_SCENARIO = COURSE_ORDER[0]


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
    number: int = 0  # its place in the course, from 1; 0 for a file the course does not list
    chapter: str = ""

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def load(self, overrides=()) -> Scenario:
        return parse_scenario(self.text(), self.name, overrides)


def builtin_scenarios() -> list[LibraryEntry]:
    """The built-in scenarios in course order (any file the course does not list comes last, by name)."""
    paths = {p.stem: p for p in library_dir().glob("*.toml")}
    ordered = [name for name in COURSE_ORDER if name in paths] + sorted(set(paths) - set(COURSE_ORDER))
    return [LibraryEntry(name, paths[name], COURSE_ORDER.index(name) + 1 if name in CHAPTER else 0,
                         CHAPTER.get(name, "")) for name in ordered]


def lesson_number(name: str) -> int:
    """1.. for a lesson of the course, else 0."""
    return COURSE_ORDER.index(name) + 1 if name in CHAPTER else 0


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
