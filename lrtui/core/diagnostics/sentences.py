"""The sentences several verdicts share: where the LR sits against the stable limit, what a try did, the loss now.

verdicts.py composes them into each rule's message and explanation."""

from __future__ import annotations

import math

from lrtui.core.diagnostics.evidence import Evidence
from lrtui.core.diagnostics.types import Tried
from lrtui.core.diagnostics.wording import fix_words, fmt, pct


def gauge_sentence(e: Evidence) -> str:
    """Where the LR sits against the stable limit, and which sharpness that limit is from."""
    if not (math.isfinite(e.gauge) and math.isfinite(e.max_top) and e.max_top > 0):
        return "the sharpness is not known yet"
    of = "of P⁻¹H, " if e.preconditioned else ""
    # An adaptive optimizer's limit is on P⁻¹H, and P follows the steps it takes: the status line's "adaptive
    # limit", and no cap on its LR (walkthrough 10b, D61: "91% of the stable limit", then "Fix: lr = 5").
    limit = "adaptive limit" if e.preconditioned else "stable limit"
    moves = (", a limit that moves with the LR (P adapts to the steps it takes), so no cap on it: a larger LR is "
             "judged by its try") if e.preconditioned else ""
    # Dated like the finding: the status line's gauge goes on moving with the run, this sentence does not.
    # "When this was checked" names its step: a verdict found at step 25 is checked again at each checkpoint after
    # (walkthrough 8, D34: "found at step 25 ... met by then, at step 200"); a run that diverged is not checked
    # after (walkthrough 10a, D42: "diverged at step 7 ... when this was checked at step 300").
    when, met = ("it diverged", "before") if e.diverged_at >= 0 else (f"this was checked at step {e.step:,}", "by then")
    return (f"the LR {fmt(e.lr)} was {pct(e.gauge)} of the {limit} {e.formula} = {fmt(e.lr_limit)} when {when} "
            f"(λ = {fmt(e.max_top)}, {of}the largest sharpness met {met}, at step {e.max_top_step:,}){moves}")


def above_the_limit(e: Evidence, tried: Tried | None) -> str:
    """Where a fix's LR is past the stable limit the explanation just gave, why it still trains (walkthrough 10a,
    D40-D41: lesson 2's fix 0.00203 is 212% of 2/λ at the start; lesson 1 at lr 0.05 met λ = 286, and its fix
    0.021 is 300% of 2/286). "" where the fix is within the limit, or there is none."""
    new = tried.fix.get("optimizer.lr") if tried is not None and tried.helped else None
    if not (isinstance(new, float) and math.isfinite(e.lr_limit) and 0 < e.lr_limit < new) or e.preconditioned:
        return ""
    return (f"the fix, lr {fmt(new)}, is {pct(new / e.lr_limit)} of that limit, and it trains: the limit is set by "
            f"the sharpest ground this run met (λ = {fmt(e.max_top)}, at step {e.max_top_step:,}), and on a loss "
            "that is not a quadratic the sharpness changes from place to place, so a run at another LR need not "
            "meet it, or meets it only for a step")


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def tried_sentence(tried: Tried | None) -> str:
    if tried is None:
        return ""
    if tried.helped:
        where = "from the start" if tried.from_step == 0 else f"from step {tried.from_step:,}"
        return f"tried {fix_words(tried.fix, tried)} {where}: {tried.sentence().removeprefix('tried: ')}"
    return ("nothing tried did much better" + (f" (best: {fix_words(tried.fix, tried)}, {tried.sentence().removeprefix('tried: ')})"
                                      if tried.fix else ""))


def tried_for(e: Evidence, code: str) -> Tried | None:
    return e.tried.get(code)


def fix_for(e: Evidence, code: str) -> dict | None:
    tried = tried_for(e, code)
    return dict(tried.fix) if tried is not None and tried.helped else None


def with_fix(e: Evidence, code: str, text: str) -> str:
    tried = tried_for(e, code)
    if tried is None:
        return text
    if tried.helped:
        return f"{text}; try {fix_words(tried.fix, tried)} ({tried.sentence()})"
    return f"{text}; nothing tried did much better"


def loss_now(e: Evidence) -> str:
    """"loss 1.35", or for a model trained on mini-batches "batch loss 1.35": one batch's loss, which lesson 7's
    "settled: loss 1.35, level" read as the training loss, 0.29 in u (walkthrough 17a, L1)."""
    return f"{'batch loss' if getattr(e, 'batch_model', False) else 'loss'} {fmt(e.last_loss)}"


SCHEDULE_CUT_WORDS = 100.0  # a schedule that has cut its LR this many times is named in a too-slow run's words


def schedule_cut(e: Evidence) -> float:
    """How many times the schedule has cut the LR from its running peak (1 when it has not, or is constant)."""
    if not e.scheduled or not (e.schedule_peak > 0 and e.schedule_lr > 0):
        return 1.0
    return float(e.schedule_peak / e.schedule_lr)


def fold(cut: float) -> str:
    return f"{cut:,.0f}-fold" if cut < 1e6 else f"{cut:.2g}-fold"
