"""Hypothesis strategies for hostile scenario data and formulas.

Three sources of scenarios: fully random documents over the real key
vocabulary, scenarios built type by type from the core registries with
plausible or hostile parameter values, and the built-in scenarios with a few
keys changed, deleted or retyped.
"""

from __future__ import annotations

import datetime
import tomllib

from hypothesis import strategies as st

from lrtui.core.data import DATASETS
from lrtui.core.expression import FUNCTIONS
from lrtui.core.losses import LOSSES
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.core.schedules import SCHEDULES
from lrtui.scenario.library import builtin_scenarios
from lrtui.scenario.loader import TOP_LEVEL
from lrtui.scenario.params import parameter_table

REGISTRIES = {"loss": LOSSES, "optimizer": OPTIMIZERS, "schedule": SCHEDULES}
PARAMETERS = {section: {name: parameter_table(cls) for name, cls in registry.items()}
              for section, registry in REGISTRIES.items()}
KEYS = sorted({key for tables in PARAMETERS.values() for defaults, required in tables.values()
               for key in (*defaults, *required)} | {"type", "start", "label"})
TYPE_NAMES = sorted({*LOSSES, *OPTIMIZERS, *SCHEDULES, *DATASETS, "relu", "tanh", "sigmoid", "min", "max", "rel",
                     "abs", "cos", "linear", "triangular", "triangular2", "exp_range"})
BUILTINS = {entry.name: tomllib.loads(entry.text()) for entry in builtin_scenarios()}

# Numbers that sit on edges: zero, signs, float64's extremes, integers past int64 and past float64's exact range.
EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 0.9, 0.999, 1.0 - 1e-16, 1e-8, 5e-324, 1e-320, 1e-300, 1e300, -1e300,
               1.7976931348623157e308, float("inf"), float("-inf"), float("nan")]
EDGE_INTS = [0, 1, -1, 2, 3, 7, 64, 65, 4096, 4097, 10**6, 10**7, 10**9, 2**31, 2**53 + 1, 2**63 - 1, -(2**63),
             10**30]

short_text = st.one_of(st.sampled_from(TYPE_NAMES + KEYS), st.text(max_size=12),
                       st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8))
numbers = st.one_of(st.sampled_from(EDGE_FLOATS), st.sampled_from(EDGE_INTS), st.integers(-1000, 1000),
                    st.floats(allow_nan=True, allow_infinity=True), st.floats(-10, 10))
scalars = st.one_of(numbers, st.booleans(), short_text,
                    st.dates(min_value=datetime.date(1, 1, 1)).map(lambda d: d),
                    st.just(datetime.time(7, 32)))
hostile = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=8,
)
# Lists long enough to trip size limits, but not so long that a valid run of them is slow.
long_lists = st.sampled_from([[1.0] * 1001, list(range(1, 2049)), [0.5] * 64, [[0.0, 0.0]] * 300])


def _near(default):
    """A value of the default's own type, near it or at an edge."""
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.one_of(st.integers(0, 60), st.sampled_from(EDGE_INTS))
    if isinstance(default, float):
        scaled = [default * f for f in (0.1, 0.5, 1.0, 2.0, 10.0)]
        return st.one_of(st.sampled_from(scaled), st.sampled_from(EDGE_FLOATS), st.floats(-2, 2))
    if isinstance(default, str):
        return st.sampled_from(TYPE_NAMES)
    if isinstance(default, tuple):
        return st.lists(st.one_of(st.floats(0, 1), st.integers(1, 64), st.sampled_from(EDGE_FLOATS)),
                        min_size=0, max_size=4)
    return hostile


def _schedulers():
    simple = st.sampled_from([
        {"type": "linear", "start_factor": 0.1, "total_iters": 3},
        {"type": "constant"},
        {"type": "cosine", "T_max": 10},
        {"type": "step", "step_size": 2, "gamma": 0.5},
        {"type": "exponential", "gamma": 1e300},
        {"type": "plateau", "patience": 0},
        {"type": "cyclic", "base_lr": 0.1, "max_lr": 1.0},
        {"type": "nope"},
    ])
    return st.lists(st.one_of(simple, hostile), min_size=0, max_size=3)


# Values for parameters whose default is None (so their type is the core's to check).
OPEN_PARAMETERS = {
    "eigenvalues": st.one_of(st.lists(st.one_of(st.floats(-5, 100), st.sampled_from(EDGE_FLOATS)), max_size=5),
                             long_lists),
    "condition_number": st.one_of(st.floats(0, 1e6), st.sampled_from(EDGE_FLOATS)),
    "rotation_seed": st.one_of(st.integers(-5, 2**64), st.sampled_from(EDGE_FLOATS)),
    "center": st.lists(st.one_of(st.floats(-3, 3), st.sampled_from(EDGE_FLOATS)), max_size=4),
    "start": st.one_of(st.lists(st.one_of(st.floats(-3, 3), st.sampled_from(EDGE_FLOATS), st.integers(-5, 5)),
                                min_size=1, max_size=4), long_lists),
    "window": st.lists(st.one_of(st.floats(-5, 5), st.sampled_from(EDGE_FLOATS)), max_size=5),
    "minima": st.lists(st.lists(st.floats(-3, 3), max_size=3), max_size=3),
    "min_value": numbers,
    "batch_size": st.one_of(st.integers(-2, 70), st.sampled_from(EDGE_INTS)),
    "n_samples": st.one_of(st.integers(-2, 500), st.sampled_from(EDGE_INTS)),
    "noise": numbers,
    "dataset": st.sampled_from([*DATASETS, "mnist", "digits "]),
    "milestones": st.lists(st.one_of(st.integers(-1, 40), st.sampled_from(EDGE_INTS)), max_size=4),
    "schedulers": _schedulers(),
    "step_size_down": st.one_of(st.integers(-1, 30), st.sampled_from(EDGE_INTS)),
    "hidden": st.one_of(st.lists(st.one_of(st.integers(-1, 16), st.sampled_from(EDGE_INTS)), max_size=4),
                        st.just([2] * 300)),
    "vars": st.just(["x", "y"]),
    "expr": st.sampled_from(["x*x + y*y", "exp(x*x) + y", "(1 - x)**2 + 100*(y - x*x)**2", "x/y", "log(x) + y"]),
}
REQUIRED_PLAUSIBLE = {
    "step_size": st.integers(1, 30), "gamma": st.floats(0.01, 2), "T_max": st.integers(1, 40),
    "T_0": st.integers(1, 20), "base_lr": st.floats(0, 0.1), "max_lr": st.floats(0, 1),
    "total_steps": st.integers(1, 60), "milestones": st.lists(st.integers(1, 40), min_size=1, max_size=2).map(sorted),
    "dataset": st.sampled_from(DATASETS), "expr": OPEN_PARAMETERS["expr"], "vars": st.just(["x", "y"]),
    "schedulers": _schedulers(),
}


def _plausible(key: str, default):
    """A value a user might well write for this parameter (still not always a valid one)."""
    if key in PLAUSIBLE_OPEN:
        return PLAUSIBLE_OPEN[key]
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(1, 20)
    if isinstance(default, float):
        return st.sampled_from([default, default * 0.5, default * 2] if default else [0.0, 0.01, 0.5])
    if isinstance(default, str):
        return st.just(default)
    if isinstance(default, tuple):
        return st.sampled_from([list(default), [0.5, 0.9], [8], [4, 4]])
    return None


PLAUSIBLE_OPEN = {
    "eigenvalues": st.lists(st.floats(0.1, 100), min_size=1, max_size=4), "condition_number": st.floats(1, 1e4),
    "rotation_seed": st.integers(0, 9), "dataset": st.sampled_from(DATASETS), "batch_size": st.integers(0, 64),
    "n_samples": st.integers(10, 300), "noise": st.floats(0, 0.5), "hidden": st.lists(st.integers(1, 16), min_size=1,
                                                                                      max_size=3),
    "step_size_down": st.integers(1, 30), "milestones": REQUIRED_PLAUSIBLE["milestones"],
    "gamma": st.floats(0.5, 1.0),
}


@st.composite
def built_section(draw, section: str, wild: bool):
    """One [loss], [optimizer] or [schedule] table of a real type.

    Tame tables hold plausible values only; wild ones mix in hostile values, missing and unknown keys.
    """
    registry = REGISTRIES[section]
    name = draw(st.sampled_from(sorted(registry)))
    defaults, required = PARAMETERS[section][name]
    table = {"type": name}
    for key in sorted(required):
        if not wild or draw(st.integers(0, 9)):  # a wild table now and then leaves a required key out
            table[key] = draw(REQUIRED_PLAUSIBLE.get(key, hostile) if not wild or draw(st.integers(0, 3)) else hostile)
    for key, default in defaults.items():
        if draw(st.integers(0, 3)):
            continue
        if not wild:
            strategy = _plausible(key, default)
            if strategy is not None:
                table[key] = draw(strategy)
            continue
        choices = [OPEN_PARAMETERS.get(key, hostile) if default is None else _near(default), hostile]
        table[key] = draw(st.sampled_from(choices).flatmap(lambda s: s))
    if wild and draw(st.integers(0, 9)) == 0:
        table[draw(st.sampled_from(KEYS))] = draw(hostile)  # a key this type may not have
    return table


@st.composite
def built_scenarios(draw) -> dict:
    wild = draw(st.booleans())
    # Names with control characters are refused at load; tests/fuzz/test_fuzz_text.py fuzzes those.
    data = {"name": draw(st.one_of(st.just("fuzzed"), short_text.filter(str.isprintable))),
            "loss": draw(built_section("loss", wild)),
            "optimizer": draw(built_section("optimizer", wild))}
    if draw(st.booleans()):
        data["schedule"] = draw(built_section("schedule", wild))
    for key in ("seed", "eval_every", "description"):
        if draw(st.integers(0, 4)) == 0:
            tame = st.text(max_size=40) if key == "description" else st.integers(0, 50)
            data[key] = draw(st.one_of(st.integers(-1, 50), hostile) if wild else tame)
    if draw(st.integers(0, 3)) == 0:
        data["runs"] = draw(st.lists(_run_override() if wild else _tame_run(), min_size=1, max_size=3))
    if draw(st.integers(0, 4)) == 0:
        if wild:
            keys, values = st.sampled_from(["optimizer.lr", "optimizer.momentum", "loss.seed", "schedule.gamma",
                                            "lr", "loss"]), st.lists(numbers, min_size=0, max_size=3)
        else:
            keys, values = st.just("optimizer.lr"), st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=4)
        data["sweep"] = draw(st.dictionaries(keys, values, max_size=2))
    return data


@st.composite
def _tame_run(draw) -> dict:
    run = {"label": draw(st.text(max_size=10))}
    if draw(st.booleans()):
        run["optimizer"] = {"lr": draw(st.floats(1e-4, 2.0))}
    if draw(st.integers(0, 3)) == 0:
        run["optimizer"] = {"type": draw(st.sampled_from(sorted(OPTIMIZERS)))}
    return run


@st.composite
def _run_override(draw) -> dict:
    run = {}
    if draw(st.booleans()):
        run["label"] = draw(st.one_of(short_text, hostile))
    for section in ("loss", "optimizer", "schedule"):
        if draw(st.integers(0, 2)) == 0:
            key = draw(st.sampled_from([*KEYS, "type"]))
            run[section] = {key: draw(st.one_of(st.sampled_from(TYPE_NAMES), numbers, hostile))}
    if draw(st.integers(0, 9)) == 0:
        run[draw(st.sampled_from(["steps", "lr", "x"]))] = draw(hostile)
    return run


def _leaf_paths(data, prefix=()):
    if isinstance(data, dict):
        for key, item in data.items():
            yield (*prefix, key)
            yield from _leaf_paths(item, (*prefix, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, (dict, list)):
                yield (*prefix, index)
                yield from _leaf_paths(item, (*prefix, index))


def _parent(data, path):
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated_builtins(draw) -> tuple[str, dict]:
    """(built-in name, its data with one to four keys set, deleted, retyped or added)."""
    import copy

    name = draw(st.sampled_from(sorted(BUILTINS)))
    data = copy.deepcopy(BUILTINS[name])
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_leaf_paths(data))
        action = draw(st.sampled_from(["set", "set", "delete", "retype", "add"]))
        if action == "add" or not paths:
            section = draw(st.sampled_from(["loss", "optimizer", "schedule", "sweep", None]))
            target = data.setdefault(section, {}) if section else data
            if isinstance(target, dict):
                target[draw(st.sampled_from(KEYS))] = draw(st.one_of(numbers, hostile))
            continue
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        if action == "delete":
            del parent[path[-1]]
        elif action == "retype" and "loss" in data and isinstance(data.get(path[0]), dict):
            section = draw(st.sampled_from(sorted(REGISTRIES)))
            if isinstance(data.get(section), dict):
                data[section]["type"] = draw(st.sampled_from(sorted(REGISTRIES[section])))
        else:
            old = parent[path[-1]]
            fresh = _near(old) if isinstance(old, (bool, int, float, str)) else hostile
            parent[path[-1]] = draw(st.one_of(fresh, hostile))
    return name, data


random_documents = st.dictionaries(st.sampled_from(sorted(TOP_LEVEL) + ["lr", "x"]),
                                   st.one_of(hostile, st.dictionaries(st.sampled_from(KEYS), hostile, max_size=5)),
                                   max_size=8)


# -- formulas ---------------------------------------------------------------------------------------

ATOMS = ["x", "y", "2", "0.5", "1e300", "1e-300", "pi", "e", "0", "710", "64", "-64", "1e308"] * 3 + ["z", "__class__"]


def formulas(max_leaves: int = 20):
    """Formulas mostly inside the grammar (so they compile and train), with a share of outside constructs."""

    def grow(inner):
        # About one construct in twenty is outside the grammar, so most formulas compile and train.
        operators = ["+", "-", "*", "/", "**"] * 8 + ["%", "//", "@", " if x else "]
        functions = [*FUNCTIONS] * 4 + ["ln", "open", "eval", "__import__", "getattr"]
        return st.one_of(
            st.tuples(inner, st.sampled_from(operators), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(functions), inner).map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda s: f"-{s}"),
            st.tuples(inner, st.sampled_from(["2", "64", "0.5", "-1", "y", "3"] * 4 + ["65", "9**9", "1e400"])).map(
                lambda t: f"({t[0]})**{t[1]}"),
        )

    leaves = st.one_of(st.sampled_from(ATOMS), st.floats(allow_nan=False, allow_infinity=False).map(repr))
    return st.recursive(leaves, grow, max_leaves=max_leaves)
