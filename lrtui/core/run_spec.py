"""What one run is: a label, an optimizer, a schedule and a starting point."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RunSpec:
    label: str = ""
    optimizer: str = "sgd"
    optimizer_params: dict = field(default_factory=dict)
    schedule: str = "constant"
    schedule_params: dict = field(default_factory=dict)
    start: np.ndarray | None = None

    def copy(self, **changes) -> "RunSpec":
        values = {
            "label": self.label,
            "optimizer": self.optimizer,
            "optimizer_params": dict(self.optimizer_params),
            "schedule": self.schedule,
            "schedule_params": dict(self.schedule_params),
            "start": None if self.start is None else np.array(self.start, dtype=np.float64),
        }
        values.update(changes)
        return RunSpec(**values)

    def default_label(self, lr: float) -> str:
        return f"{self.optimizer} lr={lr:.4g}"


@dataclass(frozen=True)
class Event:
    """Something that happened to a run at a step: a marker on the curves."""

    step: int
    run: int
    kind: str  # lr | optimizer | schedule | plateau_cut | diverged | fork
    detail: str
    parent: int = -1  # for a fork: the run it was copied from
