"""Cosine annealing (torch's CosineAnnealingLR) and cosine with warm restarts.

Torch's CosineAnnealingLR is recursive: each step multiplies (lr - eta_min) by
n(t) / n(t - 1), where n(x) = 1 + cos(pi * x / T_max), and one step after
every trough (t = T_max + 1, 3 T_max + 1, ...) it adds a fixed amount instead.
The products telescope, so within each stretch between those additions
torch's lr is eta_min + (lr at the stretch's start - eta_min) * n(t) / n(start).

That is not the textbook closed form: n(start) is tiny (the curve is near its
trough there) and carries the rounding of pi * start / T_max, which grows with
the step. The textbook form drifts from torch by 1e-12 after a few thousand
steps and 7e-12 after 20,000; the telescoped form stays within 2e-14.

With eta_min > 0 torch also rounds lr - eta_min each step; right after a
trough that difference is tiny, so the rounding there is amplified as the lr
climbs back (by up to 1e-11 for T_max = 1000). The first HEAD steps after each
trough therefore repeat torch's arithmetic exactly; the rest telescope from there.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.schedules.base import MAX_EVENTS, Schedule, check_int, check_number, periodic_steps

# Steps after each trough computed exactly as torch does; the rounding left after them is below 1e-13.
HEAD = 64


class Cosine(Schedule):
    """torch's CosineAnnealingLR: half a cosine from base to eta_min over T_max steps, then back up, and so on."""

    name = "cosine"
    required = ("T_max",)
    defaults = {"eta_min": 0.0}

    def _configure(self, p: dict) -> None:
        self.T_max = check_int("T_max", p["T_max"])
        self.eta_min = check_number("eta_min", p["eta_min"], ge=0.0)
        # The amount torch adds one step after each trough, per unit of (base - eta_min).
        self._bump = (1.0 - math.cos(math.pi / self.T_max)) / 2
        self._memo_key: tuple | None = None
        self._memo = np.empty((0, 0))

    def _one_plus_cos(self, x: np.ndarray) -> np.ndarray:
        return 1 + np.cos(np.pi * x.astype(np.float64) / self.T_max)

    def _unit_curve(self, steps: np.ndarray) -> np.ndarray:
        """(lr - eta_min) / (base - eta_min) as torch's recursion produces it, for steps (m,)."""
        period = 2 * self.T_max
        stretch = np.where(steps <= self.T_max, 0, 1 + (steps - self.T_max - 1) // period)
        start = np.where(stretch == 0, 0, self.T_max + 1 + period * (stretch - 1))
        # What the previous stretch left at its trough: exactly 0 unless the
        # rounding of pi * t / T_max keeps n(trough) off zero (for t near 1e8).
        previous_start = np.where(stretch >= 2, start - period, 0)
        previous_level = np.where(stretch >= 2, self._bump, 1.0) / self._one_plus_cos(previous_start)
        leftover = np.where(stretch >= 1, previous_level * self._one_plus_cos(start - 1), 0.0)
        level = np.where(stretch == 0, 1.0, leftover + self._bump)
        return level * self._one_plus_cos(steps) / self._one_plus_cos(start)

    def curve(self, steps, base):
        if steps.size == 1 and steps[0] > self.T_max:
            return self._one_step_after_troughs(int(steps[0]), base)[None, :]
        out = self.eta_min + (base[None, :] - self.eta_min) * self._unit_curve(steps)[:, None]
        later = steps > self.T_max
        if later.any():
            out[later] = self._after_troughs(steps[later], base)
        return out

    def _after_troughs(self, steps: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Torch's values past the first trough: HEAD exact steps per stretch, then telescoped."""
        eta, period = self.eta_min, 2 * self.T_max
        start = self.T_max + 1 + period * ((steps - self.T_max - 1) // period)
        starts, row = np.unique(start, return_inverse=True)
        offset = steps - start
        # Adding 0 is exact, so without eta_min only the step after the trough needs doing by hand.
        head = min(HEAD, period) if eta > 0 else 1
        level = self._unit_curve(starts - 1)
        lr = eta + (base[None, :] - eta) * level[:, None]
        lr = lr + (base[None, :] - eta) * (1 - math.cos(math.pi / self.T_max)) / 2
        out = np.empty((steps.size, base.size))
        for j in range(head):
            if j:
                ratio = self._one_plus_cos(starts + j) / self._one_plus_cos(starts + j - 1)
                lr = ratio[:, None] * (lr - eta) + eta
            here = offset == j
            out[here] = lr[row[here]]
        tail = offset >= head
        anchor = (starts + head - 1)[row[tail]]
        climb = self._one_plus_cos(steps[tail]) / self._one_plus_cos(anchor)
        out[tail] = eta + (lr[row[tail]] - eta) * climb[:, None]
        return out

    def _one_step_after_troughs(self, t: int, base: np.ndarray) -> np.ndarray:
        """`_after_troughs` for one step, reusing the latest stretch's exact head (a run steps through it in order)."""
        period = 2 * self.T_max
        start = self.T_max + 1 + period * ((t - self.T_max - 1) // period)
        head = min(HEAD, period) if self.eta_min > 0 else 1
        key = (start, base.tobytes())
        if self._memo_key != key:
            self._memo = self._after_troughs(np.arange(start, start + head, dtype=np.int64), base)
            self._memo_key = key
        if t - start < head:
            return self._memo[t - start].copy()
        anchor = np.array([start + head - 1, t], dtype=np.int64)
        n_anchor, n_t = self._one_plus_cos(anchor)
        return self.eta_min + (self._memo[-1] - self.eta_min) * (n_t / n_anchor)

    def _events(self, n_steps):
        # Troughs at odd multiples of T_max, peaks at even ones: a long run keeps markers of both kinds.
        troughs = periodic_steps(self.T_max, 2 * self.T_max, n_steps, MAX_EVENTS // 2)
        peaks = periodic_steps(2 * self.T_max, 2 * self.T_max, n_steps, MAX_EVENTS // 2)
        return [(t, "trough") for t in troughs] + [(t, "peak") for t in peaks]


class CosineWarmRestarts(Schedule):
    """torch's CosineAnnealingWarmRestarts: cosine from base to eta_min, restarting every T_i steps (T_i *= T_mult)."""

    name = "cosine_warm_restarts"
    required = ("T_0",)
    defaults = {"T_mult": 1, "eta_min": 0.0}

    def _configure(self, p: dict) -> None:
        self.T_0 = check_int("T_0", p["T_0"])
        self.T_mult = check_int("T_mult", p["T_mult"])
        self.eta_min = check_number("eta_min", p["eta_min"], ge=0.0)

    def restarts(self, until: int) -> np.ndarray:
        """Steps 0 < t <= until where a new cycle begins."""
        if self.T_mult == 1:
            return np.arange(self.T_0, until + 1, self.T_0, dtype=np.int64)
        out, at, length = [], self.T_0, self.T_0
        while at <= until:
            out.append(at)
            length *= self.T_mult
            at += length
        return np.array(out, dtype=np.int64)

    def _position(self, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(steps into the current cycle, the cycle's length), torch's T_cur and T_i."""
        if self.T_mult == 1:
            return steps % self.T_0, np.full(steps.shape, self.T_0, dtype=np.int64)
        bounds = np.concatenate([[0], self.restarts(int(steps.max(initial=0)))])
        cycle = np.searchsorted(bounds, steps, side="right") - 1
        return steps - bounds[cycle], self.T_0 * self.T_mult ** cycle

    def curve(self, steps, base):
        t_cur, t_i = self._position(steps)
        unit = (1 + np.cos(np.pi * t_cur.astype(np.float64) / t_i.astype(np.float64))) / 2
        return self.eta_min + (base[None, :] - self.eta_min) * unit[:, None]

    def _events(self, n_steps):
        # A cycle of one step never leaves base, so the restart after it changes nothing.
        if self.T_0 == 1 and self.T_mult == 1:
            return []
        if self.T_mult == 1:
            return [(t, "restart") for t in periodic_steps(self.T_0, self.T_0, n_steps) if t > 1]
        return [(int(t), "restart") for t in self.restarts(n_steps) if t > 1]
