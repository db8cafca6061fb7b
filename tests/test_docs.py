"""Every key a scenario accepts is documented, so the docs cannot drift from the engine."""

from pathlib import Path

import pytest

from lrtui.core.losses import LOSSES
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.core.schedules import SCHEDULES
from lrtui.scenario.loader import TOP_LEVEL
from lrtui.scenario.params import parameter_table

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCENARIOS_DOC = (DOCS / "scenarios.md").read_text()
SCHEDULES_DOC = (DOCS / "schedules.md").read_text()


@pytest.mark.parametrize("registry, doc", [(LOSSES, SCENARIOS_DOC), (OPTIMIZERS, SCENARIOS_DOC),
                                           (SCHEDULES, SCHEDULES_DOC)])
def test_every_type_and_parameter_is_documented(registry, doc):
    missing = []
    for name, cls in registry.items():
        if f"`{name}`" not in doc:
            missing.append(name)
        defaults, required = parameter_table(cls)
        missing += [f"{name}.{key}" for key in (set(defaults) | required) if f"`{key}`" not in doc]
    assert not missing, f"undocumented: {missing}"


def test_every_top_level_key_is_documented():
    assert all(f"`{key}`" in SCENARIOS_DOC or f"`[{key}]`" in SCENARIOS_DOC or f"`[[{key}]]`" in SCENARIOS_DOC
               for key in TOP_LEVEL)


def test_readme_quick_start_has_exactly_the_two_commands():
    readme = (DOCS.parent / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("make ")]
    assert commands == ["make run", "make test"]


def test_readme_python_example_runs():
    import re
    import subprocess
    import sys

    readme = (DOCS.parent / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 3
