"""The generated diagnostics benchmark (benchmarks/diagcases): the stored file's integrity, its reproducibility,
and the oracle's own pieces (torch schedules, eigenbasis SGD) against lrtui's simulation."""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from benchmarks.diagcases import floors, limits, quadratic, schedules
from benchmarks.diagcases.build import CASES, SKIPPED, split_of
from benchmarks.diagcases.generate import generate
from benchmarks.diagcases.oracle import LABELS, _much_lower, compact, decide, final_label, label
from benchmarks.diagcases.simulate import CASE, FACTORS, Runs

CLASSES = [lab for lab in LABELS if lab != "ambiguous"]
CLAUSE_OF = {"diverged": "1", "converged": "2", "local_minimum": "3", "plateau": ("4", "8"),
             "schedule_too_aggressive": "5", "oscillating": "6", "too_slow": "7", "improving": "9",
             "ambiguous": ("9", "fragile")}


@pytest.fixture(scope="module")
def stored() -> list[dict]:
    return [json.loads(line) for line in Path(CASES).read_text().splitlines() if line.strip()]


def test_the_file_holds_at_least_2000_cases_one_per_seed(stored):
    seeds = [item["seed"] for item in stored]
    assert len(stored) >= 2000
    assert len(set(seeds)) == len(seeds) and seeds == sorted(seeds)
    skipped = {json.loads(line)["seed"] for line in Path(SKIPPED).read_text().splitlines() if line.strip()} \
        if Path(SKIPPED).exists() else set()
    assert set(seeds) | skipped == set(range(max(seeds) + 1)), "every seed is either labelled or skipped"
    assert Path(CASES).stat().st_size < 8 * 2**20


def test_halves_split_by_seed_parity_and_labels_are_allowed(stored):
    for item in stored:
        assert item["split"] == split_of(item["seed"]) == ("tune" if item["seed"] % 2 == 0 else "held_out")
        assert item["label"] in LABELS
        assert item["clause"].startswith(CLAUSE_OF[item["label"]])
        assert item["case"]["name"] == f"diagcase {item['seed']}"


def test_every_class_is_well_represented_in_each_half(stored):
    for split in ("tune", "held_out"):
        counts = Counter(item["label"] for item in stored if item["split"] == split)
        for lab in CLASSES:
            assert counts[lab] >= 40, (split, lab, counts)


def test_regenerating_stored_seeds_gives_the_same_case_and_label(stored):
    rng = np.random.default_rng(int(os.environ.get("LRTUI_DIAGCASES_SEED", "0")))
    cheap = [item for item in stored if item["seconds"] < 1.0]
    for item in rng.choice(cheap, 5, replace=False):
        again = generate(item["seed"])
        assert again["case"] == item["case"]
        out = compact(final_label(copy.deepcopy(again["case"])))
        assert (out["label"], out["clause"], out["G"]) == (item["label"], item["clause"], item["G"]), item["seed"]


def test_adaptive_model_seeds_regenerate_the_stored_case(stored):
    """Their reference LR comes from a preconditioned Lanczos at the start (generate.py), whose difference step
    the oracle's cap no longer uses (DECISION 16): the generator keeps the old one, so no case moves."""
    rng = np.random.default_rng(int(os.environ.get("LRTUI_DIAGCASES_SEED", "0")))
    adaptive = [item for item in stored if item["family"] == "model" and item["optimizer"] in limits.ADAPTIVE]
    moved = [item for item in adaptive if item["seed"] in (183, 444, 493)]  # drew other LRs with the new step
    for item in moved + list(rng.choice(adaptive, 4, replace=False)):
        assert generate(item["seed"])["case"] == item["case"], item["seed"]


SCHEDULE_CASES = [
    {"type": "constant"},
    {"type": "constant_factor", "factor": 0.2, "total_iters": 7},
    {"type": "step", "step_size": 9, "gamma": 0.3},
    {"type": "multistep", "milestones": [5, 17, 40], "gamma": 0.2},
    {"type": "exponential", "gamma": 0.97},
    {"type": "cosine", "T_max": 23, "eta_min": 0.001},
    {"type": "cosine_warm_restarts", "T_0": 7, "T_mult": 2},
    {"type": "linear", "start_factor": 0.05, "end_factor": 1.0, "total_iters": 30},
    {"type": "polynomial", "total_iters": 50, "power": 2.0},
    {"type": "onecycle", "max_lr": 0.4, "total_steps": 90, "pct_start": 0.25, "three_phase": True,
     "anneal_strategy": "linear"},
    {"type": "onecycle", "max_lr": 0.4, "total_steps": 80},
    {"type": "cyclic", "base_lr": 0.01, "max_lr": 0.3, "step_size_up": 6, "step_size_down": 11, "mode": "triangular2"},
    {"type": "cyclic", "base_lr": 0.01, "max_lr": 0.3, "step_size_up": 8, "mode": "exp_range", "gamma": 0.99},
    {"type": "sequential", "milestones": [12], "schedulers": [{"type": "linear", "start_factor": 0.1, "total_iters": 12},
                                                             {"type": "exponential", "gamma": 0.9}]},
]


@pytest.mark.parametrize("table", SCHEDULE_CASES, ids=lambda t: t["type"])
def test_own_schedules_match_lrtui(table):
    from lrtui.core.schedules import build_schedule

    steps = 80
    mine, momentum = schedules.curve(table, 0.25, steps)
    theirs = build_schedule(table["type"], **{k: v for k, v in table.items() if k != "type"})
    expected = np.asarray(theirs.planned(steps - 1, np.array([0.25])))[:steps, 0]
    np.testing.assert_allclose(mine[:, 0], expected, rtol=1e-12, atol=1e-15)
    if momentum is not None:
        cycled = np.array([np.asarray(theirs.momentum_at(t, np.array([0.25]))).ravel()[0] for t in range(steps)])
        np.testing.assert_allclose(momentum, cycled, rtol=1e-12)


@pytest.mark.parametrize("opt", [{"type": "sgd", "lr": 0.05}, {"type": "sgd", "lr": 0.03, "momentum": 0.8},
                                 {"type": "sgd", "lr": 0.02, "momentum": 0.9, "nesterov": True}])
@pytest.mark.parametrize("sched", [{"type": "constant"}, {"type": "cyclic", "base_lr": 0.001, "max_lr": 0.04,
                                                          "step_size_up": 10},
                                   {"type": "plateau", "patience": 2, "factor": 0.5, "threshold": 0.05}],
                         ids=lambda s: s["type"])
def test_eigenbasis_sgd_matches_lrtui_on_a_rotated_quadratic(opt, sched):
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    lam = [0.3, 2.0, 7.5, 31.0, 0.05]
    table = {"type": "quadratic", "eigenvalues": lam, "rotation_seed": 11, "start": [1.0, -0.5, 0.25, 2.0, -1.0]}
    lam_arr, z0 = quadratic.eigen_start(table)
    base = sched.get("max_lr", opt["lr"])
    mine = quadratic.run(lam_arr, z0, 150, opt["lr"], sched, opt.get("momentum", 0.0), opt.get("nesterov", False))
    loss = build_loss("quadratic", **{k: v for k, v in table.items() if k != "type"})
    spec = RunSpec(optimizer="sgd", optimizer_params={k: v for k, v in opt.items() if k != "type"},
                   schedule=sched["type"], schedule_params={k: v for k, v in sched.items() if k != "type"})
    sim = Simulation(loss, [spec], diagnostics=False)
    sim.step(150)
    np.testing.assert_allclose(sim.history.series("loss", 0)[1], mine.loss[:, 0], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(sim.history.series("lr", 0)[1][:150], mine.lr[:, 0], rtol=1e-12)
    assert base > 0


def _runs(loss, grad_norm=None, finals=None, updates=None, lr=None, anchor=0.1):
    loss = np.asarray(loss, dtype=float)
    steps = loss.size - 1
    grid = np.full(25, loss[-1]) if finals is None else np.asarray(finals, dtype=float)
    return Runs(steps, loss, np.ones(steps + 1) if grad_norm is None else np.asarray(grad_norm, dtype=float),
                np.full(steps, anchor) if lr is None else np.asarray(lr, dtype=float), -1,
                np.ones((3, 2)) if updates is None else np.asarray(updates, dtype=float),
                {"grid": grid}, float(np.nanmin(loss)), None, anchor)


def test_contract_clauses_on_hand_made_evidence():
    positive = lambda: (1.0, 2.0, "test")  # noqa: E731
    steps = 100
    falling = np.geomspace(1.0, 1e-9, steps + 1)
    assert decide(_runs(falling), 0.0, positive, False)["label"] == "converged"
    rising = np.linspace(1.0, 5.0, steps + 1)
    assert decide(_runs(rising), 0.0, positive, False)["clause"] == "1:G>4"
    slow = np.linspace(1.0, 0.5, steps + 1)
    finals = np.full(25, 0.5)
    finals[20] = 0.01
    assert decide(_runs(slow, finals=finals), 0.0, positive, False)["label"] == "too_slow"
    bounce = np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    finals = np.full(25, 0.5)
    finals[5] = 0.01
    assert decide(_runs(slow, finals=finals, updates=bounce), 0.0, positive, False)["label"] == "oscillating"
    assert decide(_runs(slow, finals=finals), 0.0, positive, False)["label"] == "ambiguous"
    # A saddle: flat, the gradient 1e-4 of its peak, a negative eigenvalue: plateau, never converged.
    stuck = np.concatenate([np.linspace(1.0, 0.5, 20), np.full(steps - 19, 0.5)])
    grads = np.concatenate([np.ones(20), np.full(steps - 19, 1e-4)])
    saddle = lambda: (-4.0, 2.0, "test")  # noqa: E731
    assert decide(_runs(stuck, grad_norm=grads), 0.0, saddle, False)["clause"] == "4:saddle"
    assert decide(_runs(stuck, grad_norm=grads), 0.0, positive, False)["label"] == "local_minimum"
    # v2d: stationary against a huge first gradient, but not small for the gap and curvature left: no minimum
    # (RMSProp at lr 0.5 on Rosenbrock, walkthrough 21b V2)
    spiked = np.concatenate([np.full(20, 1000.0), np.full(steps - 19, 0.5)])
    out = decide(_runs(stuck, grad_norm=spiked), 0.0, positive, False)
    assert out["stationary"] and not out["small_gradient"] and out["label"] != "local_minimum"
    # A schedule that killed the LR early, where holding the LR ends much lower.
    killed = _runs(slow, lr=np.concatenate([np.full(10, 0.1), np.full(steps - 10, 1e-5)]))
    killed.finals["S1"] = np.array([1e-3])
    assert decide(killed, 0.0, positive, True)["label"] == "schedule_too_aggressive"


def test_the_oracle_never_imports_the_rules_it_grades():
    import ast

    folder = Path(__file__).resolve().parents[1] / "benchmarks" / "diagcases"
    for path in folder.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        forbidden = {m for m in imported if m.startswith(("lrtui.core.diagnostics", "lrtui.core.sharpness",
                                                          "lrtui.core.theory"))}
        assert not forbidden, (path.name, forbidden)
        if path.name == "score.py":  # the scorer runs lrtui only as a user does, through the scenario loader
            assert {m for m in imported if m.startswith("lrtui")} == {"lrtui.scenario.loader",
                                                                       "lrtui.scenario.loader.scenario_from_data"}


# ---- version 2 of the contracts --------------------------------------------------------------------------


def test_much_lower_is_a_tenth_of_the_gap_or_half_the_starting_gap_closer():
    assert _much_lower([0.09], 0.9) and _much_lower([0.39], 0.9)  # a tenth; or 0.51 of D0 closer
    assert not _much_lower([0.41], 0.9)  # 0.49 closer and not a tenth
    assert _much_lower([0.001], 0.02) and not _much_lower([0.003], 0.02)  # small gaps: only a tenth counts
    assert not _much_lower([0.0], 0.0) and not _much_lower([np.inf, np.nan], 3.0)
    assert not _much_lower([1.2], 0.9)  # higher is never lower, however far


def _stuck_runs(excess: float, grad: float, steps: int = 100):
    """A run flat at loss `excess` above a zero floor from step 20 on, ending with gradient norm `grad`."""
    loss = np.concatenate([np.linspace(1.0, excess, 20), np.full(steps - 19, excess)])
    grads = np.concatenate([np.ones(20), np.full(steps - 19, grad)])
    return _runs(loss, grad_norm=grads)


def test_small_gradient_is_measured_against_the_curvature_and_the_gap_left():
    # |g|^2 <= 1e-4 * 2 * Lambda * (L(B) - f*): with Lambda = 4 and a gap of 0.5, |g| <= 0.02.
    saddle = lambda: (-4.0, 2.0, "test")  # noqa: E731
    below = decide(_stuck_runs(0.5, 0.0199), 0.0, saddle, False)
    above = decide(_stuck_runs(0.5, 0.0201), 0.0, saddle, False)
    assert below["small_gradient"] and below["clause"] == "4:saddle"
    assert not above["small_gradient"] and above["label"] != "plateau"
    assert below["small_gradient_ratio"] == pytest.approx(0.0199**2 / (2 * 4.0 * 0.5))
    # The largest |eigenvalue| counts, negative or not: Lambda = 4 here too.
    flat_top = lambda: (-4.0, 1e-3, "test")  # noqa: E731
    assert decide(_stuck_runs(0.5, 0.0199), 0.0, flat_top, False)["small_gradient"]
    # No gap left (at or under the floor): never a small gradient, whatever the gradient.
    at_floor = decide(_runs(np.linspace(1.0, 0.0, 101), grad_norm=np.zeros(101)), 0.0, saddle, False)
    assert not at_floor["small_gradient"]
    # A plain gradient 1% of its peak is no longer "small" on its own (v1 said it was).
    assert not decide(_stuck_runs(0.5, 0.05), 0.0, saddle, False)["small_gradient"]
    # DECISION 19: a gradient of exactly 0 is small even where the curvature could not be measured (NaN), as on
    # a flat exponential tail far out; the flat run far above its known floor is then a plateau (clause 8).
    unmeasured = lambda: (np.nan, np.nan, "fd-full-nonfinite")  # noqa: E731
    zero = decide(_stuck_runs(0.5, 0.0), 0.0, unmeasured, False)
    assert zero["small_gradient"] and zero["small_gradient_ratio"] == 0.0 and zero["clause"] == "8:flat"
    assert not decide(_stuck_runs(0.5, 1e-300), 0.0, unmeasured, False)["small_gradient"]


def test_too_slow_counts_only_larger_lrs_under_the_run_own_stable_cap():
    slow = np.linspace(1.0, 0.5, 101)
    finals = np.full(25, 0.5)
    finals[CASE + 4] = 0.01  # lr x 10: much lower
    runs = _runs(slow, finals=finals)
    assert decide(runs, 0.0, lambda: (1.0, 2.0, "t"), False)["label"] == "too_slow"
    runs.cap = runs.lr_anchor * FACTORS[CASE + 4] * 0.99  # the cap just under lr x 10
    capped = decide(runs, 0.0, lambda: (1.0, 2.0, "t"), False)
    assert capped["label"] == "improving" and capped["larger_counted"] == 3 and capped["larger_uncapped_much_lower"]
    runs.finals["cap"] = np.array([0.3, 0.02])  # the runs at 0.5 and 0.9 x the cap: one much lower
    assert decide(runs, 0.0, lambda: (1.0, 2.0, "t"), False)["label"] == "too_slow"


def test_a_model_floor_of_zero_is_not_a_known_floor():
    """Cross-entropy's 0 is a bound, not a minimum the model reaches: a stationary, flat model run with nothing
    much lower is not a local minimum (it would be with a known floor)."""
    stuck = _stuck_runs(0.4, 1e-6)
    positive = lambda: (0.1, 2.0, "t")  # noqa: E731
    assert decide(stuck, 0.0, positive, False, floor_kind="known")["label"] == "local_minimum"
    as_model = decide(stuck, 0.0, positive, False, floor_kind="zero")
    assert as_model["label"] == "improving" and as_model["floor_known"] is False
    # ... and with an unknown floor, f* = min(0, the lowest loss seen): a run that went below 0 sets it.
    dipped = _runs(np.linspace(1.0, -1.0, 101))
    assert decide(dipped, None, positive, False)["f_star"] == -1.0
    assert decide(_runs(np.linspace(1.0, 0.5, 101)), None, positive, False)["f_star"] == 0.0


def test_floor_kinds_and_the_landscape_grid_floor():
    from lrtui.core.losses import build_loss

    def kind(table):
        loss = build_loss(table["type"], **{k: v for k, v in table.items() if k != "type"})
        return floors.floor_of({"loss": table}, loss)

    assert kind({"type": "quadratic", "eigenvalues": [1.0, 2.0]})[:2] == (0.0, "known")
    assert kind({"type": "six_hump_camel"})[:2] == (pytest.approx(-1.0316284534898774), "known")
    assert kind({"type": "expression", "expr": "x**2 + y**2 + 3", "vars": ["x", "y"], "min_value": 3.0})[:2] == \
        (3.0, "known")
    assert kind({"type": "mlp", "dataset": "xor", "hidden": [4]})[:2] == (0.0, "zero")
    assert kind({"type": "expression", "expr": "x**2 + y**2 + z**2", "vars": ["x", "y", "z"]})[:2] == (None, "seen")
    # Off-grid minimum at (0.5, -1) with value 2: the grid (spacing 6/256) sees it from slightly above.
    value, found, evidence = kind({"type": "expression", "expr": "(x - 0.5)**2 + 3*(y + 1)**2 + 2", "vars": ["x", "y"]})
    xs = np.linspace(-3, 3, 257)
    expected = 2 + np.min((xs - 0.5) ** 2) + 3 * np.min((xs + 1) ** 2)
    assert found == "grid" and value == pytest.approx(expected, rel=1e-14) and value > 2.0
    assert evidence["grid_window"] == [-3.0, 3.0, -3.0, 3.0]
    # The file's own window is the one spanned.
    value, _, evidence = kind({"type": "expression", "expr": "(x - 7)**2 + y**2", "vars": ["x", "y"],
                               "window": [6.0, 8.0, -1.0, 1.0]})
    assert value == 0.0 and evidence["grid_floor_at"] == [7.0, 0.0]


def test_limit_constants_follow_theory_section_1():
    def c(opt, schedule=None):
        case = {"optimizer": opt, "steps": 100}
        if schedule:
            case["schedule"] = schedule
        return limits.limit_constant(case)

    assert c({"type": "sgd"}) == 2.0
    assert c({"type": "sgd", "momentum": 0.9}) == pytest.approx(3.8)
    assert c({"type": "sgd", "momentum": 0.5, "dampening": 0.5}) == pytest.approx(6.0)
    assert c({"type": "sgd", "momentum": 0.9, "nesterov": True}) == pytest.approx(3.8 / 2.8)
    assert c({"type": "adam"}) == pytest.approx(38.0)
    assert c({"type": "nadam", "betas": [0.5, 0.99]}) == pytest.approx(6.0)
    assert c({"type": "rmsprop"}) == 2.0 and c({"type": "rmsprop", "momentum": 0.5}) == 3.0
    assert c({"type": "adagrad", "lr_decay": 0.01}) == 2.0
    with pytest.raises(ValueError):
        c({"type": "lbfgs"})
    # OneCycle cycles the momentum between 0.85 and 0.95: the smallest limit over the cycle holds.
    cycle = {"type": "onecycle", "max_lr": 0.1, "total_steps": 100}
    assert c({"type": "sgd", "momentum": 0.9}, cycle) == pytest.approx(2 + 2 * 0.85)
    assert c({"type": "sgd", "momentum": 0.9, "nesterov": True}, cycle) == pytest.approx(3.9 / 2.9)


def test_sharpness_at_the_end_and_the_cap():
    hess = np.array([[30.0, 4.0], [4.0, 2.0]])
    grad = lambda p: np.atleast_2d(p) @ hess  # noqa: E731
    top = float(np.linalg.eigvalsh(hess)[-1])
    assert limits.s_end_of(grad, np.array([1.0, 1.0]), None) == pytest.approx(top, rel=1e-7)
    inv = np.array([0.1, 2.0])  # P^-1: the top eigenvalue of P^-1 H
    expected = float(np.max(np.linalg.eigvals(np.diag(inv) @ hess).real))
    assert limits.s_end_of(grad, np.zeros(2), inv) == pytest.approx(expected, rel=1e-7)
    # A diverged end point, or no preconditioner to read: no sharpness, and the cap is +inf.
    assert np.isnan(limits.s_end_of(grad, np.array([np.nan, 1.0]), None))
    assert np.isnan(limits.s_end_of(grad, np.zeros(2), np.array([np.nan, 1.0])))
    assert limits.cap_of(2.0, np.nan) == np.inf
    assert limits.cap_of(2.0, 40.0) == pytest.approx(0.045) and limits.cap_of(2.0, 0.0) == np.inf
    case = {"optimizer": {"type": "sgd", "lr": 1e-4}, "steps": 100}
    assert limits.extra_lrs(case, 1.0, 0.1) == [0.5, 0.9] and limits.extra_lrs(case, 0.05, 0.1) == []
    assert limits.extra_lrs(dict(case, schedule={"type": "onecycle", "max_lr": 1e-4}), 1.0, 0.1) == []


def test_preconditioned_lanczos_steps_along_unit_directions():
    """70 parameters (Lanczos): 65 on a quadratic (top 50), 5 ReLU-dead ones (gradient 1e3 * max(w, 0) at
    w = -1e-3, zero curvature there) with P^-1 = 1e8 (1/eps: no gradient, ever). The top of P^-1 H is 50; a
    difference step of h * P^-1/2 v would cross the kink and report ~1e10."""
    from benchmarks.diagcases import curvature

    lam = np.linspace(1.0, 50.0, 65)

    def grad(p):
        p = np.atleast_2d(p)
        return np.concatenate([p[:, :65] * lam, 1e3 * np.maximum(p[:, 65:], 0.0)], axis=1)

    w = np.concatenate([np.full(65, 0.1), np.full(5, -1e-3)])
    inv = np.concatenate([np.ones(65), np.full(5, 1e8)])
    assert curvature.preconditioned_top(grad, w, 1.0 / inv) == pytest.approx(50.0, rel=1e-6)


QUAD_1_50 = {"type": "quadratic", "eigenvalues": [1.0, 50.0], "start": [1.0, 1.0]}


def test_the_cap_on_a_quadratic_end_to_end():
    """GD at 0.5 of the limit 2/50 may try 1.78x (under 0.9x the limit): too_slow. At 0.55 of it the next grid
    LR (0.98 of the limit, stable, and 10x lower at the end) is past the cap, so nothing larger counts and the
    run is improving. A tiny LR gets the cap's own two
    LRs, which the grid (up to 1000x) does not reach."""
    def case(lr, steps=200):
        return {"name": "t", "steps": steps, "seed": 0, "loss": QUAD_1_50, "optimizer": {"type": "sgd", "lr": lr}}

    half = label(case(0.5 * 0.04))
    assert half["label"] == "too_slow" and half["cap"] == pytest.approx(0.9 * 0.04) and half["larger_counted"] == 1
    more = label(case(0.55 * 0.04))
    assert more["label"] == "improving" and more["larger_counted"] == 0 and more["larger_uncapped_much_lower"]
    tiny = label(case(0.04 * 1e-5, 100))
    assert list(tiny["extra_lrs"]) == pytest.approx([0.5 * 0.036, 0.9 * 0.036])
    assert tiny["label"] == "too_slow" and np.all(np.isfinite(tiny["cap_gaps"]))


def test_the_cap_uses_the_sharpness_at_the_final_point():
    """v2b clause 4'. Adagrad at lr 0.1 on a quadratic [1, 10] whose stiff coordinate starts 1e-4 from its
    minimum: after one update the preconditioned sharpness is 10 / |g0| = 1e4 (the cap from it, as version 2
    took, would be 1.8e-4 = 0.0018 x lr). The first step (lr * sign g) overshoots to -0.1, the accumulator
    takes g^2 = 1, and from then on lr * 10 * P^-1 = 1: the sharpness at w_B is 10, the cap 0.18 = 1.8 x lr.
    So lr x 1.78 counts, and it ends 10x lower: too_slow. The end's P^-1 is lrtui's effective_lr / lr at B."""
    from lrtui.core.simulation import Simulation

    from benchmarks.diagcases.simulate import lrtui_parts

    case = {"name": "t", "steps": 300, "seed": 0, "optimizer": {"type": "adagrad", "lr": 0.1},
            "loss": {"type": "quadratic", "eigenvalues": [1.0, 10.0], "start": [3.0, 1e-4]}}
    scenario, loss, spec = lrtui_parts(case)
    sim = Simulation(loss, [spec], seed=0, eval_every=10**9, diagnostics=False)
    sim.step(1)
    early = float(np.max(sim.effective_lr(0) / sim.lr_now[0] * np.array([1.0, 10.0])))
    sim.step(299)
    end = float(np.max(sim.effective_lr(0) / sim.lr_now[0] * np.array([1.0, 10.0])))
    out = label(case)
    assert early == pytest.approx(1e4, rel=1e-3) and out["s_end"] == pytest.approx(end, rel=1e-6)
    assert out["s_end"] == pytest.approx(10.0, rel=5e-3) and out["s_end_at"] == 300
    assert out["limit_c"] == 2.0 and out["cap"] == pytest.approx(0.9 * 2.0 / out["s_end"])
    assert out["label"] == "too_slow" and out["larger_counted"] == 1
    assert 0.9 * 2.0 / early < 1.7 * 0.1  # version 2's cap would have let no larger LR count


def test_the_end_preconditioner_is_read_where_the_schedule_ends_at_zero():
    """Cosine annealing with T_max = B leaves the LR in force at 0 at step B; P^-1 is still the optimizer's
    (effective_lr is linear in the LR and is read at lr = 1), so the cap is finite. Adam: C = 38."""
    from benchmarks.diagcases.simulate import brute_force

    case = {"name": "t", "steps": 100, "seed": 0, "loss": QUAD_1_50, "optimizer": {"type": "adam", "lr": 0.01},
            "schedule": {"type": "cosine", "T_max": 100}}
    runs, _ = brute_force(case, with_m=False)
    assert runs.lr[-1] > 0.0 and np.all(np.isfinite(runs.inv_precond_end)) and np.all(runs.inv_precond_end > 0)
    out = label(case)
    assert out["limit_c"] == pytest.approx(38.0) and np.isfinite(out["s_end"]) and out["s_end"] > 0
    assert out["cap"] == pytest.approx(0.9 * 38.0 / out["s_end"])


def test_score_writes_per_case_results_for_the_tuning_half_only(tmp_path, capsys):
    from benchmarks.diagcases import score

    out = tmp_path / "tune.jsonl"
    assert score.main(["--split", "held_out", "--out", str(out)]) == 2 and not out.exists()
    assert "tuning half only" in capsys.readouterr().err
    assert score.main(["--split", "tune", "--limit", "3", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    assert "Generated benchmark, tune half: 3 cases" in report and "agreement:" in report
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    for row in rows:
        assert row["id"] % 2 == 0 and row["label"] in LABELS and row["got"]
        assert set(row) >= {"family", "optimizer", "schedule", "label", "got", "alarms"}
        assert all(set(a) == {"code", "severity", "step"} and a["severity"] in ("warning", "error")
                   for a in row["alarms"])


def test_the_build_resumes_and_redoes_lines_labelled_under_other_contracts(tmp_path):
    from benchmarks.diagcases import build

    out = tmp_path / "cases.jsonl"
    out.write_text(json.dumps({"seed": 0, "contracts": 1, "label": "improving"}) + "\n" + '{"seed": 1, "cut sho')
    assert build.main(["--cases", "1", "--out", str(out)]) == 0
    [line] = out.read_text().splitlines()
    item = json.loads(line)
    assert item["seed"] == 0 and item["contracts"] == build.CONTRACTS_VERSION and item["label"] in LABELS
    before = out.read_text()
    assert build.main(["--cases", "1", "--out", str(out)]) == 0 and out.read_text() == before  # nothing to redo
