"""What a diagnosis is: a finding about one run, its evidence, the fix, and how the fix fared when tried.

The JSON form (`Diagnosis.as_dict`) is part of lrtui's interface; docs/diagnostics.md documents it:

    {"code": "oscillating", "severity": "warning", "step": 40, "run": 0,
     "message": "...", "explanation": "...",
     "fix": {"optimizer.lr": 0.016} | null,
     "tried": {"fix": {...}, "from_step": 40, "steps": 160, "loss": 4e-9, "baseline": 3.09,
               "baseline_diverged": false, "helped": true} | null}
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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

# Transitional: the severity of each code, until every rule set is a RuleTable (which carries its own).
VERDICT_SEVERITY = {
    "diverged": "error", "oscillating": "warning", "too_slow": "warning", "plateau": "warning",
    "local_minimum": "warning", "schedule_too_aggressive": "warning", "improving": "info", "converged": "info",
    "overfitting": "warning", "loss_spike": "info",
}

# How each code reads in the app and in messages: never a raw id in the UI.
WORDS = {
    "diverged": "diverged",
    "oscillating": "oscillating (LR too high)",
    "too_slow": "too slow (LR too low)",
    "improving": "improving",
    "converged": "converged",
    "plateau": "plateau",
    "local_minimum": "local minimum",
    "schedule_too_aggressive": "schedule too aggressive",
    "edge_of_stability": "edge of stability",
    "overfitting": "overfitting",
    "loss_spike": "loss spike",
}

# The healthy "improving" code in other words, where its message says more (verdicts.py writes them as its
# messages' prefixes; Diagnosis.words reads them back). A run gone level where nothing tried did much better has
# settled: "improving" over "settled at loss 1.35" read as a contradiction (walkthroughs 10a D43, 11a D87, 11b D95).
SETTLED = "settled (healthy)"
# ... and past the stable limit where it is (SGD's family) it cannot rest: it hops, its loss level on average.
# "settled (healthy)" at 395% of the limit contradicted lesson 10's "hopping between dimples" (walkthrough 18a, N1).
SETTLED_OVER = "settled (over the limit)"
# Display only: a share of the stable limit this large, on a run that has not blown up, is read as a kink (a corner
# of the loss, as at Ackley's centre, where the sharpness has no bound): the status line's "over 100x limit (kink)"
# and the healthy explanation's sentence about it. It changes no verdict.
KINK_SHARE = 100
# A falling SGD-family run short of its budget where no larger LR can be tried: the limit holds it back, not a low
# LR. Lesson 16's SGD read "improving" beside RMSProp, far ahead, "too slow" (walkthrough 18b, P2).
CAPPED = "improving (slow, near its limit)"
CLIMBING = "climbing, being checked"  # far above its start between two checks (walkthrough 14a, C1)
# Falling, but still above where it started: lesson 17's Adagrad at lr 6 read "improving" at 14.1, from 12.5, beside
# the same optimizer at lr 2 at 0.0548 (walkthrough 21b, V1). No check says the LR is at fault (the contracts call
# such a run improving, or ambiguous where a smaller LR ends much lower); the words say where it is.
ABOVE_START = "improving (above its start)"
# Climbing back up from its best over the window, no check blaming the LR: "improving" beside "up 20% per step" read
# as a contradiction (lesson 16's Adam at lr 2, from 2.3e-14 back to 0.046; walkthrough 23b, Z2)
RISING = "rising from its best"
IMPROVING_WORDS = (SETTLED, SETTLED_OVER, CAPPED, CLIMBING, ABOVE_START, RISING)


def in_words(code: str) -> str:
    """A verdict or finding code as a person reads it ("too slow (LR too low)", not `too_slow`)."""
    return WORDS.get(code, code.replace("_", " "))


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class Tried:
    """A fix run on copies next to the unchanged run, from `from_step` for `steps` steps."""

    fix: dict
    from_step: int  # 0 for a replay from the start (a diverged run)
    steps: int  # how far the try went
    loss: float  # the fix's loss at the end of the try (inf or nan if it diverged)
    baseline: float  # the unchanged run's loss at the same step
    baseline_diverged: bool
    helped: bool
    # What `loss` and `baseline` are: a mini-batch model's tries are compared on the whole training set, not on
    # the last batch the status line shows (walkthrough 4: "against 0.221 unchanged" beside "loss 0.35").
    measure: str = "loss"
    # The LR the unchanged run had in force where the try started, and its schedule ("" when constant): under a
    # schedule, "lr = 0.956" set at step 80 scales every LR the schedule gives from then on (by lr_factor).
    lr_then: float = math.nan
    schedule: str = ""
    scale_then: float = math.nan  # the schedule's own LR scale there (its lr, or a cyclic max_lr): what it multiplies

    @property
    def lr_factor(self) -> float:
        """What an LR fix multiplies the LR in force by where it starts (nan when it sets no LR, or unknown)."""
        new = self.fix.get("optimizer.lr")
        if new is None or "schedule.type" in self.fix or not (math.isfinite(self.lr_then) and self.lr_then > 0):
            return math.nan
        return float(new) / self.lr_then

    @property
    def end_step(self) -> int:
        return self.from_step + self.steps

    def sentence(self) -> str:
        """The evidence in a few words: "tried: loss 4e-09 at step 200, against 3.09 unchanged"."""
        against = "the unchanged run diverged" if self.baseline_diverged else f"against {_fmt(self.baseline)} unchanged"
        got = "diverged" if not math.isfinite(self.loss) else f"{self.measure} {_fmt(self.loss)}"
        return f"tried: {got} at step {self.end_step:,}, {against}"

    def as_dict(self) -> dict:
        return {"fix": dict(self.fix), "from_step": int(self.from_step), "steps": int(self.steps),
                "loss": _number(self.loss), "baseline": _number(self.baseline),
                "baseline_diverged": bool(self.baseline_diverged), "helped": bool(self.helped)}


def _fmt(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


@dataclass(frozen=True)
class Diagnosis:
    code: str  # a verdict code, or an info code such as "edge_of_stability"
    step: int  # where it was first detected
    severity: str  # info | warning | error
    message: str  # one line
    explanation: str  # the evidence, with numbers (given as a function, it is made when first read)
    fix: dict | None = None  # e.g. {"optimizer.lr": 0.012}; shown only once tried and found to help
    tried: Tried | None = None
    run: int = 0
    # Steps the run needs at its recent pace to get within the tolerance of its floor (inf: never; nan: not known).
    # Only a too-slow run's words use it: its short form says how long ("too slow, ~8,305 more steps").
    steps_to_go: float = math.nan

    def __getattribute__(self, name: str):
        value = object.__getattribute__(self, name)
        if name == "explanation" and callable(value):
            # A sweep makes a finding for each of a thousand runs; most explanations are never read.
            value = value()
            object.__setattr__(self, "explanation", value)
        return value

    @property
    def suggestion(self) -> dict:
        """The fix as a dict ({} when there is none); the name earlier versions used."""
        return dict(self.fix or {})

    @property
    def words(self) -> str:
        # A healthy run level over its window, where nothing tried did much better, has settled: "improving" over
        # "settled at loss 1.35, level over the last 24 steps" read as a contradiction (walkthrough 10a, D43).
        if self.code == "improving":
            for words in IMPROVING_WORDS:
                if self.message.startswith(words + ": "):
                    return words
        return in_words(self.code)

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "step": int(self.step), "run": int(self.run),
                "message": self.message, "explanation": self.explanation,
                "fix": None if not self.fix else dict(self.fix),
                "tried": None if self.tried is None else self.tried.as_dict()}
