"""Validation of the declared variable names (the scenario's `vars` list)."""

from __future__ import annotations

import keyword
import re

from lrtui.core.expression.errors import ExpressionError
from lrtui.core.expression.kernels import CONSTANTS, FUNCTIONS
from lrtui.core.expression.limits import MAX_NAME_LENGTH, MAX_VARIABLES

# ASCII only: Python folds Unicode identifiers (NFKC), so a declared "ﬁ" would
# silently become "fi" in the formula and never match.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Names people reach for from other tools, mapped to what lrtui calls them.
ALIASES = {
    "ln": "log",
    "atan": "arctan",
    "arctg": "arctan",
    "tg": "tan",
    "fabs": "abs",
    "absolute": "abs",
    "power": "**",
    "pow": "**",
}


def check_variables(variables) -> tuple[str, ...]:
    """The declared names as a tuple, or an ExpressionError (key "vars") saying what to fix."""
    if isinstance(variables, str) or not isinstance(variables, (list, tuple)):
        raise ExpressionError(f'must be a list of names such as ["x", "y"], got {variables!r}', key="vars")
    if not 1 <= len(variables) <= MAX_VARIABLES:
        raise ExpressionError(
            f"must name between 1 and {MAX_VARIABLES} variables, got {len(variables)}", key="vars"
        )
    seen: set[str] = set()
    for position, name in enumerate(variables, start=1):
        problem = _name_problem(name, position)
        if problem is None and name in seen:
            problem = f'"{name}" is listed twice; name each variable once'
        if problem:
            raise ExpressionError(problem, key="vars")
        seen.add(name)
    return tuple(variables)


def _name_problem(name, position: int) -> str | None:
    if not isinstance(name, str):
        return f"entry {position} must be a name in quotes, such as \"x\", got {name!r}"
    if len(name) > MAX_NAME_LENGTH:
        return f'"{name[:20]}..." is longer than {MAX_NAME_LENGTH} characters; use a shorter name'
    if not _IDENTIFIER.fullmatch(name):
        return (
            f'"{name}" is not a valid name; use ASCII letters, digits and _, '
            "starting with a letter (such as x, y, w1)"
        )
    if name.startswith("__"):
        return f'"{name}" starts with __, which is reserved; pick another name'
    if keyword.iskeyword(name):
        return f'"{name}" is a Python keyword and cannot be a variable; pick another name'
    if name in CONSTANTS:
        return f'"{name}" is the built-in constant {name} = {CONSTANTS[name]!r}; pick another name'
    if name in FUNCTIONS:
        return f'"{name}" is the name of a function; pick another name'
    return None
