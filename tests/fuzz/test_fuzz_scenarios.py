"""Fuzzed scenario files through `lrtui run` and `lrtui check`: a run or a clean error, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import strategies as fz
from tests.fuzz.harness import CASE_SECONDS, assert_clean, fuzz_settings, run_cli
from tests.fuzz.toml_writer import document

FORMATS = st.sampled_from(["table", "csv", "json"])
STEPS = st.integers(1, 25)  # small budgets keep a valid run fast; the step limit itself is fuzzed separately


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-scenarios")


def _run_file(folder, text: str, kind: str, steps: int, output_format: str, name: str = "fuzzed.toml",
              seconds: float = CASE_SECONDS):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    outcome = run_cli(["run", str(path), "--steps", str(steps), "--format", output_format], kind, seconds)
    assert_clean(outcome, (str(path),))
    return outcome


@fuzz_settings(60)
@given(data=fz.random_documents, steps=STEPS, output_format=FORMATS)
def test_random_documents(folder, data, steps, output_format):
    _run_file(folder, document(data), "random TOML", steps, output_format)


@fuzz_settings(120)
@given(data=fz.built_scenarios(), steps=STEPS, output_format=FORMATS)
def test_scenarios_built_from_the_registries(folder, data, steps, output_format):
    _run_file(folder, document(data), "registry-built scenario", steps, output_format)


@fuzz_settings(80)
@given(mutated=fz.mutated_builtins(), steps=STEPS, output_format=FORMATS)
def test_mutated_builtin_scenarios(folder, mutated, steps, output_format):
    _, data = mutated
    _run_file(folder, document(data), "mutated built-in", steps, output_format)


def _mutate_text(text: str, draw) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["drop", "repeat", "insert", "cut", "swap"]))
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        if action == "drop":
            del lines[at]
        elif action == "repeat":
            lines.insert(at, lines[at])
        elif action == "insert":
            junk = draw(st.sampled_from(["[", "]", "=", '"', '"""', "'''", "\\", "#", "\t", "\x7f", "[[runs]]\n",
                                         "[loss]\n", "x = 1\n", "é", "\r", "\x00"]))
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + junk + lines[at][column:]
        elif action == "cut":
            lines = lines[:at]
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
    return "".join(lines)


@fuzz_settings(80)
@given(name=st.sampled_from(sorted(fz.BUILTINS)), data=st.data())
def test_mutated_builtin_text(folder, name, data):
    from lrtui.scenario.library import find_builtin

    text = _mutate_text(find_builtin(name).text(), data.draw)
    path = folder / "mutated.toml"
    path.write_text(text, encoding="utf-8")
    outcome = run_cli(["check", str(path)], "mutated built-in text")
    assert_clean(outcome, (str(path),))
    if outcome.code == 0:
        assert outcome.out == f"{path}: ok\n"
        _run_file(folder, text, "mutated built-in text", 3, "csv", "mutated.toml")


@fuzz_settings(30)
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace"))))
def test_random_bytes(folder, raw):
    path = folder / "bytes.toml"
    path.write_bytes(raw)
    assert_clean(run_cli(["check", str(path)], "random bytes"), (str(path),))


OVERRIDE_KEYS = ["optimizer.lr", "optimizer.type", "optimizer.betas", "schedule.type", "schedule.gamma", "loss.type",
                 "loss.start", "loss.eigenvalues", "loss.hidden", "steps", "seed", "runs", "sweep", "name",
                 "loss", "optimizer.lr.x", "runs.0.label", "a.b.c"]


@fuzz_settings(50)
@given(name=st.sampled_from(sorted(fz.BUILTINS)),
       overrides=st.lists(st.tuples(st.sampled_from(OVERRIDE_KEYS),
                                    st.one_of(st.sampled_from(["0.3", "1e300", "nan", "-inf", "[1,100]", "adam", "",
                                                               "true", "{a=1}", "[[1]]", "'x'", "1979-05-27",
                                                               "99999999999999999999999"]),
                                              st.text(max_size=10))),
                          min_size=1, max_size=3))
def test_set_overrides_on_builtins(name, overrides):
    argv = ["run", name, "--steps", "3"]
    for key, raw in overrides:
        argv += ["--set", f"{key}={raw}"]
    outcome = run_cli(argv, "--set overrides")
    assert_clean(outcome, (name, "--set"))


@pytest.mark.parametrize("steps", ["0", "-5", "10000001", "99999999999999999999"])
def test_step_budgets_outside_the_limit_are_refused(steps):
    outcome = run_cli(["run", "too-low-slow", "--steps", steps], "step limits")
    assert_clean(outcome, ("too-low-slow",))
    assert outcome.code == 2 and "steps: must be between 1 and 10,000,000" in outcome.err


def test_a_large_sweep_on_the_digits_model_starts_within_seconds(folder):
    lrs = [round(1e-4 * (1 + i), 6) for i in range(256)]
    data = {"name": "wide sweep", "loss": {"type": "mlp", "dataset": "digits", "hidden": [32]},
            "optimizer": {"type": "sgd", "lr": 0.1}, "sweep": {"optimizer.lr": lrs}}
    # About 1 s alone (it was 11 s when every run's sharpness was estimated before step 1); the bound leaves
    # room for a machine busy with other work.
    _run_file(folder, document(data), "large sweep", 1, "table", "sweep.toml", seconds=6.0)
