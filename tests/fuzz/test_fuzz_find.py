"""Fuzzed scenarios and options through `lrtui find`: a range test's report or a clean one-line error.

The scenarios come from the same strategies as `lrtui run`'s (built from the registries, built-ins with keys
changed); the options are drawn around their edges: runs past the last, ramps that start above their end or
at float64's extremes, a step count of 0 or past the limit, --verify on a short budget.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import strategies as fz
from tests.fuzz.harness import assert_clean, fuzz_settings, run_cli
from tests.fuzz.toml_writer import document

OPTION_NAMES = ("--run", "--start-lr", "--end-lr", "--num-it", "--grid-points", "--set")
LR_TEXTS = ["1e-7", "10", "0", "-1", "nan", "inf", "-inf", "5e-324", "1e-320", "1e300", "1.7976931348623157e308",
            "1e-3", "0.1", "1", "3"]
RULES = ("valley", "slide", "steep", "minimum", "gradient")


@st.composite
def find_options(draw) -> list[str]:
    """Options as argparse accepts them (numbers that parse): mostly usable, one in six at or past an edge."""
    def hostile() -> bool:
        return draw(st.integers(0, 5)) == 0

    args = []
    if draw(st.booleans()):
        args += ["--run", str(draw(st.sampled_from([1, 2, -1, 7, 4096, 10**19]) if hostile() else st.just(0)))]
    for option, tame in (("--start-lr", ["1e-7", "1e-5", "1e-3"]), ("--end-lr", ["1", "10", "3"])):
        if draw(st.booleans()):
            wild = st.one_of(st.sampled_from(LR_TEXTS), st.floats().map(repr))
            args += [f"{option}={draw(wild if hostile() else st.sampled_from(tame))}"]
    # Short ramps keep a valid case fast; the edges of the step count are drawn as well.
    edges = st.sampled_from([0, 1, -5, 1_000_001, 10**20])
    args += ["--num-it", str(draw(edges if hostile() else st.integers(2, 40)))]
    args += ["--mode", draw(st.sampled_from(["exp", "linear"]))]
    if draw(st.integers(0, 4)) == 0:
        # --verify trains the scenario's budget at every pick and grid point: a short budget and grid.
        grid = st.sampled_from([0, 1, 1001]) if hostile() else st.sampled_from([2, 3, 5])
        args += ["--verify", "--set", f"steps={draw(st.integers(1, 15))}", "--grid-points", str(draw(grid))]
    args += ["--format", draw(st.sampled_from(["table", "json"]))]
    return args


def _check_report(outcome, output_format: str) -> None:
    """A run that ended well printed a report: every rule, and JSON that strict parsers accept."""
    if outcome.code != 0:
        return
    if output_format == "json":
        report = json.loads(outcome.out, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
        assert set(report["suggestions"]) <= set(RULES) and report["curve"]["lr"], outcome.describe()
        assert len(report["curve"]["lr"]) == len(report["curve"]["loss"]), outcome.describe()
    else:
        assert outcome.out.startswith("LR range test: ") and all(rule in outcome.out for rule in RULES), \
            outcome.describe()


def _find(folder, data: dict, options: list[str], kind: str):
    path = folder / "find.toml"
    path.write_text(document(data), encoding="utf-8")
    outcome = run_cli(["find", str(path), *options], kind)
    assert_clean(outcome, (str(path),) + OPTION_NAMES)
    _check_report(outcome, options[options.index("--format") + 1])
    return outcome


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-find")


def _short(data: dict) -> dict:
    """The scenario with a small step budget, as generated scenarios may ask for millions."""
    return {**data, "steps": min(data["steps"], 50) if isinstance(data.get("steps"), int) else data.get("steps", 20)}


@fuzz_settings(40)
@given(data=fz.built_scenarios(), options=find_options())
def test_find_on_scenarios_built_from_the_registries(folder, data, options):
    _find(folder, _short(data), options, "find: registry-built scenario")


@fuzz_settings(40)
@given(mutated=fz.mutated_builtins(), options=find_options())
def test_find_on_mutated_builtin_scenarios(folder, mutated, options):
    _find(folder, _short(mutated[1]), options, "find: mutated built-in")


@fuzz_settings(20)
@given(name=st.sampled_from(sorted(fz.BUILTINS)), options=find_options())
def test_find_on_every_builtin_with_fuzzed_options(name, options):
    outcome = run_cli(["find", name, *options], "find: built-in, fuzzed options")
    assert_clean(outcome, (name,) + OPTION_NAMES)
    _check_report(outcome, options[options.index("--format") + 1])


@pytest.mark.parametrize("options, message", [
    (["--start-lr", "nan"], "--start-lr must be a finite number > 0, got nan"),
    (["--end-lr", "1e-9"], "--end-lr must be larger than start_lr (1e-07), got 1e-09"),
    (["--num-it", "1"], "--num-it must be a whole number from 2 to 1,000,000, got 1"),
    (["--run", "5"], "--run must be from 0 to 1 (the runs of"),
])
def test_options_outside_what_find_allows_name_the_option(options, message):
    outcome = run_cli(["find", "too-low-slow", *options], "find: option edges")
    assert_clean(outcome, OPTION_NAMES)
    assert outcome.code == 2 and outcome.err.startswith(message), outcome.describe()
