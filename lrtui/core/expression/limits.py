"""Size limits that keep parsing, differentiation and evaluation fast and small.

The raw-text checks run before `ast.parse`, because the parser itself can be
made to recurse deeply by heavily nested input.
"""

from __future__ import annotations

from lrtui.core.expression.errors import ExpressionError

MAX_TEXT_LENGTH = 2_000
MAX_BRACKET_DEPTH = 64
MAX_AST_DEPTH = 200
MAX_AST_NODES = 1_000
MAX_CONSTANT_EXPONENT = 64.0
MAX_VARIABLES = 64
MAX_NAME_LENGTH = 64

EXAMPLE = "(1.5 - x + x*y)**2 + (y - 1)**2"

_OPENERS = "([{"
_CLOSERS = ")]}"


def check_text(text) -> str:
    """Return `text` if it is a string of sensible size and bracket depth."""
    if not isinstance(text, str):
        raise ExpressionError(f'must be a formula in quotes, such as "{EXAMPLE}", got {text!r} ({type(text).__name__})')
    if len(text) > MAX_TEXT_LENGTH:
        raise ExpressionError(
            f"the formula is {len(text):,} characters long; at most {MAX_TEXT_LENGTH:,} are allowed, "
            "so shorten the formula"
        )
    if not text.strip():
        raise ExpressionError(f'the formula is empty; write a formula in your variables, such as "{EXAMPLE}"')
    depth = 0
    for column, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                raise ExpressionError(
                    f"the formula has brackets nested more than {MAX_BRACKET_DEPTH} deep at column {column}; "
                    "remove redundant brackets or simplify the formula",
                    column,
                )
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
    return text
