"""What a diagnosis is: a finding about one run, its evidence, and a concrete fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERDICTS = (
    "diverged",
    "oscillating",
    "too_slow",
    "improving",
    "converged",
    "plateau",
    "local_minimum",
    "schedule_too_aggressive",
)
HEALTHY = ("improving", "converged")
SEVERITIES = ("info", "warning", "error")

# The verdict a diagnosis code implies; info-level codes do not change the verdict.
VERDICT_SEVERITY = {
    "diverged": "error",
    "oscillating": "warning",
    "too_slow": "warning",
    "plateau": "warning",
    "local_minimum": "warning",
    "schedule_too_aggressive": "warning",
    "improving": "info",
    "converged": "info",
    "overfitting": "warning",  # curve-only, from a validation loss
    "loss_spike": "info",  # curve-only: a climb that recovered
}


@dataclass(frozen=True)
class Diagnosis:
    code: str  # a verdict code, or an info code such as "edge_of_stability"
    step: int  # where it was first detected
    severity: str  # info | warning | error
    message: str  # one line
    explanation: str  # the evidence, with numbers
    suggestion: dict = field(default_factory=dict)  # e.g. {"optimizer.lr": 0.012}
    run: int = 0

    def as_dict(self) -> dict:
        return asdict(self)
