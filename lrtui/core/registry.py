"""Looking a name up in a registry, with a did-you-mean for near misses."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def closest(word, choices) -> str | None:
    """The best suggestion for a misspelt name: the same name in another case, else the closest one that starts
    with the same letter (a typo rarely changes the first letter; without this rule "min" would suggest "sin").
    The one did-you-mean of lrtui: the engine, the formulas and the scenario files all use it."""
    word = str(word)
    choices = [str(c) for c in choices]
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    same_start = [c for c in choices if c[:1].lower() == word[:1].lower()]
    close = difflib.get_close_matches(word, same_start, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word, choices, aliases: Mapping[str, str] | None = None) -> str:
    """'; did you mean "adam"?' for "adma", or "" when nothing is close (`aliases` maps known other names)."""
    guess = (aliases or {}).get(str(word).lower()) or closest(word, choices)
    return f'; did you mean "{guess}"?' if guess else ""


def lookup(registry: Mapping[str, T], name, kind: str) -> T:
    """registry[name], or a ValueError naming the choices and the closest one."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        hint = did_you_mean(name, registry)
        raise ValueError(f'unknown {kind} "{name}"{hint} (choose one of: {", ".join(registry)})') from None
