"""Diagnostics: what the learning rate is doing wrong, why, and the fix, with numbers."""

from lrtui.core.diagnostics.curve import CurveReport, diagnose_curve
from lrtui.core.diagnostics.types import HEALTHY, VERDICTS, Diagnosis

__all__ = ["HEALTHY", "VERDICTS", "CurveReport", "Diagnosis", "diagnose_curve"]
