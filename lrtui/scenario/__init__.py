"""Scenario files: TOML in, validated scenarios out. Never imports Textual."""

from lrtui.scenario.errors import Problem, ScenarioError
from lrtui.scenario.library import builtin_scenarios, find_builtin, resolve
from lrtui.scenario.loader import load_scenario, parse_scenario
from lrtui.scenario.model import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "builtin_scenarios", "find_builtin", "load_scenario",
           "parse_scenario", "resolve"]
