"""Scoring the diagnostics against a labelled suite: agreement per code and a confusion matrix."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from lrtui.core.diagnostics.types import HEALTHY, VERDICTS


@dataclass
class CaseResult:
    case: str
    run: int
    expected: str
    got: str
    alarms: list  # warning/error diagnoses raised at any step

    @property
    def false_alarm(self) -> bool:
        return self.expected in HEALTHY and bool(self.alarms)


def load_cases(path: Path) -> list[dict]:
    return tomllib.loads(Path(path).read_text())["case"]


def run_case(case: dict) -> list[CaseResult]:
    from lrtui.scenario.loader import scenario_from_data

    data = {k: v for k, v in case.items() if k not in ("id", "expect")}
    data["name"] = case["id"]
    scenario = scenario_from_data(data, case["id"])
    exp = scenario.build()
    exp.step(scenario.steps)
    results = []
    for run, expected in enumerate(case["expect"]):
        alarms = [d for d in exp.diagnoses(run) if d.severity in ("warning", "error")]
        results.append(CaseResult(case["id"], run, expected, exp.verdict(run), alarms))
    return results


def confusion_table(results: list[CaseResult]) -> str:
    codes = list(VERDICTS)
    short = {c: c[:8] for c in codes}
    width = max(len(c) for c in codes)
    lines = ["expected \\ got".ljust(width) + "  " + " ".join(short[c].rjust(8) for c in codes) + "   agree"]
    for expected in codes:
        row = [r for r in results if r.expected == expected]
        if not row:
            continue
        counts = [sum(r.got == got for r in row) for got in codes]
        agree = sum(r.got == expected for r in row)
        lines.append(expected.ljust(width) + "  " + " ".join(str(c or ".").rjust(8) for c in counts)
                     + f"   {agree}/{len(row)}")
    total = sum(r.got == r.expected for r in results)
    alarms = sum(r.false_alarm for r in results)
    healthy = sum(r.expected in HEALTHY for r in results)
    lines.append("")
    lines.append(f"agreement: {total}/{len(results)} = {100 * total / len(results):.1f}%")
    lines.append(f"false alarms (a warning or error on a healthy run): {alarms} of {healthy} healthy runs")
    misses = [r for r in results if r.got != r.expected or r.false_alarm]
    for r in misses:
        extra = f"; alarms: {', '.join(d.code + '@' + str(d.step) for d in r.alarms)}" if r.false_alarm else ""
        lines.append(f"  {r.case} (run {r.run}): expected {r.expected}, got {r.got}{extra}")
    return "\n".join(lines)
