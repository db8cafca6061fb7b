"""Safe parsing: text -> Python AST (never executed) -> whitelisted walk -> IR.

Only `ast.parse` ever sees the text. The walk accepts number literals, the
declared variables, pi and e, + - * / ** with unary + and -, and calls of the
allowed functions with one positional argument; anything else is an
ExpressionError pointing at the offending column. The walk uses an explicit
stack, and depth and size are bounded before it starts.
"""

from __future__ import annotations

import ast
import math
import re
import warnings

from lrtui.core.expression.errors import ExpressionError, at, did_you_mean
from lrtui.core.expression.ir import Graph, Node
from lrtui.core.expression.kernels import CONSTANTS, FUNCTIONS
from lrtui.core.expression.limits import (
    EXAMPLE,
    MAX_AST_DEPTH,
    MAX_AST_NODES,
    MAX_CONSTANT_EXPONENT,
    check_text,
)
from lrtui.core.expression.names import ALIASES
from lrtui.core.expression.rejections import describe_construct, describe_literal, describe_operator

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_ALLOWED_FUNCTIONS = ", ".join(FUNCTIONS)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def parse_formula(text: str, variables: tuple[str, ...]) -> tuple[Graph, Node]:
    """The IR of `text`, whose var i is variables[i]; every variable must be used."""
    walker = _Walker(check_text(text), variables)
    root = walker.build(_parse(text))
    unused = [name for name in variables if name not in walker.used]
    if unused:
        raise ExpressionError(
            f'"{unused[0]}" is declared but never used in expr; remove it from vars or use it in the formula',
            key="vars",
        )
    return walker.graph, root


def _parse(text: str) -> ast.Expression:
    try:
        with warnings.catch_warnings():
            # Some inputs make the compiler warn (e.g. `1 is 1`); those are rejected anyway.
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        column = _syntax_column(text, exc)
        where = " at the end" if column == len(text) else at(column)
        raise ExpressionError(
            f'the formula is not valid: {exc.msg}{where}; write it in Python syntax, such as "{EXAMPLE}"', column
        ) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise ExpressionError(f"the formula could not be parsed ({exc}); simplify it") from None


def _syntax_column(text: str, exc: SyntaxError) -> int | None:
    if not exc.lineno:
        return None
    if not exc.offset:
        return len(text)  # the parser ran out of input
    starts = _line_starts(text)
    if exc.lineno > len(starts):
        return None
    return min(len(text), starts[exc.lineno - 1] + max(0, exc.offset - 1))


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in _LINE_BREAK.finditer(text)]


def _measure(tree: ast.AST) -> None:
    """Reject trees that are too deep or too big, without recursing."""
    count = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            depth += 1
            count += 1
            if depth > MAX_AST_DEPTH:
                raise ExpressionError(
                    f"the formula is nested more than {MAX_AST_DEPTH} levels deep; simplify the formula "
                    "(a long chain such as a + b + c + ... adds one level per term)"
                )
            if count > MAX_AST_NODES:
                raise ExpressionError(
                    f"the formula is too large: more than {MAX_AST_NODES:,} numbers, names and operations; "
                    "simplify the formula"
                )
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))


class _Walker:
    def __init__(self, text: str, variables: tuple[str, ...]):
        self.text = text
        self.variables = {name: i for i, name in enumerate(variables)}
        self.graph = Graph()
        self.used: set[str] = set()
        self._starts = _line_starts(text)

    def column(self, node: ast.AST, end: bool = False) -> int | None:
        lineno = getattr(node, "end_lineno" if end else "lineno", None)
        offset = getattr(node, "end_col_offset" if end else "col_offset", None)
        if lineno is None or offset is None or lineno > len(self._starts):
            return None
        start = self._starts[lineno - 1]
        # col_offset counts UTF-8 bytes; the user counts characters.
        line = self.text[start:].encode("utf-8")[:offset]
        return start + len(line.decode("utf-8", errors="ignore"))

    def operator_column(self, node: ast.BinOp) -> int | None:
        """Where the operator of `a OP b` is: after a, past spaces and closing brackets."""
        column = self.column(node.left, end=True)
        if column is None:
            return self.column(node)
        while column < len(self.text) and (self.text[column].isspace() or self.text[column] == ")"):
            column += 1
        return column

    def fail(self, node: ast.AST, message: str, hint: str = "") -> ExpressionError:
        column = self.operator_column(node) if isinstance(node, ast.BinOp) else self.column(node)
        return ExpressionError(f"{message}{at(column)}{hint}", column)

    def build(self, tree: ast.Expression) -> Node:
        _measure(tree)
        stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
        results: list[Node] = []
        while stack:
            node, ready = stack.pop()
            if ready:
                arity = 2 if isinstance(node, ast.BinOp) else 1 if isinstance(node, (ast.UnaryOp, ast.Call)) else 0
                operands = results[len(results) - arity :]
                del results[len(results) - arity :]
                results.append(self._combine(node, operands))
            else:
                children = self._check(node)
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
        return results[0]

    def _check(self, node: ast.AST) -> list[ast.AST]:
        """Validate one node and return the subexpressions to visit, left to right."""
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise self.fail(node, describe_operator(node.op).split(";")[0], _after(describe_operator(node.op)))
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(node, describe_operator(node.op).split(";")[0], _after(describe_operator(node.op)))
            return [node.operand]
        if isinstance(node, ast.Call):
            return [self._check_call(node)]
        if isinstance(node, ast.Name):
            self._check_name(node)
            return []
        if isinstance(node, ast.Constant):
            self._check_literal(node)
            return []
        text = describe_construct(node)
        raise self.fail(node, self._headline(node, text), _after(text) or f"; {self._what_is_allowed()}")

    def _headline(self, node: ast.AST, description: str) -> str:
        """The description's first part, quoting the offending source text unless it already does."""
        head = description.split(";")[0]
        segment = " ".join((ast.get_source_segment(self.text, node) or "").split())
        if not segment or f'"{segment}"' in head:
            return head
        return f'{head}: "{segment}"' if len(segment) <= 30 else f'{head}: "{segment[:27]}..."'

    def _check_call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name):
            text = describe_construct(node.func)
            hint = _after(text) or f"; call a function by name, one of {_ALLOWED_FUNCTIONS}"
            raise self.fail(node.func, self._headline(node.func, text), hint)
        name = node.func.id
        if name in self.variables or name in CONSTANTS:
            kind = "variable" if name in self.variables else "constant"
            raise self.fail(node, f'"{name}" is a {kind}, not a function', f"; write {name}*(...) to multiply")
        if name not in FUNCTIONS:
            if ALIASES.get(name.lower()) == "**":
                raise self.fail(node, f'unknown function "{name}"', "; write a**b for a power")
            hint = f"{did_you_mean(name, FUNCTIONS, ALIASES)} (allowed: {_ALLOWED_FUNCTIONS})"
            raise self.fail(node, f'unknown function "{name}"', hint)
        if node.keywords:
            raise self.fail(node, f"{name}() takes no keyword arguments", f"; write {name}(x)")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(node, f"{name}() cannot take unpacked (*) arguments", f"; write {name}(x)")
        if len(node.args) != 1:
            raise self.fail(node, f"{name}() takes exactly one argument, got {len(node.args)}", f"; write {name}(x)")
        return node.args[0]

    def _check_name(self, node: ast.Name) -> None:
        name = node.id
        if name in self.variables or name in CONSTANTS:
            return
        if name in FUNCTIONS:
            raise self.fail(node, f'"{name}" is a function', f"; call it on one argument, as in {name}(x)")
        if name.startswith("__"):
            raise self.fail(node, f'the name "{name}" is not allowed', "; names starting with __ are reserved")
        choices = [*self.variables, *CONSTANTS, *FUNCTIONS]
        listed = ", ".join(self.variables)
        raise self.fail(
            node,
            f'unknown name "{name}"',
            f"{did_you_mean(name, choices, ALIASES)} (variables: {listed}; constants: pi, e); "
            "declare every variable in vars",
        )

    def _check_literal(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            text = describe_literal(value)
            raise self.fail(node, text.split(";")[0], _after(text))
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.fail(node, "this number is too large for float64", "; the largest is about 1.8e308")

    def _what_is_allowed(self) -> str:
        return (
            f"a formula may use numbers, the variables ({', '.join(self.variables)}), pi, e, "
            f"+ - * / **, and the functions {_ALLOWED_FUNCTIONS}"
        )

    def _combine(self, node: ast.AST, operands: list[Node]) -> Node:
        graph = self.graph
        if isinstance(node, ast.BinOp):
            op = _BINARY[type(node.op)]
            if op == "pow":
                self._check_exponent(node.right, operands[1])
            return getattr(graph, op)(*operands)
        if isinstance(node, ast.UnaryOp):
            return graph.neg(operands[0]) if isinstance(node.op, ast.USub) else operands[0]
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # _check_call refused any other callee
            return graph.call(node.func.id, operands[0])
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return graph.const(CONSTANTS[node.id])
            self.used.add(node.id)
            return graph.var(self.variables[node.id])
        assert isinstance(node, ast.Constant) and isinstance(node.value, (int, float))  # _check refused the rest
        return graph.const(float(node.value))

    def _check_exponent(self, where: ast.AST, exponent: Node) -> None:
        if exponent.is_const and not abs(exponent.value) <= MAX_CONSTANT_EXPONENT:
            shown = f"{exponent.value:.6g}"
            raise self.fail(
                where,
                f"the exponent {shown} is too large",
                f"; a constant exponent must be between -{MAX_CONSTANT_EXPONENT:g} and {MAX_CONSTANT_EXPONENT:g} "
                "(write a number such as 1e300 directly if you need one that big)",
            )


def _after(text: str) -> str:
    """The hint part of a description ("; ..."), if it has one."""
    return ";" + text.split(";", 1)[1] if ";" in text else ""
