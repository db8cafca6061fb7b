"""The steps a monitor has seen but not yet judged, in preallocated arrays.

Copying a step's numbers here costs a few array assignments. The monitor
judges the whole chunk at once when it is full or when the simulation's
`step()` returns, which is far cheaper than judging each step: most of the
cost of a NumPy operation on a few runs is the call, not the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ROWS = 256  # steps judged together
MAX_CELLS = 65_536  # steps x runs in one chunk, so that a sweep's arrays stay in cache
MAX_BYTES = 32 * 2**20  # the buffered parameters and gradients together


def chunk_rows(n_runs: int, n_params: int) -> int:
    by_cells = MAX_CELLS // max(n_runs, 1)
    by_bytes = MAX_BYTES // (2 * 8 * max(n_runs, 1) * max(n_params, 1))
    return int(max(1, min(MAX_ROWS, by_cells, by_bytes)))


@dataclass
class SharpnessRequest:
    """What a sharpness estimate at one step needs besides the parameters: one optimizer group's state."""

    row: int
    optimizer: str
    runs: np.ndarray
    effective_lr: np.ndarray | None  # (len(runs), n) for adaptive optimizers, else None
    optimizer_steps: np.ndarray  # updates each run's optimizer state has taken (read-only, never changed)
    settings: object = None  # the group's optimizer object: replaced whenever its runs' settings change


class StepBuffer:
    def __init__(self, n_runs: int, n_params: int):
        self.n_runs, self.n_params = n_runs, n_params
        self.capacity = chunk_rows(n_runs, n_params)
        k = self.capacity
        self.loss = np.empty((k, n_runs))
        self.grad_norm = np.empty((k, n_runs))
        self.lr = np.empty((k, n_runs))
        self.grad = np.empty((k, n_runs, n_params))
        self.params = np.empty((k, n_runs, n_params))
        self.first_step = 0
        self.count = 0
        self.requests: list[SharpnessRequest] = []
        self.sample_rows: list[int] = []  # rows where sharpness was due (with or without live runs)

    @property
    def full(self) -> bool:
        return self.count == self.capacity

    def add(self, step: int, loss, grad_norm, lr, grad, params) -> int:
        """Keep one step's numbers; returns its row."""
        i = self.count
        if i == 0:
            self.first_step = step
        self.loss[i] = loss
        self.grad_norm[i] = grad_norm
        self.lr[i] = lr
        self.grad[i] = grad
        self.params[i] = params
        self.count = i + 1
        return i

    def request_sharpness(self, row: int, sim) -> None:
        """Note each optimizer group's effective LR now: it is gone after the next update."""
        self.sample_rows.append(row)
        # Called while the simulation steps, inside its np.errstate(all="ignore").
        for group in sim._opt_groups:
            effective = group.optimizer.effective_lr(group.state, sim.lr_now[group.select])
            self.requests.append(SharpnessRequest(row, group.optimizer.name, group.indices, effective,
                                                  group.state["step"], group.optimizer))

    def steps(self) -> np.ndarray:
        return self.first_step + np.arange(self.count)

    def clear(self) -> None:
        self.count = 0
        self.requests = []
        self.sample_rows = []

    def resized(self, n_runs: int) -> "StepBuffer":
        """An empty buffer for a new number of runs (after a fork)."""
        return StepBuffer(n_runs, self.n_params)
