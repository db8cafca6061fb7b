"""Plain-language explanations for the Python syntax a formula may not use."""

from __future__ import annotations

import ast

_OPERATORS = {
    ast.BitXor: '"^" is not a power in Python; write ** instead, as in x**2',
    ast.FloorDiv: '"//" (floor division) is not allowed; use / instead',
    ast.Mod: '"%" (remainder) is not allowed; use only + - * / and **',
    ast.MatMult: '"@" (matrix product) is not allowed; use * instead',
    ast.LShift: '"<<" is not allowed; use only + - * / and **',
    ast.RShift: '">>" is not allowed; use only + - * / and **',
    ast.BitOr: '"|" is not allowed; use abs(...) for an absolute value',
    ast.BitAnd: '"&" is not allowed; use only + - * / and **',
    ast.Not: '"not" is not allowed; a formula must give a number',
    ast.Invert: '"~" is not allowed; use - for negation',
}

_CONSTRUCTS = {
    ast.Attribute: "attribute access (a.b) is not allowed",
    ast.Subscript: "indexing (a[i]) is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed",
    ast.Compare: "comparisons (<, ==, ...) are not allowed; a formula must give a number",
    ast.BoolOp: '"and" / "or" are not allowed; a formula must give a number',
    ast.NamedExpr: 'the walrus operator ":=" is not allowed',
    ast.Starred: 'unpacking with "*" is not allowed',
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.List: "lists ([...]) are not allowed",
    ast.Tuple: "tuples (a, b) are not allowed; the formula must be one expression, without commas",
    ast.Set: "sets ({...}) are not allowed",
    ast.Dict: "dictionaries ({...}) are not allowed",
    ast.Slice: "slices are not allowed",
    ast.Call: "calling the result of a call is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


def describe_operator(op: ast.AST) -> str:
    return _OPERATORS.get(type(op), f"the operator {type(op).__name__} is not allowed; use only + - * / and **")


def describe_construct(node: ast.AST) -> str:
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in ("np", "numpy", "math")):
        return f'"{node.value.id}.{node.attr}" is not allowed; write the function name alone, as in {node.attr}(x)'
    return _CONSTRUCTS.get(type(node), f"{type(node).__name__} is not allowed")


def describe_literal(value) -> str:
    if isinstance(value, bool):
        return f"{value} is not a number; write 1 or 0"
    if isinstance(value, complex):
        return f"the complex number {value!r} is not supported; use real numbers"
    if isinstance(value, (str, bytes)):
        return "text in quotes is not allowed; a formula uses numbers and names only"
    if value is None:
        return "None is not a number"
    if value is Ellipsis:
        return '"..." is not a number'
    return f"{value!r} is not a number"
