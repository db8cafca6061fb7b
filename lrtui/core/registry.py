"""Looking a name up in a registry, with a did-you-mean for near misses."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(registry: Mapping[str, T], name, kind: str) -> T:
    """registry[name], or a ValueError naming the choices and the closest one."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name).lower(), list(registry), n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise ValueError(f'unknown {kind} "{name}"{hint} (choose one of: {", ".join(registry)})') from None
