"""`pip install .` must ship everything `lrtui` needs to run from any directory."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "lrtui").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_wheel_carries_the_scenarios_the_data_and_the_styles(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    [wheel] = tmp_path.glob("lrtui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    scenarios = [n for n in names if n.startswith("lrtui/scenarios/") and n.endswith(".toml")]
    assert len(scenarios) == len(list((ROOT / "scenarios").glob("*.toml"))) >= 20
    assert "lrtui/core/data/digits.npz" in names
    assert "lrtui/tui/app.tcss" in names
    # Unpacked as pip would install it, the library is found from any directory.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from lrtui.scenario.library import builtin_scenarios as b; e = b(); print(len(e), e[0].path)"
    run = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
                         capture_output=True, text=True, cwd="/")
    count, path = run.stdout.split()
    assert int(count) >= 20 and path.startswith(str(site)), run.stderr
