"""Checking one section (loss, optimizer or schedule) of a scenario against the core's registries.

The core classes are the single source of truth for which parameters exist
and what their defaults are; this module reads them (constructor signatures,
or a `defaults` table) so the file format can never drift from the engine.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import math
import re
from collections.abc import Mapping

from lrtui.scenario.errors import did_you_mean, one_of


def parameter_table(cls) -> tuple[dict, set]:
    """(defaults, required names) of a core class's user-facing parameters (copies: the caller may change them)."""
    defaults, required = _parameter_table(cls)
    return dict(defaults), set(required)


@functools.lru_cache(maxsize=None)
def _parameter_table(cls) -> tuple[dict, frozenset]:
    signature = inspect.signature(cls.__init__)
    params = [p for name, p in signature.parameters.items() if name != "self"]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params) or not params:
        return dict(getattr(cls, "defaults", {})), frozenset(getattr(cls, "required", ()))
    defaults, required = {}, set()
    for p in params:
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if p.default is inspect.Parameter.empty:
            required.add(p.name)
        else:
            defaults[p.name] = p.default
    return defaults, frozenset(required)


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def holds_a_date(value) -> bool:
    """True when TOML gave a date or time somewhere in `value`: no parameter takes one."""
    if isinstance(value, (datetime.date, datetime.time)):
        return True
    if isinstance(value, list):
        return any(holds_a_date(v) for v in value)
    if isinstance(value, dict):
        return any(holds_a_date(v) for v in value.values())
    return False


def type_problem(value, default) -> str | None:
    """Why `value` cannot stand where `default` does, or None when it can."""
    if holds_a_date(value):
        return "is a date or time (TOML reads 2024-01-01 as one); write a number, a string in quotes or a list"
    if default is None:
        return None
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and not math.isfinite(value):
            return f"must be a finite number, got {_shown(value)}"
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, list)
    else:
        ok = True
    if ok:
        return None
    return f"expected {_type_name(default)}, got {_shown(value)} ({_type_name(value)})"


def check_section(section: str, table: object, registry: Mapping, kind: str, extra_keys=()) -> tuple[list, dict]:
    """Problems as (key, message) pairs, and the cleaned parameters (type removed)."""
    problems: list[tuple[str, str]] = []
    if not isinstance(table, dict):
        return [(section, f"must be a table such as [{section}], got {_shown(table)}")], {}
    name = table.get("type")
    if name is None:
        return [(f"{section}.type", f"missing; {one_of(registry)}")], {}
    if not isinstance(name, str) or name not in registry:
        hint = did_you_mean(name, registry) if isinstance(name, str) else ""
        return [(f"{section}.type", f"unknown {kind} {_shown(name)}{hint} {one_of(registry)}")], {}
    defaults, required = parameter_table(registry[name])
    allowed = set(defaults) | required | set(extra_keys)
    params = {}
    for key, value in table.items():
        if key == "type":
            continue
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            listed = ", ".join(sorted(allowed)) or "none"
            problems.append((f"{section}.{key}", f'unknown key for {kind} "{name}"{hint} (allowed: {listed})'))
            continue
        why = type_problem(value, defaults.get(key))
        if why:
            problems.append((f"{section}.{key}", why))
            continue
        params[key] = value
    for key in sorted(required - set(table)):
        problems.append((f"{section}.{key}", f'missing; {kind} "{name}" needs it'))
    return problems, params


def blame_key(message: str, section: str, names) -> tuple[str, str]:
    """(key, message) for a core ValueError: the parameter its message is about.

    Core messages start with the parameter's name ("lr must be >= 0"); the name
    then moves into the key so it is not said twice. Otherwise the first
    parameter named anywhere in the message is blamed, else the section.
    """
    names = set(names)
    first, _, rest = message.partition(" ")
    first = first.strip("'\"`:,")
    if first in names:
        return f"{section}.{first}", rest
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message):
        if word in names:
            return f"{section}.{word}", message
    return section, message
