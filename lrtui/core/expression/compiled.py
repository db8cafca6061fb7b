"""A checked formula with exact, vectorised value, gradient and Hessian-vector products."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from lrtui.core.expression.derivatives import gradient, tangents
from lrtui.core.expression.names import check_variables
from lrtui.core.expression.parser import parse_formula
from lrtui.core.expression.program import Program


class CompiledExpression:
    """The formula `text` as a function of `variables`, evaluated for R runs at once.

    Parameters have shape (R, n) with columns in the order of `variables`.
    """

    def __init__(self, text: str, variables):
        self.variables = check_variables(variables)
        self.text = text
        self.n_vars = len(self.variables)
        self.graph, self.root = parse_formula(text, self.variables)
        self.gradient_nodes = gradient(self.graph, self.root, self.n_vars)
        self._value_program = Program([self.root], self.n_vars)
        self._first_order_program = Program([self.root, *self.gradient_nodes], self.n_vars)

    @cached_property
    def hvp_nodes(self):
        return tangents(self.graph, self.gradient_nodes, self.n_vars)

    @cached_property
    def _hvp_program(self) -> Program:
        return Program(self.hvp_nodes, 2 * self.n_vars)

    def _params(self, params) -> np.ndarray:
        arr = np.asarray(params, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.n_vars:
            raise ValueError(
                f"params must have shape (runs, {self.n_vars}) for variables {', '.join(self.variables)}, "
                f"got {np.shape(params)}"
            )
        return arr

    def value(self, params) -> np.ndarray:
        """f at each run: shape (R,)."""
        return self._value_program.run(self._params(params))[0]

    def value_and_grad(self, params) -> tuple[np.ndarray, np.ndarray]:
        """f (R,) and its gradient (R, n)."""
        params = self._params(params)
        value, *partials = self._first_order_program.run(params)
        grad = np.empty_like(params)
        for i, column in enumerate(partials):
            grad[:, i] = column
        return value, grad

    def hvp(self, params, vectors) -> np.ndarray:
        """Exact Hessian-vector products H(params) @ v per run: shape (R, n)."""
        params = self._params(params)
        vectors = self._params(vectors)
        if vectors.shape[0] != params.shape[0]:
            vectors = np.broadcast_to(vectors, params.shape)
        columns = np.concatenate([params, vectors], axis=1)
        out = np.empty_like(params)
        for i, column in enumerate(self._hvp_program.run(columns)):
            out[:, i] = column
        return out

    def hessian(self, params) -> np.ndarray:
        """Full Hessians (R, n, n), one exact product per unit vector."""
        params = self._params(params)
        runs, n = params.shape
        out = np.empty((runs, n, n))
        for j in range(n):
            unit = np.zeros((runs, n))
            unit[:, j] = 1.0
            out[:, :, j] = self.hvp(params, unit)
        return out

    def sizes(self) -> dict[str, int]:
        """Operation counts of the value, value+gradient and Hessian-vector programs."""
        return {
            "value": self._value_program.size,
            "gradient": self._first_order_program.size,
            "hvp": self._hvp_program.size,
        }


def compile_expression(text: str, variables) -> CompiledExpression:
    """Parse and check `text` over `variables`; raises ExpressionError on any problem."""
    return CompiledExpression(text, variables)
