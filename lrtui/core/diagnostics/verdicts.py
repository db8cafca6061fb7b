"""The simulation's verdicts: one ordered rule table, each entry a claim the engine has checked.

The first entry whose condition holds is a run's verdict. A condition that makes a claim about other learning rates
or schedules ("a larger LR reaches a much lower loss") holds only once a check has tried it (see trials.py):
`e.confirmed[code]`. docs/diagnostics.md states each contract."""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.diagnostics.evidence import BLOWUP, FAR, MUCH, SMOOTH, TOL, Evidence
from lrtui.core.diagnostics.rule_table import Rule, RuleTable, always
from lrtui.core.diagnostics.improving import improving_explanation, improving_message
from lrtui.core.diagnostics.sentences import SCHEDULE_CUT_WORDS, above_the_limit, gauge_sentence, tried_sentence
from lrtui.core.diagnostics.sentences import capitalized as _cap, fix_for as _fix, fold as _fold, loss_now as _loss_now
from lrtui.core.diagnostics.sentences import schedule_cut as _schedule_cut, tried_for as _tried, with_fix as _with_fix
from lrtui.core.diagnostics.types import Diagnosis, Tried
from lrtui.core.diagnostics.wording import fmt, pct


# -- diverged ---------------------------------------------------------------------------------------

def _diverged_message(e: Evidence) -> str:
    if e.diverged_at == 0:
        return f"diverged at the start: {e.start_cause or 'the loss or a parameter is not finite'}; no LR can help"
    tried = _tried(e, "diverged")
    fix = tried.fix if tried is not None and tried.helped else {}
    if "optimizer.eps" in fix:
        return _with_fix(e, "diverged", "diverged: with eps = 0 the optimizer divides 0 by 0 where the gradient "
                                        "is zero")
    if "schedule.max_lr" in fix:
        return _with_fix(e, "diverged", f"diverged: the schedule drove the LR up to {fmt(e.schedule_peak)}; its peak "
                                        "(max_lr) is too high")
    if not math.isfinite(e.lr):
        who = "the schedule drove the LR to" if e.scheduled else "the LR became"
        return _with_fix(e, "diverged", f"diverged: {who} {e.lr}")
    # A blow-up is judged on the loss averaged over its last SMOOTH steps, which the words name: "loss 25.9, 0.69x
    # its start" had quoted one step of a run that swings far above its start (walkthrough 11b, D91).
    when = (f"at step {e.diverged_at:,}" if e.diverged_at >= 0 else
            f"(its last {SMOOTH} losses average {fmt(e.loss)}: {fmt(e.gap)} times its starting gap above the floor)")
    larger = (f"a larger LR ({fmt(tried.lr_then)} at the start)"
              if tried is not None and _by_hand(e, tried) and tried.lr_then > e.lr else "a larger LR")
    why = (f"{larger} before a change by hand threw it off (the LR is {fmt(e.lr)} now), so the fix replays it "
           "from step 0" if _by_hand(e, tried) else f"the LR {fmt(e.lr)} is too high")
    return _with_fix(e, "diverged", f"diverged {when}: {why}")


def _by_hand(e: Evidence, tried: Tried | None) -> bool:
    """A diverged run whose fix, replayed from step 0, is above the LR it has now: the LR was lowered by hand after
    a larger one had thrown the run off, and the fix lowers that larger one (walkthroughs 8 and 9, D32)."""
    fix = tried.fix if tried is not None and tried.helped else {}
    return fix.get("optimizer.lr", 0.0) > e.lr and not e.scheduled


def _diverged_explanation(e: Evidence) -> str:
    if e.diverged_at == 0:
        return (f"{_cap(e.start_cause or 'the loss or a parameter is not finite')} at step 0, before any update, so "
                "no learning rate can help. Check the start (loss.start or the run's start) and the loss's own "
                "settings (its data, noise or formula).")
    if e.diverged_at >= 0:
        what = f"The loss or the parameters became non-finite at step {e.diverged_at:,}"
    else:
        # The average the verdict read, as the message gives it, then the last loss: "the loss is 0.901, more than 4
        # starting gaps above" a start of 0.678 read as a contradiction beside "average 4.41" (walkthrough 22b, X2)
        what = (f"Its last {SMOOTH} losses average {fmt(e.loss)}, more than {BLOWUP:g} starting gaps above the floor "
                f"{fmt(e.floor)} (it started at {fmt(e.first)}, its best was {fmt(e.best)}, its last loss is "
                f"{fmt(e.last_loss)}{': it swings' if e.last_loss - e.floor < 0.5 * (e.loss - e.floor) else ''})")
    parts = [what, _cap(gauge_sentence(e))]
    tried = _tried(e, "diverged")
    if not math.isfinite(e.lr):
        parts.append("an infinite or undefined LR makes every update infinite, whatever the loss")
    elif tried is not None and _by_hand(e, tried):
        parts += _by_hand_sentences(e, tried)
    else:
        parts.append("past the stable limit each step overshoots more than the last" if e.gauge >= 1 else
                     _past_limit_sentence(e))
        parts += [above] if (above := above_the_limit(e, tried)) else []
    said = tried_sentence(tried)
    return ". ".join(_cap(p) for p in parts) + (f". {_cap(said)}." if said else ".")


def _past_limit_sentence(e: Evidence) -> str:
    """Why a run under 100% of the limit blew up: where it went. "53% of the stable limit" beside "diverged: the LR
    0.075 is too high" read as a contradiction (walkthrough 13a, A1): by step 2 it was where λ = 249, 934%."""
    step, top = e.past_limit_step, e.past_limit_top
    if step is None or not (step >= 0 and math.isfinite(top) and top > 0 and math.isfinite(e.limit)):
        return ("the samples (taken every few steps) met no point past the limit before the blow-up: the run "
                "reached sharper ground between them, where each step overshoots more than the last")
    return (f"that is the sharpest point met while the run was still calm; by step {int(step):,}, on its way out, "
            f"it was on steeper ground "
            f"where λ = {fmt(top)}{', of P⁻¹H' if e.preconditioned else ''}, and there the LR {fmt(e.lr)} was "
            f"{pct(e.lr * top / e.limit)} of the limit {e.formula} = {fmt(e.limit / top)}: past it each step "
            "overshoots more than the last")


def _by_hand_sentences(e: Evidence, tried: Tried) -> list[str]:
    """Why the fix of a run thrown off before a change by hand is larger than the LR it has now (walkthrough 9,
    D32: "0.0015 was 157% of the limit", then "Fix: lr = 0.00203", 212% of it, with no word on why)."""
    limit = e.lr_limit if math.isfinite(e.lr_limit) and e.lr_limit > 0 else math.nan
    share = (lambda lr: f" ({pct(lr / limit)} of that limit)") if limit == limit else (lambda lr: "")
    new = float(tried.fix["optimizer.lr"])
    before = (f"from the start until the change by hand it used lr {fmt(tried.lr_then)}{share(tried.lr_then)}"
              if tried.lr_then > e.lr else "before the change by hand it used a larger LR")
    return [f"{before}: those steps threw it onto ground so steep that the lower LR after them still overshot, "
            "more with each step",
            f"a loss that is not a quadratic has no single limit: the sharpness changes as the run moves, and from "
            f"step 0 a run meets the start's sharpness only once. So the fix lowers the larger LR and replays from "
            f"step 0, at lr {fmt(new)}{share(new)}, and it was tried on a copy over the whole budget"]


# -- the rest ---------------------------------------------------------------------------------------

def _converged_message(e: Evidence) -> str:
    if e.last_gap == 0:  # not "loss 0, 0 of its starting gap from the floor 0" (walkthrough 10a, D49)
        return f"converged: loss {fmt(e.last_loss)}, the floor itself to the last digit"
    return f"converged: loss {fmt(e.last_loss)}, {fmt(e.last_gap)} of its starting gap from the floor {fmt(e.floor)}"


def _converged_explanation(e: Evidence) -> str:
    floor = ("the known minimum" if e.known_floor else "the lowest loss found by this run and by the LRs tried")
    text = (f"The loss is within {fmt(TOL)} of its starting distance from {floor} ({fmt(e.floor)}), or the "
            f"gradient is {fmt(e.grad_ratio)} of its largest with the loss flat, and the Hessian has no "
            f"negative eigenvalue here (smallest {fmt(e.bottom)}).")
    tried = tried_sentence(_tried(e, "converged"))
    return text + (f" Larger steps and momentum went no lower ({tried})." if tried and not e.known_floor else "")


def _local_message(e: Evidence) -> str:
    lower = f"the global minimum is {fmt(e.floor)}" if e.known_floor else "a lower minimum exists"
    frozen = f", its LR cut {_fold(_schedule_cut(e))} by the schedule" if _frozen(e) else ""
    code = "local_minimum" if _fix(e, "local_minimum") or not _local_fix(e) else "schedule_too_aggressive"
    return _with_fix(e, code, f"local minimum: stuck at loss {fmt(e.last_loss)}{frozen}; {lower}")


def _frozen(e: Evidence) -> bool:
    """Cut by its schedule to a hundredth of its peak LR or less: it may only be frozen where it stands (lesson 8's
    gamma 0.9 at lr 5.5e-11 on a quadratic read "local minimum ... a minimum": walkthrough 15a, F3)."""
    return _schedule_cut(e) >= SCHEDULE_CUT_WORDS


def _local_fix(e: Evidence) -> dict | None:
    """The local minimum's own fix, or, for a run frozen by its schedule, the schedule fix tried from the start."""
    return _fix(e, "local_minimum") or (_fix(e, "schedule_too_aggressive") if _frozen(e) else None)


def _local_explanation(e: Evidence) -> str:
    text = (f"The gradient is {fmt(e.grad_ratio)} of its largest, the loss has stopped falling, and the Hessian "
            f"is positive here (eigenvalues {fmt(e.bottom)} to {fmt(e.top)}): a minimum. ")
    text += (f"The known global minimum is {fmt(e.floor)}, so this one is {fmt(e.last_gap)} of the starting gap above it. "
             if e.known_floor else "A change tried from here found lower ground. ")
    tried = tried_sentence(_tried(e, "local_minimum"))
    if _frozen(e):
        held = _tried(e, "schedule_too_aggressive")
        text += (f"But the schedule has cut the LR {_fold(_schedule_cut(e))}: at {fmt(e.lr)} the run hardly moves, "
                 "so the checks from here cannot tell a minimum from a point it is frozen at. "
                 + (f"{_cap(tried_sentence(held))}, much lower. " if held and held.helped else ""))
        tried = f"from here, {tried}" if tried else ""
    # (each change is tried alone: lesson 5's task, a larger LR and then a schedule that lowers it, reaches loss 0
    # where "nothing tried did much better" had read as "nothing helps"; walkthrough 22c, W3)
    alone = _tried(e, "local_minimum")
    together = (" The checks try one change at a time from here; together they can do more: a larger LR that throws "
                "the run out of the dimple, then a schedule that lowers it so that it settles somewhere lower."
                if alone is not None and not alone.helped and not _frozen(e) else "")
    return text + (_cap(tried) + ". " if tried else "") + (
        "A schedule that keeps the LR up (s) lets it move on." if _frozen(e) else
        "A larger LR, momentum, or a schedule that starts high can carry a run past such dimples." + together)


def _saddle_message(e: Evidence) -> str:
    return _with_fix(e, "plateau", f"plateau: flat at loss {fmt(e.last_loss)} where the surface curves down "
                                   f"({fmt(e.raw_bottom)}): a saddle or a shoulder")


def _saddle_explanation(e: Evidence) -> str:
    tried = tried_sentence(_tried(e, "plateau"))
    return (f"The gradient is {fmt(e.grad_ratio)} of its largest and the Hessian has a negative eigenvalue "
            f"({fmt(e.bottom)}): the run sits near a saddle point, not a minimum, so it is not converged. It "
            "leaves along the negative direction only slowly." + (f" {_cap(tried)}." if tried
                                                                  else ""))


def _flat_message(e: Evidence) -> str:
    return _with_fix(e, "plateau", f"plateau: flat at loss {fmt(e.last_loss)}, {fmt(e.last_gap)} of the starting gap "
                                   "above the floor")


def _flat_explanation(e: Evidence) -> str:
    tried = tried_sentence(_tried(e, "plateau"))
    return (f"Over the last {e.window:,} steps the loss fell by less than 1% of its distance to the floor "
            f"{fmt(e.floor)}, and the gradient ({fmt(e.grad_norm)}) is tiny for this height and curvature: a flat "
            "region well above the minimum." + (f" {_cap(tried)}." if tried else
                                                 " Nothing tried moved it: start somewhere else."))


def _schedule_message(e: Evidence) -> str:
    return _with_fix(e, "schedule_too_aggressive",
                     f"schedule too aggressive: it cut the LR from {fmt(e.schedule_peak)} to a hundredth of that "
                     f"by step {e.cut_step:,} ({fmt(e.schedule_lr)} now) and progress stalled")


def _schedule_explanation(e: Evidence) -> str:
    tried = tried_sentence(_tried(e, "schedule_too_aggressive"))
    return (f"At step {e.cut_step:,} the schedule had cut the LR to 1/100 of its peak {fmt(e.schedule_peak)}, "
            f"before {int(100 * 0.75)}% of the budget, while the loss was still {fmt(e.last_gap)} of its starting gap "
            f"from the floor (the gradient was {fmt(e.grad_ratio)} of its largest)."
            + (f" {_cap(tried)}." if tried else "")
            # What was tried, not "a gentler decay", above a fix of no decay at all (walkthrough 14a, C8)
            + " The checks try two schedules that keep enough LR to finish: the LR held at its peak, and a cosine "
              "over the whole budget; a gentler decay (s) lies between the two.")


def _oscillating_message(e: Evidence) -> str:
    return _with_fix(e, "oscillating", f"oscillating: the LR {fmt(e.lr)} is too high, the updates bounce back and forth")


def _oscillating_explanation(e: Evidence) -> str:
    tried = tried_sentence(_tried(e, "oscillating"))
    above = above_the_limit(e, _tried(e, "oscillating"))
    if e.flip_rate >= 0.5:
        how = (f"Consecutive updates point against each other (running cosine {e.cos_update:.2f}) and the loss "
               f"change flips sign on {pct(e.flip_rate)} of steps: each step overshoots the valley floor.")
    else:  # just under the limit the loss falls at every step as it bounces ("flips sign on 0% of steps" beside
        # "each step overshoots" read as a contradiction: walkthrough 18a, N2)
        how = (f"Consecutive updates point against each other (running cosine {e.cos_update:.2f}): each step "
               "overshoots the valley floor and lands on the other side. The loss still falls on "
               f"{pct(1 - e.flip_rate)} of steps, since each overshoot is a little shorter than the last: the "
               "bouncing dies out, but slowly.")
    return (f"{how} {_cap(gauge_sentence(e))}." + (f" {_cap(above)}." if above else "")
            + (f" {_cap(tried)}." if tried else ""))


def _on_course(e: Evidence) -> bool:
    """At its pace now, the run gets within TOL of the floor before its budget ends."""
    needed = getattr(e, "needed", math.inf)  # (older tests' SimpleNamespace evidence has no pace)
    return bool(math.isfinite(needed) and needed <= e.remaining)


def _slow_message(e: Evidence) -> str:
    tried = _tried(e, "too_slow")
    new = (tried.fix or {}).get("optimizer.lr") if tried is not None and tried.helped and tried.from_step == 0 else None
    if isinstance(new, float) and new <= e.lr and not e.scheduled:
        # A fix from step 0, scaled from the LR the run started with, below the LR a change by hand set since: "the
        # LR 3.16 is too low" beside "lr = 1.778" (walkthrough 12b, F2)
        return _with_fix(e, "too_slow", f"too slow for the budget ({_loss_now(e)}): from step 0, a larger LR "
                                        "than the one it started with does much better")
    if (cut := _schedule_cut(e)) >= SCHEDULE_CUT_WORDS:
        # The schedule brought the LR this low: "the LR 0.000233 is too low" beside "lr x31.4 on the whole schedule"
        # read as blaming the LR the run started with, against lesson 19's own rule (walkthrough 13a, A6).
        return _with_fix(e, "too_slow", f"too slow: the schedule cut the LR from {fmt(e.schedule_peak)} to "
                                        f"{fmt(e.lr)}, too low for the budget ({_loss_now(e)})")
    if _on_course(e):
        # On course to get there in the budget, at its pace now: "too low for the budget" beside "needs about 74
        # more steps, with 250 left" read as a contradiction (walkthrough 20b, T2). The claim is the try's.
        return _with_fix(e, "too_slow", f"too slow: the LR {fmt(e.lr)} is lower than it could be ({_loss_now(e)}): "
                                        "a larger LR, tried, gets much lower")
    return _with_fix(e, "too_slow", f"too slow: the LR {fmt(e.lr)} is too low for the budget ({_loss_now(e)})")


# "The LR 0.5 was 91% of the adaptive limit" beside "Fix: lr = 5" read as a contradiction twice (walkthroughs 10b
# D61, 15b G6): a too-slow adaptive run's explanation says why the share is left out instead.
ADAPTIVE_SLOW = ("No share of a stable limit is given: an adaptive optimizer's limit is on P⁻¹H, and P follows the "
                 "steps it takes, so a larger LR moves the limit with it; a larger LR is judged by its try")


def _slow_explanation(e: Evidence) -> str:
    tried = tried_sentence(_tried(e, "too_slow"))
    if e.gauge >= 1 and not e.preconditioned:
        # Past the limit of the sharpest ground met, the run hops rather than settles, and which LR lands lowest is
        # partly luck: "too low" at 1268% of the limit read as nonsense (walkthrough 11b, D90).
        tried += ("; past the stable limit the run hops between regions instead of settling, so where any constant "
                  "LR ends is partly luck: a schedule that lowers the LR (s) lets it settle") if tried else ""
    # (walkthrough 10b, D62: "to get within 1e-06 at its recent pace it never gets there")
    pace = (f"to get within {fmt(TOL)} at its recent pace it needs about {e.needed:,.0f} more steps"
            if math.isfinite(e.needed) else f"at its recent pace it would never get within {fmt(TOL)} of it")
    cut = _schedule_cut(e)
    schedule = (f"The schedule brought the LR this low: it has cut it {cut:,.0f}-fold since its peak "
                f"{fmt(e.schedule_peak)}. A fix that raises the whole schedule keeps its cuts; a gentler schedule (s) "
                "keeps the LR up instead. " if cut >= SCHEDULE_CUT_WORDS else "")
    here = e.lr_limit_here
    # "too low" beside "105% of the stable limit" (the sharpest point met, at step 0), while the status line gave
    # 27% of the limit where the run is (walkthrough 19b, R1): where the two differ, both are said, and which is which.
    both = (f" That limit is the sharpest point's; where the run is now the stable limit is {fmt(here)}, and the LR is "
            f"{pct(e.lr / here)} of it, too low for the ground it is on." if not e.preconditioned and e.gauge >= 1
            and math.isfinite(here) and here > e.lr else "")
    within = (" At that pace it would get there within the budget, but the try below gets much lower still, so the LR "
              "is called too low." if _on_course(e) else "")
    # A spiking adaptive run told "too low" read as a contradiction (walkthrough 21b, V3): say why (wording only)
    with np.errstate(all="ignore"):
        spikes = e.preconditioned and e.best > e.floor and e.loss - e.floor > SPIKE_WORDS * (e.best - e.floor)
        times = (e.loss - e.floor) / (e.best - e.floor)
    both += (f" Over its last {SMOOTH} steps its loss averaged {fmt(e.loss)}, {fmt(times)} times as far from the floor "
             f"as the lowest it reached ({fmt(e.best)}): it spikes. RMSProp and Adam spike at their own edge of "
             "stability, where a step lr/√v grows as v shrinks until the loss jumps and v catches up; that usually "
             "asks for a smaller LR, but here a larger one, tried, ended much lower, so the LR holds the run back "
             "more than the spikes do." if spikes else "")
    return (f"The loss is {fmt(e.last_gap)} of its starting gap from the floor {fmt(e.floor)}; "
            f"{pace}, with {max(e.remaining, 0):,} steps of the {e.budget:,}-step budget left.{within} {schedule}"
            f"{_cap(gauge_sentence(e)) if not e.preconditioned else ADAPTIVE_SLOW}.{both}"
            + (f" {_cap(tried)}." if tried else ""))


SPIKE_WORDS = 2  # display only: an adaptive too-slow run this many times its best gap is told it spikes


RULES: RuleTable[Evidence] = RuleTable([
    Rule("diverged", "error", lambda e: e.nonfinite | (e.diverged_at >= 0) | (e.blown_up & (e.confirmed["diverged"]
                                                                                           | (e.remaining <= 0))),
         _diverged_message, _diverged_explanation, lambda e: _fix(e, "diverged")),
    Rule("converged", "info", lambda e: (e.at_floor & ~e.negative_curvature) | e.confirmed["converged"],
         _converged_message, _converged_explanation),
    Rule("local_minimum", "warning",
         lambda e: e.local_bottom & (e.gap > FAR) & e.confirmed["local_minimum"] & e.stays_flat("local_minimum"),
         _local_message, _local_explanation, _local_fix),
    Rule("plateau", "warning", lambda e: e.small_grad & e.negative_curvature & e.flat & e.confirmed["plateau"]
         & e.stays_flat("plateau"),
         _saddle_message, _saddle_explanation, lambda e: _fix(e, "plateau")),
    # The contract's G > FAR is the gap at the end of the budget: the check ran the unchanged run there.
    Rule("schedule_too_aggressive", "warning", lambda e: e.hard_cut & (e.gap > FAR)
         & (e.gap_ahead("schedule_too_aggressive") > FAR) & e.confirmed["schedule_too_aggressive"], _schedule_message, _schedule_explanation,
         lambda e: _fix(e, "schedule_too_aggressive")),
    Rule("oscillating", "warning", lambda e: e.bouncing & e.confirmed["oscillating"], _oscillating_message,
         _oscillating_explanation, lambda e: _fix(e, "oscillating")),
    Rule("too_slow", "warning", lambda e: (e.gap > TOL) & e.confirmed["too_slow"], _slow_message, _slow_explanation,
         lambda e: _fix(e, "too_slow")),
    Rule("plateau", "warning", lambda e: e.flat & e.small_grad & (e.gap > FAR) & e.confirmed["plateau"]
         & e.stays_flat("plateau"),
         _flat_message, _flat_explanation, lambda e: _fix(e, "plateau")),
], fallback=Rule("improving", "info", always, improving_message, improving_explanation))

CODES = RULES.codes  # a run's verdict is kept as an index into this
IMPROVING = len(CODES) - 1


def edge_of_stability(e: Evidence) -> np.ndarray:
    """Info: a full-batch model whose sharpness has reached about 2/lr while its loss keeps falling."""
    with np.errstate(all="ignore"):
        local = e.lr * e.top / e.limit
    return e.full_batch_model & (local >= 0.9) & (e.rate > 0) & ~e.diverged


def edge_diagnosis(e: Evidence, step: int, run: int) -> Diagnosis:
    """Info, never a warning: a full-batch model at the edge of stability, its loss still falling."""
    message = "edge of stability: sharpness has risen to the stable limit while the loss still falls (normal)"
    explanation = (f"{_cap(gauge_sentence(e))}. Under full-batch training, networks "
                   "sharpen until the sharpness reaches about 2/lr and then hover there while the loss keeps "
                   "falling over the long run (Cohen et al., 2021). This is not a too-high LR: a lower LR is "
                   f"suggested only when a check shows it ends {MUCH:g}x lower.")
    return Diagnosis("edge_of_stability", step, "info", message, explanation, None, None, run)
