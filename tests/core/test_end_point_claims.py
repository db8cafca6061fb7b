"""Claims judged where the unchanged run ends, as the contracts judge them (w_B), not where they were first seen:

- a saddle plateau needs negative curvature at the run's final point (an MLP's smallest eigenvalue can drift
  across the -1e-6 x lambda_max line while the run creeps along a flat stretch);
- too slow's tries past the grid are at 0.5 and 0.9 of the cap at the run's final point (of P^-1 H for an
  adaptive optimizer), not of the limit where the run was when the claim was seen.
"""

import copy
import math

import numpy as np
import pytest

from lrtui.core.diagnostics.trials import Check, _apply_end_cap, _past_grid, curves_down
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.run_spec import RunSpec
from lrtui.core.simulation import Simulation
from lrtui.scenario.loader import scenario_from_data


def _diagnosed(data: dict):
    data = {"name": "t", "seed": 0, **copy.deepcopy(data)}
    scenario = scenario_from_data(data, "t")
    exp = scenario.build()
    exp.step(scenario.steps)
    return exp


def _alarms(exp) -> list[str]:
    return [d.code for d in exp.diagnoses(0) if d.severity in ("warning", "error")]


def test_curvature_is_read_where_the_look_ahead_ends():
    # (x^2 - 1)^2 + y^2: a saddle at the origin (eigenvalues -4 and 2), minima at x = +-1 (8 and 2).
    formula = {"type": "expression", "expr": "(x**2 - 1)**2 + y**2", "vars": ["x", "y"], "start": [0.0, 0.5]}
    exp = _diagnosed({"steps": 5, "loss": formula, "optimizer": {"type": "sgd", "lr": 0.01}})
    sim = exp.simulations[0]
    at = lambda point: Check(0, "stays_stuck", [], False, 1, 0.0, 1.0, end_params=np.array(point))  # noqa: E731
    assert curves_down(at([0.0, 0.0]), sim, 0, seen=False)  # a saddle at the end, whatever was seen before
    assert not curves_down(at([1.0, 0.0]), sim, 0, seen=True)  # a minimum at the end: no saddle there
    assert curves_down(at([math.nan, 0.0]), sim, 0, seen=True)  # no finite end point: what was seen stands
    assert not curves_down(at([math.nan, 0.0]), sim, 0, seen=False)
    # Without a look-ahead (a claim checked in the budget's last steps), where the run is now: still on the
    # saddle's ridge x = 0, where the double well curves down along x (12 x^2 - 4 < 0).
    assert sim.params[0][0] == 0.0 and curves_down(None, sim, 0, seen=False)


def test_an_mlp_whose_smallest_eigenvalue_crosses_the_line_before_the_end_is_no_saddle_plateau():
    # Seed 7766 of cases_fresh5 (labelled improving): the AdamW run creeps along a flat stretch of an XOR MLP;
    # lambda_min / lambda_max is -1.03e-6 at step 190 (under the -1e-6 line: "curves down") and 0 at step 250.
    exp = _diagnosed({"steps": 250, "loss": {"type": "mlp", "dataset": "xor", "seed": 870, "n_samples": 374,
                                             "data_seed": 2, "hidden": [4], "activation": "sigmoid",
                                             "l2": 0.00353},
                      "optimizer": {"type": "adamw", "weight_decay": 0.0018, "lr": 0.0349333}})
    assert "plateau" not in _alarms(exp)
    assert exp.verdict(0) == "improving"


def test_a_saddle_plateau_that_stays_at_the_saddle_is_still_found():
    # A double well started 1e-9 from its saddle (eigenvalue -4): stuck there with negative curvature at the end.
    formula = {"type": "expression", "expr": "(x**2 - 1)**2 + y**2", "vars": ["x", "y"], "start": [1e-9, 0.5],
               "min_value": 0.0}
    exp = _diagnosed({"steps": 200, "loss": formula, "optimizer": {"type": "sgd", "lr": 0.01}})
    assert exp.verdict(0) == "plateau"


def _capped(lr: float, adaptive: bool) -> Check:
    fixes = [{"optimizer.lr": lr * 10 ** (k / 4)} for k in range(1, 13)]
    check = Check(0, "too_slow", fixes, True, 40, 0.0, 1.0, end_cap=2.0, cap_scale=1.0, adaptive=adaptive,
                  grid_top=lr * 1e3, past_grid=True, end_params=np.array([0.5, 0.5]))
    check.baseline = 0.5
    check.outcomes = [(fix, 0.4) for fix in fixes]  # nothing of the grid ends much lower
    return check


def test_too_slow_tries_past_the_grid_at_the_cap_where_the_run_ends():
    q = Quadratic(eigenvalues=[1.0, 0.01], start=[1.0, 1.0])
    sim = Simulation(q, [RunSpec(optimizer="sgd", optimizer_params={"lr": 1e-5})], budget=40, diagnostics=False)
    check = _capped(1e-5, adaptive=False)
    _apply_end_cap(sim, check)
    assert check.cap_lr == pytest.approx(0.9 * 2.0 / 1.0)  # the top eigenvalue at the end point is 1
    assert len(check.fixes) == 12  # the whole grid is under the cap
    _past_grid(sim, [check])
    tried = [fix["optimizer.lr"] for fix in check.fixes[12:]]
    assert tried == pytest.approx([0.5 * 1.8, 0.9 * 1.8])
    assert len(check.outcomes) == 14 and all(math.isfinite(loss) for _, loss in check.outcomes[12:])
    assert check.best()[0] is not None  # 0.9 and 1.62 from the start end far lower than 0.5 on this quadratic


def test_nothing_is_tried_past_the_grid_where_the_cap_is_inside_it_or_a_grid_lr_helped():
    q = Quadratic(eigenvalues=[1.0, 0.01], start=[1.0, 1.0])
    sim = Simulation(q, [RunSpec(optimizer="sgd", optimizer_params={"lr": 1e-2})], budget=40, diagnostics=False)
    inside = _capped(1e-2, adaptive=False)  # the grid's top is 10, the cap 1.8
    _apply_end_cap(sim, inside)
    _past_grid(sim, [inside])
    assert all(fix["optimizer.lr"] <= 1.8 for fix in inside.fixes)
    low = Quadratic(eigenvalues=[1.0, 0.01], start=[1.0, 1.0])
    sim = Simulation(low, [RunSpec(optimizer="sgd", optimizer_params={"lr": 1e-5})], budget=40, diagnostics=False)
    helped = _capped(1e-5, adaptive=False)
    helped.outcomes[-1] = (helped.outcomes[-1][0], 1e-6)
    _apply_end_cap(sim, helped)
    _past_grid(sim, [helped])
    assert len(helped.fixes) == 12


def test_an_adaptive_optimizer_s_cap_is_of_its_preconditioned_hessian_where_the_run_ends():
    q = Quadratic(eigenvalues=[1.0, 0.01], start=[1.0, 1.0])
    sim = Simulation(q, [RunSpec(optimizer="adam", optimizer_params={"lr": 1e-3})], budget=40, diagnostics=False)
    check = _capped(1e-3, adaptive=True)
    check.end_precond = np.array([4.0, 0.5])  # P^-1 H = diag(1/4, 0.01/0.5): top 0.25
    _apply_end_cap(sim, check)
    assert check.cap_lr == pytest.approx(0.9 * 2.0 / 0.25)
    assert len(check.fixes) == 12  # version 2c: the grid itself is not capped for adaptive optimizers
    check.end_precond = None  # no state to read P from: no cap, so nothing past the grid
    check.cap_lr = math.inf
    _apply_end_cap(sim, check)
    assert check.cap_lr == math.inf


def test_a_momentum_mlp_is_not_too_slow_by_an_lr_past_the_grid_the_contract_does_not_try():
    # Seed 8209 of cases_fresh5 (labelled improving): the cap where the run ends is 1677 x its LR. The contract
    # tries 0.5 and 0.9 of that cap (gaps 0.055 and 0.080 against 0.116: not much lower); the old check tried 0.9
    # of the limit where the run was at step 155 (x1430), which ended 40x lower.
    exp = _diagnosed({"steps": 173, "loss": {"type": "mlp", "dataset": "gaussians", "seed": 919, "n_samples": 387,
                                             "data_seed": 61, "hidden": [32], "activation": "tanh"},
                      "optimizer": {"type": "sgd", "momentum": 0.962, "lr": 0.00226232}})
    assert "too_slow" not in _alarms(exp)


def _wells(tilts: list[float], start: list[float]) -> dict:
    names = [f"w{i}" for i in range(len(tilts))]
    expr = " + ".join(f"({v}**2 - 1)**2 {'-' if t < 0 else '+'} {abs(t)}*{v}" for v, t in zip(names, tilts))
    return {"type": "expression", "expr": expr, "vars": names, "start": start}


def test_lower_ground_without_a_floor_is_looked_for_from_the_start():
    """On a loss with no floor, "converged" and "local minimum" turn on whether some grid LR or M (SGD with
    momentum 0.9 at a grid LR) ends much lower, from the start over the budget (the contracts' clause 3)."""
    from lrtui.core.diagnostics.fixes import fixes_for

    exp = _diagnosed({"steps": 50, "loss": _wells([-0.08178, 0.02027], [-0.2, -0.5]),
                      "optimizer": {"type": "adam", "lr": 0.01}, "schedule": {"type": "cosine", "T_max": 50}})
    sim = exp.simulations[0]
    e = sim.monitor.evidence_now.at(0)
    fixes = fixes_for("converged", e, sim.specs[0], np.empty(0), start_lr=0.01)
    grid = [0.01 * 10 ** (k / 4) for k in range(-12, 13)]
    assert [f["optimizer.lr"] for f in fixes[:24]] == pytest.approx([x for x in grid if x != 0.01], rel=1e-12)
    assert all(set(f) == {"optimizer.lr"} for f in fixes[:24])  # the grid keeps the schedule
    momentum = fixes[24:]
    assert [f["optimizer.lr"] for f in momentum] == pytest.approx(grid, rel=1e-12)
    assert all(f["optimizer.type"] == "sgd" and f["optimizer.momentum"] == 0.9 and f["schedule.type"] == "constant"
               for f in momentum)


def test_a_larger_lr_switched_on_at_the_bottom_of_a_well_is_not_lower_ground():
    # Seed 240 of cases.jsonl (labelled improving: no LR of the grid, nor M, ends lower from the start). Adagrad
    # settles in a well by step 35; lr x10 switched on there reaches a deeper well (-0.344 against 0.32), which
    # the old check took for a local minimum.
    exp = _diagnosed({"steps": 497, "loss": _wells([-0.08178, 0.02027, -0.4348],
                                                    [-0.02043296336454831, -0.5165883173662502, -0.8340018027945839]),
                      "optimizer": {"type": "adagrad", "lr": 0.189588}})
    assert "local_minimum" not in _alarms(exp)
    assert exp.verdict(0) == "converged"


def test_a_local_minimum_without_a_floor_is_found_from_the_start():
    # Seed 7434 of cases_fresh5 (labelled local_minimum): plain SGD settles in a well from which the changes tried
    # from there found nothing lower; the grid from the start does (the old verdict was "converged").
    exp = _diagnosed({"steps": 827, "loss": _wells([-0.1657, 0.07908, 0.06767, -0.4823, -0.2852],
                                                    [-0.5664091251498289, 0.01977838556311745, -1.5559499096248528,
                                                     -1.4076971914881522, 0.743065080302098]),
                      "optimizer": {"type": "sgd", "lr": 0.0273989}})
    assert exp.verdict(0) == "local_minimum"
