"""Curve-only diagnostics: judging a training run from its loss curve alone.

A log has no known minimum, no gradients and no Hessian, so these rules look only at the shape of the curve
(and at the LR, the gradient norm and the validation loss when the log has them). They judge levels on window
medians and trends on fits through them, never single steps, so that mini-batch noise alone never raises an
alarm. Time is measured in run-lengths (the whole log spans 1), so the same thresholds serve a 20-epoch Keras
log and a 100,000-step TensorBoard export. The rules are one ordered table (the engine's RuleTable shape):
the first entry whose condition holds is the verdict; each names its evidence in numbers. The thresholds are
the fields of `Thresholds` (lrtui.core.diagnostics.curve_evidence); docs/diagnostics.md explains each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from lrtui.core.diagnostics.curve_evidence import Evidence, Thresholds, measure, smoothing_weight
from lrtui.core.diagnostics.curve_features import exp
from lrtui.core.diagnostics.rule_table import Rule, RuleTable, always
from lrtui.core.diagnostics.types import Diagnosis
from lrtui.core.smoothing import debiased_ema

RULES = "curve-only"
DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class CurveRule(Rule[Evidence]):
    """A rule of the table, with the step its finding begins at."""

    step: Callable[[Evidence], int] = lambda e: e.last_step
    lr_factor: float | None = None  # how its fix changes the LR (0.1: tenfold lower), None if it does not


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


def diagnose_curve(loss, steps=None, lr=None, val_loss=None, val_steps=None, *, grad_norm=None, run: int = 0,
                   thresholds: Thresholds = DEFAULT_THRESHOLDS, live: bool = False) -> CurveReport:
    """Judge a run from its loss curve. `lr` and `grad_norm` are optional and aligned with `steps` (NaN where
    missing); `val_loss` too, unless `val_steps` gives the validation loss its own steps.

    `live`: the run is still going (`lrtui watch` while the log grows). Its end is not known, so a loss that
    falls steadily is not called too slow yet (the verdict is "improving", with the pace and the steps it would
    need at that pace); a schedule that cut the LR while the loss was far from low is still too slow, and every
    other rule is the same."""
    loss, steps, lr, val_steps, val_loss, grad_norm = _validated(loss, steps, lr, val_loss, val_steps, grad_norm)
    weight = smoothing_weight(loss.size)
    smoothed = debiased_ema(loss, weight)
    with np.errstate(all="ignore"):
        e = measure(loss, steps, smoothed, lr, val_steps, val_loss, thresholds, grad_norm)
        rule = cast(CurveRule, TABLE.first(e))
        if live and rule.message is _slow_message:
            rule = LIVE_SLOW
        diagnoses = [TABLE.diagnosis(rule, e, rule.step(e), run)]
        diagnoses += [TABLE.diagnosis(f, e, f.step(e), run) for f in FINDINGS
                      if f.holds(e) and not (f.code == "loss_spike" and rule.code == "diverged")]
    evidence = e.numbers()
    evidence["lr_factor"] = rule.lr_factor
    if e.lr is not None:
        evidence.update(lr_now=e.lr.now, lr_peak=e.lr.peak)
    return CurveReport(rule.code, diagnoses, smoothed, steps, weight, evidence)


def _validated(loss, steps, lr, val_loss, val_steps, grad_norm):
    loss = np.asarray(loss, dtype=np.float64).ravel()
    if loss.size == 0:
        raise ValueError("loss is empty; give at least one value")
    steps = np.arange(loss.size, dtype=np.float64) if steps is None else np.asarray(steps, np.float64).ravel()
    if steps.shape != loss.shape:
        raise ValueError(f"steps must have one entry per loss value ({loss.size}), got {steps.size}")
    if not np.all(np.isfinite(steps)) or np.any(np.diff(steps) < 0):
        raise ValueError("steps must be finite and non-decreasing")
    aligned = []
    for name, series in (("lr", lr), ("grad_norm", grad_norm)):
        if series is not None:
            series = np.asarray(series, dtype=np.float64).ravel()
            if series.shape != loss.shape:
                raise ValueError(f"{name} must have one entry per loss value ({loss.size}), got {series.size}")
        aligned.append(series)
    if val_loss is not None:
        val_loss = np.asarray(val_loss, dtype=np.float64).ravel()
        val_steps = steps if val_steps is None else np.asarray(val_steps, dtype=np.float64).ravel()
        if val_steps.shape != val_loss.shape:
            raise ValueError("val_loss must have one entry per step (or per val_steps entry)")
    else:
        val_steps = None
    return loss, steps, aligned[0], val_steps, val_loss, aligned[1]


# -- words and numbers ---------------------------------------------------------------------------------------

def fmt(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def times(ratio: float) -> str:
    """A ratio as "3.1x", "5.2e+06x"."""
    return f"{ratio:.1f}x" if ratio < 1e4 else f"{ratio:.2g}x"


def pct_change(rate: float, span: float = 1 / 3, signed: bool = True) -> str:
    """A log-rate over a span as a percentage change, e.g. "-12%" (or "12%" unsigned)."""
    change = exp(-rate * span) - 1.0 if math.isfinite(rate) else 0.0
    return f"{100 * change:+.1f}%" if signed else f"{100 * abs(change):.1f}%"


def nice(value: float) -> float:
    """Two significant figures, rounded down: a value a person can type."""
    if not math.isfinite(value) or value <= 0:
        return value
    scale = 10.0 ** (math.floor(math.log10(value)) - 1)
    if scale == 0.0:  # a subnormal value: its scale underflows to zero
        return value
    return float(f"{math.floor(value / scale + 1e-9) * scale:.3g}")


def lr_fix(e: Evidence, factor: float, lr_at: float) -> dict:
    """An absolute LR when the log has one, else a factor to apply to whatever LR the run used."""
    if math.isfinite(lr_at) and lr_at > 0:
        return {"optimizer.lr": nice(factor * lr_at)}
    return {"optimizer.lr_factor": factor}


def _peak(e: Evidence) -> float:
    """The logged LR's peak, NaN without an LR column."""
    return e.lr.peak if e.lr is not None else math.nan


def _when(e: Evidence, step: int) -> str:
    """" (the LR was ...)" at a step, when the log has an LR."""
    phase = e.lr.phase(step) if e.lr is not None else ""
    return f" ({phase})" if phase else ""


def _peak_advice(e: Evidence, step: int) -> str:
    if e.lr is not None and e.lr.warmup and "warmup" in e.lr.phase(step):
        return (f" The loss went wrong {e.lr.phase(step)}: lower the peak (about tenfold, to "
                f"{fmt(nice(e.lr.peak / 10))}) or lengthen the warmup.")
    return ""


def _grad(e: Evidence) -> str:
    return f" {e.grad_note}" if e.grad_note else ""


# -- the rules ------------------------------------------------------------------------------------------------

def _nonfinite_message(e: Evidence) -> str:
    return f"diverged: the loss became {e.nonfinite_value} at step {e.nonfinite_at}; the LR is too high"


def _nonfinite_why(e: Evidence) -> str:
    before = (f"The loss started at {fmt(e.start_value)}, was {fmt(e.best_value)} at its best (step {e.best_step}) "
              f"and became {e.nonfinite_value} at step {e.nonfinite_at}" if e.points
              else f"The first logged loss is already {e.nonfinite_value}")
    climb = e.climb_from if 0 <= e.climb_from < e.nonfinite_at else e.nonfinite_at
    since = (f"; it had been climbing since step {climb}{_when(e, climb)}" if climb != e.nonfinite_at
             else _when(e, e.nonfinite_at))
    return (f"{before}{since}. A loss that turns non-finite means each step overshot more than the last."
            f"{_peak_advice(e, climb)}{_grad(e)} Lower the LR about tenfold, or add a warmup; gradient clipping "
            "hides the symptom but rarely the cause.")


def _far_message(e: Evidence) -> str:
    return (f"diverged: the loss is {fmt(e.now_value)}, {times(e.over_start_mean)} where it started "
            f"({fmt(e.start_value)}); the LR is too high")


def _far_why(e: Evidence) -> str:
    flat = ("; it has stopped climbing, but far above its start" if not e.falling and not e.short else "")
    return (f"The loss started at {fmt(e.start_value)} (its first logged values), was {fmt(e.best_value)} at its "
            f"best (step {e.best_step}) and is now {fmt(e.now_value)} (the median of the last points), "
            f"{times(e.over_start_mean)} its start, more than {e.th.diverge:g}x{flat}. It climbed there from step "
            f"{e.far_from}{_when(e, e.far_from)}. Steps too large threw the weights where the loss is high: "
            "saturated outputs, dead units, or weights that keep growing."
            f"{_peak_advice(e, e.far_from)}{_grad(e)} Lower the LR about tenfold, or add a warmup.")


def _short_message(e: Evidence) -> str:
    return f"too few points to judge: {e.points} (lrtui needs {e.th.min_points})"


def _short_why(e: Evidence) -> str:
    return (f"The log has {e.points} finite loss values. Divergence was checked; trends need at least "
            f"{e.th.min_points} points. Log more often (every few steps) to get a diagnosis.")


def _bounce_why(e: Evidence) -> str:
    b = e.bounce
    return (f"Over the last {e.bounce_points} points the loss reversed direction on {100 * b.flips:.0f}% of steps "
            f"(noise alone: about 67%), each step moved it by {100 * b.swing:.0f}% of its level, and its deviations "
            f"from a moving average alternate in sign (lag-1 autocorrelation {b.lag1:.2f}, lag-2 {b.lag2:.2f}). "
            f"Meanwhile the loss changed {pct_change(e.recent_rate)} over the last third{_when(e, e.bounce_from)}. A "
            "two-step bounce is what an LR just past the stable limit does: each step overshoots the valley floor. "
            "Without a Hessian lrtui cannot say how far past; halving the LR usually settles it.")


def _lost_message(e: Evidence) -> str:
    return (f"unstable: the loss has risen to {times(e.over_best)} its best ({fmt(e.rise_best_value)} at step "
            f"{e.rise_best_step}) and is not coming back down; the LR is likely too high")


def _lost_why(e: Evidence) -> str:
    return (f"Over the last third of the run the loss's median is {times(e.over_best)} its lowest level before that, "
            f"{fmt(e.rise_best_value)} (step {e.rise_best_step}), well beyond the noise (window medians scatter by "
            f"about {100 * e.median_noise:.0f}%), and it is not falling{_when(e, e.rise_from)}. A training loss that "
            "swings well above a level it already reached means steps too large for the sharper region training "
            f"has reached.{_grad(e)} A lower LR, or a decaying schedule, keeps what was gained.")


def _after_rise_message(e: Evidence) -> str:
    return (f"plateau: the loss shot up to {fmt(e.peak_value)} at step {e.peak_step} and has been flat at "
            f"{fmt(e.now_value)} since, {100 * e.gap_now:.0f}% of where it started; the LR is too high")


def _after_rise_why(e: Evidence) -> str:
    return (f"The loss started at {fmt(e.start_value)}, climbed to {fmt(e.peak_value)} by step {e.peak_step}"
            f"{_when(e, e.peak_step)} and then went flat at {fmt(e.now_value)}, not below its start. A step too "
            "large knocked the model into a flat region (dead units, or predicting the class frequencies), where "
            f"it stays.{_peak_advice(e, e.peak_step)} Lower the LR tenfold, or add a warmup.")


def _came_back_message(e: Evidence) -> str:
    return (f"plateau: the loss fell to {fmt(e.came_back_value)} (step {e.came_back_step}), then climbed back and "
            f"is flat at {fmt(e.now_value)}, {100 * e.gap_now:.0f}% of where it started; the LR is too high")


def _came_back_why(e: Evidence) -> str:
    return (f"The loss started at {fmt(e.start_value)}, fell to {fmt(e.came_back_value)} by step {e.came_back_step} "
            f"(below {100 * e.th.stalled:.0f}% of its start, beyond the noise), then climbed back "
            f"{_when(e, e.came_back_step)} and now sits at {fmt(e.now_value)}, not falling. A loss does not climb "
            "back because the LR is too low: steps too large undid what was learned and left the model in a flat "
            f"region (dead units, or predicting the class frequencies).{_peak_advice(e, e.came_back_step)} Lower "
            "the LR tenfold, or add a warmup.")


def _thrown_message(e: Evidence) -> str:
    return (f"unstable: the loss shot up to {fmt(e.peak_value)} at step {e.peak_step}, "
            f"{times(e.peak_over_start)} its start, and is still "
            f"{100 * e.gap_now:.0f}% of where it started; the LR is likely too high")


def _thrown_why(e: Evidence) -> str:
    return (f"The loss started at {fmt(e.start_value)} and early in the run, at step {e.peak_step}"
            f"{_when(e, e.peak_step)}, shot up to {fmt(e.peak_value)}, more than {e.th.thrown:g}x its start and "
            f"beyond what its noise reaches by chance. It came back down, but is still {fmt(e.now_value)}, above "
            f"{100 * e.th.tolerance:.0f}% of its start. A first step that throws the loss this far up overshot: "
            "the weights landed far from where training started, and the run spends its steps recovering (often "
            f"with dead units or saturated outputs).{_peak_advice(e, e.peak_step)} Lower the LR (about 3x), or add "
            "a warmup.")


def _held_message(e: Evidence) -> str:
    return (f"unstable: at its peak LR ({fmt(_peak(e))}, steps {e.held_from} to {e.held_to}) the loss fell only "
            f"{times(e.peak_fall)}, and {times(e.decay_fall)} more once the LR decayed; the peak LR is likely too high")


def _held_why(e: Evidence) -> str:
    return (f"From step {e.held_from}, where the LR reached its peak of {fmt(_peak(e))}, to step {e.held_to}, where "
            f"it fell below half of it, the loss went down only {times(e.peak_fall)} (less than "
            f"{e.th.peak_fall:g}x), to {fmt(e.held_value)}; as the schedule lowered the LR after that, it fell "
            f"{times(e.decay_fall)} more, to {fmt(e.now_value)}, beyond its noise. A good peak LR drives the loss "
            "down most while it is high; a loss that waits for the decay to fall was held up by steps too large "
            "for the valley it was in. A lower peak (about 3x lower) lets the loss fall while the LR is high; the "
            "decay then polishes.")


def _schedule_message(e: Evidence) -> str:
    return (f"schedule too aggressive: the LR was cut from {fmt(_peak(e))} to {fmt(e.lr_at(e.cut_at))} by step "
            f"{e.cut_at} while the loss was still falling, and progress stalled")


def _schedule_why(e: Evidence) -> str:
    return (f"By step {e.cut_at} ({100 * e.cut_fraction:.0f}% into the run) the LR was below 1/{e.th.big_cut:.0f} "
            f"of its peak {fmt(_peak(e))}. Before the cut the loss was falling by a factor of "
            f"{exp(e.pre_cut_rate):.3g} per run-length and stood at {100 * e.gap_at_cut:.0f}% of its starting "
            f"level; since then it has fallen by a factor of {exp(max(e.post_cut_rate, 0.0)):.3g} per "
            "run-length, less than a tenth as fast (in log units). A gentler decay, such as a cosine over the whole "
            "run, keeps enough LR until the loss has converged.")


def _stuck_message(e: Evidence) -> str:
    return (f"plateau: the loss has stayed near its initial value ({fmt(e.now_value)}, {100 * e.gap_now:.0f}% of "
            "where it started) since the first step; the LR is likely too low, or the model is not learning")


def _stuck_why(e: Evidence) -> str:
    return (f"The loss started at {fmt(e.start_value)} and the last window's median is {fmt(e.now_value)}: it never "
            f"fell below {100 * e.th.stalled:.0f}% of its start, and over the last third it is not falling "
            f"({pct_change(e.recent_rate)}, within the noise or below {100 * e.th.flat_rate:.0f}% per run-length)"
            f"{_when(e, e.last_step)}. Steps this small barely move the weights: try a tenfold larger LR. If the loss "
            "still does not move, the model may not be able to learn: check the labels, the data pipeline, the loss "
            "function, and layers that are frozen or dead.")


def _slow_message(e: Evidence) -> str:
    more = _more_steps(e)
    pace = f"; at that pace it needs about {more:,.0f} more steps to reach {100 * e.th.slow_gap:.0f}% of it" \
        if math.isfinite(more) else ""
    return (f"too slow: the loss falls steadily but only {pct_change(e.recent_rate, signed=False)} over the last "
            f"third of the run, still {100 * e.gap_now:.0f}% of where it started{pace}")


def _more_steps(e: Evidence) -> float:
    if e.recent_rate <= 0 or e.gap_now <= e.th.slow_gap:
        return math.inf
    return math.log(e.gap_now / e.th.slow_gap) / e.recent_rate * max(e.last_step - e.first_step, 1)


def _slow_why(e: Evidence) -> str:
    return (f"The loss went from {fmt(e.start_value)} to {fmt(e.now_value)} ({100 * e.gap_now:.0f}% of its start) "
            f"and is still falling at a steady pace: {pct_change(e.recent_rate, signed=False)} over the last third"
            + (f", about as fast as over the middle third ({pct_change(e.middle_rate, signed=False)})"
               if math.isfinite(e.middle_rate) else "")
            + f"{_when(e, e.last_step)}. A loss that has not yet slowed down is still far from where this model "
            "can get: each step is safe but small. A 10x larger LR is the usual fix (back off to 3x if it then "
            "bounces); an LR range test finds the edge.")


def _decay_message(e: Evidence) -> str:
    return (f"too slow: the loss was still falling steadily at {100 * e.gap_at_decay:.0f}% of its start when the "
            f"schedule took the LR below half its peak (step {e.decay_from}); the peak LR is likely too low")


def _decay_why(e: Evidence) -> str:
    return (f"While the LR was at least half its peak ({fmt(_peak(e))}), the loss fell at a pace that had not "
            f"slowed down, and it stood at {100 * e.gap_at_decay:.0f}% of its start when the LR dropped below that at "
            f"step {e.decay_from}. After that the decaying LR slows any loss down, so the flat end of this curve is "
            "the schedule's doing, not convergence. A larger peak LR (about 10x; 3x if it then bounces) lets the "
            "loss get low while the LR is high.")


def _stalled_message(e: Evidence) -> str:
    return (f"plateau: the loss has been flat at {fmt(e.now_value)} since step {e.flat_from}, still "
            f"{100 * e.gap_now:.0f}% of where it started")


def _stalled_why(e: Evidence) -> str:
    return (f"The loss started at {fmt(e.start_value)} and never fell to {100 * e.th.drop_gap:.0f}% of that. Over the "
            f"last third it is not falling ({pct_change(e.recent_rate)}){_when(e, e.flat_from)}. Most often the LR is "
            "too low to leave a flat region (try 3x, or momentum); an LR so high that steps bounce across a valley "
            "looks the same, so an LR range test settles it. For fine-tuning, where the loss starts near its floor, "
            "a small relative drop can be normal.")


def _converged_message(e: Evidence) -> str:
    return f"converged: the loss is flat at {fmt(e.now_value)}, {100 * e.gap_now:.1f}% of where it started"


def _converged_why(e: Evidence) -> str:
    return (f"The loss started at {fmt(e.start_value)} and the last window's median is {fmt(e.now_value)}. Over the "
            f"last third it shows no clear fall: its trend, {fmt(e.recent_rate)} ± {fmt(e.recent_se)} per run-length "
            f"in log units, is below {100 * e.th.flat_rate:.0f}% or within {e.th.significance:g} standard errors of "
            "zero. Without a known minimum, converged means it stopped improving at a low level, not that no lower "
            "loss exists.")


def _improving_message(e: Evidence) -> str:
    if e.falling:
        return (f"improving: the loss is falling ({pct_change(e.recent_rate, signed=False)} over the last third of "
                f"the run), now {fmt(e.now_value)}")
    return (f"improving, no clear trend yet: the loss is at {fmt(e.now_value)} and the noise hides whether it still "
            "falls")


def _improving_why(e: Evidence) -> str:
    trend = f"{fmt(e.recent_rate)} ± {fmt(e.recent_se)} per run-length in log units"
    detail = (f"its trend over the last third is {trend}, beyond the mini-batch noise, and slowing down as a loss "
              "does when it approaches what the model can reach. More steps should help a little."
              if e.falling else
              f"its trend over the last third is {trend}: mini-batch noise leaves it undecided, so lrtui does not "
              "call it flat. Log more points, or train longer, to see.")
    return f"The loss started at {fmt(e.start_value)} and is now {100 * e.gap_now:.1f}% of that; {detail}"


TABLE: RuleTable[Evidence] = RuleTable([
    CurveRule("diverged", "error", lambda e: e.nonfinite_at >= 0, _nonfinite_message, _nonfinite_why,
              lambda e: lr_fix(e, 0.1, _peak(e) if e.lr is not None and e.lr.warmup else e.lr_at(e.nonfinite_at)),
              step=lambda e: e.nonfinite_at, lr_factor=0.1),
    CurveRule("diverged", "error", lambda e: e.far_above_start, _far_message, _far_why,
              lambda e: lr_fix(e, 0.1, _peak(e)), step=lambda e: e.far_from,
              lr_factor=0.1),
    CurveRule("improving", "info", lambda e: e.short, _short_message, _short_why, step=lambda e: e.last_step),
    CurveRule("oscillating", "warning", lambda e: e.bouncing,
              lambda e: "oscillating: the loss bounces up and down on alternate steps and no longer falls; the LR is "
                        "too high",
              _bounce_why, lambda e: lr_fix(e, 0.5, e.lr.now if e.lr is not None else math.nan), step=lambda e: e.bounce_from,
              lr_factor=0.5),
    CurveRule("oscillating", "warning", lambda e: e.lost_progress, _lost_message, _lost_why,
              lambda e: lr_fix(e, 0.3, e.lr.now if e.lr is not None else math.nan), step=lambda e: e.rise_from, lr_factor=0.3),
    CurveRule("plateau", "warning", lambda e: (e.rose_first and (e.gap_now > e.th.stalled or (
              not e.falling and e.gap_now > e.th.drop_gap))) or (e.gap_now > e.th.rise and not e.falling),
              _after_rise_message, _after_rise_why, lambda e: lr_fix(e, 0.1, _peak(e)),
              step=lambda e: e.peak_step, lr_factor=0.1),
    CurveRule("plateau", "warning", lambda e: e.came_back, _came_back_message, _came_back_why,
              lambda e: lr_fix(e, 0.1, _peak(e)), step=lambda e: e.came_back_step, lr_factor=0.1),
    CurveRule("oscillating", "warning", lambda e: e.thrown_up, _thrown_message, _thrown_why,
              lambda e: lr_fix(e, 0.3, _peak(e)), step=lambda e: e.peak_step, lr_factor=0.3),
    CurveRule("oscillating", "warning", lambda e: e.held_up and not e.rose_first, _held_message, _held_why,
              lambda e: lr_fix(e, 0.3, _peak(e)), step=lambda e: e.held_from, lr_factor=0.3),
    CurveRule("schedule_too_aggressive", "warning", lambda e: e.cut_stalled, _schedule_message, _schedule_why,
              lambda e: {"schedule.type": "cosine", "schedule.T_max": int(e.last_step)}, step=lambda e: e.cut_at),
    CurveRule("plateau", "warning", lambda e: e.stalled_at_start, _stuck_message, _stuck_why,
              lambda e: lr_fix(e, 10.0, _peak(e)), step=lambda e: e.first_step, lr_factor=10.0),
    CurveRule("too_slow", "warning", lambda e: e.decay_from >= 0 and not e.slow, _decay_message, _decay_why,
              lambda e: lr_fix(e, 10.0, _peak(e)), step=lambda e: e.decay_from, lr_factor=10.0),
    CurveRule("too_slow", "warning", lambda e: e.slow, _slow_message, _slow_why,
              lambda e: lr_fix(e, 10.0, _peak(e)), step=lambda e: e.recent_from, lr_factor=10.0),
    CurveRule("plateau", "warning", lambda e: e.gap_now > e.th.drop_gap and e.flat_shown, _stalled_message,
              _stalled_why, lambda e: lr_fix(e, 3.0, _peak(e)), step=lambda e: e.flat_from,
              lr_factor=3.0),
    CurveRule("converged", "info", lambda e: not e.falling and e.gap_now <= e.th.drop_gap, _converged_message,
              _converged_why, step=lambda e: e.flat_from),
], fallback=CurveRule("improving", "info", always, _improving_message, _improving_why, step=lambda e: e.last_step))


def _live_slow_message(e: Evidence) -> str:
    more = _more_steps(e)
    pace = f"; at that pace about {more:,.0f} more steps to {100 * e.th.slow_gap:.0f}% of it" if math.isfinite(more) else ""
    return (f"improving, steadily: {pct_change(e.recent_rate, signed=False)} over the last third, still "
            f"{100 * e.gap_now:.0f}% of where it started{pace}")


def _live_slow_why(e: Evidence) -> str:
    return (_slow_why(e).split(". A loss that has not yet slowed down")[0] + ". The run is still going and lrtui "
            "does not know how long it will run, so this is not called too slow yet. If it will end long before "
            "that many more steps, the LR is likely too low (10x is the usual fix); once the log stops growing, "
            "the verdict is given as for a finished run.")


# The run is still going: a steady fall far from low is progress, not yet too slow (see diagnose_curve).
LIVE_SLOW = CurveRule("improving", "info", always, _live_slow_message, _live_slow_why, step=lambda e: e.recent_from)


def _spike_why(e: Evidence) -> str:
    return (f"The smoothed loss rose above {e.th.blowup:g}x its best so far ({fmt(e.spike_best)}) and peaked at "
            f"{fmt(e.spike_peak)}{_when(e, e.spike_at)}, but recovered, so the run did not diverge. Repeated spikes "
            "mean the LR sits close to the stable limit; a warmup or gradient clipping makes them rarer.")


def _overfit_why(e: Evidence) -> str:
    return (f"The validation loss was lowest ({fmt(e.val_best)}) at step {e.overfit_at} and is now {fmt(e.val_now)} "
            f"({100 * (e.val_now / e.val_best - 1):.0f}% higher), while the training loss went from "
            f"{fmt(e.train_at_val_best)} to {fmt(e.now_value)}. The model is fitting the training data's noise. Stop "
            "at the best step (early stopping), or add regularisation (weight decay, dropout, augmentation) or data.")


FINDINGS: tuple[CurveRule, ...] = (
    CurveRule("loss_spike", "info", lambda e: e.spike_at >= 0,
              lambda e: f"loss spike at step {e.spike_at}: up to {fmt(e.spike_peak)}, then it came back down",
              _spike_why, step=lambda e: e.spike_at),
    CurveRule("overfitting", "warning", lambda e: e.overfit_at >= 0,
              lambda e: f"overfitting: val_loss is rising since step {e.overfit_at} while the training loss falls",
              _overfit_why, lambda e: {"steps": int(e.overfit_at)}, step=lambda e: e.overfit_at),
)
