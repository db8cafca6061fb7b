"""The one error type a user-written formula can raise, and did-you-mean hints."""

from __future__ import annotations

import difflib


class ExpressionError(ValueError):
    """A formula or variable list the user must fix.

    `key` is the scenario key at fault ("expr" or "vars"), `message` says what is
    wrong and what to do, and `column` is the 0-based character offset into the
    formula text when the problem has a place (else None). str() starts with the
    key so that callers which only see the text can still tell which key it is.
    """

    def __init__(self, message: str, column: int | None = None, key: str = "expr"):
        self.message = message
        self.column = column
        self.key = key
        super().__init__(f"{key}: {message}")


def at(column: int | None) -> str:
    return "" if column is None else f" at column {column}"


def closest(word: str, choices) -> str | None:
    """The best suggestion for a misspelt name, ignoring case first."""
    choices = list(choices)
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    # A typo rarely changes the first letter; without this rule "min" would suggest "sin".
    same_start = [c for c in choices if c[:1].lower() == word[:1].lower()]
    close = difflib.get_close_matches(word, same_start, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices, aliases: dict[str, str] | None = None) -> str:
    guess = (aliases or {}).get(word.lower()) or closest(word, choices)
    return f'; did you mean "{guess}"?' if guess else ""
