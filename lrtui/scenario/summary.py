"""One-line summaries of scenario files, for `lrtui list` and the scenario browser."""

from __future__ import annotations

import re
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


TASK_STARTS = ("Try ", "Watch ", "Press ", "Compare ")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def sentences(description: str) -> list[str]:
    """The description's sentences, whitespace folded ("2/82 = 0.024." ends one; "e.g. x" does not split)."""
    words = " ".join(description.split())
    return [s for s in _SENTENCE_END.split(words) if s]


def lesson_parts(description: str) -> tuple[str, str]:
    """(explanation, task): the sentences that tell the learner what to try or watch, and the rest, in order."""
    parts = sentences(description)
    task = [s for s in parts if s.startswith(TASK_STARTS)]
    rest = [s for s in parts if not s.startswith(TASK_STARTS)]
    return " ".join(rest), " ".join(task)
