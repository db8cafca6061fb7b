"""Curve-only diagnostics: judging a training run from its loss curve alone.

A log has no known minimum, no gradients and no Hessian, so these rules look
only at the shape of the curve (and at the LR and validation loss when the log
has them). They judge trends on window medians and debiased-EMA smoothing, never
on single steps, so that mini-batch noise alone never raises an alarm. The
thresholds below are the only ones; docs/diagnostics.md explains each.
Time is measured in run-lengths (the whole log spans 1), so the same thresholds
serve a 20-epoch Keras log and a 100,000-step TensorBoard export.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lrtui.core.diagnostics.curve_evidence import Evidence, measure, smoothing_weight
from lrtui.core.diagnostics.types import VERDICT_SEVERITY, Diagnosis
from lrtui.core.smoothing import debiased_ema

BLOWUP = 4.0  # smoothed loss above this multiple of its best (above the floor), and staying there: diverged
RISE = 2.0  # the last third's median this multiple of the best level before it, and not falling: unstable
DROP_GAP = 0.5  # at most this fraction of the starting level left: a real drop (converged if flat)
PLATEAU_SPAN = 0.5  # plateau: flat over at least this fraction of the run
TOLERANCE = 0.1  # the target "too slow" is judged against: 10% of the starting level
SLOW_FACTOR = 5.0  # too slow: at the current pace the target lies this many run-lengths beyond the end
FLAT_RATE = 0.03  # a trend below 3% per run-length (in log units) is flat
STEADY = 3.0  # too slow only if the first third fell at most 3x faster than the last (no slowing down)
SIGNIFICANCE = 2.0  # a trend counts only beyond this many standard errors
NOISE_MARGIN = 3.0  # a level difference counts only beyond this many standard deviations of window medians
OSC_LAG1 = -0.5  # bounce: residual lag-1 autocorrelation at most this (independent noise: about -0.1)
OSC_LAG2 = 0.25  # ...and lag-2 autocorrelation at least this (independent noise: about -0.1)
OSC_FLIPS = 0.8  # ...and this fraction of steps reverse the previous one (independent noise: 2/3)
OSC_SWING = 0.1  # ...and a step moves the loss by this fraction of its level
OSC_MIN_POINTS = 24  # ...measured on at least this many points
BIG_CUT = 100.0  # an LR at or below its peak / 100 has been cut hard
EARLY_CUT = 0.75  # ...before this fraction of the run (annealing to ~0 at the end is by design)
STALL_RATIO = 0.1  # after the cut the loss falls less than a tenth as fast as before it
OVERFIT_RISE = 0.1  # validation loss 10% above its best, while the training loss falls: overfitting
OVERFIT_MIN_POINTS = 5  # ...judged on at least this many validation points
MIN_POINTS = 12  # fewer finite points than this: only divergence is judged

RULES = "curve-only"
# The evidence module receives every threshold above by its lower-case name.
_CHECKS = {name.lower(): value for name, value in dict(globals()).items()
           if name.isupper() and isinstance(value, (int, float))}


@dataclass(frozen=True)
class CurveReport:
    verdict: str
    diagnoses: list[Diagnosis]
    smoothed: np.ndarray  # TensorBoard's debiased EMA of the loss, with `smoothing_weight`
    steps: np.ndarray
    smoothing_weight: float
    evidence: dict = field(default_factory=dict)  # the measured numbers behind the verdict
    rules: str = RULES

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "diagnoses": [d.as_dict() for d in self.diagnoses], "rules": self.rules}


def diagnose_curve(loss, steps=None, lr=None, val_loss=None, val_steps=None) -> CurveReport:
    """Judge a run from its loss curve. `lr` and `val_loss` are optional and aligned with `steps`
    (NaN where missing), unless `val_steps` gives the validation loss its own steps."""
    loss, steps, lr, val_steps, val_loss = _validated(loss, steps, lr, val_loss, val_steps)
    weight = smoothing_weight(loss.size)
    smoothed = debiased_ema(loss, weight)
    with np.errstate(all="ignore"):
        e = measure(loss, steps, smoothed, lr, val_steps, val_loss, _CHECKS)
        verdict, main = _verdict(e)
        diagnoses = [main] + _side_findings(e, verdict)
    evidence = {k: v for k, v in vars(e).items() if isinstance(v, (bool, int, float, str))}
    return CurveReport(verdict, diagnoses, smoothed, steps, weight, evidence)


def _validated(loss, steps, lr, val_loss, val_steps):
    loss = np.asarray(loss, dtype=np.float64).ravel()
    if loss.size == 0:
        raise ValueError("loss is empty; give at least one value")
    steps = np.arange(loss.size, dtype=np.float64) if steps is None else np.asarray(steps, np.float64).ravel()
    if steps.shape != loss.shape:
        raise ValueError(f"steps must have one entry per loss value ({loss.size}), got {steps.size}")
    if not np.all(np.isfinite(steps)) or np.any(np.diff(steps) < 0):
        raise ValueError("steps must be finite and non-decreasing")
    if lr is not None:
        lr = np.asarray(lr, dtype=np.float64).ravel()
        if lr.shape != loss.shape:
            raise ValueError(f"lr must have one entry per loss value ({loss.size}), got {lr.size}")
    if val_loss is not None:
        val_loss = np.asarray(val_loss, dtype=np.float64).ravel()
        val_steps = steps if val_steps is None else np.asarray(val_steps, dtype=np.float64).ravel()
        if val_steps.shape != val_loss.shape:
            raise ValueError("val_loss must have one entry per step (or per val_steps entry)")
    else:
        val_steps = None
    return loss, steps, lr, val_steps, val_loss


# -- the verdict -------------------------------------------------------------------------------------

def _verdict(e: Evidence) -> tuple[str, Diagnosis]:
    if e.nonfinite_at >= 0 or e.blowup_at >= 0:
        return "diverged", _diverged(e)
    if e.points < MIN_POINTS:
        return "improving", _short(e)
    if e.bouncing:
        return "oscillating", _bouncing(e)
    if e.rising:
        return "oscillating", _risen(e)
    if e.cut_stalled:
        return "schedule_too_aggressive", _schedule(e)
    if e.gap_now <= DROP_GAP and not e.falling:
        return "converged", _converged(e)
    if e.gap_now > DROP_GAP and not e.falling and e.flat_shown:
        return "plateau", _plateau(e)
    if e.gap_now > DROP_GAP and e.falling and e.steady and e.needed_fastest > SLOW_FACTOR:
        return "too_slow", _too_slow(e)
    return "improving", _improving(e)


def _side_findings(e: Evidence, verdict: str) -> list[Diagnosis]:
    out = []
    if e.spike_at >= 0 and verdict != "diverged":
        out.append(Diagnosis(
            "loss_spike", e.spike_at, "info",
            f"loss spike at step {e.spike_at}: up to {fmt(e.spike_peak)}, then it came back down",
            f"The smoothed loss rose above {BLOWUP:g}x its best so far ({fmt(e.spike_best)}) and peaked at "
            f"{fmt(e.spike_peak)}, but recovered, so the run did not diverge. Repeated spikes mean the LR sits "
            "close to the stable limit; a warmup or gradient clipping makes them rarer."))
    if e.overfit_at >= 0:
        out.append(Diagnosis(
            "overfitting", e.overfit_at, "warning",
            f"overfitting: val_loss is rising since step {e.overfit_at} while the training loss falls",
            f"The validation loss was lowest ({fmt(e.val_best)}) at step {e.overfit_at} and is now "
            f"{fmt(e.val_now)} ({100 * (e.val_now / e.val_best - 1):.0f}% higher), while the training loss went from "
            f"{fmt(e.train_at_val_best)} to {fmt(e.level_now_value)}. The model is fitting the training data's "
            "noise. Stop at the best step (early stopping), or add regularisation (weight decay, dropout, "
            "augmentation) or data.",
            {"steps": int(e.overfit_at)}))
    return out


def _main(code: str, step: int, message: str, explanation: str, suggestion: dict | None = None) -> Diagnosis:
    return Diagnosis(code, int(step), VERDICT_SEVERITY.get(code, "info"), message, explanation, suggestion or {})


def _lr_fix(e: Evidence, factor: float, lr_at: float) -> dict:
    """An absolute LR when the log has one, else a factor to apply to whatever LR the run used."""
    if math.isfinite(lr_at) and lr_at > 0:
        return {"optimizer.lr": nice(factor * lr_at)}
    return {"optimizer.lr_factor": factor}


def _diverged(e: Evidence) -> Diagnosis:
    if e.nonfinite_at >= 0:
        message = f"diverged: the loss became {e.nonfinite_value} at step {e.nonfinite_at}; the LR is too high"
        climb = (f", after climbing since step {e.blowup_at} (smoothed {fmt(e.blowup_value)}, "
                 f"{fmt(e.blowup_value_ratio)}x its best)" if e.blowup_at >= 0 else "")
        before = (f"The loss was {fmt(e.best_value)} at its best (step {e.best_step}) and became "
                  f"{e.nonfinite_value} at step {e.nonfinite_at}" if e.points
                  else f"The first logged loss is already {e.nonfinite_value}")
        why = f"{before}{climb}. A loss that turns non-finite means each step overshot more than the last"
        step = e.nonfinite_at
    else:
        message = (f"diverged: the loss rose to {fmt(e.blowup_value)}, {fmt(e.blowup_value_ratio)}x its best, "
                   f"from step {e.blowup_at}; the LR is too high")
        why = (f"The smoothed loss (TensorBoard EMA, weight {e.weight:.2f}) rose above {BLOWUP:g}x its best "
               f"smoothed value {fmt(e.blowup_best)} at step {e.blowup_at} and ends at {fmt(e.smoothed_end)}; "
               "the window medians confirm it, so this is not a single noisy batch. A loss that climbs away "
               "from its best like this means the steps overshoot")
        step = e.blowup_at
    lr_at = e.lr_at(step)
    where = f" (lr {fmt(lr_at)} at that step)" if math.isfinite(lr_at) else ""
    explanation = (f"{why}{where}. Lower the LR about tenfold, or add a warmup; gradient clipping hides "
                   "the symptom but rarely the cause.")
    return _main("diverged", step, message, explanation, _lr_fix(e, 0.1, lr_at))


def _short(e: Evidence) -> Diagnosis:
    return _main("improving", e.last_step, f"too few points to judge: {e.points} (lrtui needs {MIN_POINTS})",
                 f"The log has {e.points} finite loss values. Divergence was checked; trends need at least "
                 f"{MIN_POINTS} points. Log more often (every few steps) to get a diagnosis.")


def _bouncing(e: Evidence) -> Diagnosis:
    b = e.bounce
    message = "oscillating: the loss bounces up and down on alternate steps and no longer falls; the LR is too high"
    explanation = (
        f"Over the last {e.bounce_points} points the loss reversed direction on {100 * b.flips:.0f}% of steps "
        f"(noise alone: about 67%), each step moved it by {100 * b.swing:.0f}% of its level, and its deviations "
        f"from a moving average alternate in sign (lag-1 autocorrelation {b.lag1:.2f}, lag-2 {b.lag2:.2f}). "
        f"Meanwhile the smoothed loss changed {pct_change(e.recent_rate, e.recent_span)}. A two-step bounce is "
        "what an LR just past the stable limit does: each step overshoots the valley floor. Without a Hessian "
        "lrtui cannot say how far past; halving the LR usually settles it.")
    return _main("oscillating", e.bounce_from, message, explanation, _lr_fix(e, 0.5, e.lr_now))


def _risen(e: Evidence) -> Diagnosis:
    message = (f"unstable: the loss has risen to {e.rise_ratio:.1f}x its best ({fmt(e.rise_best_value)} at step "
               f"{e.rise_best_step}) and is not coming back down; the LR is likely too high")
    explanation = (
        f"Over the last third of the run the loss's median is {e.rise_ratio:.1f}x its lowest level before that, "
        f"{fmt(e.rise_best_value)} (step {e.rise_best_step}), well beyond the noise (window medians scatter by about "
        f"{100 * e.median_noise:.0f}%), and it is not falling. A training loss that gets worse and stays worse "
        "usually means steps too large for the sharper region training has reached; a lower LR, or a "
        "decaying schedule, keeps what was gained.")
    return _main("oscillating", e.rise_from, message, explanation, _lr_fix(e, 0.5, e.lr_now))


def _schedule(e: Evidence) -> Diagnosis:
    message = (f"schedule too aggressive: the LR was cut from {fmt(e.lr_max)} to {fmt(e.lr_at(e.cut_at))} by "
               f"step {e.cut_at} while the loss was still falling, and progress stalled")
    explanation = (
        f"By step {e.cut_at} ({100 * e.cut_fraction:.0f}% into the run) the LR was below 1/{BIG_CUT:.0f} of its "
        f"peak {fmt(e.lr_max)}. Before the cut the loss was falling by a factor of {math.exp(e.pre_cut_rate):.3g} "
        f"per run-length and stood at {100 * e.gap_at_cut:.0f}% of its starting level; since then it has fallen "
        f"by a factor of {math.exp(max(e.post_cut_rate, 0.0)):.3g} per run-length, less than a tenth as fast "
        "(in log units). A gentler decay, such as a cosine over the whole run, keeps enough LR until the loss "
        "has converged.")
    suggestion = {"schedule.type": "cosine", "schedule.T_max": int(e.last_step)}
    return _main("schedule_too_aggressive", e.cut_at, message, explanation, suggestion)


def _converged(e: Evidence) -> Diagnosis:
    message = (f"converged: the loss is flat at {fmt(e.level_now_value)}, {100 * e.gap_now:.1f}% of where "
               "it started")
    explanation = (
        f"The loss started at {fmt(e.start_value)} and the last window's median is {fmt(e.level_now_value)}. "
        f"Over the last third of the run it shows no clear fall: its trend, {fmt(e.recent_rate)} ± "
        f"{fmt(e.recent_se)} per run-length in log units, is below {100 * FLAT_RATE:.0f}% or within "
        f"{SIGNIFICANCE:g} standard errors of zero. Without a known minimum, converged means it stopped "
        "improving at a low level, not that no lower loss exists.")
    return _main("converged", e.flat_from, message, explanation)


def _plateau(e: Evidence) -> Diagnosis:
    message = (f"plateau: the loss has been flat at {fmt(e.level_now_value)} since step {e.flat_from}, still "
               f"{100 * e.gap_now:.0f}% of where it started")
    common = (f"The loss started at {fmt(e.start_value)} and never fell to half of that. Since step "
              f"{e.flat_from} it has stayed within 5% (or the noise) of its last level, and even the fastest fall "
              f"the noise allows would need more than {SLOW_FACTOR:g} run-lengths to reach "
              f"{100 * TOLERANCE:.0f}% of the start. ")
    if e.rose_first:
        cause = ("It first rose well above its start and then went flat: a step too large knocked the model "
                 "into a flat region (dead units, or predicting the class frequencies). Lower the LR tenfold, "
                 "or add a warmup.")
        return _main("plateau", e.flat_from, message, common + cause, _lr_fix(e, 0.1, e.lr_max))
    cause = ("Most often the LR is too low to leave a flat region (try 3x, or momentum); an LR so high that "
             "steps bounce across a valley without going down looks the same, so an LR range test settles it. "
             "Training may also be stuck for another reason: check the labels, the data pipeline and the "
             "initialisation. For fine-tuning, where the loss starts near its floor, a small relative drop can "
             "be normal.")
    return _main("plateau", e.flat_from, message, common + cause, _lr_fix(e, 3.0, e.lr_max))


def _too_slow(e: Evidence) -> Diagnosis:
    more = e.needed * e.span_steps
    message = (f"too slow: the loss falls steadily but only {pct_change(e.recent_rate, e.recent_span, False)} "
               f"over the last third of the run; at that pace it needs about {more:,.0f} more steps")
    explanation = (
        f"The loss went from {fmt(e.start_value)} to {fmt(e.level_now_value)} ({100 * e.gap_now:.0f}% of its "
        f"start) at a steady pace: {fmt(e.recent_rate)} ± {fmt(e.recent_se)} per run-length in log units now, "
        f"{fmt(e.early_rate)} in the first third. Reaching {100 * TOLERANCE:.0f}% of the start at that pace takes "
        f"{e.needed:.1f} more run-lengths, and even the fastest pace the noise allows needs "
        f"{e.needed_fastest:.1f}, more than {SLOW_FACTOR:g}. Each step is safe but small: a 10x larger LR is the "
        "usual fix (back off to 3x if it then bounces); an LR range test finds the edge.")
    return _main("too_slow", e.recent_from, message, explanation, _lr_fix(e, 10.0, e.lr_max))


def _improving(e: Evidence) -> Diagnosis:
    trend = f"{fmt(e.recent_rate)} ± {fmt(e.recent_se)} per run-length in log units"
    if e.falling:
        message = (f"improving: the loss is falling ({pct_change(e.recent_rate, e.recent_span, False)} over the "
                   f"last third of the run), now {fmt(e.level_now_value)}")
        detail = f"its trend over the last third is {trend}, beyond the mini-batch noise. More steps should help."
    else:
        message = (f"improving, no clear trend yet: the loss is at {fmt(e.level_now_value)} and the noise hides "
                   "whether it still falls")
        detail = (f"its trend over the last third is {trend}: mini-batch noise leaves it undecided, so lrtui does "
                  "not call it flat. Log more points, or train longer, to see.")
    explanation = f"The loss started at {fmt(e.start_value)} and is now {100 * e.gap_now:.1f}% of that; {detail}"
    return _main("improving", e.last_step, message, explanation)


# -- words and numbers ---------------------------------------------------------------------------------

def pct_change(rate: float, span: float, signed: bool = True) -> str:
    """A log-rate over a span as a percentage change, e.g. "-12%" (or "12%" unsigned)."""
    change = math.exp(-rate * span) - 1.0 if math.isfinite(rate) else 0.0
    return f"{100 * change:+.1f}%" if signed else f"{100 * abs(change):.1f}%"


def nice(value: float) -> float:
    """Two significant figures, rounded down: a value a person can type."""
    if not math.isfinite(value) or value <= 0:
        return value
    scale = 10.0 ** (math.floor(math.log10(value)) - 1)
    if scale == 0.0:  # a subnormal value: its scale underflows to zero
        return value
    return float(f"{math.floor(value / scale + 1e-9) * scale:.3g}")


def fmt(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)

