"""What a simulation hands its monitor each step: a frozen frame, read through public fields only.

The arrays are the simulation's own for that step (it replaces them, never writes into them, as it steps),
so a frame costs no copies; a reader that keeps values past the step copies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lrtui.core.optimizers.base import Optimizer


@dataclass(frozen=True)
class OptimizerView:
    """One optimizer group of a simulation: which runs, the optimizer (its settings), and its state."""

    runs: np.ndarray  # run indices
    optimizer: Optimizer  # its hyperparameters are per-run columns
    state: dict  # the state arrays, rows in `runs` order (read only)

    def effective_lr(self, lr: np.ndarray) -> np.ndarray | None:
        """Per-parameter step size of an adaptive optimizer (lr over its denominator), or None."""
        return self.optimizer.effective_lr(self.state, lr)

    @property
    def updates_taken(self) -> np.ndarray:
        """How many updates each run's state has taken, shape (len(runs),)."""
        return np.asarray(self.state["step"], dtype=np.float64).reshape(-1)


@dataclass(frozen=True)
class StepFrame:
    step: int
    loss: np.ndarray  # (R,)
    grad: np.ndarray  # (R, n)
    grad_norm: np.ndarray  # (R,)
    lr: np.ndarray  # (R,): the LR the next update uses
    schedule_lr: np.ndarray  # (R,): the schedule's own LR (before the user's LR scale and mid-run changes)
    params: np.ndarray  # (R, n)
    diverged_at: np.ndarray  # (R,), -1 for a live run
    edits: np.ndarray  # (R,): how many changes each run has had (by hand, a fix, or its timeline)
    edit_count: int  # all runs' changes together: when it moves, some run was changed
    diverged_now: bool  # some run's loss or parameters became non-finite at this step
    optimizers: tuple[OptimizerView, ...]
