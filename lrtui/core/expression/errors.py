"""The one error type a user-written formula can raise, and did-you-mean hints."""

from __future__ import annotations

from lrtui.core.registry import closest, did_you_mean  # noqa: F401  (the parser's did-you-mean)


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
