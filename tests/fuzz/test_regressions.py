"""Inputs the fuzzing found to crash, hang, warn or explain themselves badly, pinned with the answer they get now."""

from __future__ import annotations

import json
import os

import pytest

from tests.fuzz.harness import assert_clean, bounded_memory, run_cli
from tests.fuzz.toml_writer import document

SGD = {"type": "sgd", "lr": 0.01}


def scenario(loss: dict, optimizer=SGD, **top) -> str:
    return document({"name": "regression", **top, "loss": loss, "optimizer": optimizer})


SCENARIOS = [  # (file text, what the one-line error must say; None: the run must train)
    # Sizes that allocated gigabytes, or took minutes, before anything checked them.
    (scenario({"type": "quadratic", "dims": 10**9}), "loss.dims: must be from 1 to 1,000, got 1000000000"),
    (scenario({"type": "quadratic", "eigenvalues": [1.0] * 1001}), "loss.eigenvalues: must have at most 1,000 values"),
    (scenario({"type": "rastrigin", "dims": 10**9}), "loss.dims: must be from 1 to 1,000,000"),
    (scenario({"type": "mlp", "dataset": "xor", "hidden": [100_000, 100_000]}),
     "loss.hidden: makes a model with 10,000,600,002 parameters; at most 1,000,000 are allowed"),
    (scenario({"type": "mlp", "dataset": "digits", "hidden": [9000]}), "MB of working memory per run; at most 256 MB"),
    (scenario({"type": "mlp", "dataset": "xor", "hidden": [2] * 65}),
     "loss.hidden: must list at most 64 layers, got 65"),
    (scenario({"type": "mlp", "dataset": "xor", "n_samples": 10**9}),
     "loss.n_samples: must be a whole number >= 10 and at most 100,000"),
    (scenario({"type": "mlp", "dataset": "digits", "hidden": [300]}, sweep={"optimizer.lr": [0.1] * 1000}),
     "parameters in all (runs x parameters per run); at most 4,194,304 are allowed"),
    (scenario({"type": "beale"}, {"type": "sgd", "lr": 0.1}, schedule={"type": "multistep", "milestones": [10**19]}),
     "schedule.milestones: milestones[0] must be at most 1,000,000,000"),
    # Python's and NumPy's own messages, which named neither the key nor what is allowed.
    (scenario({"type": "quadratic", "condition_number": "a"}), "loss.condition_number: must be a finite number >= 1"),
    (scenario({"type": "quadratic", "rotation_seed": 1.5}), "loss.rotation_seed: must be a whole number >= 0"),
    (scenario({"type": "rastrigin", "dims": -1}), "loss.dims: must be from 1 to 1,000,000, got -1"),
    (scenario({"type": "mlp", "dataset": "xor", "noise": "a"}), "loss.noise: must be a finite number >= 0"),
    (scenario({"type": "mlp", "dataset": "xor", "data_seed": -1}), "loss.data_seed: must be a whole number >= 0"),
    (scenario({"type": "rosenbrock", "a": 1e200}), "loss.a: must be below 1e154 in size"),
    # Tracebacks.
    (scenario({"type": "quadratic", "eigenvalues": {"a": __import__("datetime").date(2000, 1, 1)}}),
     "loss.eigenvalues: is a date or time"),
    (document({"name": "r", "schedule": 20, "loss": {"type": "beale"}, "optimizer": SGD,
               "runs": [{"schedule": {"type": "constant"}}]}), "schedule: must be a table such as [schedule]"),
    (scenario({"type": "beale"}, schedule={"type": "sequential", "milestones": [1],
                                           "schedulers": [{"type": ["a"]}, {"type": "constant"}]}),
     'schedulers[0] type must be a schedule name in quotes'),
    # A warning on stderr: the matrix of eigenvalues near float64's largest overflowed as it was symmetrised.
    (scenario({"type": "quadratic", "eigenvalues": [1e308, 1e308]}), None),
    # Escape sequences from the file reach the terminal only as text.
    (scenario({"type": "beale"}, {"type": "\x1b[2Jsgd"}), 'optimizer.type: unknown optimizer "\\x1b[2Jsgd"'),
]


@pytest.mark.parametrize("text, expected", SCENARIOS, ids=[str(i) for i in range(len(SCENARIOS))])
def test_scenarios_the_fuzzing_found(tmp_path, text, expected):
    path = tmp_path / "found.toml"
    path.write_text(text, encoding="utf-8")
    outcome = run_cli(["run", str(path), "--steps", "3"], "regression")
    assert_clean(outcome, (str(path),))
    if expected is None:
        assert outcome.code == 0
    else:
        assert outcome.code == 2 and expected in outcome.err, outcome.describe()


def test_names_and_labels_with_escape_sequences_are_refused_with_the_key(tmp_path):
    # They were shown escaped in the table, but reached the terminal raw elsewhere (issue 15): now refused.
    path = tmp_path / "labels.toml"
    path.write_text(document({"name": "a\x1b[2Jb", "loss": {"type": "beale"}, "optimizer": SGD,
                              "runs": [{"label": "\x1b[31mred"}]}), encoding="utf-8")
    outcome = run_cli(["run", str(path), "--steps", "3"], "regression")
    assert_clean(outcome, (str(path),))
    assert outcome.code == 2 and outcome.out == ""
    assert f"{path}:1: name: holds U+001B (ESCAPE) at character 2" in outcome.err
    assert "runs[0].label: holds U+001B (ESCAPE) at character 1" in outcome.err


def test_json_export_of_a_run_whose_schedule_overflowed_is_strict_json(tmp_path):
    path = tmp_path / "overflow.toml"
    path.write_text(document({"name": "o", "loss": {"type": "quadratic", "eigenvalues": [1.0, 50.0]},
                              "optimizer": SGD, "schedule": {"type": "exponential", "gamma": 1e300}}))
    outcome = run_cli(["run", str(path), "--steps", "20", "--format", "json"], "regression")
    assert_clean(outcome, (str(path),))
    data = json.loads(outcome.out, parse_constant=lambda token: pytest.fail(f"{token} is not JSON"))
    assert data["runs"][0]["status"] == "diverged" and data["runs"][0]["diverged_at"] == 2


LOGS = [  # (file name, bytes, extra arguments, what stderr must say; None: a report)
    ("header.csv", b"\r\x01", [], "no loss column; found columns \\x01"),
    ("mac.csv", b"step,loss\r0,1\r1,0.5\r", [], None),  # lines ended by \r alone
    ("deep.jsonl", b'{"loss": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", [], "brackets nested too deeply"),
    ("digits.jsonl", b'{"loss": ' + b"1" * 5000 + b"}\n", [], "a number too long"),
    ("huge_step.jsonl", b'{"loss": 1, "step": ' + b"1" * 400 + b"}\n", [], "step is empty or not finite"),
    ("extreme.csv", b"step,loss\n0,1\n1,0.5\n2,1.7976931348623157e308\n3,0\n", ["--plot"], None),
    ("steps.csv", b"step,loss\n0,1\n1,0.5\n2,0.3\n1e308,0.2\n-1e308,0.1\n", ["--plot"], None),
    ("tiny.csv", b"step,loss\n0,5e-324\n1,1e-320\n2,3e-322\n3,4e-323\n", ["--plot"], None),
    # The top decade tick fell below the data, which plotext then failed to draw (IndexError).
    ("keras.csv", b"epoch,loss,val_loss\n0,1.0,1.1\n1,2.3e-56,\n2,1.0,\n3,1.0,1.1\n4,1.0,\n", ["--plot"], None),
]


@pytest.mark.parametrize("name, data, extra, expected", LOGS, ids=[case[0] for case in LOGS])
def test_logs_the_fuzzing_found(tmp_path, name, data, extra, expected):
    path = tmp_path / name
    path.write_bytes(data)
    outcome = run_cli(["diagnose", str(path), *extra], "regression")
    assert_clean(outcome, (str(path), name))
    if expected is None:
        assert outcome.code == 0
    else:
        assert outcome.code == 2 and expected in outcome.err, outcome.describe()


def test_a_log_too_short_to_judge_says_so_in_its_first_line(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("iteration,train_loss,lr\n0,1.5,0.1\n1,1.4,\n")
    outcome = run_cli(["diagnose", str(path)], "regression")
    assert outcome.out.splitlines()[0] == "improving: too few points to judge: 2 (lrtui needs 12)"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero, a file that never ends")
def test_a_log_that_never_ends_is_refused_in_bounded_memory():
    # stat() gives a device (or a pipe from <(...)) no size, so the size check alone let it read forever.
    outcome = run_cli(["diagnose", "/dev/zero"], "regression")
    assert_clean(outcome, ("zero",))
    assert outcome.code == 2 and "zero is a binary file" in outcome.err  # its first bytes are NULs: refused at once


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero, a file that never ends")
def test_a_scenario_that_never_ends_is_refused_in_bounded_memory():
    from pathlib import Path

    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.source import read_text

    with bounded_memory(512 * 2**20), pytest.raises(ScenarioError, match="limited to 1,000,000 bytes"):
        read_text(Path("/dev/zero"))


def test_a_range_test_from_the_smallest_float_ramps_without_overflow():
    # end_lr / start_lr overflowed to inf, so the ramp's last LR was inf and --verify refused its own grid.
    outcome = run_cli(["find", "adagrad-decays-too-fast", "--start-lr=5e-324", "--num-it", "2", "--verify",
                       "--set", "steps=1", "--grid-points", "2"], "regression")
    assert_clean(outcome, ("adagrad-decays-too-fast",))
    assert outcome.code == 0 and "4.94e-324" in outcome.out
