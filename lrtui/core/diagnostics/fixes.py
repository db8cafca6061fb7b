"""What to check and what to try: for each claim, when a run is worth a check (cheap, generous spotting), and
the changes a check runs on copies next to the unchanged run. The verdicts themselves (the rule table and their
words) are in verdicts.py; the checks that run these fixes are in trials.py."""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.diagnostics.evidence import FAR, TOL, Evidence
from lrtui.core.run_spec import MAX_LR_SCHEDULES, own_lr_scale


def candidates(e: Evidence) -> dict:
    """code -> bool array over runs: the claims worth a check now."""
    live = ~e.diverged
    return {
        "diverged": e.diverged & (e.diverged_at != 0),
        "converged": live & ~e.known_floor & ~e.floor_is_bound & e.minimum & ~e.at_floor,
        "local_minimum": live & (e.known_floor | e.floor_is_bound) & e.local_bottom & (e.gap > FAR),
        "plateau": live & e.small_grad & e.flat & (e.negative_curvature | ((e.gap > FAR) & ~e.minimum)),
        "schedule_too_aggressive": live & e.hard_cut & (e.gap > FAR) & e.behind,
        "oscillating": live & e.bouncing & (e.gap > TOL) & (e.behind | e.flat),
        "too_slow": live & e.behind & ~e.bouncing & ~e.at_floor,
    }


def escape_fixes(e: Evidence, spec, base: float | None = None) -> list[dict]:
    lr = e.lr if base is None else base
    fixes: list[dict] = [{"optimizer.lr": lr * 3}, {"optimizer.lr": lr * 10}]
    if spec.optimizer == "sgd" and not spec.optimizer_params.get("momentum"):
        fixes.append({"optimizer.momentum": 0.9})
    return fixes


def fixes_for(code: str, e: Evidence, spec, diverged_lrs: np.ndarray, start_lr: float | None = None,
              model: bool = False) -> list[dict]:
    """The changes a check tries for one run's claim, given the run's spec as it stands (LRs a sweep neighbour
    showed to diverge are left out). `optimizer.lr` sets the LR in force when the fix is applied, keeping the
    schedule's shape: a fix tried from the start is scaled from `start_lr`, the LR the run had at step 0 (not
    from the LR in force now, which a schedule may have cut a millionfold). A `model`'s copies cost far more a
    step than a small problem's: its grid of smaller LRs is thinned (GRID_SMALLER_MODEL)."""
    ceiling = float(np.min(diverged_lrs)) if diverged_lrs.size else math.inf
    return [fix for fix in _fixes_for(code, e, spec, diverged_lrs, start_lr, model)
            if _usable(fix) and fix.get("optimizer.lr", 0.0) < ceiling]


def _usable(fix: dict) -> bool:
    """Every number finite and every LR positive: a fix a person can type."""
    for key, value in fix.items():
        if isinstance(value, float) and (not math.isfinite(value) or (key == "optimizer.lr" and value <= 0)):
            return False
    return True


def _fixes_for(code, e, spec, diverged_lrs, start_lr=None, model=False) -> list[dict]:
    lr, limit = e.lr, e.lr_limit
    ceiling = float(np.min(diverged_lrs)) if diverged_lrs.size else math.inf
    # The LR the fixes scale: the one in force now, or, for a fix tried from the start, the one at step 0.
    base = float(start_lr) if start_lr is not None and math.isfinite(start_lr) and start_lr > 0 else lr
    if code == "diverged":
        finite = [x for x in (lr, e.schedule_peak, e.set_lr) if math.isfinite(x) and x > 0]
        base = min(finite) if finite else 1e-3
        if start_lr is not None and math.isfinite(start_lr) and start_lr > 0:
            base = float(start_lr)  # a run whose LR was changed by hand: the largest it used (trials.edited_peak)
        peak = spec.schedule_params.get("max_lr")
        if isinstance(peak, (int, float)) and peak > 0:
            # A cyclic schedule sets its own LRs: its peak is what to lower (a gentler cycle, not optimizer.lr).
            peaks: list[dict] = [{"schedule.max_lr": _nice(min(peak, base) * f)} for f in (0.1, 0.01, 0.001)]
            low = spec.schedule_params.get("base_lr")
            if isinstance(low, (int, float)):  # a cyclic schedule's floor must stay below its new peak
                peaks = [{**fix, "schedule.base_lr": _nice(fix["schedule.max_lr"] / 10)}
                         if low > fix["schedule.max_lr"] / 10 else fix for fix in peaks]
            return _dedupe(peaks)
        # Eighths of a decade down to a tenth, then coarser: the largest LR that stays finite is often the best,
        # and the edge can be sharp (Rosenbrock from (-1.5, 2): lr 0.002 ends at 7e-4, 0.0021 diverges).
        lrs = [base * 10 ** (-k / 8) for k in range(1, 9)] + [base * f for f in (0.03, 0.01, 0.001)]
        if math.isfinite(limit) and 0 < limit < base:
            lrs.append(0.8 * limit)
        fixes: list[dict] = [{"optimizer.lr": _nice(x)} for x in lrs]
        if e.scheduled:  # the schedule may be what blew up: hold a safe constant LR instead
            fixes += [{"schedule.type": "constant", "optimizer.lr": _nice(base * f)} for f in (0.1, 0.01)]
        if spec.optimizer_params.get("eps") == 0:  # an adaptive optimizer without eps: 0/0 at a zero gradient
            fixes.append({"optimizer.eps": 1e-8})
        return _dedupe(fixes)
    if code == "too_slow":
        # By the sharpness where the run is now: how far the LR can be raised from here. Not for an adaptive
        # optimizer, whose preconditioned sharpness follows its LR (RMSprop settles at its own limit at any LR).
        here = e.lr_limit_here
        from_start = start_lr is not None and math.isfinite(start_lr) and start_lr > 0
        if not (base > 0 and (lr > 0 or from_start)):  # an LR of 0 has no multiples: LRs under the limit, or plain
            absolute = [0.45 * here, 0.81 * here] if math.isfinite(here) and here > 0 else [1e-3, 1e-2, 1e-1]
            return [{"optimizer.lr": _nice(x)} for x in absolute if x < 0.9 * ceiling]
        # The cap bounds the LR the factor multiplies: from now, the LR in force; from the start, the run's own LR
        # scale (optimizer.lr, or a cyclic max_lr), of which every LR of the schedule is a share (not the decayed one).
        anchor = own_lr_scale(spec, lr) if from_start else lr
        with np.errstate(all="ignore"):
            room = 0.9 * here / anchor if math.isfinite(here) and here > 0 and anchor > 0 else math.inf  # a factor
        # The contracts' grid of larger LRs (lr x 10^(k/4), k = 1..12, to three figures), under the cap for the
        # SGD family; a limit past the grid is tried at 0.5 and 0.9 of the cap too, from now by the limit here
        # (from the start the check takes them from the cap where the unchanged run ends: trials.end_capped).
        # Adaptive optimizers' grid has no cap: their preconditioned sharpness follows their LR.
        grid = [10.0 ** (k / 4) for k in range(1, 13)]
        factors = {f for f in grid if e.preconditioned or f <= room}
        if math.isfinite(room) and room > grid[-1] and spec.schedule not in MAX_LR_SCHEDULES and not from_start:
            factors |= {0.5 * room, 0.9 * room}  # (a cyclic schedule's max_lr is its own ceiling: not past it)
        # From the start the LRs are the grid's own, not rounded: on a rippled landscape the basin a large LR lands
        # in turns on its third figure (seed 7024: 1.1598 ends where the run does, 1.15 ten times lower).
        rounded = (lambda x: x) if from_start else (lambda x: _nice(x, 3))
        lrs = sorted({rounded(min(base * f, 0.9 * ceiling)) for f in factors})
        return [{"optimizer.lr": x} for x in lrs if x > base * 1.5]
    if code == "oscillating":
        if start_lr is not None and math.isfinite(start_lr) and start_lr > 0:
            # From the start, as the contract asks: the smaller LRs of its grid (lr x 10^(-k/4), k = 1..12), the
            # schedule kept; what a constant smaller LR does from step 0, not an annealing switched on from now
            # (which can help a little where no smaller LR from the start does). Not rounded: near the edge the
            # end of a bouncing run can turn on the fourth figure of its LR (RMSprop at 0.002378 ends at half
            # the loss it ends at with 0.00237), and a fix is shown only as it was tried.
            ks = GRID_SMALLER_MODEL if model else GRID_SMALLER
            return _dedupe([{"optimizer.lr": base * 10.0 ** (-k / 4)} for k in ks])
        lrs = [base * f for f in (0.5, 0.25, 0.1)]
        if math.isfinite(limit) and 0 < limit < lr:
            lrs.append(base * 0.8 * limit / lr)
        return _dedupe([{"optimizer.lr": _nice(x)} for x in lrs if x > 0])
    if code == "converged" and start_lr is not None and math.isfinite(start_lr) and start_lr > 0:
        # Lower ground as the contracts look for it with no floor: every other grid LR (schedule kept) and SGD with
        # momentum 0.9 at each grid LR (their M), from the start over the whole budget, against the unchanged
        # run's end (from now, a larger LR at the bottom of one well can reach another: seed 240, cases.jsonl).
        grid = [base * 10.0 ** (k / 4) for k in GRID_ALL]
        return ([{"optimizer.lr": x} for x in grid if x != base]
                + [{"optimizer.type": "sgd", "optimizer.momentum": 0.9, "schedule.type": "constant",
                    "optimizer.lr": x} for x in grid])
    if code == "schedule_too_aggressive":
        peak = _nice(e.schedule_peak)
        if start_lr is not None:  # from the start, as the contract asks: hold the peak, or anneal over the budget
            # The contract's S1 and S2 exactly, not rounded: on a rippled landscape the third figure of the LR
            # decides which basin a run ends in (seed 1381: cosine from 0.0442997 ends where the run does, from
            # 0.0442 at 1e-16), and the claim is about the schedule, not about a nearby LR.
            return [{"schedule.type": "constant", "optimizer.lr": float(e.schedule_peak)},
                    {"schedule.type": "cosine", "schedule.T_max": int(max(e.budget, 1)),
                     "optimizer.lr": float(own_lr_scale(spec, e.schedule_peak))}]
        return [{"schedule.type": "constant", "optimizer.lr": peak},
                {"schedule.type": "cosine", "schedule.T_max": int(max(e.remaining, 1)), "optimizer.lr": peak}]
    return escape_fixes(e, spec, base)


GRID_ALL = tuple(range(-12, 13))  # the contracts' whole grid: lr x 10^(k/4)
GRID_SMALLER = tuple(range(1, 13))  # the contracts' smaller LRs: lr x 10^(-k/4) for these k (down to a thousandth)
GRID_SMALLER_MODEL = (1, 2, 4, 8)  # ...for a model, four of them (x0.56, x0.32, x0.1, x0.01): as many copies as from now


def _nice(value: float, digits: int = 2) -> float:
    """`digits` significant figures, rounded down: a value a person can type."""
    if not math.isfinite(value) or value <= 0:
        return value
    scale = 10.0 ** (math.floor(math.log10(value)) - (digits - 1))
    if scale == 0.0:
        return value
    return float(f"{math.floor(value / scale + 1e-9) * scale:.3g}")


def fix_key(fix: dict) -> str:
    """A fix as a hashable key: the same changes give the same key, whatever their order."""
    return repr(sorted(fix.items()))


def _dedupe(fixes: list[dict]) -> list[dict]:
    seen, out = set(), []
    for fix in fixes:
        key = fix_key(fix)
        if key not in seen:
            seen.add(key)
            out.append(fix)
    return out


# -- how a fix from the start is built ----------------------------------------------------------------

ABSOLUTE_LR_KEYS = ("eta_min", "min_lr", "base_lr", "max_lr")  # a schedule's LRs that do not follow its base LR


def started_at(origin, fix: dict, lr_then: float):
    """A fix from the start that only sets the LR, as the run started at that LR (the contracts' "the same case at
    lr'"), when that is what it is: the run has no changes, its LR at step 0 is its optimizer's lr, and its
    schedule has no LRs of its own (or all 0). Set as a change at step 0 instead, the LR scales the schedule by
    lr' / lr, which rounds differently in the last bit; on a chaotic landscape that bit decides the basin (NAdam
    at lr x562 on Rastrigin, cases.jsonl seed 1840: the run started at lr' ends at 8.95, the change at step 0 at
    0.995, and a healthy run was called too slow). None where the change at step 0 must stand."""
    if set(fix) != {"optimizer.lr"} or origin.changes or not (isinstance(lr_then, float) and lr_then > 0):
        return None
    new = float(fix["optimizer.lr"])
    if not _own_lrs(origin.schedule_params):
        if origin.optimizer_params.get("lr") != lr_then:
            return None
        return origin.copy(optimizer_params={**origin.optimizer_params, "lr": new})
    # A schedule with LRs of its own (one-cycle's max_lr, cyclic's base_lr and max_lr, a cosine's eta_min): the
    # same case at lr' has them scaled with the optimizer's lr, by the grid's own factor, as the contracts' cases
    # are made (Adam under one-cycle on a rippled formula, fresh7 seed 10023: a step-0 change x178 ended at 0.633,
    # the case at x178 at 201; a healthy run was called too slow). Not for a sequential schedule's pieces.
    if origin.schedule == "sequential":
        return None
    factor = _grid_factor(new / lr_then)
    params = {key: value * factor if key in ABSOLUTE_LR_KEYS and isinstance(value, (int, float)) else value
              for key, value in origin.schedule_params.items()}
    return origin.copy(optimizer_params={**origin.optimizer_params, "lr": origin.optimizer_params["lr"] * factor},
                       schedule_params=params)


def _grid_factor(ratio: float) -> float:
    """The contracts' grid factor 10^(k/4) that `ratio` (a fix's LR over the LR it was scaled from) was made with,
    exactly, where it is one to rounding; else the ratio itself."""
    if not (math.isfinite(ratio) and ratio > 0):
        return ratio
    exact = 10.0 ** (round(4 * math.log10(ratio)) / 4)
    return exact if abs(ratio / exact - 1) < 1e-9 else ratio


def _own_lrs(params: dict) -> bool:
    """Whether a schedule's parameters (a sequential schedule's pieces too) set a nonzero LR of their own."""
    if any(params.get(key) not in (None, 0, 0.0) for key in ABSOLUTE_LR_KEYS):
        return True
    return any(_own_lrs(piece) for piece in params.get("schedulers", ()) if isinstance(piece, dict))
