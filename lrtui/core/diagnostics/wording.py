"""A diagnosis's numbers and fixes in words, as a person reads and types them: "lr = 0.016", "125%", "lr x9.67
on the whole schedule, 0.1 to 0.967". The verdicts' sentences (verdicts.py) and the app's panels use them."""

from __future__ import annotations

import math

from lrtui.core.diagnostics.types import Tried


def fmt(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def pct(fraction: float) -> str:
    """A fraction as a percentage that never rounds a small positive value to 0%."""
    if not math.isfinite(fraction):
        return "n/a"
    value = 100 * fraction
    if 0 < value < 1:
        return f"{value:.2g}%"
    if abs(value) >= 100_000:  # a thousand times over: "8.1e+09%", as the status line says it (11a, D80)
        return f"{value:.2g}%"
    if 99.5 <= value < 100.5 and value != 100:  # 99.75% is under the limit: never "100%" (walkthrough 18a, N2)
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def fix_words(fix: dict | None, tried: Tried | None = None) -> str:
    """A fix as a person types it: "lr = 0.016", "momentum = 0.9", "schedule constant, lr = 0.1". Given the try,
    an LR set under a schedule says what it multiplies: "lr x9.67 on the whole schedule, 0.1 to 0.967", since the schedule
    keeps its shape around the new LR (walkthrough 4: "lr = 0.0194" was followed by "now lr 1.78")."""
    if not fix:
        return ""
    factor = schedule_factor(fix, tried)
    parts: list[str] = []
    for key, value in fix.items():
        name = key.split(".", 1)[1] if "." in key else key
        if key == "schedule.type":
            parts.insert(0, f"schedule {value}")
        elif key == "schedule.restart":
            continue
        elif name == "lr_factor":
            parts.append(f"lr x{value:g}")
        else:
            # An LR tried exactly (the contract's grid, lr x 10^(k/4)) reads to 4 figures: "0.0008891", not
            # "0.00088914"; `a` applies the value tried.
            shown = f"{value:.4g}" if key == "optimizer.lr" and isinstance(value, float) else (
                f"{value:g}" if isinstance(value, float) else f"{value}")
            parts.append(f"{name} = {shown}")
            if key == "optimizer.lr" and math.isfinite(factor) and factor > 0:
                scale = tried.scale_then if tried is not None else math.nan
                # Led by the raise, on the schedule's own scale (walkthrough 5: "lr x17.8 = 0.0194" named the LR in
                # force at the try's step, which the learner never saw, beside "now lr 1.78" after it).
                parts[-1] = (f"lr x{factor:.3g} on the whole schedule, {scale:.3g} to {scale * factor:.3g}"
                             if math.isfinite(scale) and scale > 0 else f"lr x{factor:.3g} on the whole schedule")
    return ", ".join(parts)


def schedule_factor(fix: dict, tried: Tried | None) -> float:
    """What `fix`, tried under a schedule, multiplies every LR of the schedule by (nan when not so)."""
    return tried.lr_factor if tried is not None and tried.schedule and tried.fix == fix else math.nan


def as_tried(fix: dict, tried: Tried | None) -> dict:
    """The fix to apply from now, as the engine tried it. Under a schedule, an LR set where the try started scaled
    every LR the schedule gives by `tried.lr_factor`; applied some steps later, the same factor is the same fix
    (the same LR would not be: the schedule has moved the LR in force since)."""
    factor = schedule_factor(fix, tried)
    if not (math.isfinite(factor) and factor > 0):
        return dict(fix)
    return {**{k: v for k, v in fix.items() if k != "optimizer.lr"}, "optimizer.lr_factor": factor}
