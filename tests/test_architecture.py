"""The engine must stay free of the UI: importing it never pulls in Textual."""

import subprocess
import sys
from pathlib import Path


def modules_under(*packages: str) -> list[str]:
    """Every module of these packages, found on disk, so a new module is covered without a list to update."""
    root = Path(__file__).resolve().parents[1]
    found = []
    for package in packages:
        folder = root / package.replace(".", "/")
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


# The engine and everything the headless commands load: none may pull in the UI.
ENGINE_MODULES = modules_under("lrtui.core", "lrtui.scenario") + [
    "lrtui.cli", "lrtui.find_command", "lrtui.diagnose_command", "lrtui.export", "lrtui.logs", "lrtui.process",
    "lrtui.text", "lrtui.writing", "lrtui.serve_command",
]


def test_the_module_list_is_real():
    assert len(ENGINE_MODULES) > 60 and "lrtui.core.finder.rules" in ENGINE_MODULES


def test_engine_imports_no_textual():
    code = (
        "import sys, importlib\n"
        f"for name in {ENGINE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext', 'plotext', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"engine imported UI modules: {out.stdout.strip()}"


def test_no_source_file_grows_past_500_lines():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "lrtui"
    too_long = {str(p.relative_to(root)): n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) > 500}
    assert not too_long, too_long
