"""The shape every set of diagnostic rules shares: one ordered table, each entry a whole rule.

An entry carries the code, the severity, the condition over typed evidence, the words and the fix, so a new
diagnosis is one entry, in one place. The first entry whose condition holds wins; the table's fallback applies
when none does. Conditions may be vectorised: given evidence whose fields are arrays over runs, `holds`
returns a boolean array and `choose` picks a rule per run (the simulation's monitor judges a sweep that way);
given scalars it returns a bool (a training log is one run).

    TABLE = RuleTable([
        Rule("diverged", "error", lambda e: e.nonfinite, message=..., explanation=..., fix=...),
        ...
    ], fallback=Rule("improving", "info", always, message=..., explanation=...))
    rule = TABLE.first(evidence)          # one run
    index = TABLE.choose(evidence)        # an index per run into TABLE.codes
    TABLE.diagnosis(rule, evidence, step, run)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import numpy as np

from lrtui.core.diagnostics.types import SEVERITIES, Diagnosis

E = TypeVar("E")


def always(evidence: Any) -> bool:
    return True


def no_fix(evidence: Any) -> dict | None:
    return None


@dataclass(frozen=True)
class Rule(Generic[E]):
    code: str
    severity: str  # info | warning | error
    holds: Callable[[E], Any]  # a bool, or a bool array over runs
    message: Callable[[E], str]  # one line, for one run's evidence
    explanation: Callable[[E], str]  # the evidence in numbers
    fix: Callable[[E], dict | None] = no_fix  # the change to try, or None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.code}: severity must be one of {SEVERITIES}, got {self.severity!r}")


class RuleTable(Generic[E]):
    def __init__(self, rules: Sequence[Rule[E]], fallback: Rule[E]):
        self.rules = tuple(rules)
        self.fallback = fallback
        self.entries = self.rules + (fallback,)

    @property
    def codes(self) -> tuple[str, ...]:
        """The code of each entry, fallback last; `choose` returns indices into this."""
        return tuple(r.code for r in self.entries)

    def severity(self, code: str) -> str:
        for rule in self.entries:
            if rule.code == code:
                return rule.severity
        raise KeyError(code)

    def first(self, evidence: E) -> Rule[E]:
        """The first rule whose condition holds for one run's evidence (the fallback when none does)."""
        for rule in self.rules:
            if bool(rule.holds(evidence)):
                return rule
        return self.fallback

    def choose(self, evidence: E) -> np.ndarray:
        """For evidence over many runs: the index of the first rule that holds for each run."""
        masks = [np.asarray(rule.holds(evidence), dtype=bool) for rule in self.rules]
        return np.select(masks, np.arange(len(self.rules)), len(self.rules))

    def diagnosis(self, rule: Rule[E], evidence: E, step: int, run: int = 0, tried=None) -> Diagnosis:
        """The rule's Diagnosis for one run's evidence."""
        explain = rule.explanation
        # The explanation is written when first read (Diagnosis makes it then): reading it gives a str.
        later = cast(str, lambda: explain(evidence))
        fix = rule.fix(evidence) or None
        if fix is not None and (tried is None or tried.fix != fix):
            # A fix another claim's check tried (a run frozen by its schedule gets the schedule's): its own try,
            # so that `a` applies it as it was tried (from the start, not from where the verdict's check began)
            tried = next((t for t in (getattr(evidence, "tried", None) or {}).values()
                          if t is not None and t.fix == fix), tried)
        needed = getattr(evidence, "needed", math.nan)
        return Diagnosis(rule.code, int(step), rule.severity, rule.message(evidence), later, fix, tried, run,
                         float(needed) if np.ndim(needed) == 0 else math.nan)
