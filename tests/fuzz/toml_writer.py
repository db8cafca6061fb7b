"""Writing arbitrary nested Python data as TOML text, for fuzzed scenario files.

The project's own writer (lrtui.scenario.writer) only writes what a scenario
holds; fuzzing needs any shape: dates, empty tables, arrays of tables, lists
of tables, keys that need quotes, nan and inf.
"""

from __future__ import annotations

import datetime
import json
import math
import re

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def key(name: str) -> str:
    return name if _BARE.match(name) else json.dumps(name)


def value(item) -> str:
    """An inline TOML value."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)
    if isinstance(item, str):
        # JSON's escapes are a subset of TOML's basic-string ones; TOML also wants DEL escaped, and
        # characters beyond the BMP written as themselves rather than as a surrogate pair.
        return json.dumps(item, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(item, (datetime.date, datetime.time)):
        return item.isoformat()
    if isinstance(item, (list, tuple)):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, dict):
        return "{" + ", ".join(f"{key(k)} = {value(v)}" for k, v in item.items()) + "}"
    raise TypeError(f"cannot write {item!r} as TOML")


def _is_table_array(item) -> bool:
    return isinstance(item, list) and bool(item) and all(isinstance(v, dict) for v in item)


def document(data: dict) -> str:
    """A TOML document: plain keys first, then [tables] and [[arrays of tables]], recursively."""
    lines: list[str] = []
    _emit(data, [], lines)
    return "\n".join(lines) + "\n"


def _emit(table: dict, path: list[str], lines: list[str]) -> None:
    for name, item in table.items():
        if not isinstance(item, dict) and not _is_table_array(item):
            lines.append(f"{key(name)} = {value(item)}")
    for name, item in table.items():
        dotted = ".".join(key(p) for p in [*path, name])
        if isinstance(item, dict):
            lines += ["", f"[{dotted}]"]
            _emit(item, [*path, name], lines)
        elif _is_table_array(item):
            for entry in item:
                lines += ["", f"[[{dotted}]]"]
                # Sub-tables of an array-of-tables entry are written inline to keep the paths simple.
                for sub, sub_item in entry.items():
                    lines.append(f"{key(sub)} = {value(sub_item)}")
