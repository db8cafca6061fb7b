"""Bounded per-step history for a batch of runs.

Recent steps are kept at full resolution. When the recent buffer fills, its
older half is folded into buckets that keep the min, max and last value of
every field (and the last parameters), and when there are too many buckets,
neighbours merge. Memory therefore stays flat however long a run goes, while
plots keep every spike (min/max) and exports keep real values (last).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASE_FIELDS = ("lr", "loss", "grad_norm")
MAX_RECORDED_PARAMS = 16


GROW_ROWS = 1024  # recent rows allocated at first; doubled as needed up to the capacity
MAX_RECENT_ROWS = 131072
MIN_RECENT_ROWS = 64  # and MIN_BUCKETS: however many runs, a plot keeps this much shape
MIN_BUCKETS = 32
BUCKET_SHARE = 0.25  # of the memory budget, when the full 131,072 rows and 2,048 buckets do not fit


def plan_rows(n_runs: int, n_params: int, n_fields: int, memory_budget: int = 64 * 2**20,
              max_buckets: int = 2048) -> tuple[int, int]:
    """(recent rows, buckets) whose arrays together fit `memory_budget` bytes, as far as the minimums allow.

    A recent row holds every field and the recorded parameters of every run; a bucket holds min, max and
    last of every field and the last parameters. Few runs keep 131,072 rows and 2,048 buckets; 4,096 runs
    of 16 parameters keep 64 rows and 32 buckets (about 66 MB) instead of gigabytes.
    """
    params = n_params if n_params <= MAX_RECORDED_PARAMS else 0
    runs = max(n_runs, 1)
    row_bytes = 8 * (n_fields + params) * runs
    bucket_bytes = 8 * (3 * n_fields + params) * runs
    if MAX_RECENT_ROWS * row_bytes + max_buckets * bucket_bytes <= memory_budget:
        return MAX_RECENT_ROWS, max_buckets
    buckets = int(np.clip(BUCKET_SHARE * memory_budget // bucket_bytes, MIN_BUCKETS, max_buckets))
    rows = int(np.clip((memory_budget - buckets * bucket_bytes) // row_bytes, MIN_RECENT_ROWS, MAX_RECENT_ROWS))
    return rows, buckets


def planned_bytes(n_runs: int, n_params: int, n_fields: int, memory_budget: int = 64 * 2**20) -> int:
    """Bytes a History of this shape holds at most (for budgeting memory before a run starts)."""
    rows, buckets = plan_rows(n_runs, n_params, n_fields, memory_budget)
    params = n_params if n_params <= MAX_RECORDED_PARAMS else 0
    return 8 * max(n_runs, 1) * (rows * (n_fields + params) + buckets * (3 * n_fields + params))


@dataclass
class Envelope:
    """One field of one run as spans of steps with their min, max and last value."""

    step_start: np.ndarray
    step_end: np.ndarray
    low: np.ndarray
    high: np.ndarray
    last: np.ndarray


class History:
    def __init__(
        self,
        n_runs: int,
        n_params: int,
        extra_fields: tuple[str, ...] = (),
        recent_rows: int | None = None,
        max_buckets: int = 2048,
        memory_budget: int = 64 * 2**20,
    ):
        self.fields = BASE_FIELDS + tuple(extra_fields)
        self._index = {name: i for i, name in enumerate(self.fields)}
        self.n_runs = n_runs
        self.n_params = n_params
        self.records_params = n_params <= MAX_RECORDED_PARAMS
        if recent_rows is None:
            recent_rows, max_buckets = plan_rows(n_runs, n_params, len(self.fields), memory_budget, max_buckets)
        self.capacity = max(4, int(recent_rows)) // 2 * 2
        self.max_buckets = max(2, int(max_buckets))
        # Rows past _count are never read, so the buffer is left unfilled: the memory is only touched
        # (and counted in the process's RSS) as steps arrive, and a short sweep pays nothing for the rest.
        # Allocated as steps arrive, up to the capacity (folding starts only there): a stacked sweep of 4,096
        # runs that each keep 131,072 rows reserves no address space it does not use.
        first = min(self.capacity, GROW_ROWS)
        self._rows = np.empty((first, len(self.fields), n_runs))
        self._params = np.empty((first, n_runs, n_params)) if self.records_params else None
        self._count = 0  # rows held in the recent buffer
        self.overwrites = 0  # times a recorded row was changed (overwrite_last)
        self._first_step = 0  # step of recent row 0
        self._bucket_start = np.empty(0, dtype=np.int64)
        self._bucket_end = np.empty(0, dtype=np.int64)
        self._low = np.empty((0, len(self.fields), n_runs))
        self._high = np.empty((0, len(self.fields), n_runs))
        self._last = np.empty((0, len(self.fields), n_runs))
        self._bucket_params = np.empty((0, n_runs, n_params)) if self.records_params else None
        self.end_step = np.full(n_runs, np.iinfo(np.int64).max, dtype=np.int64)

    # -- writing -----------------------------------------------------------
    @property
    def steps_recorded(self) -> int:
        """Number of steps ever appended (the next step to be written)."""
        return self._first_step + self._count

    def append(self, row: np.ndarray, params: np.ndarray | None = None) -> None:
        """Record one step: `row` has shape (len(fields), R), in `fields` order."""
        if self._count == self.capacity:
            self._fold_oldest_half()
        i = self._count
        if i == self._rows.shape[0]:
            self._grow()
        self._rows[i] = row
        if self._params is not None and params is not None:
            self._params[i] = params
        self._count = i + 1

    def append_columns(self, columns, params: np.ndarray | None = None) -> None:
        """Record one step given as one (R,) array per field, in `fields` order (no (fields, R) array to build)."""
        if self._count == self.capacity:
            self._fold_oldest_half()
        i = self._count
        if i == self._rows.shape[0]:
            self._grow()
        row = self._rows[i]
        for j, column in enumerate(columns):
            row[j] = column
        if self._params is not None and params is not None:
            self._params[i] = params
        self._count = i + 1

    def _grow(self) -> None:
        """Room for more recent rows (twice as many, up to the capacity)."""
        size = min(self.capacity, 2 * self._rows.shape[0])
        rows = np.empty((size,) + self._rows.shape[1:])
        rows[: self._count] = self._rows[: self._count]
        self._rows = rows
        if self._params is not None:
            params = np.empty((size,) + self._params.shape[1:])
            params[: self._count] = self._params[: self._count]
            self._params = params

    def overwrite_last(self, field: str, values, run: int | None = None) -> None:
        """Replace the newest row's value of `field` (for every run, or one): the LR a run's next update
        uses changes when a person changes it between steps."""
        if self._count == 0:
            raise ValueError("nothing recorded yet")
        row = self._rows[self._count - 1, self._index[field]]
        self.overwrites += 1  # a reader that reduced the old value must read the row again (views.RunHistory.source)
        if run is None:
            row[:] = values
        else:
            row[run] = values

    def stop_run(self, run: int, step: int) -> None:
        """Later steps of `run` are not part of its history (it diverged at `step`)."""
        self.end_step[run] = min(self.end_step[run], step)

    def add_runs(self, parents: list[int]) -> None:
        """Append runs whose history so far is a copy of each parent's."""
        idx = np.asarray(parents, dtype=np.int64)
        self._rows = np.concatenate([self._rows, self._rows[:, :, idx]], axis=2)
        self._low = np.concatenate([self._low, self._low[:, :, idx]], axis=2)
        self._high = np.concatenate([self._high, self._high[:, :, idx]], axis=2)
        self._last = np.concatenate([self._last, self._last[:, :, idx]], axis=2)
        if self._params is not None and self._bucket_params is not None:  # both are kept, or neither
            self._params = np.concatenate([self._params, self._params[:, idx]], axis=1)
            self._bucket_params = np.concatenate([self._bucket_params, self._bucket_params[:, idx]], axis=1)
        self.end_step = np.concatenate([self.end_step, self.end_step[idx]])
        self.n_runs += idx.size

    def _fold_oldest_half(self) -> None:
        half = self.capacity // 2
        n_new = max(1, min(half, self.max_buckets // 4))
        size = half // n_new
        n_new = half // size
        used = n_new * size
        block = self._rows[:used].reshape(n_new, size, len(self.fields), self.n_runs)
        starts = self._first_step + np.arange(n_new, dtype=np.int64) * size
        with np.errstate(all="ignore"):
            low, high = np.fmin.reduce(block, axis=1), np.fmax.reduce(block, axis=1)
        self._bucket_start = np.concatenate([self._bucket_start, starts])
        self._bucket_end = np.concatenate([self._bucket_end, starts + size - 1])
        self._low = np.concatenate([self._low, low])
        self._high = np.concatenate([self._high, high])
        self._last = np.concatenate([self._last, block[:, -1]])
        if self._params is not None:
            last_params = self._params[size - 1 : used : size]
            self._bucket_params = np.concatenate([self._bucket_params, last_params])
            self._params[: self.capacity - used] = self._params[used:].copy()
        self._rows[: self.capacity - used] = self._rows[used:].copy()
        self._count -= used
        self._first_step += used
        if self._bucket_start.size > self.max_buckets:
            self._merge_bucket_pairs()

    def _merge_bucket_pairs(self) -> None:
        n = self._bucket_start.size // 2 * 2
        keep = slice(n, None)  # an odd bucket out stays as it is
        with np.errstate(all="ignore"):
            low = np.fmin(self._low[0:n:2], self._low[1:n:2])
            high = np.fmax(self._high[0:n:2], self._high[1:n:2])
        self._low = np.concatenate([low, self._low[keep]])
        self._high = np.concatenate([high, self._high[keep]])
        self._last = np.concatenate([self._last[1:n:2], self._last[keep]])
        self._bucket_start = np.concatenate([self._bucket_start[0:n:2], self._bucket_start[keep]])
        self._bucket_end = np.concatenate([self._bucket_end[1:n:2], self._bucket_end[keep]])
        if self._bucket_params is not None:
            self._bucket_params = np.concatenate([self._bucket_params[1:n:2], self._bucket_params[keep]])

    # -- reading -------------------------------------------------------------
    def _trim(self, run: int, starts: np.ndarray, ends: np.ndarray) -> tuple[int, bool]:
        """How many spans a stopped run keeps: those that end by its stop, and the one that holds it.

        A run that diverged inside a bucket keeps that bucket, shown at the stop step: the run's values froze
        there, so the bucket's last value is the one at the stop (without it, a run that diverged in the
        first bucket of a long sweep had no history at all).
        """
        stop = self.end_step[run]
        n = int(np.searchsorted(ends, stop, side="right"))
        return n, bool(n < ends.size and starts[n] <= stop)

    def _cut(self, run: int, starts: np.ndarray, ends: np.ndarray, *columns: np.ndarray) -> list[np.ndarray]:
        """`starts`, `ends` and `columns` without what lies past the run's stop (see _trim)."""
        n, partial = self._trim(run, starts, ends)
        kept = n + partial
        out = [starts[:kept], ends[:kept].copy(), *(column[:kept] for column in columns)]
        if partial:
            out[1][n] = self.end_step[run]
        return out

    def series(self, field: str, run: int) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of one field for one run: a bucket's last value, then every recent step."""
        f = self._index[field]
        recent = self._first_step + np.arange(self._count)
        values = np.concatenate([self._last[:, f, run], self._rows[: self._count, f, run]])
        _, steps, values = self._cut(run, np.concatenate([self._bucket_start, recent]),
                                     np.concatenate([self._bucket_end, recent]), values)
        return steps, values

    def largest(self, field: str, run: int, until: int | None = None) -> float | None:
        """The largest finite positive value of a field for one run, up to step `until` (None: every step held)."""
        steps, values = self.series(field, run)
        values = values[(steps <= until) if until is not None else slice(None)]
        values = values[np.isfinite(values) & (values > 0)]
        return float(values.max()) if values.size else None

    def final_and_best(self, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every run's last value of `field` and its smallest finite value, as `series` would give them run by
        run, in one pass over the history: (final (R,), best (R,), held (R,) bool). A run with no steps held
        has held False (its final is nan); a run with no finite value has best nan. The rows are read a block
        at a time, so the pass holds no copy of the history."""
        f = self._index[field]
        stop = self.end_step
        final, best = np.full(self.n_runs, np.nan), np.full(self.n_runs, np.inf)
        held, finite = np.zeros(self.n_runs, dtype=bool), np.zeros(self.n_runs, dtype=bool)
        recent_starts = self._first_step + np.arange(self._count, dtype=np.int64)
        for starts, values in ((self._bucket_start, self._last[:, f]), (recent_starts, self._rows[: self._count, f])):
            for lo in range(0, starts.size, 128):
                block = values[lo : lo + 128]
                # A span is kept while it starts by the run's stop (see _trim): the spans are sorted and disjoint.
                kept = starts[lo : lo + 128, None] <= stop[None, :]
                n_kept = kept.sum(axis=0)
                runs = np.flatnonzero(n_kept)
                final[runs] = block[n_kept[runs] - 1, runs]
                held[runs] = True
                usable = kept & np.isfinite(block)
                np.minimum(best, np.where(usable, block, np.inf).min(axis=0), out=best)
                finite |= usable.any(axis=0)
        best[~finite] = np.nan
        return final, best, held

    def _tail(self, since: int) -> tuple[int, int]:
        """(first bucket, first recent row) of the spans that end at or after step `since`."""
        if since <= 0:
            return 0, 0
        return int(np.searchsorted(self._bucket_end, since)), int(np.clip(since - self._first_step, 0, self._count))

    def envelope(self, field: str, run: int, since: int = 0) -> Envelope:
        """Spans with min/max/last, for drawing: buckets first, then one span per recent step.

        `since` keeps only the spans ending at or after that step, so a plot that has already
        reduced the older steps reads just the new ones instead of copying the whole history.
        """
        f = self._index[field]
        b, r = self._tail(since)
        recent_steps = self._first_step + np.arange(r, self._count)
        recent = self._rows[r : self._count, f, run]
        env = Envelope(
            step_start=np.concatenate([self._bucket_start[b:], recent_steps]),
            step_end=np.concatenate([self._bucket_end[b:], recent_steps]),
            low=np.concatenate([self._low[b:, f, run], recent]),
            high=np.concatenate([self._high[b:, f, run], recent]),
            last=np.concatenate([self._last[b:, f, run], recent]),
        )
        return Envelope(*self._cut(run, env.step_start, env.step_end, env.low, env.high, env.last))

    def params_series(self, run: int, since: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Steps and parameters (k, n) of one run, when parameters are recorded (from step `since` on)."""
        if self._params is None or self._bucket_params is None:  # both are kept, or neither
            raise ValueError(f"parameters are recorded only for losses with at most {MAX_RECORDED_PARAMS}")
        b, r = self._tail(since)
        recent = self._first_step + np.arange(r, self._count)
        values = np.concatenate([self._bucket_params[b:, run], self._params[r : self._count, run]])
        _, steps, values = self._cut(run, np.concatenate([self._bucket_start[b:], recent]),
                                     np.concatenate([self._bucket_end[b:], recent]), values)
        return steps, values

    def recent(self, field: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """The last `rows` recorded steps (fewer if fewer are held at full resolution): steps (k,) and values
        (k, R), a read-only view (a later step may overwrite it)."""
        k = max(0, min(int(rows), self._count))
        values = self._rows[self._count - k : self._count, self._index[field]]
        view = values.view()
        view.flags.writeable = False
        return self._first_step + np.arange(self._count - k, self._count), view

    def latest(self, field: str) -> np.ndarray:
        """The most recent value of a field for every run, shape (R,)."""
        return self._rows[self._count - 1, self._index[field]].copy()

    def nbytes(self) -> int:
        arrays = [self._rows, self._low, self._high, self._last, self._params, self._bucket_params]
        return sum(a.nbytes for a in arrays if a is not None)
