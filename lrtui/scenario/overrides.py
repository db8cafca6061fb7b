"""`--set KEY=VALUE` overrides, applied to a scenario's data before it is validated."""

from __future__ import annotations

import tomllib


class OverrideError(ValueError):
    pass


def parse_value(raw: str):
    """A TOML value (0.3, [1, 100], true, "adam"); bare words are taken as strings."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def parse_overrides(items: list[str]) -> list[tuple[str, object]]:
    parsed = []
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise OverrideError(f'--set {item}: expected KEY=VALUE, for example --set optimizer.lr=0.3')
        parsed.append((key, parse_value(raw.strip())))
    return parsed


def apply_overrides(data: dict, overrides: list[tuple[str, object]]) -> dict:
    """A copy of `data` with each dotted key set; a section that is missing is created."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for key, value in overrides:
        parts = key.split(".")
        node = data
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                if child is not None:
                    raise OverrideError(f"--set {key}: {part} is not a table, so it has no key {parts[-1]}")
                child = {}
            node[part] = child = dict(child)
            node = child
        node[parts[-1]] = value
    return data
