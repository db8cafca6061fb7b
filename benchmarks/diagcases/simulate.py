"""What the oracle simulates for one case: the case, its LR grid and its counterfactuals, as `Runs`.

Two drivers fill the same record:
- `own_quadratic`: SGD (plain, heavy ball, Nesterov) on a quadratic, by the oracle's own eigenbasis recurrences
  (benchmarks.diagcases.quadratic); no lrtui code at all.
- `brute_force`: everything else, one batched `lrtui.core.simulation.Simulation(..., diagnostics=False)` holding
  the whole grid and the counterfactuals. lrtui's losses, optimizers and schedules are torch-exact and are
  not the rules being graded; lrtui.core.diagnostics is never imported by this package.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from benchmarks.diagcases import limits, quadratic, schedules

GRID_K = np.arange(-12, 13)
FACTORS = 10.0 ** (GRID_K / 4.0)
CASE = 12  # index of k = 0 in the grid: the case itself
SGD_MOMENTUM_M = 0.9


@dataclass
class Runs:
    steps: int
    loss: np.ndarray  # the case's L(0..B); NaN from its divergence on
    grad_norm: np.ndarray  # the case's gradient norm at w_0..w_B
    lr: np.ndarray  # the case's LR in force for updates 1..B (index t: update t + 1)
    diverged_at: int  # the case's divergence step, -1 when none
    updates: np.ndarray  # the case's updates over the last quarter, one per row
    finals: dict[str, np.ndarray]  # final loss per run, +inf when it diverged: "grid" (25), "S1", "S2", "M" (25)
    lowest: float  # lowest finite loss of any simulated run at any step
    w_final: np.ndarray | None = None
    lr_anchor: float = 0.0
    checks: dict = field(default_factory=dict)
    # The too_slow cap (CONTRACTS v2b clause 4', benchmarks.diagcases.limits): P^-1 of the case's adaptive
    # optimizer at step B (None for SGD), the top eigenvalue at w_B (of P^-1 H), the limit constant and the cap.
    inv_precond_end: np.ndarray | None = None
    s_end: float = math.nan
    s_end_at: int = -1
    limit_c: float = math.nan
    cap: float = math.inf
    extra_lrs: list = field(default_factory=list)  # LRs tried past the grid (finals["cap"] holds their ends)

    def grid_lrs(self) -> np.ndarray:
        return self.lr_anchor * FACTORS


def case_lr(case: dict) -> float:
    """The LR the grid scales: the optimizer's lr, or max_lr for schedules that ignore it."""
    sched = case.get("schedule") or {"type": "constant"}
    if sched["type"] in ("onecycle", "cyclic"):
        return float(sched["max_lr"])
    return float(case["optimizer"]["lr"])


def scaled_case(case: dict, factor: float) -> tuple[dict, dict]:
    """(optimizer, schedule) tables of the case at `factor` times its LR."""
    opt = dict(case["optimizer"])
    opt["lr"] = opt.get("lr", 1e-3) * factor
    sched = schedules.scaled(case.get("schedule") or {"type": "constant"}, factor)
    return opt, sched


def peak_lr(case: dict) -> float:
    """The schedule's peak LR over the budget (plateau's is its base LR)."""
    sched = case.get("schedule") or {"type": "constant"}
    if sched["type"] == "plateau":
        return case_lr(case)
    lr, _ = schedules.curve(sched, float(case["optimizer"].get("lr", 1e-3)), case["steps"])
    return float(np.max(lr))


def is_scheduled(case: dict) -> bool:
    return (case.get("schedule") or {"type": "constant"})["type"] != "constant"


def _finals_from(loss_rows: np.ndarray, diverged: np.ndarray) -> np.ndarray:
    out = loss_rows[-1].copy()
    out[(diverged >= 0) | ~np.isfinite(out)] = np.inf
    return out


def own_quadratic(case: dict) -> Runs:
    """The grid (25 LRs) and, when scheduled, S1 and S2, by exact eigenbasis recurrences."""
    lam, z0 = quadratic.eigen_start(case["loss"])
    opt = case["optimizer"]
    momentum, nesterov = float(opt.get("momentum", 0.0)), bool(opt.get("nesterov", False))
    if opt.get("weight_decay", 0.0) or opt.get("dampening", 0.0) or opt.get("maximize", False):
        raise ValueError("the own quadratic path covers SGD without weight decay, dampening or maximize")
    steps = int(case["steps"])
    lr = case_lr(case)
    sched = case.get("schedule") or {"type": "constant"}
    grid = quadratic.run(lam, z0, steps, float(opt.get("lr", 1e-3)), sched, momentum, nesterov, track=CASE,
                         factors=FACTORS)
    finals = {"grid": _finals_from(grid.loss, grid.diverged_at)}
    lowest = [np.nanmin(np.where(np.isfinite(grid.loss), grid.loss, np.nan))]
    if is_scheduled(case):
        for name, table, base in (("S1", {"type": "constant"}, peak_lr(case)),
                                  ("S2", {"type": "cosine", "T_max": steps}, lr)):
            cf = quadratic.run(lam, z0, steps, base, table, momentum, nesterov)
            finals[name] = _finals_from(cf.loss, cf.diverged_at)
            lowest.append(np.nanmin(np.where(np.isfinite(cf.loss), cf.loss, np.nan)))
    return Runs(steps, grid.loss[:, CASE], grid.grad_norm[:, CASE], grid.lr[:, CASE], int(grid.diverged_at[CASE]),
                grid.updates, finals, float(np.nanmin(lowest)), None, lr)


def lrtui_parts(case: dict, name: str = "case"):
    """(scenario, loss, run spec) of a case, through lrtui's loader as a user's file would go."""
    from lrtui.core.losses import build_loss
    from lrtui.scenario.loader import scenario_from_data

    scenario = scenario_from_data(copy.deepcopy(case), name)
    config = scenario.runs[0]
    loss = build_loss(config.loss["type"], **{k: v for k, v in config.loss.items() if k != "type"})
    return scenario, loss, config.run_spec()


def _spec(base, opt: dict, sched: dict):
    params = {k: tuple(v) if k == "betas" else v for k, v in opt.items() if k != "type"}
    return base.copy(optimizer=opt["type"], optimizer_params=params, schedule=sched["type"],
                     schedule_params={k: v for k, v in sched.items() if k != "type"})


def brute_force(case: dict, with_m: bool) -> tuple[Runs, object]:
    """One batched lrtui Simulation: grid (25), S1 and S2 when scheduled, M (25) when asked. Also the loss."""
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    scenario, loss, spec = lrtui_parts(case)
    steps = int(case["steps"])
    lr = case_lr(case)
    specs = [_spec(spec, *scaled_case(case, f)) for f in FACTORS]
    names = ["grid"] * len(FACTORS)
    if is_scheduled(case):
        specs.append(_spec(spec, dict(case["optimizer"], lr=peak_lr(case)), {"type": "constant"}))
        specs.append(_spec(spec, dict(case["optimizer"], lr=lr), {"type": "cosine", "T_max": steps}))
        names += ["S1", "S2"]
    if with_m:
        specs += [RunSpec(optimizer="sgd", optimizer_params={"lr": lr * f, "momentum": SGD_MOMENTUM_M},
                          start=spec.start) for f in FACTORS]
        names += ["M"] * len(FACTORS)
    # Test-set evaluations are not needed by the contracts: never (they would double a model's cost).
    sim = Simulation(loss, specs, seed=scenario.seed, eval_every=10**9, diagnostics=False)
    adaptive = case["optimizer"]["type"] in limits.ADAPTIVE
    quarter_start = steps - steps // 4
    first_update = quarter_start - 1  # the updates from w_{s-1} to w_B, s = B - B // 4
    updates = []
    prev = None
    # Mini-batch runs (only in the hand-labelled suite; the generator draws full batch): L(t) is the training
    # loss over the whole set at w_t, not the batch's, so the case is read at every step.
    minibatch = getattr(loss, "batch_size", None) is not None
    full_loss, full_grad = np.full(steps + 1, np.nan), np.full(steps + 1, np.nan)
    visit = set(range(steps + 1)) if minibatch else set(range(max(first_update, 0), steps + 1))
    for t in sorted(visit):
        if t > sim.step_count:
            sim.step(t - sim.step_count)
        now = sim.params[CASE].copy()
        if minibatch and np.all(np.isfinite(now)):
            with np.errstate(all="ignore"):
                value, grad = loss.value_and_grad(now[None, :])
            full_loss[t], full_grad[t] = float(value[0]), float(np.linalg.norm(grad[0]))
        if t >= first_update:
            if prev is not None:
                with np.errstate(all="ignore"):
                    updates.append(now - prev)
            prev = now
    if sim.step_count < steps:  # B = 0 or every visit before B: reach w_B
        sim.step(steps - sim.step_count)
    inv_end = _inverse_preconditioner(sim) if adaptive else None
    finals: dict[str, list] = {}
    lowest = np.inf
    for r, name in enumerate(names):
        values = sim.history.series("loss", r)[1]
        finite = values[np.isfinite(values)]
        if finite.size:
            lowest = min(lowest, float(finite.min()))
        end = float(sim.loss_now[r])
        finals.setdefault(name, []).append(np.inf if sim.diverged_at[r] >= 0 or not np.isfinite(end) else end)
    loss_series, grad_series = _full_series(sim, "loss", steps), _full_series(sim, "grad_norm", steps)
    if minibatch:
        ends = _whole_set_ends(sim, loss)
        for name in finals:
            finals[name] = [e for e, n in zip(ends, names) if n == name]
        loss_series, grad_series = full_loss, full_grad
        if sim.diverged_at[CASE] >= 0:
            loss_series[sim.diverged_at[CASE]:] = np.nan
        lowest = min(lowest, float(np.nanmin(np.where(np.isfinite(ends), ends, np.nan))))
    return Runs(steps, loss_series, grad_series, _full_series(sim, "lr", steps)[:steps],
                int(sim.diverged_at[CASE]), np.array(updates), {k: np.array(v) for k, v in finals.items()},
                lowest, sim.params[CASE].copy(), lr, inv_precond_end=inv_end), loss


def _whole_set_ends(sim, loss) -> np.ndarray:
    """Each run's training loss over the whole set at its last point; +inf where it diverged."""
    with np.errstate(all="ignore"):
        ends = np.asarray(loss.value(sim.params), dtype=float)
    ends[(sim.diverged_at >= 0) | ~np.isfinite(ends)] = np.inf
    return ends


def _inverse_preconditioner(sim) -> np.ndarray:
    """P^-1 = effective_lr / lr per parameter of the case's adaptive optimizer, from its state now (step B).
    effective_lr is linear in the LR, so it is read at lr = 1 through the simulation's public frame: the same
    ratio as effective_lr(run) / lr_now, and defined also where the schedule has brought the LR to 0 at B
    (cosine to 0, linear or polynomial decay). NaN where the case's optimizer has no preconditioner."""
    for view in sim.frame().optimizers:
        hits = np.flatnonzero(np.asarray(view.runs) == CASE)
        if hits.size:
            with np.errstate(all="ignore"):
                eff = view.effective_lr(np.ones(len(view.runs)))
            if eff is not None:
                return np.asarray(eff, dtype=float)[int(hits[0])].copy()
    return np.full(sim.params.shape[1], np.nan)


def try_lrs(case: dict, lrs: list[float]) -> tuple[np.ndarray, float]:
    """(final loss per LR, +inf where it diverged; lowest finite loss at any step) of the case at other LRs
    (every LR of the case scaled, as the grid does), by the oracle's own eigenbasis SGD where it applies, else
    one batched lrtui Simulation."""
    if not lrs:
        return np.array([]), math.inf
    factors = np.asarray(lrs, dtype=float) / case_lr(case)
    if own_path_case(case):
        lam, z0 = quadratic.eigen_start(case["loss"])
        opt = case["optimizer"]
        runs = quadratic.run(lam, z0, int(case["steps"]), float(opt.get("lr", 1e-3)),
                             case.get("schedule") or {"type": "constant"}, float(opt.get("momentum", 0.0)),
                             bool(opt.get("nesterov", False)), factors=factors)
        finite = runs.loss[np.isfinite(runs.loss)]
        return _finals_from(runs.loss, runs.diverged_at), float(finite.min()) if finite.size else math.inf
    from lrtui.core.simulation import Simulation

    scenario, loss, spec = lrtui_parts(case)
    sim = Simulation(loss, [_spec(spec, *scaled_case(case, f)) for f in factors], seed=scenario.seed,
                     eval_every=10**9, diagnostics=False)
    sim.step(int(case["steps"]))
    if getattr(loss, "batch_size", None) is not None:
        ends = _whole_set_ends(sim, loss)
        return ends, float(np.min(ends))
    finals, lowest = [], math.inf
    for r in range(len(factors)):
        values = sim.history.series("loss", r)[1]
        finite = values[np.isfinite(values)]
        if finite.size:
            lowest = min(lowest, float(finite.min()))
        end = float(sim.loss_now[r])
        finals.append(math.inf if sim.diverged_at[r] >= 0 or not math.isfinite(end) else end)
    return np.array(finals), lowest


def own_path_case(case: dict) -> bool:
    """Quadratic + SGD without weight decay, dampening or maximize: the oracle's own eigenbasis computation."""
    opt = case["optimizer"]
    return (case["loss"]["type"] == "quadratic" and opt["type"] == "sgd" and "eigenvalues" in case["loss"]
            and not opt.get("weight_decay") and not opt.get("dampening") and not opt.get("maximize"))


def _full_series(sim, field_name: str, steps: int) -> np.ndarray:
    """The case's field at t = 0..B, NaN past its divergence."""
    t, values = sim.history.series(field_name, CASE)
    out = np.full(steps + 1, np.nan)
    out[t[t <= steps]] = values[t <= steps]
    if sim.diverged_at[CASE] >= 0:
        out[sim.diverged_at[CASE]:] = np.nan
    return out


def lrtui_check(case: dict, runs: Runs) -> dict:
    """Run the case once in lrtui (no diagnostics) and compare with the own computation: LR and loss."""
    from lrtui.core.simulation import Simulation

    scenario, loss, spec = lrtui_parts(case)
    sim = Simulation(loss, [spec], seed=scenario.seed, eval_every=10**9, diagnostics=False)
    sim.step(runs.steps)
    t, lr = sim.history.series("lr", 0)
    _, values = sim.history.series("loss", 0)
    n = min(len(t), runs.steps)
    peak = max(float(np.nanmax(np.abs(runs.lr))), 1e-300)
    lr_dev = float(np.max(np.abs(lr[:n] - runs.lr[:n]))) / peak if n else 0.0
    mine = runs.loss[: len(values)]
    # Compared while the run stays within 1e3 x its start: past that, rounding in the rotated matrix seeds
    # directions that are exactly zero in the eigenbasis, and both are far into "diverged" anyway.
    ok = np.isfinite(mine) & np.isfinite(values) & (mine <= 1e3 * runs.loss[0])
    scale = np.maximum(np.abs(mine[ok]), 1e-9 * runs.loss[0])
    loss_dev = float(np.max(np.abs(values[ok] - mine[ok]) / scale)) if ok.any() else 0.0
    end = math.inf if sim.diverged_at[0] >= 0 else float(sim.loss_now[0])
    return {"lr_dev": lr_dev, "loss_dev": loss_dev, "lrtui_diverged_at": int(sim.diverged_at[0]),
            "lrtui_final": end}


def same_outcome(runs: Runs, checks: dict) -> bool:
    """Whether lrtui's float64 run ends where exact arithmetic does: final gaps within 1e-3 relative (or 1e-9
    of the initial gap), or both far past the start (G > 4 or non-finite). A run that passes through huge
    values can come back in exact arithmetic while rounding, amplified on the way, keeps lrtui's run up there."""
    d0 = float(runs.loss[0])
    mine = math.inf if runs.diverged_at >= 0 else float(runs.loss[runs.steps]) / d0
    theirs = checks["lrtui_final"] / d0
    if not math.isfinite(mine) or not math.isfinite(theirs):
        return (not math.isfinite(mine) or mine > 4) and (not math.isfinite(theirs) or theirs > 4)
    return abs(mine - theirs) <= max(1e-9, 1e-3 * abs(mine)) or (mine > 4 and theirs > 4)
