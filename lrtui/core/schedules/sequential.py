"""torch's SequentialLR: one schedule after another, switching at milestones.

What torch 2.13 does, and this module repeats:
- Schedule i runs from milestones[i - 1] (0 for the first) with its own step
  counter restarted at 0, so at a milestone the new schedule shows its value
  for step 0 (its closed form there), whatever the previous one had reached.
  A warm-up linear(start_factor=0.1, total_iters=10) followed at milestone 10
  by cosine therefore ends at 0.91 * base at step 9 and jumps to base at step
  10: the warm-up's own final value (base at its step 10) is never used.
- Every piece is built on the same optimizer before SequentialLR takes over,
  and builds leave marks: a cyclic piece sets the optimizer's lr to its
  base_lr, so when cyclic comes first every other piece starts from cyclic's
  base_lr instead of the optimizer's lr. Momentum cycled by a cyclic piece
  stays at its last value while the other pieces run; before the first
  cyclic piece runs it is the value the last-built cyclic piece wrote (its
  max_momentum).
- onecycle is refused: building it rewrites the optimizer's initial lr and the
  peak and floor that every onecycle piece reads, so torch's pieces would start
  from max_lr / div_factor. plateau (needs the loss) and nested sequential
  (torch fails at the milestone) are refused too.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.schedules.base import Schedule, check_increasing_ints
from lrtui.core.schedules.cyclic import Cyclic

REFUSED = {
    "plateau": "it needs the loss, which torch's SequentialLR cannot pass on",
    "sequential": "torch's SequentialLR cannot run another SequentialLR past a milestone",
    "onecycle": ("building it rewrites the initial lr the other pieces start from (in torch too); "
                 "onecycle has its own warm-up, so use it alone"),
}


class Sequential(Schedule):
    """torch's SequentialLR: schedulers[i] takes over at milestones[i - 1], counting its steps from 0."""

    name = "sequential"
    required = ("schedulers", "milestones")

    def _configure(self, p: dict) -> None:
        # Imported here because the registry in __init__ imports this module.
        from lrtui.core.schedules import build_schedule

        specs = p["schedulers"]
        if not isinstance(specs, (list, tuple)) or not specs:
            raise ValueError(f"schedulers must be a non-empty list of schedules such as "
                             f'{{type = "linear", total_iters = 10}}, got {specs!r}')
        self.children: list[Schedule] = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict) or "type" not in spec:
                raise ValueError(f'schedulers[{i}] must be a table with a "type" key, got {spec!r}')
            kind = spec["type"]
            if not isinstance(kind, str):
                raise ValueError(f'schedulers[{i}] type must be a schedule name in quotes such as "linear", '
                                 f"got {kind!r}")
            if kind in REFUSED:
                raise ValueError(f'schedulers[{i}] cannot be "{kind}": {REFUSED[kind]}')
            params = {key: value for key, value in spec.items() if key != "type"}
            try:
                self.children.append(build_schedule(kind, **params))
            except ValueError as exc:
                raise ValueError(f"schedulers[{i}] ({kind}): {exc}") from None
        self.milestones = check_increasing_ints("milestones", p["milestones"])
        if len(self.milestones) != len(self.children) - 1:
            raise ValueError(f"milestones must have one entry fewer than schedulers: got {len(self.children)} "
                             f"schedulers and {len(self.milestones)} milestones")
        self.starts = np.array([0] + self.milestones, dtype=np.int64)

    @property
    def cycles_momentum(self) -> bool:
        return any(child.cycles_momentum for child in self.children)

    def _pieces(self, steps: np.ndarray):
        """(piece index, steps counted from the piece's start) for every step."""
        piece = np.searchsorted(self.starts, steps, side="right") - 1
        return piece, steps - self.starts[piece]

    def curve(self, steps, base):
        first = self.children[0]
        if isinstance(first, Cyclic):
            base = np.full(base.shape, first.base_lr)
        piece, local = self._pieces(steps)
        out = np.empty((steps.size, base.size))
        for i, child in enumerate(self.children):
            here = piece == i
            if here.any():
                out[here] = child.curve(local[here], base)
        return out

    def momentum_curve(self, steps):
        if not self.cycles_momentum:
            return None
        last_built = [c for c in self.children if c.cycles_momentum][-1]
        held = float(_cycled(last_built, np.zeros(1, dtype=np.int64))[0])
        piece, local = self._pieces(steps)
        out = np.empty(steps.size)
        for i, child in enumerate(self.children):
            here = piece == i
            if child.cycles_momentum:
                out[here] = _cycled(child, local[here])
                if i + 1 < len(self.children):
                    length = self.starts[i + 1] - self.starts[i]
                    held = float(_cycled(child, np.array([length - 1], dtype=np.int64))[0])
            else:
                out[here] = held
        return out

    def _events(self, n_steps):
        out = [(m, "switch") for m in self.milestones]
        for i, child in enumerate(self.children):
            start = int(self.starts[i])
            end = int(self.starts[i + 1]) - 1 if i + 1 < len(self.children) else n_steps
            if end >= start and n_steps >= start:
                out.extend((start + t, kind) for t, kind in child.events(min(end, n_steps) - start))
        return out


def _cycled(schedule: Schedule, steps: np.ndarray) -> np.ndarray:
    """The momentum of a schedule that cycles it (only those have a momentum curve)."""
    momentum = schedule.momentum_curve(steps)
    assert momentum is not None
    return momentum
