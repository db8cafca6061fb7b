"""Losses of one kind stacked into one, each row of a batch evaluated with its own loss's parameters.

A sweep over a loss key (`loss.eigenvalues`, `loss.b`, a formula's coefficient...) makes one loss per value.
Stacked, their runs are stepped and diagnosed as one simulation instead of one simulation per value.

Each row's numbers are exactly those its own loss gives: the rows of each member loss are handed to it
together, in order, as its own simulation would hand them (a quadratic whose rows are each of a different
member is the exception: one batched product per row, which is what a one-run simulation computes too).
Anything that evaluates a subset of the runs asks `rows(indices)` for their loss; a stacked loss called with
a row count it does not have raises, so that a missed place cannot silently mix the runs' functions up.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.losses.base import Loss

MAX_STACKED_PARAMS = 16  # the sharpness of runs this small is exact, all runs at once, row by row

# The kinds that stack; any other (the data models) stays one simulation per set of loss values.
_STACKABLE = frozenset({"quadratic", "rosenbrock", "beale", "himmelblau", "six_hump_camel", "saddle", "ackley",
                        "rastrigin", "expression"})


class RowCountError(ValueError):
    """A stacked loss was evaluated on a batch that is not its rows (a call site that forgot `rows`)."""


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(np.asarray(a), np.asarray(b))


def stack_losses(losses: list[Loss]) -> Loss | None:
    """One loss for the runs of `losses` (member k's runs in one block each, see `StackedLoss`), or None when
    they cannot share one simulation: different kinds or shapes, data models, models too large for the exact
    sharpness, or losses whose default start, minimum value or data differ."""
    losses = list(losses)
    if not losses:
        return None
    first = losses[0]
    if first.name not in _STACKABLE or first.is_model or first.n_params > MAX_STACKED_PARAMS:
        return None
    for loss in losses[1:]:
        if type(loss) is not type(first) or loss.n_params != first.n_params or loss.is_model:
            return None
        if loss.exact_hessian != first.exact_hessian or not _same(loss.start, first.start):
            return None
        if not _same(loss.min_value, first.min_value):
            return None  # the diagnostics measure every run's gap from one floor
    if first.min_value is None and any(loss.window is not None and loss.n_params == 2 for loss in losses):
        return None  # their floor is read off each one's own landscape: no floor is shared
    if len(losses) == 1:
        return first
    return StackedLoss(losses, np.arange(len(losses)))


class StackedLoss(Loss):
    """Runs of several losses of one kind: row i of a batch is a run of `members[member_of[i]]`."""

    def __init__(self, members: list[Loss], member_of: np.ndarray):
        first = members[0]
        self.members = tuple(members)
        self.member_of = np.array(member_of, dtype=np.int64)
        self.member_of.flags.writeable = False
        self.name = first.name
        self.n_params = first.n_params
        self.start = first.start
        self.exact_hessian = first.exact_hessian
        self.min_value = first.min_value
        self.minima = None  # each member's own (rows)
        self.window = None  # drawn per run, from its own member (rows)
        self.is_model = False
        self.batch_size = None
        self._blocks = _blocks(self.member_of)
        self._quadratic = _quadratic_stack(self.members)

    # -- rows ------------------------------------------------------------------
    def rows(self, indices) -> Loss:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < -self.member_of.size or idx.max() >= self.member_of.size):
            raise RowCountError(f"rows {idx.tolist()[:8]} are not all among this stacked loss's "
                                f"{self.member_of.size} rows")
        picked = self.member_of[idx]
        if picked.size and np.all(picked == picked[0]):
            return self.members[int(picked[0])]
        stacked = object.__new__(StackedLoss)
        stacked.__dict__.update(self.__dict__)
        stacked.member_of = picked
        stacked.member_of.flags.writeable = False
        stacked._blocks = _blocks(picked)
        return stacked

    def members_of(self, n_rows: int) -> np.ndarray:
        self._check(int(n_rows))
        return self.member_of.copy()

    @property
    def n_rows(self) -> int:
        return int(self.member_of.size)

    def _check(self, rows: int) -> None:
        if rows != self.member_of.size:
            raise RowCountError(f"this {self.name} loss stacks {self.member_of.size} runs' losses, and was asked "
                                f"about {rows} runs: evaluate a subset of runs with loss.rows(indices)")

    # -- evaluation ----------------------------------------------------------------
    def value_and_grad(self, params, batch=None):
        params = np.asarray(params, dtype=np.float64)
        self._check(params.shape[0])
        if self._quadratic is not None and self._one_row_each:
            matrices, centers = self._quadratic
            with np.errstate(all="ignore"):
                d = params - centers[self.member_of]
                g = np.matmul(d[:, None, :], matrices[self.member_of])[:, 0, :]
                f = 0.5 * np.sum(d * g, axis=1)
            return f, g
        value, grad = np.empty(params.shape[0]), np.empty(params.shape)
        for member, idx in self._blocks:
            value[idx], grad[idx] = self.members[member].value_and_grad(params[idx], batch)
        return value, grad

    def value(self, params, batch=None):
        params = np.asarray(params, dtype=np.float64)
        self._check(params.shape[0])
        out = np.empty(params.shape[0])
        for member, idx in self._blocks:
            out[idx] = self.members[member].value(params[idx], batch)
        return out

    def hvp(self, params, vectors, batch=None):
        params = np.asarray(params, dtype=np.float64)
        self._check(params.shape[0])
        vectors = np.asarray(vectors, dtype=np.float64)
        out = np.empty(params.shape)
        for member, idx in self._blocks:
            out[idx] = self.members[member].hvp(params[idx], vectors[idx], batch)
        return out

    def hessian(self, params):
        params = np.asarray(params, dtype=np.float64)
        self._check(params.shape[0])
        out = np.empty((params.shape[0], self.n_params, self.n_params))
        for member, idx in self._blocks:
            out[idx] = self.members[member].hessian(params[idx])
        return out

    @property
    def _one_row_each(self) -> bool:
        return len(self._blocks) == self.member_of.size

    def describe(self) -> str:
        return f"{len(np.unique(self.member_of))} {self.name} losses, stacked"


def _blocks(member_of: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(member, its rows in order) for each member with rows, in order of first row."""
    if not member_of.size:
        return []
    order = np.argsort(member_of, kind="stable")
    cuts = np.flatnonzero(np.diff(member_of[order])) + 1
    groups = np.split(order, cuts)
    groups.sort(key=lambda rows: int(rows[0]))
    return [(int(member_of[rows[0]]), rows) for rows in groups]


def _quadratic_stack(members) -> tuple[np.ndarray, np.ndarray] | None:
    from lrtui.core.losses.quadratic import Quadratic

    if not all(type(m) is Quadratic for m in members):
        return None
    matrices = np.stack([m.matrix for m in members])
    centers = np.stack([m.center for m in members])
    matrices.flags.writeable = centers.flags.writeable = False
    return matrices, centers
