"""Running evidence about each run, computed a chunk of steps at a time.

The monitor hands over the steps it has collected (see staging.py) and
`Features.advance` turns them into a Frame: every feature at every step of the
chunk, as (steps, runs) arrays. Running minima and maxima, differences between
consecutive steps and the search for a schedule's cut are whole-array
operations over the chunk; only the four exponential averages loop over its
steps (all runs and all four averages in one operation per step). Each value
is computed by the same arithmetic whatever the chunk's length, so verdicts
never depend on how the steps were chunked.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

EMA = 0.9  # weight of the past in the running cosines and flip rate (about 10 steps)
SMOOTH = 0.9  # TensorBoard-style debiased EMA of the loss
WINDOW = 32  # steps over which the progress rate is measured
LONG_WINDOW = 96  # ...and the slower, steadier rate that "too slow" is judged on
# The averages, in the order they are stacked: the loss's EMA, then the cosine of consecutive
# gradients, the sign-flip rate of the loss change, and the cosine of consecutive updates.
_DECAY = np.array([[SMOOTH], [EMA], [EMA], [EMA]])
_STARTS = np.array([1, 2, 2])
# Up to this many runs the averages loop over Python floats: a NumPy call costs more than the
# arithmetic, and Python's float multiply and add round exactly as NumPy's do.
ROW_LOOP_RUNS = 64  # from this many runs, running minima and maxima loop over steps (see accumulate_rows)
FEW_RUNS = 4  # the observation from which each average but the loss's moves


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot products over the last axis. Unlike einsum, which switches to BLAS for one long row,
    the result of a row does not depend on how many rows there are."""
    products = a * b
    if products.shape[-1] > 2:
        return np.add.reduce(products, axis=-1)
    # Reducing an axis of one or two is slow in NumPy; the sum is the same single addition.
    return products[..., 0] + products[..., 1] if products.shape[-1] == 2 else products[..., 0].copy()


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    num = _dot(a, b)
    den = np.sqrt(_dot(a, a) * _dot(b, b))
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _running(op, start: np.ndarray, values: np.ndarray) -> np.ndarray:
    """op accumulated over the steps of `values` (k, R), starting from `start` (R,): (k, R)."""
    return accumulate_rows(op, np.concatenate([start[None], values]))[1:]


def accumulate_rows(op, values: np.ndarray) -> np.ndarray:
    """op.accumulate(values, axis=0), the same values. Across many runs a loop over the rows is several times
    faster: accumulating down axis 0 walks each column with a stride of a whole row."""
    if values.ndim != 2 or values.shape[1] < ROW_LOOP_RUNS:
        return op.accumulate(values, axis=0)
    out = np.empty_like(values)
    if len(values):
        out[0] = values[0]
    for t in range(1, len(values)):
        op(out[t - 1], values[t], out=out[t])
    return out


def _shifted(first: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The previous step's value at each step: `first`, then values[:-1]."""
    return np.concatenate([first[None], values[:-1]])


class Frame:
    """Every feature at each step of a chunk; fields are (k, R), `count` is (k, 1)."""

    def __init__(self, known_floor, first_loss, **fields):
        self.known_floor = known_floor
        self.first_loss = first_loss
        self.__dict__.update(fields)

    @property
    def floor(self):
        """The loss's lower reference: its known minimum, else 0 (or the best seen, if below 0)."""
        if self.known_floor is not None:
            return self.known_floor
        return np.minimum(0.0, self.best_loss)

    def gap(self, values: np.ndarray) -> np.ndarray:
        """How far above the floor, as a fraction of where the run started."""
        floor = self.floor
        start = np.maximum(self.first_loss - floor, 1e-300)
        return np.maximum(values - floor, 0.0) / start

    def at(self, i: int) -> SimpleNamespace:
        """Step i of the chunk, every field (R,)."""
        row = {k: (v[i].copy() if isinstance(v, np.ndarray) and v.ndim == 2 else v) for k, v in vars(self).items()}
        return SimpleNamespace(**row)


class Features:
    """What carries over from one chunk to the next, per run."""

    def __init__(self, n_runs: int, n_params: int, floor: float | None):
        self.n_runs = n_runs
        self.known_floor = floor
        self.count = 0
        z = np.zeros(n_runs)
        self.first_loss = z.copy()
        self.max_grad = z.copy()
        self.best_loss = np.full(n_runs, np.inf)
        self.best_smooth = np.full(n_runs, np.inf)
        self.averages = np.zeros((4, n_runs))  # see _DECAY
        self.secant = np.full(n_runs, np.nan)
        self.schedule_lr_max = z.copy()
        self.gap_at_cut = np.full(n_runs, np.nan)
        self.cut_step = np.full(n_runs, -1)
        self.recent_logs = np.empty((0, n_runs))  # log of the smoothed gap of the last LONG_WINDOW + 1 steps
        self.prev_loss = z.copy()
        self.prev_dloss = z.copy()
        self.prev_grad = np.zeros((n_runs, n_params))
        self.prev_params = np.zeros((n_runs, n_params))
        self.prev_update = np.zeros((n_runs, n_params))

    def add_runs(self, parents: list[int]) -> None:
        idx = np.asarray(parents, dtype=np.int64)
        by_step = ("averages", "recent_logs")  # runs along the second axis
        for name, value in list(vars(self).items()):
            if name in by_step:
                setattr(self, name, np.concatenate([value, value[:, idx]], axis=1))
            elif isinstance(value, np.ndarray) and value.shape[:1] == (self.n_runs,):
                setattr(self, name, np.concatenate([value, value[idx]]))
        self.n_runs += idx.size

    def advance(self, steps, loss, grad_norm, lr, schedule_lr, grad, params) -> Frame:
        """Take in k steps (loss, grad_norm, lr, schedule_lr (k, R); grad, params (k, R, n))."""
        with np.errstate(all="ignore"):
            return self._advance(np.asarray(steps), loss, grad_norm, lr, schedule_lr, grad, params)

    def _advance(self, steps, loss, grad_norm, lr, schedule_lr, grad, params) -> Frame:
        k = loss.shape[0]
        seen = self.count + np.arange(k)[:, None]  # observations before each step's
        finite = np.isfinite(loss)
        if self.count == 0:
            self.first_loss = loss[0].copy()
        max_grad = _running(np.fmax, self.max_grad, np.where(finite, grad_norm, np.nan))
        best_loss = _running(np.fmin, self.best_loss, np.where(finite, loss, np.inf))

        dloss = loss - _shifted(self.prev_loss, loss)
        update = params - _shifted(self.prev_params, params)
        prev_grad = _shifted(self.prev_grad, grad)
        prev_update = _shifted(self.prev_update, update)
        prev_dloss = _shifted(self.prev_dloss, dloss)
        step_sq = _dot(update, update)
        curvature = _dot(grad - prev_grad, update) / np.where(step_sq > 0, step_sq, np.nan)
        secant = np.where(seen >= 1, curvature, self.secant)
        inputs = np.stack([loss, _cosine(grad, prev_grad), (dloss * prev_dloss < 0).astype(float),
                           _cosine(update, prev_update)], axis=1)
        moving = np.empty(inputs.shape, dtype=bool)
        moving[:, 0] = finite
        moving[:, 1:] = (seen >= _STARTS)[:, :, None]
        averages = self._average(inputs, moving)
        n = seen[:, 0] + 1
        debias = np.array([1 - SMOOTH**int(c) for c in n])[:, None]
        smooth = averages[:, 0] / debias
        best_smooth = _running(np.fmin, self.best_smooth, smooth)

        frame = Frame(self.known_floor, self.first_loss, count=(seen + 1), loss=loss, grad_norm=grad_norm, lr=lr,
                      max_grad=max_grad, best_loss=best_loss, smooth=smooth, best_smooth=best_smooth,
                      cos_grad=averages[:, 1], flip_rate=averages[:, 2], cos_update=averages[:, 3], secant=secant,
                      schedule_lr=schedule_lr)
        gaps = frame.gap(smooth)
        self._schedule_cut(frame, steps, gaps)
        self._rates(frame, gaps)

        # The chunk's arrays are views of the monitor's buffer, reused for the next chunk: keep copies.
        self.count += k
        self.max_grad, self.best_loss = max_grad[-1].copy(), best_loss[-1].copy()
        self.best_smooth = best_smooth[-1].copy()
        self.averages, self.secant = averages[-1].copy(), secant[-1].copy()
        self.schedule_lr_max = frame.schedule_lr_max[-1].copy()
        self.cut_step, self.gap_at_cut = frame.cut_step[-1].copy(), frame.gap_at_cut[-1].copy()
        if seen[-1, 0] >= 1:
            self.prev_dloss, self.prev_update = dloss[-1].copy(), update[-1].copy()
        self.prev_loss, self.prev_grad, self.prev_params = loss[-1].copy(), grad[-1].copy(), params[-1].copy()
        return frame

    def _average(self, inputs: np.ndarray, moving: np.ndarray) -> np.ndarray:
        """average_t = decay * average_{t-1} + (1 - decay) * input_t where moving, else unchanged."""
        weighted = (1 - _DECAY) * inputs
        if inputs.shape[2] <= FEW_RUNS:
            return self._average_in_python(weighted, moving)
        held = ~moving
        out = np.empty_like(inputs)
        previous = self.averages
        for t in range(inputs.shape[0]):
            row = out[t]
            np.multiply(_DECAY, previous, out=row)
            row += weighted[t]
            np.copyto(row, previous, where=held[t])
            previous = row
        return out

    def _average_in_python(self, weighted: np.ndarray, moving: np.ndarray) -> np.ndarray:
        k, shape = weighted.shape[0], weighted.shape[1:]
        decay = np.broadcast_to(_DECAY, shape).ravel().tolist()
        previous = self.averages.ravel().tolist()
        rows = []
        for w, m in zip(weighted.reshape(k, -1).tolist(), moving.reshape(k, -1).tolist()):
            previous = [d * p + x if on else p for d, p, x, on in zip(decay, previous, w, m)]
            rows.append(previous)
        return np.array(rows).reshape(weighted.shape)

    def _schedule_cut(self, frame: Frame, steps: np.ndarray, gaps: np.ndarray) -> None:
        """The first step at which the schedule's LR fell to 1/100 of its peak so far, and the gap then."""
        schedule_lr = frame.schedule_lr
        peak = _running(np.fmax, self.schedule_lr_max, schedule_lr)
        peak_before = _shifted(self.schedule_lr_max, peak)
        cut = (schedule_lr <= peak_before / 100.0 * (1 + 1e-9)) & (self.cut_step < 0)
        first = np.argmax(cut, axis=0)
        since = cut.any(axis=0) & (np.arange(len(steps))[:, None] >= first)
        runs = np.arange(cut.shape[1])
        frame.schedule_lr_max = peak
        frame.cut_step = np.where(since, steps[first][None, :], self.cut_step)
        frame.gap_at_cut = np.where(since, gaps[first, runs][None, :], self.gap_at_cut)

    def _rates(self, frame: Frame, gaps: np.ndarray) -> None:
        """Mean decrease per step of log(smoothed gap) over WINDOW and over LONG_WINDOW steps (NaN until known)."""
        logs = np.concatenate([self.recent_logs, np.log(np.maximum(gaps, 1e-300))])
        held = self.recent_logs.shape[0]
        count = frame.count[:, 0]
        newest = held + np.arange(len(count))
        for name, span in (("rate", np.full(len(count), WINDOW)), ("long_rate", np.minimum(LONG_WINDOW, count - 1))):
            span = span - span % 2  # even spans, so that a two-step bounce compares like with like
            known = (count > WINDOW) & (span >= 2)
            oldest = np.where(known, newest - span, newest)
            rate = (logs[oldest] - logs[newest]) / np.where(known, span, 1)[:, None]
            setattr(frame, name, np.where(known[:, None], rate, np.nan))
        self.recent_logs = logs[-(LONG_WINDOW + 1):].copy()
