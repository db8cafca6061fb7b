"""The healthy "improving" verdict in words: its message and explanation, and the other words it takes where its
message says more (settled, settled over the limit, near its limit, above its start, climbing; types.py names them).

verdicts.py puts these in its rule table's last entry."""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.diagnostics.evidence import BLOWUP, Evidence
from lrtui.core.diagnostics.sentences import gauge_sentence, tried_sentence
from lrtui.core.diagnostics.sentences import capitalized as _cap, fold as _fold, loss_now as _loss_now
from lrtui.core.diagnostics.sentences import schedule_cut as _schedule_cut, tried_for as _tried
from lrtui.core.diagnostics.trials import CAP_SHARE
from lrtui.core.diagnostics.types import ABOVE_START, CAPPED, CLIMBING, KINK_SHARE, RISING, SETTLED, SETTLED_OVER
from lrtui.core.diagnostics.wording import fix_words, fmt, pct


SCHEDULE_CUT_NOTE = 10.0  # display only: a slow healthy run whose schedule has cut its LR this many times says so
LEVEL = 0.0005  # a log-gap rate per step under this, either way, is level ("stayed level" in the explanation);
# a run rising faster has not settled (walkthrough 12b, F1: lesson 15's runs read "settled" at step 2, climbing)


def _over_here(e: Evidence) -> bool:
    """An SGD-family run past the stable limit where it is now (2/λ of the sharpness there)."""
    here = getattr(e, "lr_limit_here", math.nan)  # (older tests' SimpleNamespace evidence has none)
    return bool(math.isfinite(here) and 0 < here < e.lr and not e.preconditioned)


def _over_untried(e: Evidence) -> bool:
    """Past the limit where it is, with no larger LR tried: nothing was, and a lower LR is the learner's to try."""
    return _over_here(e) and _tried(e, "too_slow") is None


def _capped(e: Evidence) -> bool:
    """Falling, but needing more steps than the budget has left and than it has taken so far; within the stable
    limit where the run is now and at the sharpest point met (past that one the gauge tells the story); and with
    no larger LR tried, as the next one (x1.78) is past the checks' cap, CAP_SHARE of the limit here. (Lesson 10's
    restarts run, falling 21% a step at a kink far past its limit, is not held back by it.)"""
    here = getattr(e, "lr_limit_here", math.nan)
    return bool(math.isfinite(here) and not e.preconditioned and e.rate >= LEVEL and math.isfinite(e.needed)
                and e.needed > max(e.remaining, e.step) and _tried(e, "too_slow") is None
                and 0 < CAP_SHARE * here < e.lr * 10 ** 0.25 and e.lr <= here and e.gauge <= 1)


def _above_start(e: Evidence) -> bool:
    """Still above the loss it started at, but not blown up (BLOWUP starting gaps: climbing, then diverged)."""
    return bool(math.isfinite(e.gap) and 1 < e.gap <= BLOWUP)


def _rising(e: Evidence) -> bool:
    """Climbing over the window and by half since halfway: not the jitter of a model's mini-batch losses, which
    goes on being "settled" (a data model's loss is only bounded below, and its batches' noise is large)."""
    return bool(e.rate < -LEVEL and not e.floor_is_bound and e.gap > 1.5 * e.gap_half)


def improving_message(e: Evidence) -> str:
    if e.floor_is_bound and e.minimum and _tried(e, "local_minimum") is not None:
        return f"{SETTLED}: {_loss_now(e)}, the lowest this model reaches as far as the checks tell"
    if e.window <= 0 or e.step < min(e.window, e.budget):  # no window of steps seen yet: nothing to say it settled
        # The step first: in a short panel "(step 0)" at the end was cut, and "loss 12.5" read as now, beside the
        # status line's 229 a step later (walkthrough 13b, B4).
        text = f"improving: at step {e.step:,}, {_loss_now(e)}, too early to tell its pace"
    elif e.rate > 0 and _above_start(e):
        text = (f"{ABOVE_START}: {_loss_now(e)}, above the {fmt(e.first)} it started at, falling "
                f"{'' if e.rate >= LEVEL else 'only '}{pct(e.rate)} per step")
    elif e.rate > 0 and _capped(e):
        text = (f"{CAPPED}: {_loss_now(e)}, falling {pct(e.rate)} per step, about {e.needed:,.0f} more steps to go; "
                f"a larger LR would pass the stable limit ({fmt(e.lr_limit_here)})")
    elif e.rate > 0:  # ("only" under LEVEL, where the explanation calls it nearly level: walkthrough 18b, P3)
        text = f"improving: {_loss_now(e)}, falling {'' if e.rate >= LEVEL else 'only '}{pct(e.rate)} per step"
    elif math.isfinite(e.gap) and e.gap > BLOWUP:
        # Far above its start, between two checkpoints (the verdict follows its check at the next one): "improving:
        # loss 5.02e+37, up 3670% per step" read as a wrong verdict two steps before it went non-finite (walk 14a, C1).
        text = (f"{CLIMBING}: {_loss_now(e)}, {fmt(e.last_gap)} starting gaps above the floor; "
                "the next check says whether it diverged")
    elif _rising(e):  # rising, not a noisy level: it has not settled
        text = (f"{RISING}: {_loss_now(e)}, up {pct(-e.rate)} per step over the last {e.window:,} steps, from its "
                f"best {fmt(e.best)}; no check has found the LR at fault")
    else:  # healthy by every check, but not falling over the window (a mini-batch run at its noise floor, say)
        # Past the limit where it is, with nothing tried: the checks try larger LRs only, so a lower one is the
        # learner's to try (lesson 23's run at lr 10 at chance accuracy, "nothing ... did much better", where lr 1
        # reaches 94%: walkthrough 22b, X1)
        text = (f"{SETTLED_OVER if _over_here(e) else SETTLED}: {_loss_now(e)}, level over the last {e.window:,} "
                + ("steps; no lower LR was tried: - halves it" if _over_untried(e) else
                   "steps; nothing the checks tried did much better (ten times closer to the floor)"))
    slow = _tried(e, "too_slow")
    if e.behind and slow is not None and not slow.helped and slow.fix:
        # Slow, but the LR is not what holds it back: say so, with the try (an Adagrad stall, a ravine...).
        measure = "" if slow.measure == "loss" else f"{slow.measure} "
        got = "diverged" if not math.isfinite(slow.loss) else f"ended at {measure}{fmt(slow.loss)}"
        how = "did no better"
        if math.isfinite(slow.loss) and slow.loss < slow.baseline:
            # Much lower is tenfold closer to the floor (or half the starting gap): a 2.5-fold drop is no "little"
            # (walkthrough 5, lesson 23), but it is short of what a fix must do.
            with np.errstate(all="ignore"):
                times = (slow.baseline - e.floor) / (slow.loss - e.floor) if slow.loss > e.floor else math.inf
            how = (f"ended {times:.2g} times closer to the floor, short of the tenfold a fix needs"
                   if math.isfinite(times) and times >= 2 else "helped only a little")
        # "settled ... level ...; slow, but" read as two verdicts in one box (walkthrough 14b, D8): a level run's
        # try is told without "slow"
        lead = "a larger LR" if text.startswith(("settled", RISING)) else "slow, but a larger LR"
        cap = CAP_SHARE * e.lr_limit_here  # the SGD family's tries stop there: a larger LR past it went untried,
        # and lesson 2's fixed run at twice it, beside "a larger LR helped only a little" (walkthrough 16b, K2)
        # The limit there, not 90% of it: "(0.00151)" beside "2/λ = 0.000956" read as a third limit (walkthrough
        # 17b, M1); the explanation says why it differs from the one set by the sharpest point met.
        if not e.preconditioned and math.isfinite(cap) and 0 < cap < 1.8 * slow.fix.get("optimizer.lr", math.inf):
            lead += (f", tried up to {pct(CAP_SHARE)} of the stable limit where the run is now "
                     f"({fmt(e.lr_limit_here)}),")
        text += f"; {lead} {how} ({fix_words(slow.fix, slow)} {got}, against {fmt(slow.baseline)} unchanged)"
    return text


def improving_explanation(e: Evidence) -> str:
    if e.floor_is_bound and e.minimum and _tried(e, "local_minimum") is not None:
        return ("The gradient has all but vanished, the loss is flat and the surface curves up: a minimum. A model's "
                "loss has no known minimum (0 is only a bound), so the checks tried larger LRs and momentum from "
                f"here: {tried_sentence(_tried(e, 'local_minimum'))}. Training longer at this LR will not help much; "
                "a lower loss needs a bigger model or other data, not another LR.")
    fell = (f"fell by {pct(e.rate)} a step" if e.rate >= LEVEL else f"rose by {pct(-e.rate)} a step" if _rising(e)
            else f"fell by only {pct(e.rate)} a step, nearly level" if e.rate > 0
            else "stayed level (it fell by less than 0.05% a step)")
    # ("much better" is the contracts' tenfold: beside "2x lower" it read as a contradiction; walkthrough 11b, D95)
    # ("nothing tried" where nothing was: a run past its cap, told "No larger LR was tried" below; walkthrough 22b)
    text = (f"Over the last {e.window:,} steps the distance to the floor {fell}" + ("." if _over_untried(e) else
            ", and nothing the checks tried did much better (ten times closer to the floor).")
            + f" {_cap(gauge_sentence(e))}.")
    if e.rate > 0 and not e.preconditioned and math.isfinite(e.gauge) and e.gauge >= KINK_SHARE:
        # A share in the billions beside a loss of 1e-8 that keeps falling (walkthrough 23a, Y1, lesson 10): a kink
        text += (f" A share of {KINK_SHARE} times the limit or more on a run that still falls means a kink: at a corner "
                 "of the loss (Ackley's centre is one) the sharpness grows without bound as the run closes in, so "
                 "2/λ falls toward 0 and no constant LR stays under it. Each step overshoots the corner by about the LR "
                 "times the slope, so the run closes in only as its LR gets small, as a schedule makes it.")
        if e.scheduled and e.remaining <= 0 and math.isfinite(e.schedule_peak) and e.lr >= 0.99 * e.schedule_peak:
            text += (f" The LR {fmt(e.lr)} is the one the schedule set for the step after the last, as torch's "
                     "get_last_lr() gives it after the last scheduler.step(): a warm restart back to its peak, not "
                     "the small LR the last steps trained at.")
    cut = _schedule_cut(e)
    if SCHEDULE_CUT_NOTE <= cut and e.rate < 10 * LEVEL and e.remaining <= 0:
        # Why a decayed schedule's run crawls, and that no check judged the schedule: lesson 8's gamma 0.98 ended
        # five decades above the constant LR reading only "improving" (walkthrough 22c, W4)
        text += (f" Its schedule has cut the LR {_fold(cut)} from its peak {fmt(e.schedule_peak)}, which is why it "
                 "moves slowly now. A schedule is called too aggressive only where it cuts a hundredfold before three "
                 "quarters of the budget and holding the LR ends much lower; a gentler one (s) may still end lower.")
    if e.rate > 0 and _above_start(e):
        text += (f" Its loss is still above the {fmt(e.first)} it started at: it climbed, and has been coming back "
                 "down since. A run that climbs usually has an LR too large for where it was. The checks try only "
                 "larger LRs for a run that is still falling, so try a smaller one yourself (- halves it), or warm "
                 "the LR up from a small value.")
    flat = e.raw_bottom
    if _capped(e):
        text += (f" At this pace it needs about {e.needed:,.0f} more steps, with {max(e.remaining, 0):,} left, and a "
                 "larger LR would pass the stable limit: the sharpest direction caps the LR")
        if math.isfinite(flat) and 0 < flat < e.raw_top / 10:
            text += (f", while the flattest (λ = {fmt(flat)}, {fmt(e.raw_top / flat)} times flatter) moves only "
                     f"{pct(e.lr * flat)} of its way a step. An optimizer that scales each direction by its own "
                     "gradients (RMSProp, Adam) is not held back this way")
        text += "."
    if _rising(e):
        text += (f" Its loss has climbed back up from its best, {fmt(e.best)}: the run has turned unstable where it "
                 "is, as a run at the edge of its limit can (RMSProp and Adam reach their own). The checks try only "
                 "larger LRs for a healthy run, so a lower one is yours to try (- halves it), or a schedule that "
                 "lowers the LR toward the end (s) so that it settles.")
    if _over_here(e) and e.rate < LEVEL and not _rising(e):
        text += (f" Where the run is now the stable limit is {fmt(e.lr_limit_here)}, and its LR is "
                 f"{pct(e.lr / e.lr_limit_here)} of it: it cannot come to rest there, so it keeps moving, hopping from "
                 "place to place with its loss level on average. A lower LR would let it rest, but where it rests may "
                 "be no lower" + ("; the checks found nothing much better." if not _over_untried(e) else
                                  ". The checks try only larger LRs for a healthy run, so a lower one is yours to try "
                                  "(- halves it)."))
    slow, here = _tried(e, "too_slow"), e.lr_limit_here
    if (slow is not None and not e.preconditioned and math.isfinite(here) and here > 0
            and abs(here - e.lr_limit) > 0.1 * e.lr_limit):
        # Two limits on one screen (walkthrough 17b, M1): say which is which, and which the tries keep under.
        text += (f" Where the run is now the sharpness is {fmt(e.limit / here)}, so the stable limit there is "
                 f"{fmt(here)}, {'above' if here > e.lr_limit else 'below'} the {fmt(e.lr_limit)} of the sharpest "
                 f"point met; the larger LRs the checks try from here stay under {pct(CAP_SHARE)} of it "
                 f"({fmt(CAP_SHARE * here)}), since past it a run usually bounces out.")
    if slow is None and math.isfinite(e.gauge) and e.gauge * 10 ** 0.25 > 1:
        # Why (walks 6-7, D20, D26): the too-slow cap is CAP_SHARE of the limit where the run is, not the gauge's.
        here, nxt = e.lr_limit_here, e.lr * 10 ** 0.25
        why = (f": the next one, x1.78 (lr {fmt(nxt)}), is past 90% of the stable limit where the run is now ("
               f"{fmt(here)})" if math.isfinite(here) and 0 < CAP_SHARE * here < nxt else "")
        # (not "u sweeps constant LRs": only a lesson with a challenge has that sweep; walkthrough 16a, H4)
        text += f" No larger LR was tried{why}."
    return text
