"""The engine must stay free of the UI: importing it never pulls in Textual."""

import subprocess
import sys

ENGINE_MODULES = [
    "lrtui.core.losses",
    "lrtui.core.simulation",
    "lrtui.core.optimizers",
    "lrtui.core.schedules",
    "lrtui.core.sharpness",
    "lrtui.core.history",
]


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
