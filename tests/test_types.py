"""mypy over lrtui/core and lrtui/scenario, with the settings in pyproject.toml's [tool.mypy]: a type error fails
`make test`. mypy keeps its cache in .mypy_cache, so a run after the first takes a few seconds."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["lrtui/core", "lrtui/scenario"]

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed: `pip install -e '.[test]'` (or `make test`) brings it")


def mypy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_core_and_scenario_have_no_type_errors():
    done = mypy(*CHECKED)
    assert done.returncode == 0, f"mypy {' '.join(CHECKED)} reports:\n{done.stdout}{done.stderr}"
    assert done.stdout.startswith("Success: no issues found"), done.stdout


def test_the_check_fails_on_a_type_error(tmp_path):
    """The settings catch the errors they are there for, in a function without annotations too."""
    bad = tmp_path / "bad.py"
    bad.write_text("from typing import Optional\n\n\n"
                   "def first(xs: list[int]) -> Optional[int]:\n    return xs[0] if xs else None\n\n\n"
                   "def untyped(xs):\n    return first(xs) + 1\n")
    done = mypy(str(bad))
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'Unsupported operand types for + ("None" and "int")' in done.stdout, done.stdout
