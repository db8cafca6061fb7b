"""Diagnostics: what the learning rate is doing wrong, why, and the fix, with numbers.

The simulation's monitor (monitor.py) judges runs as they train; the curve rules (curve.py) judge a
training log from its loss curve alone. The curve rules load when first used, so training does not pay
for them.
"""

from lrtui.core.diagnostics.types import HEALTHY, VERDICTS, Diagnosis

__all__ = ["HEALTHY", "VERDICTS", "CurveReport", "Diagnosis", "diagnose_curve"]


def __getattr__(name: str):
    if name in ("CurveReport", "diagnose_curve"):
        from lrtui.core.diagnostics import curve

        return getattr(curve, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
