"""A long watch in bounded memory: the records of a rolling window, and the run before it, thinned.

A live view reads a growing log into a window of at most so many bytes and records. When the window is full,
its records are dropped, and the run they end with is kept as a prefix of at most CARRY_POINTS points (every
k-th point, the first non-finite loss always among them). The next window's first run is joined to that
prefix when it goes on from it (its first step comes after the prefix's last), so the chart and the verdict
still see the run from its start; a run that starts over is a run of its own.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lrtui.logs.assemble import LogFile, TrainingLog

CARRY_POINTS = 20_000


def thinned(log: TrainingLog, most: int = CARRY_POINTS) -> TrainingLog:
    """The run with at most about `most` losses: every k-th, plus the first non-finite one and the last."""
    n = log.loss.size
    if n <= most:
        return log
    stride = -(-n // most)
    keep = np.zeros(n, dtype=bool)
    keep[::stride] = True
    keep[-1] = True
    bad = np.flatnonzero(~np.isfinite(log.loss))
    if bad.size:
        keep[bad[0]] = True
    changes: dict = {"steps": log.steps[keep], "loss": log.loss[keep]}
    if log.lr is not None:
        changes["lr"] = log.lr[keep]
    if log.grad_norm is not None:
        changes["grad_norm"] = log.grad_norm[keep]
    if log.val_loss is not None and log.val_steps is not None and log.val_loss.size > most:
        vstride = -(-log.val_loss.size // most)
        changes["val_loss"], changes["val_steps"] = log.val_loss[::vstride], log.val_steps[::vstride]
    return replace(log, **changes)


def _aligned(log: TrainingLog, name: str) -> np.ndarray:
    values = getattr(log, name)
    return np.full(log.loss.size, np.nan) if values is None else values


def joined(before: TrainingLog, after: TrainingLog) -> TrainingLog:
    """`after` with `before`'s points in front (its first step comes after `before`'s last)."""
    changes: dict = {"steps": np.concatenate([before.steps, after.steps]),
                     "loss": np.concatenate([before.loss, after.loss])}
    for name in ("lr", "grad_norm"):
        if getattr(before, name) is not None or getattr(after, name) is not None:
            changes[name] = np.concatenate([_aligned(before, name), _aligned(after, name)])
    if before.val_loss is not None or after.val_loss is not None:
        vs = [x for x in (before.val_steps, after.val_steps) if x is not None]
        vl = [x for x in (before.val_loss, after.val_loss) if x is not None]
        changes["val_steps"], changes["val_loss"] = np.concatenate(vs), np.concatenate(vl)
    changes["lines"] = (before.lines[0], after.lines[1])
    return replace(after, **changes)


def with_carried(carried: TrainingLog | None, logfile: LogFile | None) -> LogFile | None:
    """The runs of the window, the first joined to the carried prefix when it goes on from it."""
    if carried is None:
        return logfile
    if logfile is None:
        return LogFile(carried.path, carried.source_format, (replace(carried, run=0),), False,
                       line_word=carried.line_word)
    first = logfile.runs[0]
    if first.steps[0] > carried.steps[-1] and not logfile.parallel:
        runs = (joined(carried, first),) + logfile.runs[1:]
    else:
        runs = (carried,) + logfile.runs
    runs = tuple(replace(r, run=i, resumed_from=None if r.resumed_from is None else max(0, i - 1))
                 for i, r in enumerate(runs))
    return replace(logfile, runs=runs)
