"""lrtui's learning-rate schedules against torch.optim.lr_scheduler, and their own contract.

The torch curves come from tests/fixtures/make_torch_schedules.py (torch 2.13,
float64): each scheduler's lr after construction and after each of 1,000+
steps, per param group, plus the momentum / beta1 it cycles.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lrtui.core.schedules import CONTROLLERS, SCHEDULES, build_lr_plan, build_schedule

with np.load(Path(__file__).parents[1] / "fixtures" / "torch_schedules.npz") as stored:
    FIXTURE = dict(stored)
CASES = {spec["id"]: spec for spec in json.loads(str(FIXTURE["cases"]))}
TORCH_DEFAULTS = json.loads(str(FIXTURE["torch_defaults"]))
CURVE_CASES = sorted(i for i, spec in CASES.items() if spec["schedule"] != "plateau")
PLATEAU_CASES = sorted(i for i, spec in CASES.items() if spec["schedule"] == "plateau")


def build(spec: dict):
    return build_schedule(spec["schedule"], **spec["params"])


def build_any(name: str, **params):
    """A pure schedule, or the controller for a controller's name (plateau)."""
    schedule, controller = build_lr_plan(name, params)
    return schedule if controller is None else controller


def assert_torch_close(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Relative 1e-12, with an absolute floor of 1e-14 of the curve's peak for values near zero."""
    assert ours.shape == theirs.shape
    peak = np.nanmax(np.abs(theirs))
    err = np.abs(ours - theirs)
    bound = 1e-12 * np.abs(theirs) + 1e-14 * peak
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), f"at {worst}: ours {ours[worst]!r}, torch {theirs[worst]!r}"


def plateau_replay(spec: dict, losses: np.ndarray) -> np.ndarray:
    """torch's ReduceLROnPlateau is our controller over the constant schedule."""
    schedule, controller = build_lr_plan(spec["schedule"], spec["params"])
    base = np.array(spec["base_lr"], dtype=np.float64)
    state = controller.init(base)
    out = [controller.adjust(state, schedule.lr_at(0, base))]
    for t in range(losses.shape[1]):
        lr = schedule.lr_at(t + 1, base)
        state = controller.observe(state, lr, losses[:, t])
        out.append(controller.adjust(state, lr))
    return np.array(out)


# -- torch's curves ------------------------------------------------------------------
@pytest.mark.parametrize("case", CURVE_CASES)
def test_planned_curve_matches_torch(case):
    spec = CASES[case]
    theirs = FIXTURE[f"{case}/lr"]
    ours = build(spec).planned(spec["steps"], np.array(spec["base_lr"]))
    assert_torch_close(ours, theirs)


@pytest.mark.parametrize("case", CURVE_CASES)
def test_stepping_lr_at_equals_planned(case):
    spec = CASES[case]
    sched, base = build(spec), np.array(spec["base_lr"])
    n = min(spec["steps"], 1200)
    planned = sched.planned(n, base)
    stepped = np.array([sched.lr_at(t, base) for t in range(n + 1)])
    np.testing.assert_allclose(stepped, planned, rtol=1e-15, atol=0)


@pytest.mark.parametrize("case", [c for c in CURVE_CASES if f"{c}/momentum" in FIXTURE])
def test_cycled_momentum_matches_torch(case):
    spec = CASES[case]
    sched = build(spec)
    theirs = FIXTURE[f"{case}/momentum"]
    assert sched.cycles_momentum
    assert_torch_close(sched.planned_momentum(spec["steps"]), theirs)
    some = [0, 1, len(theirs) // 3, len(theirs) - 1]
    stepped = np.array([sched.momentum_at(t, np.zeros(2)) for t in some])
    assert stepped.shape == (4, 2)
    np.testing.assert_allclose(stepped[:, 1], theirs[some], rtol=1e-15)


@pytest.mark.parametrize("case", PLATEAU_CASES)
def test_plateau_matches_torch_run_by_run(case):
    spec = CASES[case]
    theirs = FIXTURE[f"{case}/lr"]
    ours = plateau_replay(spec, FIXTURE[f"{case}/losses"])
    np.testing.assert_array_equal(ours, theirs)


def test_plateau_fixtures_exercise_every_rule():
    cut_counts = [len(np.unique(FIXTURE[f"{c}/lr"])) for c in PLATEAU_CASES]
    assert min(cut_counts) >= 3  # every case cuts more than once
    by_params = {json.dumps(CASES[c]["params"], sort_keys=True): FIXTURE[f"{c}/lr"] for c in PLATEAU_CASES}
    clamped = by_params[json.dumps({"eps": 0.001, "min_lr": 0.02, "mode": "max", "patience": 0,
                                    "threshold": 0.01, "threshold_mode": "abs"}, sort_keys=True)]
    assert np.all(clamped[-1] == 0.02)
    eps_stopped = by_params[json.dumps({"eps": 0.01, "factor": 0.5, "patience": 1}, sort_keys=True)]
    np.testing.assert_allclose(eps_stopped[-1], [0.0125, 0.0125, 0.015625])
    assert np.isnan(FIXTURE[f"{PLATEAU_CASES[0]}/losses"]).any()


def test_fixtures_cover_every_schedule_and_option():
    covered = {spec["schedule"] for spec in CASES.values()}
    assert covered == set(SCHEDULES)
    options = {(spec["schedule"], key, json.dumps(value)) for spec in CASES.values()
               for key, value in spec["params"].items()}
    for wanted in [("onecycle", "three_phase", "true"), ("onecycle", "anneal_strategy", '"linear"'),
                   ("onecycle", "cycle_momentum", "false"), ("cyclic", "mode", '"triangular2"'),
                   ("cyclic", "mode", '"exp_range"'), ("cyclic", "step_size_down", "80"),
                   ("cosine_warm_restarts", "T_mult", "2"), ("polynomial", "power", "2.0"),
                   ("plateau", "mode", '"max"'), ("plateau", "threshold_mode", '"abs"')]:
        assert wanted in options, wanted
    assert any(s["schedule"] == "cosine" and s["steps"] > 2 * s["params"]["T_max"] for s in CASES.values())
    assert all(s["steps"] >= 1000 for s in CASES.values())


def test_textbook_cosine_drifts_from_torch_but_ours_does_not():
    case = next(c for c in CURVE_CASES if CASES[c]["steps"] >= 8000)
    spec = CASES[case]
    theirs = FIXTURE[f"{case}/lr"][:, 0]
    t = np.arange(theirs.size)
    base, eta, period = spec["base_lr"][0], spec["params"]["eta_min"], spec["params"]["T_max"]
    textbook = eta + (base - eta) * (1 + np.cos(np.pi * t / period)) / 2
    assert np.max(np.abs(textbook - theirs) / theirs) > 1e-12
    assert np.max(np.abs(build(spec).planned(spec["steps"], base) - theirs) / theirs) < 1e-14


def test_defaults_equal_torch_signatures():
    assert str(FIXTURE["torch_version"]).startswith("2.13")
    not_in_torch = {"constant"}
    for name, cls in SCHEDULES.items():
        if name in not_in_torch:
            continue
        theirs = TORCH_DEFAULTS[name]
        for key, value in cls.defaults.items():
            assert key in theirs, f"{name}.{key} is not a torch parameter"
            assert theirs[key] == value, f"{name}.{key}: ours {value!r}, torch {theirs[key]!r}"
    # Required here, optional in torch (which then wants epochs and steps_per_epoch instead).
    assert TORCH_DEFAULTS["onecycle"]["total_steps"] is None
    assert set(TORCH_DEFAULTS["cyclic"]) - set(SCHEDULES["cyclic"].defaults) == {"scale_fn", "scale_mode"}


# -- values worked out by hand -----------------------------------------------------------
def curve(name, n, base=1.0, **params):
    return build_schedule(name, **params).planned(n, base)


def test_hand_checked_values():
    np.testing.assert_allclose(curve("step", 6, step_size=3, gamma=0.5), [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(curve("multistep", 4, milestones=[2, 4]), [1, 1, 0.1, 0.1, 0.01])
    np.testing.assert_allclose(curve("exponential", 3, 2.0, gamma=0.5), [2, 1, 0.5, 0.25])
    np.testing.assert_allclose(curve("linear", 6, 3.0), [1, 1.4, 1.8, 2.2, 2.6, 3, 3])
    np.testing.assert_allclose(curve("constant_factor", 6, 3.0), [1, 1, 1, 1, 1, 3, 3])
    np.testing.assert_allclose(curve("polynomial", 5, total_iters=4, power=2.0), [1, 0.5625, 0.25, 0.0625, 0, 0])
    np.testing.assert_allclose(curve("cosine", 8, T_max=4), [1, (1 + math.sqrt(0.5)) / 2, 0.5,
                                                             (1 - math.sqrt(0.5)) / 2, 0, 0.1464466, 0.5,
                                                             0.8535534, 1], atol=1e-7)
    restarts = curve("cosine_warm_restarts", 21, T_0=3, T_mult=2, eta_min=0.1)
    np.testing.assert_allclose(restarts[[0, 3, 9, 21]], 1.0)
    np.testing.assert_allclose(restarts[6], 0.1 + 0.9 * 0.5)
    np.testing.assert_allclose(curve("constant", 3, np.array([0.1, 0.2])), [[0.1, 0.2]] * 4)


def test_warmup_then_cosine_switches_as_torch_does():
    sched = build_schedule("sequential", milestones=[10], schedulers=[
        {"type": "linear", "start_factor": 0.1, "total_iters": 10}, {"type": "cosine", "T_max": 90}])
    lr = sched.planned(200, 2.0)
    np.testing.assert_allclose(lr[[0, 1, 9]], [0.2, 0.38, 1.82])  # the warm-up never shows its last value
    assert lr[10] == 2.0
    np.testing.assert_allclose(lr[55], 1.0)
    assert abs(lr[100]) < 1e-15 and lr[190] == pytest.approx(2.0)
    assert sched.events(200) == [(10, "switch"), (100, "trough"), (190, "peak")]
    assert sched.momentum_at(5, 2.0) is None and not sched.cycles_momentum


def test_sequential_led_by_cyclic_starts_later_pieces_from_cyclic_base_lr():
    sched = build_schedule("sequential", milestones=[4], schedulers=[
        {"type": "cyclic", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2},
        {"type": "exponential", "gamma": 0.5}])
    lr = sched.planned(6, np.array([1.0, 3.0]))
    np.testing.assert_allclose(lr[:, 0], [0.01, 0.055, 0.1, 0.055, 0.01, 0.005, 0.0025])
    np.testing.assert_array_equal(lr[:, 0], lr[:, 1])
    momentum = sched.planned_momentum(6)
    np.testing.assert_allclose(momentum, [0.9, 0.85, 0.8, 0.85, 0.85, 0.85, 0.85])  # held from step 3


def test_onecycle_and_cyclic_by_hand():
    one = build_schedule("onecycle", max_lr=1.0, total_steps=100)
    lr = one.planned(100, 123.0)  # the optimizer's lr plays no part, as in torch
    np.testing.assert_allclose(lr[[0, 29, 99]], [0.04, 1.0, 4e-6])
    assert one.momentum_at(0, 1.0) == pytest.approx(0.95) and one.momentum_at(29, 1.0) == pytest.approx(0.85)
    assert one.step_limit == 100
    cyc = build_schedule("cyclic", base_lr=0.001, max_lr=0.1, step_size_up=5, mode="triangular2")
    lr = cyc.planned(20, 0.5)
    np.testing.assert_allclose(lr[[0, 5, 10, 15, 20]], [0.001, 0.1, 0.001, 0.0505, 0.001])


def test_plateau_by_hand():
    schedule, ctl = build_lr_plan("plateau", {"patience": 2, "cooldown": 1})
    base = np.array([1.0, 2.0])
    state = ctl.init(base)
    seen = []
    for loss in [[1, 1], [1, 0.5], [1, 0.5], [1, 0.5], [1, 0.5], [1, 0.5], [1, 0.5]]:
        state = ctl.observe(state, schedule.lr_at(0, base), np.array(loss, dtype=float))
        seen.append(ctl.adjust(state, schedule.lr_at(0, base)))
    # Run 0 improves once, then 3 bad steps (> patience 2) cut at the 4th observe; one cooldown
    # step, then 3 more bad steps. Run 1 improves at the 2nd observe, so everything shifts by one.
    np.testing.assert_allclose(np.array(seen)[:, 0], [1, 1, 1, 0.1, 0.1, 0.1, 0.1])
    np.testing.assert_allclose(np.array(seen)[:, 1], [2, 2, 2, 2, 0.2, 0.2, 0.2])
    assert state["reduced"].tolist() == [False, False]
    assert not ctl.plannable and schedule.planned(3, np.array([0.5])).tolist() == [[0.5]] * 4
    assert schedule.events(100) == []
    with pytest.raises(ValueError, match="controller, not a schedule"):
        build_schedule("plateau")


def test_base_lr_shapes_and_batching():
    sched = build_schedule("cosine", T_max=50, eta_min=0.001)
    assert sched.lr_at(7, 0.1).shape == ()
    assert sched.planned(10, 0.1).shape == (11,)
    base = np.array([0.1, 0.02, 0.5])
    assert sched.planned(400, base).shape == (401, 3)
    for t in (0, 49, 50, 51, 175, 399):
        batched = sched.lr_at(t, base)
        np.testing.assert_array_equal(batched, [sched.lr_at(t, b) for b in base])
    assert build_schedule("cyclic", base_lr=0.1, max_lr=1.0).momentum_at(3, base).shape == (3,)
    assert build_schedule("cyclic", base_lr=0.1, max_lr=1.0, cycle_momentum=False).momentum_at(3, base) is None
    assert build_schedule("step", step_size=2).planned_momentum(5) is None


def test_onecycle_past_total_steps():
    sched = build_schedule("onecycle", max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="total_steps is 10"):
        sched.lr_at(11, 0.1)
    planned = sched.planned(12, 0.1)
    assert np.isfinite(planned[:11]).all() and np.isnan(planned[11:]).all()
    assert np.isnan(sched.planned_momentum(12)[11:]).all()


# -- events ------------------------------------------------------------------------------
def check_event(lr: np.ndarray, t: int, kind: str, milestones) -> None:
    if kind == "decay":
        assert lr[t] < lr[t - 1]
    elif kind in ("boost", "restart"):
        assert lr[t] > lr[t - 1]
    elif kind == "peak":
        assert lr[t] >= lr[t - 1] and (t + 1 >= lr.size or lr[t] >= lr[t + 1])
    elif kind == "trough":
        assert lr[t] <= lr[t - 1] and (t + 1 >= lr.size or lr[t] <= lr[t + 1])
    elif kind == "warmup_end":
        assert lr[t] > lr[t - 1] and lr[t] >= lr[: t + 1].max() * (1 - 1e-12)
    elif kind == "decay_end":
        assert lr[t] < lr[t - 1] and lr[t] <= lr[: t + 1].min() * (1 + 1e-12)
    elif kind == "switch":
        assert t in milestones
    else:
        raise AssertionError(f"unknown event kind {kind}")


@pytest.mark.parametrize("case", CURVE_CASES)
def test_events_sit_where_the_curve_changes(case):
    spec = CASES[case]
    sched = build(spec)
    n = min(spec["steps"], 1200)
    lr = FIXTURE[f"{case}/lr"][: n + 1, 0]
    events = sched.events(n, spec["base_lr"])
    assert events == sorted(events) and all(0 < t <= n for t, _ in events)
    for t, kind in events:
        check_event(lr, t, kind, spec["params"].get("milestones", []))


def test_events_by_hand():
    assert build_schedule("step", step_size=30).events(100) == [(30, "decay"), (60, "decay"), (90, "decay")]
    assert build_schedule("step", step_size=30, gamma=1.0).events(100) == []
    assert build_schedule("multistep", milestones=[5, 50], gamma=2.0).events(20) == [(5, "boost")]
    assert build_schedule("linear", start_factor=0.1, total_iters=10).events(100) == [(10, "warmup_end")]
    assert build_schedule("cosine_warm_restarts", T_0=3, T_mult=2).events(21) == [(3, "restart"), (9, "restart"),
                                                                                   (21, "restart")]
    assert build_schedule("onecycle", max_lr=1.0, total_steps=100).events(200) == [(29, "peak"), (99, "decay_end")]
    assert build_schedule("exponential", gamma=0.9).events(100) == []


# -- validation --------------------------------------------------------------------------
@pytest.mark.parametrize("name, params, message", [
    ("step", {"step_size": 0}, "step_size must be a positive integer, got 0"),
    ("step", {"step_size": 2.5}, "step_size must be an integer"),
    ("step", {"step_size": True}, "step_size must be an integer"),
    ("step", {"step_size": 3, "gamma": -0.5}, "gamma must be > 0.0, got -0.5"),
    ("step", {"step_sze": 3}, 'did you mean "step_size"'),
    ("cosine", {}, 'T_max is required by schedule "cosine"'),
    ("cosine", {"T_max": 10, "eta_min": float("nan")}, "eta_min must be a finite number"),
    ("multistep", {"milestones": [30, 10]}, "milestones must be strictly increasing"),
    ("multistep", {"milestones": 30}, "milestones must be a list of integers"),
    ("linear", {"start_factor": 0.0}, "start_factor must be > 0.0"),
    ("linear", {"end_factor": 1.5}, "end_factor must be <= 1.0"),
    ("constant_factor", {"factor": 0.0}, "factor must be > 0.0"),
    ("polynomial", {"power": -1.0}, "power must be >= 0.0"),
    ("cosine_warm_restarts", {"T_0": 5, "T_mult": 0}, "T_mult must be a positive integer"),
    ("onecycle", {"max_lr": 0.1, "total_steps": 0}, "total_steps must be a positive integer"),
    ("onecycle", {"max_lr": 0.1, "total_steps": 100, "pct_start": 1.5}, "pct_start must be <= 1.0"),
    ("onecycle", {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.1}, "exactly one step"),
    ("onecycle", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.0}, "final annealing phase no steps"),
    ("onecycle", {"max_lr": 0.1, "total_steps": 100, "anneal_strategy": "cosine"}, 'did you mean "cos"'),
    ("onecycle", {"max_lr": 0.1, "total_steps": 100, "cycle_momentum": "yes"}, "cycle_momentum must be true or"),
    ("cyclic", {"base_lr": 0.1, "max_lr": 1.0, "mode": "triangle"}, 'did you mean "triangular"'),
    ("cyclic", {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 0}, "step_size_up must be a positive integer"),
    ("cyclic", {"base_lr": -0.1, "max_lr": 1.0}, "base_lr must be >= 0.0"),
    ("plateau", {"factor": 1.0}, "factor must be < 1.0"),
    ("plateau", {"mode": "minimum"}, 'mode must be one of "min", "max"'),
    ("plateau", {"patience": -1}, "patience must be an integer >= 0"),
    ("sequential", {"schedulers": [{"type": "constant"}], "milestones": [5]}, "one entry fewer than schedulers"),
    ("sequential", {"schedulers": [], "milestones": []}, "non-empty list"),
    ("sequential", {"schedulers": [{"type": "constant"}, {"type": "plateau"}], "milestones": [5]}, "needs the loss"),
    ("sequential", {"schedulers": [{"type": "onecycle", "max_lr": 1.0, "total_steps": 9}, {"type": "constant"}],
                    "milestones": [5]}, "cannot be \"onecycle\""),
    ("sequential", {"schedulers": [{"type": "constant"}, {"type": "cosine", "T_max": 0}], "milestones": [5]},
     r"schedulers\[1\] \(cosine\): T_max must be a positive integer"),
    ("sequential", {"schedulers": [{"T_max": 3}], "milestones": []}, 'must be a table with a "type" key'),
    ("sequential", {"schedulers": [{"type": "constant"}] * 2, "milestones": [0]}, "must be a positive integer"),
])
def test_bad_parameters_explain_themselves(name, params, message):
    with pytest.raises(ValueError, match=message):
        build_any(name, **params)


def test_unknown_schedule_and_bad_steps():
    with pytest.raises(ValueError, match='did you mean "cosine"'):
        build_schedule("cosin")
    with pytest.raises(ValueError, match="step t must be an integer >= 0"):
        build_schedule("constant").lr_at(-1, 0.1)
    with pytest.raises(ValueError, match="n_steps must be"):
        build_schedule("constant").planned(-1, 0.1)


def test_registry_documents_parameters():
    for name, cls in SCHEDULES.items():
        assert cls.name == name
        assert not set(cls.required) & set(cls.defaults)
        assert (name in CONTROLLERS) == (name == "plateau")
    docs = (Path(__file__).parents[2] / "docs" / "schedules.md").read_text()
    for name, cls in SCHEDULES.items():
        assert f"`{name}`" in docs
        for key in list(cls.required) + list(cls.defaults):
            assert f"`{key}`" in docs, f"docs/schedules.md does not mention {name}.{key}"
