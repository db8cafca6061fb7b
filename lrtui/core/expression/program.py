"""Turning IR outputs into a flat instruction list and running it on R runs at once.

The program is data (ufuncs and slot numbers), interpreted by a small loop;
nothing derived from the user's text is ever compiled to Python code. Each
intermediate array is dropped right after its last use, so memory stays at
the width of the graph rather than its size.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.expression.ir import Node, reachable
from lrtui.core.expression.kernels import KERNELS


class Program:
    """Evaluates `outputs` given `n_inputs` input columns (var i reads column i)."""

    def __init__(self, outputs: list[Node], n_inputs: int):
        nodes = reachable(outputs)
        slot = {node.id: position for position, node in enumerate(nodes)}
        self.n_inputs = n_inputs
        self.size = len(nodes)
        self._constants = [(slot[n.id], np.float64(n.value)) for n in nodes if n.is_const]
        self._inputs = [(slot[n.id], n.value) for n in nodes if n.op == "var"]
        if any(index >= n_inputs for _, index in self._inputs):
            raise ValueError(f"the graph reads an input beyond the {n_inputs} given")
        self._outputs = [slot[n.id] for n in outputs]
        last_use: dict[int, int] = {}
        operations = [n for n in nodes if n.op not in ("const", "var")]
        for step, node in enumerate(operations):
            for operand in node.args:
                last_use[slot[operand.id]] = step
        keep = set(self._outputs) | {s for s, _ in self._constants}
        releases: dict[int, list[int]] = {}
        for operand_slot, step in last_use.items():
            if operand_slot not in keep:
                releases.setdefault(step, []).append(operand_slot)
        self._steps = [
            (KERNELS[node.op], tuple(slot[a.id] for a in node.args), slot[node.id], tuple(releases.get(step, ())))
            for step, node in enumerate(operations)
        ]

    def run(self, columns: np.ndarray) -> list[np.ndarray]:
        """Outputs, each shape (R,), for inputs `columns` of shape (R, n_inputs)."""
        runs = columns.shape[0]
        values: list = [None] * self.size
        for position, number in self._constants:
            values[position] = number
        for position, index in self._inputs:
            values[position] = np.ascontiguousarray(columns[:, index])
        with np.errstate(all="ignore"):
            for kernel, operands, target, releases in self._steps:
                if len(operands) == 1:
                    values[target] = kernel(values[operands[0]])
                else:
                    values[target] = kernel(values[operands[0]], values[operands[1]])
                for position in releases:
                    values[position] = None
        return [np.broadcast_to(np.asarray(values[s], dtype=np.float64), (runs,)).copy() for s in self._outputs]
