"""The runs whose PyTorch scripts are checked against torch (tests/fixtures/make_torch_scripts.py makes the fixture)."""

from __future__ import annotations

from lrtui.scenario.library import find_builtin
from lrtui.scenario.loader import parse_scenario
from lrtui.torch_script import run_parts, torch_script

ROWS = 40  # loss after 0..ROWS updates

FORMULA = """
name = "a formula"
steps = 60
[loss]
type = "expression"
expr = "(1.5 - x + x*y)**2 + 0.1*sin(3*x)*exp(-y*y/4) + log(1 + x*x) + sqrt(2 + y*y) - abs(x - y)/7 + tanh(y)**3"
vars = ["x", "y"]
start = [1.0, 1.5]
[optimizer]
type = "adam"
lr = 0.05
[schedule]
type = "cosine"
T_max = 60
"""

# (id, built-in name or None for FORMULA, run)
CASES = [
    ("himmelblau-sgd", "too-high-oscillation", 0),
    ("quadratic-best", "just-right", 0),
    ("rosenbrock-adam", "rosenbrock-sgd-vs-adam", 1),
    ("exponential-decay", "exponential-decay", 0),
    ("momentum-polyak", "momentum-ravine", 2),
    ("rmsprop", "rmsprop-equalizes", 1),
    ("adagrad", "adagrad-decays-too-fast", 0),
    ("saddle", "saddle-escape", 0),
    ("ackley-restarts", "warm-restarts", 0),
    ("camel-cyclic", "cyclic-lr", 0),
    ("plateau", "reduce-on-plateau", 0),
    ("formula-adam-cosine", None, 0),
]


def scenario_of(case):
    _, name, _ = case
    return parse_scenario(FORMULA, "formula.toml") if name is None else find_builtin(name).load()


def script_for(case) -> str:
    scenario = scenario_of(case)
    loss, spec = run_parts(scenario, case[2])
    return torch_script(scenario.name, scenario.steps, loss, spec, case[2], source=case[1] or "formula.toml")
