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

from benchmarks.diagcases import quadratic, schedules
from benchmarks.diagcases.build import CASES, SKIPPED, split_of
from benchmarks.diagcases.generate import generate
from benchmarks.diagcases.oracle import LABELS, compact, decide, final_label
from benchmarks.diagcases.simulate import Runs

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
