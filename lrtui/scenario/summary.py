"""One-line summaries of scenario files, for `lrtui list` and the scenario browser."""

from __future__ import annotations

import tomllib

from lrtui.text import visible


def summary_line(text: str, width: int = 100) -> str:
    """The scenario's name and the first sentence of its description."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "(invalid TOML)"
    name = str(data.get("name", "")).strip()
    description = " ".join(str(data.get("description", "")).split())
    first = description.split(". ")[0].rstrip(".")
    line = visible(f"{name}: {first}" if first else name)  # the file may not load: its text is not checked
    return line if len(line) <= width else line[: width - 1] + "…"
