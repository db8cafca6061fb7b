"""Words for each finding: what is wrong, the evidence with numbers, and a concrete change."""

from __future__ import annotations

import math

from lrtui.core.diagnostics.types import VERDICT_SEVERITY, Diagnosis


def nice(value: float) -> float:
    """Two significant figures, rounded down: a suggestion a person can type."""
    if not math.isfinite(value) or value <= 0:
        return value
    scale = 10.0 ** (math.floor(math.log10(value)) - 1)
    if scale == 0.0:  # below about 1e-322 the scale underflows to zero: the value is as round as it gets
        return value
    return math.floor(value / scale) * scale


def fmt(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "n/a"


def gauge_sentence(e: dict) -> str:
    if not math.isfinite(e.get("gauge", math.nan)):
        return "the sharpness is not known yet"
    where = f" (sharpness λ = {fmt(e['sharpness'])})" if math.isfinite(e.get("sharpness", math.nan)) else " at the start"
    return f"lr is {100 * e['gauge']:.0f}% of the stable limit {e['formula']} = {fmt(e['lr_limit'])}{where}"


def build(code: str, run: int, step: int, e: dict) -> Diagnosis:
    """A Diagnosis for `code`, from the evidence dict `e` of one run."""
    lr = e["lr"]
    safe = nice(0.8 * e["lr_limit"]) if math.isfinite(e.get("lr_limit", math.nan)) else math.nan
    severity = VERDICT_SEVERITY.get(code, "info")
    if code == "diverged" and e.get("diverged_at") == 0:
        message = "diverged at the start: the loss or a parameter is non-finite at step 0; change the start"
        explanation = (f"{e['why_diverged']}, before any update: no learning rate can help a run that starts there. "
                       "Pick a start (loss.start or the run's start) where the loss is finite.")
        return Diagnosis(code, step, severity, message, explanation, {}, run=run)
    if code == "diverged" and not math.isfinite(lr):
        return _lr_blew_up(run, step, e, safe)
    if code == "diverged":
        target = safe if math.isfinite(safe) and safe < lr else nice(lr / 10)
        message = f"diverged: the LR {fmt(lr)} is too high; try lr ≤ {fmt(target)}"
        explanation = (f"{e['why_diverged']}. {gauge_sentence(e)[0].upper() + gauge_sentence(e)[1:]}; "
                       "past that limit each step overshoots more than the last.")
        return Diagnosis(code, step, severity, message, explanation, {"optimizer.lr": target}, run=run)
    if code == "oscillating":
        target = safe if math.isfinite(safe) and safe < lr else nice(lr / 2)
        message = f"{gauge_sentence(e).split(' (')[0]}: the loss oscillates; try lr ≤ {fmt(target)}"
        explanation = (f"Consecutive gradients point against each other (running cosine {e['cos_grad']:.2f}), "
                       f"the loss change flips sign on {100 * e['flip_rate']:.0f}% of steps, and the loss has not "
                       f"fallen over the last {e['window']} steps. {gauge_sentence(e)}.")
        return Diagnosis(code, step, severity, message, explanation, {"optimizer.lr": target}, run=run)
    if code == "too_slow":
        target = nice(min(10 * lr, safe)) if math.isfinite(safe) else nice(10 * lr)
        needed = e["needed"]
        more = f"about {needed:,.0f} steps" if math.isfinite(needed) else "forever"
        message = f"too slow: at this rate the loss needs {more} to converge; try lr = {fmt(target)}"
        explanation = (f"The loss falls steadily but only {100 * max(e['rate'], 0):.3g}% per step, and consecutive "
                       f"updates point the same way (running cosine {e['cos_update']:.2f}): each step is safe but "
                       f"tiny. The budget is {e['budget']:,} steps. {gauge_sentence(e)}.")
        return Diagnosis(code, step, severity, message, explanation, {"optimizer.lr": target}, run=run)
    if code == "plateau":
        saddle = e["bottom"] < 0
        where = (f"a saddle: the Hessian has a negative eigenvalue ({fmt(e['bottom'])})" if saddle
                 else "a flat region")
        message = f"plateau: the loss has been flat with a small gradient, on {where.split(':')[0]}"
        explanation = (f"The loss changed less than 0.01% per step over the last {e['window']} steps and the "
                       f"gradient is {fmt(e['grad_ratio'])} of its largest, well above the minimum. This is {where}; "
                       "momentum or a larger LR escapes sooner.")
        return Diagnosis(code, step, severity, message, explanation, {"optimizer.momentum": 0.9}, run=run)
    if code == "local_minimum":
        message = f"stuck in a local minimum: loss {fmt(e['loss'])}, the global minimum is {fmt(e['min_value'])}"
        explanation = (f"The gradient is {fmt(e['grad_ratio'])} of its largest and the Hessian is positive "
                       f"(eigenvalues {fmt(e['bottom'])} to {fmt(e['sharpness'])}), so this is a minimum, but the "
                       f"loss is well above the known global minimum {fmt(e['min_value'])}. A larger LR, momentum, "
                       "or a schedule that starts high can carry a run past such dimples.")
        return Diagnosis(code, step, severity, message, explanation, {"optimizer.lr": nice(10 * lr)}, run=run)
    if code == "schedule_too_aggressive":
        suggestion = e["schedule_fix"]
        message = (f"schedule too aggressive: it cut the LR from {fmt(e['lr_max'])} to {fmt(lr)} while the loss "
                   "was far from converged, and progress stalled")
        explanation = (f"At step {e['cut_step']} the schedule had cut the LR to 1/100 of its peak "
                       f"{fmt(e['lr_max'])}, when the loss was still {100 * e['gap_at_cut']:.0f}% of its starting "
                       f"distance from the minimum; since then it has hardly moved. A gentler decay keeps enough LR.")
        return Diagnosis(code, step, severity, message, explanation, suggestion, run=run)
    if code == "edge_of_stability":
        message = "edge of stability: sharpness hovers near the stable limit while the loss still falls (normal)"
        explanation = (f"{gauge_sentence(e)}. Under full-batch training, networks sharpen until sharpness reaches "
                       "about 2/lr and then hover there while the loss keeps falling over the long run "
                       "(Cohen et al., 2021). This is not a too-high LR.")
        return Diagnosis(code, step, "info", message, explanation, {}, run=run)
    if code == "converged":
        message = f"converged: loss {fmt(e['loss'])}, gradient {fmt(e['grad_norm'])}"
        explanation = f"The gradient is {fmt(e['grad_ratio'])} of its largest, at (or near) the minimum."
        return Diagnosis(code, step, "info", message, explanation, {}, run=run)
    message = "improving: the loss is falling at a good rate"
    explanation = f"The loss falls {100 * max(e['rate'], 0):.3g}% per step. {gauge_sentence(e)}."
    return Diagnosis("improving", step, "info", message, explanation, {}, run=run)


def _lr_blew_up(run: int, step: int, e: dict, safe: float) -> Diagnosis:
    """A diverged run whose LR itself is inf or nan: the schedule (or repeated x10) did it, not the set LR."""
    set_lr = e.get("set_lr", math.nan)
    candidates = [v for v in (safe, nice(set_lr)) if math.isfinite(v) and v > 0]
    target = min(candidates) if candidates else 1e-3  # nothing finite to go on: Adam's default
    if e.get("scheduled"):
        message = f"diverged: the schedule drove the LR to {e['lr']}; use one that keeps lr ≤ {fmt(target)}"
    else:
        message = f"diverged: the LR became {e['lr']}; try lr ≤ {fmt(target)}"
    explanation = (f"{e['why_diverged']}. The LR in force is {e['lr']}: every update is infinite or undefined, "
                   f"whatever the loss. A constant schedule at lr {fmt(target)} keeps every step finite.")
    suggestion = {"optimizer.lr": target, "schedule.type": "constant"}
    return Diagnosis("diverged", step, VERDICT_SEVERITY.get("diverged", "info"), message, explanation, suggestion,
                     run=run)
