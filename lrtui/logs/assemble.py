"""From the records of a log to its runs: the loss, LR and validation loss of each, in step order, never blended.

- **Parallel runs**: lrtui's own CSV has a `run` column; each value is a run. (W&B exports, TensorBoard and
  MLflow folders of runs arrive as one table per run.)
- **Appended runs**: where a series' step goes back (a Keras file appended to by four trainings, a TensorBoard
  folder reused after a restart), a new run starts. A repeated header line starts one too. A step that goes
  back while the epoch goes forward is a step counted within the epoch, not a new run.
- **Resumed runs**: a run whose first step lies inside the previous run's steps (training resumed from a
  checkpoint at step 800, after the first attempt reached 1,000) is judged with the previous run's rows
  *before* its first step, which is the history its checkpoint came from; from its first step on, only its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lrtui.logs.columns import Roles, classify, pick_roles
from lrtui.logs.errors import MAX_RUNS, LogError
from lrtui.logs.table import Table


@dataclass(frozen=True)
class TrainingLog:
    """One run of a training log."""

    steps: np.ndarray
    loss: np.ndarray
    lr: np.ndarray | None  # aligned with steps: the LR in force at each logged loss
    val_loss: np.ndarray | None  # on its own steps, val_steps (validation runs less often)
    val_steps: np.ndarray | None
    source_format: str
    columns: dict = field(default_factory=dict)  # role -> the column it was read from
    path: str = ""
    run: int = 0  # its index among the log's runs
    label: str = ""  # lrtui's run label, a W&B run's name, a TensorBoard or MLflow run folder
    lines: tuple[int, int] = (0, 0)  # the first and last source line (or event) of its own records
    resumed_from: int | None = None  # the run whose rows before `resumed_at` were prepended
    resumed_at: float | None = None
    note: str = ""  # how the loss column was chosen, when there was a choice
    grad_norm: np.ndarray | None = None  # aligned with steps, NaN where not logged
    line_word: str = "line"  # what `lines` count: lines, TensorBoard events, log_history entries


@dataclass(frozen=True)
class LogFile:
    """Every run of a log, and how they relate."""

    path: str
    source_format: str
    runs: tuple[TrainingLog, ...]
    parallel: bool  # runs side by side (a sweep), rather than one after another in time
    split_lines: tuple[int, ...] = ()  # lines where steps went back and a new run began
    line_word: str = "line"

    def pick(self, run: int | None = None) -> TrainingLog:
        """Run `run` (negative counts from the end); the last when None."""
        if run is None:
            return self.runs[-1]
        n = len(self.runs)
        if not -n <= run < n:
            which = "run 0" if n == 1 else f"runs 0 to {n - 1}"
            raise LogError(f"{self.path.rsplit('/', 1)[-1]} has {n} run{'s' if n != 1 else ''} ({which}); "
                           f"--run {run} is not one of them")
        return self.runs[run]


def assemble(tables: list[Table], path: str, column: str | None = None) -> LogFile:
    runs: list[TrainingLog] = []
    splits: list[int] = []
    parallel = len(tables) > 1
    for table in tables:
        found, table_splits, by_id = _table_runs(table, path, column)
        runs += found
        splits += table_splits
        parallel = parallel or by_id
        if len(runs) > MAX_RUNS:
            raise LogError(f"{table.name}: more than {MAX_RUNS:,} runs (steps went back {len(splits):,} times); "
                           "that is more than lrtui judges from one log")
    runs = [_renumbered(r, i) for i, r in enumerate(runs)]
    return LogFile(path, tables[0].source_format, tuple(runs), parallel, tuple(splits), tables[0].line_word)


def _renumbered(log: TrainingLog, index: int) -> TrainingLog:
    if log.run == index:
        return log
    resumed = None if log.resumed_from is None else index - 1
    return TrainingLog(**{**log.__dict__, "run": index, "resumed_from": resumed})


# -- one table -------------------------------------------------------------------------------------------

def _table_runs(table: Table, path: str, column: str | None):
    name = table.name
    # No loss column is the first thing to say (a header-only file names the columns it has); then no rows.
    roles = pick_roles(_candidates(table), name, column, list(table.seen), lambda a, b: _together(table, a, b))
    if table.records == 0:
        raise LogError(table.empty_message or f"{name} has no rows; it needs at least one row with a loss")
    for role_col in roles.columns():
        col = table.columns[role_col]
        if col.bad is not None and (role_col in (roles.loss, roles.step) or not col.values):
            _refuse_cell(f"{name} {table.line_word}", role_col, *col.bad)
    loss_col = table.columns[roles.loss]
    if not loss_col.values:
        raise LogError(f'{name}: the column "{roles.loss}" has no values; it needs at least one loss')
    steps = _record_steps(table, roles)
    groups, by_id = _parallel_groups(table)
    runs, splits = [], []
    for run_id, members in groups:
        found, lines = _sequential_runs(table, roles, steps, members, run_id, path)
        runs += found
        splits += lines
    return runs, splits, by_id


def _candidates(table: Table) -> list[str]:
    """The wanted columns, without loss columns of a single value while another has more (the summary
    `train_loss` of a Hugging Face log_history is not a rival of its `loss`)."""
    def is_loss(n):
        kind = classify(n)
        return kind is not None and kind.role == "loss"

    full = [n for n in table.columns if is_loss(n) and len(table.columns[n].values) >= 2]
    return [n for n in table.columns if not (is_loss(n) and full and len(table.columns[n].values) < 2)]


def _together(table: Table, a: str, b: str) -> int:
    ra, rb = table.columns[a].rows, table.columns[b].rows
    return int(np.intersect1d(np.frombuffer(ra, dtype=np.int64), np.frombuffer(rb, dtype=np.int64)).size)


def _refuse_cell(where: str, column: str, line: int, text: str) -> None:
    hint = ("; log loss.item(), not the tensor" if text.startswith("tensor(") else
            "; write float(x), not the NumPy scalar's repr" if text.startswith("np.") else "")
    shown = text if text in ("true", "false", "null") or text[:1] in "[{" else f'"{text}"'
    raise LogError(f"{where} {line}: {column} is {shown}, not a number{hint}")


def _values(table: Table, col: str | None) -> tuple[np.ndarray, np.ndarray]:
    if col is None:
        return np.empty(0, dtype=np.int64), np.empty(0)
    c = table.columns[col]
    return np.frombuffer(c.rows, dtype=np.int64).copy(), np.frombuffer(c.values, dtype=np.float64).copy()


def _record_steps(table: Table, roles: Roles) -> np.ndarray:
    """The step of each record: its step cell (NaN if none), made global where it counts within an epoch."""
    n = table.records
    steps = np.full(n, np.nan)
    if roles.step is None:
        return np.arange(n, dtype=np.float64)
    rows, values = _values(table, roles.step)
    steps[rows] = values
    for other in table.columns:  # a record without the step column may have another step-like one (nanoGPT)
        kind = classify(other)
        if other != roles.step and kind is not None and kind.role == "step":
            orows, ovalues = _values(table, other)
            gap = np.isnan(steps[orows])
            steps[orows[gap]] = ovalues[gap]
    if roles.epoch is not None and roles.epoch != roles.step:
        erows, evalues = _values(table, roles.epoch)
        epochs = np.full(n, np.nan)
        epochs[erows] = evalues
        steps = _within_epoch(steps, epochs)
    kind = classify(roles.step)
    lrows, _ = _values(table, roles.loss)
    loss_steps = steps[lrows]
    if kind is not None and kind.role == "epoch" and loss_steps.size > 1:
        same = np.count_nonzero(loss_steps[1:] == loss_steps[:-1])
        if 2 * same >= loss_steps.size - 1:
            # Several losses per epoch and no step: the row order is the step, and an epoch that goes back
            # (a second training appended) still starts a new run.
            back = lrows[1:][loss_steps[1:] < loss_steps[:-1]]
            table.breaks = sorted(set(table.breaks) | {int(b) for b in back})
            return np.arange(n, dtype=np.float64)
    return steps


def _within_epoch(steps: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """Steps that restart each epoch (`Epoch [2/5], Step [100/600]`) made global: each epoch continues from
    where the last one ended (plus the typical stride), so only a step that goes back *within* an epoch, or
    with the epoch, starts a new run."""
    have = np.flatnonzero(np.isfinite(steps) & np.isfinite(epochs))
    if have.size < 2:
        return steps
    s, e = steps[have], epochs[have]
    resets = np.flatnonzero((s[1:] < s[:-1]) & (e[1:] > e[:-1])) + 1
    if resets.size == 0:
        return steps
    diffs = np.diff(s)
    positive = diffs[diffs > 0]
    stride = float(np.median(positive)) if positive.size else 1.0
    add = np.zeros(s.size)
    for r in resets:  # the epoch continues one stride after the last step of the one before
        add[r:] += s[r - 1] + stride - s[r]
    out = steps.copy()
    out[have] = s + add
    # Records without an epoch (a validation line) take the offset of the record before them.
    return _carry_offsets(out, steps, have, add)


def _carry_offsets(out, steps, have, add):
    if have.size == out.size:
        return out
    owner = np.searchsorted(have, np.arange(out.size), side="right") - 1
    missing = np.setdiff1d(np.arange(out.size), have)
    prior = owner[missing]
    shift = np.where(prior >= 0, add[np.maximum(prior, 0)], 0.0)
    out[missing] = steps[missing] + shift
    return out


def _parallel_groups(table: Table):
    """[(run id, record indices)] by the `run` column (lrtui's export), else one group of every record."""
    everything = np.arange(table.records)
    if "run" not in table.columns or not table.columns["run"].values:
        return [(None, everything)], False
    rows, ids = _values(table, "run")
    if np.unique(ids).size < 2:
        return [(None, everything)], False
    owner = np.full(table.records, np.nan)
    owner[rows] = ids
    order = list(dict.fromkeys(ids.tolist()))
    return [(i, np.flatnonzero(owner == i)) for i in order], True


def _sequential_runs(table: Table, roles: Roles, steps: np.ndarray, members: np.ndarray, run_id, path: str):
    """The runs inside one group of records: split where the loss's steps go back."""
    name = table.name
    series = {}
    for role in ("loss", "lr", "val_loss", "grad_norm"):
        rows, values = _values(table, getattr(roles, role))
        keep = np.isin(rows, members, assume_unique=False) if run_id is not None else np.ones(rows.size, bool)
        rows, values = rows[keep], values[keep]
        s = steps[rows]
        bad = ~np.isfinite(s)
        if bad.any():
            if role == "loss":
                line = int(table.lines[rows[int(np.argmax(bad))]])
                step_col = roles.step or "step"
                raise LogError(f"{name} {table.line_word} {line}: {step_col} is empty or not finite; every row with a loss "
                               "needs its step")
            rows, values, s = rows[~bad], values[~bad], s[~bad]
        series[role] = (rows, s, values)
    loss_rows, loss_steps, _ = series["loss"]
    if loss_rows.size == 0:
        raise LogError(f'{name}: the column "{roles.loss}" has no values; it needs at least one loss')
    cuts = _cuts(loss_rows, loss_steps, table.breaks)
    bounds = np.concatenate([[0], cuts, [loss_rows.size]]).astype(int)
    starts = loss_rows[bounds[:-1]]  # the first loss record of each run
    pieces = {role: _segments(rows, s, values, table.breaks, starts, len(bounds) - 1)
              for role, (rows, s, values) in series.items()}
    label = table.run_labels.get(run_id, "") if run_id is not None else table.label
    runs: list[TrainingLog] = []
    for k in range(len(bounds) - 1):
        run = _one_run(table, roles, pieces, k, path, label, runs[-1] if runs else None)
        runs.append(run)
    split_lines = [int(table.lines[loss_rows[b]]) for b in cuts]
    return runs, split_lines


def _cuts(rows: np.ndarray, s: np.ndarray, breaks: list[int]) -> np.ndarray:
    """Indices into a series where a new run starts: its step went back, or a break record lies before it."""
    back = np.flatnonzero(s[1:] < s[:-1]) + 1  # compared, not subtracted: steps may be near float64's limits
    if breaks:
        brk = np.asarray(breaks)
        crossed = np.flatnonzero(np.searchsorted(brk, rows[1:], side="right")
                                 > np.searchsorted(brk, rows[:-1], side="right")) + 1
        back = np.union1d(back, crossed)
    return back.astype(int)


def _segments(rows, s, values, breaks, starts, count):
    """A series cut into `count` runs: by its own steps going back when that gives the same number of runs as
    the loss, else by position (each record to the run whose first loss record precedes it)."""
    if rows.size == 0:
        return [(s[:0], values[:0], rows[:0])] * count
    cuts = _cuts(rows, s, breaks)
    if cuts.size == count - 1:
        edges = np.concatenate([[0], cuts, [rows.size]]).astype(int)
    else:
        owner = np.searchsorted(starts, rows, side="right") - 1
        owner = np.maximum(owner, 0)
        edges = np.searchsorted(owner, np.arange(count + 1), side="left")
        edges[-1] = rows.size
    return [(s[a:b], values[a:b], rows[a:b]) for a, b in zip(edges[:-1], edges[1:])]


def _one_run(table: Table, roles: Roles, pieces: dict, k: int, path: str, label: str,
             previous: TrainingLog | None) -> TrainingLog:
    s, loss, rows = pieces["loss"][k]
    lines = (int(table.lines[rows[0]]), int(table.lines[rows[-1]]))
    lr_s, lr_v, _ = pieces["lr"][k]
    val_s, val_v, _ = pieces["val_loss"][k]
    gn_s, gn_v, _ = pieces["grad_norm"][k]
    resumed_from = resumed_at = None
    if previous is not None and previous.steps[0] < s[0] <= previous.steps[-1]:
        resumed_from, resumed_at = previous.run, float(s[0])
        before = previous.steps < s[0]
        s, loss = np.concatenate([previous.steps[before], s]), np.concatenate([previous.loss[before], loss])
        if previous.lr is not None:
            lr_s = np.concatenate([previous.steps[before], lr_s])
            lr_v = np.concatenate([previous.lr[before], lr_v])
        if previous.val_loss is not None and previous.val_steps is not None:
            vb = previous.val_steps < resumed_at
            val_s = np.concatenate([previous.val_steps[vb], val_s])
            val_v = np.concatenate([previous.val_loss[vb], val_v])
    lr = None
    if lr_v.size:
        at = np.searchsorted(lr_s, s, side="right") - 1
        lr = lr_v[np.maximum(at, 0)]  # the first LR also covers the losses logged before it
    grad = None
    if gn_v.size:
        at = np.clip(np.searchsorted(gn_s, s), 0, gn_s.size - 1)
        grad = np.where(gn_s[at] == s, gn_v[at], np.nan)
    return TrainingLog(s, loss, lr, val_v if val_v.size else None, val_s if val_v.size else None,
                       table.source_format, dict(roles.by_role), path, previous.run + 1 if previous else 0, label,
                       lines, resumed_from, resumed_at, roles.note, grad, table.line_word)

