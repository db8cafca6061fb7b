"""User-written loss formulas: safe parsing, a shared-subexpression IR, exact derivatives."""

from lrtui.core.expression.compiled import CompiledExpression, compile_expression
from lrtui.core.expression.errors import ExpressionError
from lrtui.core.expression.kernels import CONSTANTS, FUNCTIONS
from lrtui.core.expression.limits import (
    MAX_AST_DEPTH,
    MAX_AST_NODES,
    MAX_BRACKET_DEPTH,
    MAX_CONSTANT_EXPONENT,
    MAX_TEXT_LENGTH,
    MAX_VARIABLES,
)

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_AST_DEPTH",
    "MAX_AST_NODES",
    "MAX_BRACKET_DEPTH",
    "MAX_CONSTANT_EXPONENT",
    "MAX_TEXT_LENGTH",
    "MAX_VARIABLES",
    "CompiledExpression",
    "ExpressionError",
    "compile_expression",
]
