"""The numeric meaning of every IR operation: one NumPy ufunc each, float64 only.

Constant folding and evaluation both go through this table, so a folded
constant is the same number evaluation would have produced.
"""

from __future__ import annotations

import math

import numpy as np

BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "pow": np.power,
}

UNARY = {
    "neg": np.negative,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "arctan": np.arctan,
    # Only derivatives create sign (d|x|/dx); users cannot call it.
    "sign": np.sign,
}

KERNELS = {**BINARY, **UNARY}

# The functions a formula may call, in the order error messages list them.
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh", "arctan")

CONSTANTS = {"pi": math.pi, "e": math.e}


def fold(op: str, values: tuple[float, ...]) -> float:
    """Apply `op` to constant operands in float64, never in Python ints."""
    with np.errstate(all="ignore"):
        return float(KERNELS[op](*(np.float64(v) for v in values)))
