"""A few fuzzed inputs through the real `lrtui` command in its own process, with a hard time and memory limit.

The in-process cases are fast; these check what only a real process shows: the exit status the shell sees,
that nothing reaches stderr but the error (no traceback, no NumPy warning), and that the process stays within
an address-space limit set before it starts.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import strategies as fz
from tests.fuzz.harness import CASES, SLOWEST, fuzz_settings
from tests.fuzz.test_fuzz_logs import logs
from tests.fuzz.toml_writer import document

PROCESS_SECONDS = 30  # interpreter start-up included, on a shared machine
PROCESS_MEMORY = 3 * 2**30


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (PROCESS_MEMORY, PROCESS_MEMORY))


def run_process(args: list[str], path, kind: str) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lrtui", *args], capture_output=True, text=True,
                          timeout=PROCESS_SECONDS, preexec_fn=_limit_memory)
    elapsed = time.perf_counter() - started
    CASES[f"{kind} (own process)", "valid" if done.returncode == 0 else "refused"] += 1
    SLOWEST[f"{kind} (own process)"] = max(SLOWEST.get(f"{kind} (own process)", 0.0), elapsed)
    detail = f"lrtui {' '.join(args)} -> {done.returncode}\nstderr: {done.stderr[:3000]!r}"
    assert done.returncode in (0, 2), detail
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr, detail
    if done.returncode == 0:
        assert done.stderr == "" and done.stdout, detail
    else:
        lines = done.stderr.rstrip("\n").split("\n")
        assert all(line.startswith((str(path), path.name)) for line in lines), detail
    return done


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-processes")


@fuzz_settings(3, long_share=0.02)
@given(mutated=fz.mutated_builtins(), steps=st.integers(1, 20))
def test_mutated_scenarios_in_a_real_process(folder, mutated, steps):
    path = folder / "mutated.toml"
    path.write_text(document(mutated[1]), encoding="utf-8")
    run_process(["run", str(path), "--steps", str(steps), "--format", "json"], path, "mutated built-in")


@fuzz_settings(2, long_share=0.02)
@given(data=fz.built_scenarios())
def test_registry_built_scenarios_in_a_real_process(folder, data):
    path = folder / "built.toml"
    path.write_text(document(data), encoding="utf-8")
    run_process(["run", str(path), "--steps", "5"], path, "registry-built scenario")


@fuzz_settings(2, long_share=0.02)
@given(log=logs())
def test_training_logs_in_a_real_process(folder, log):
    name, text = log
    path = folder / name
    path.write_text(text, encoding="utf-8")
    run_process(["diagnose", str(path), "--plot"], path, "training log")
