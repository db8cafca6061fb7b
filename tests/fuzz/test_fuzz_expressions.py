"""Fuzzed `expression` losses through `lrtui run`: formulas that train, overflow, or are refused cleanly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import strategies as fz
from tests.fuzz.harness import assert_clean, fuzz_settings, run_cli
from tests.fuzz.toml_writer import document

OPTIMIZERS = st.sampled_from(["sgd", "adam", "adagrad", "rmsprop", "adamw", "nadam"])
LEARNING_RATES = st.one_of(st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e300, 5e-324, 0.0]), st.floats(0, 2))
STARTS = st.one_of(st.none(), st.lists(st.one_of(st.floats(-3, 3), st.sampled_from([0.0, 1e300, -1e300, 1e-310])),
                                       min_size=2, max_size=2))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-expressions")


def _train(folder, expr, variables, start, optimizer, lr, steps, kind):
    loss = {"type": "expression", "expr": expr, "vars": variables}
    if start is not None:
        loss["start"] = start
    text = document({"name": "formula", "loss": loss, "optimizer": {"type": optimizer, "lr": lr}})
    path = folder / "formula.toml"
    path.write_text(text, encoding="utf-8")
    outcome = run_cli(["run", str(path), "--steps", str(steps), "--format", "csv"], kind)
    assert_clean(outcome, (str(path),))
    return outcome


@fuzz_settings(120)
@given(formula=fz.formulas(), prefix=st.sampled_from(["x*y + ", "", "exp(x*x) + y*", "log(x) + y/"]),
       start=STARTS, optimizer=OPTIMIZERS, lr=LEARNING_RATES, steps=st.integers(1, 30))
def test_generated_formulas(folder, formula, prefix, start, optimizer, lr, steps):
    _train(folder, prefix + formula, ["x", "y"], start, optimizer, lr, steps, "generated formula")


@fuzz_settings(60)
@given(text=st.one_of(st.text(max_size=120), st.text(alphabet="xy()+-*/.e0123456789 ,[]_'\"\\sincoexplgqrtab",
                                                        max_size=300)),
       variables=st.one_of(st.just(["x", "y"]), st.lists(st.one_of(st.sampled_from(["x", "y", "z", "e", "sin", "__x",
                                                                                      "lambda", "1x", ""]),
                                                                     st.text(max_size=4)), max_size=4),
                           st.sampled_from(["x", 3, [["x"]], [1.5]])))
def test_random_text_and_variable_lists(folder, text, variables):
    _train(folder, text, variables, None, "sgd", 0.01, 3, "random formula text")
