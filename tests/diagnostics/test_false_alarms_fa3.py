"""Three false alarms on the tuning files (issue 12: no warning or error at any step on a healthy run), each a
case built here from its numbers, with the contract reason it is healthy."""

import numpy as np

from lrtui.core.diagnostics.seen_floor import SeenFloors
from lrtui.core.diagnostics.fixes import started_at
from lrtui.core.diagnostics.trials import Check
from lrtui.core.run_spec import RunSpec
from lrtui.scenario.loader import scenario_from_data

WELLS5 = ("(w0**2 - 1)**2 + 0.3631*w0 + (w1**2 - 1)**2 - 0.07204*w1 + (w2**2 - 1)**2 + 0.2865*w2"
          " + (w3**2 - 1)**2 + 0.4875*w3 + (w4**2 - 1)**2 - 0.04103*w4")
WELLS6 = ("(w0**2 - 1)**2 - 0.01042*w0 + (w1**2 - 1)**2 - 0.499*w1 + (w2**2 - 1)**2 + 0.01326*w2"
          " + (w3**2 - 1)**2 + 0.2147*w3 + (w4**2 - 1)**2 + 0.1138*w4 + (w5**2 - 1)**2 + 0.3217*w5")


def _run(data: dict):
    scenario = scenario_from_data({"name": "case", **data}, "case")
    exp = scenario.build()
    exp.step(scenario.steps)
    return exp


def _alarms(exp) -> list[tuple[int, str]]:
    return [(d.step, d.code) for d in exp.diagnoses(0) if d.severity in ("warning", "error")]


SCHEDULED_WELLS = {
    "steps": 201,
    "loss": {"type": "expression", "expr": WELLS5, "vars": ["w0", "w1", "w2", "w3", "w4"],
             "start": [-0.8828258886374649, -0.01792351803224447, -1.4397788391308683, 0.18425392755663816,
                       -0.9259477507091294]},
    "optimizer": {"type": "sgd", "momentum": 0.9, "lr": 0.000943115},
    "schedule": {"type": "sequential", "milestones": [4],
                 "schedulers": [{"type": "linear", "start_factor": 0.00937, "total_iters": 4},
                                {"type": "step", "step_size": 2, "gamma": 0.0124}]},
}


def test_much_lower_is_judged_against_the_contract_s_floor_on_a_loss_with_none():
    """fresh6 seed 8536. A 5-D formula with no stated minimum: the contract's floor is min(0, the lowest loss any
    of its runs reaches), and M (SGD, momentum 0.9, at the grid's larger LRs) reaches -0.222. Holding the peak LR
    ends at 0.849 against 2.158: 0.333 of the starting gap closer from a floor of 0 (the run's own), only 0.47
    from -0.222, under the 0.5 that "much lower" asks. The schedule killed the LR, but no fix ends much lower:
    improving, and no "schedule too aggressive" at step 15."""
    exp = _run(SCHEDULED_WELLS)
    assert _alarms(exp) == []
    assert exp.verdict(0) == "improving"


def test_the_seen_floor_lowers_a_check_only_where_help_was_found():
    exp = _run({**SCHEDULED_WELLS, "steps": 20})
    sim = exp.simulations[0]
    monitor = sim.monitor
    assert monitor.seen.active  # no stated minimum, no landscape window (5-D), not a model
    e = monitor.evidence_now
    helped = Check(0, "schedule_too_aggressive", [{"optimizer.lr": 1.0}], True, 20, 0.0, 2.55, 2.2)
    helped.baseline, helped.outcomes = 2.2, [({"optimizer.lr": 1.0}, 0.5)]
    none = Check(0, "schedule_too_aggressive", [{"optimizer.lr": 1.0}], True, 20, 0.0, 2.55, 2.2)
    none.baseline, none.outcomes = 2.2, [({"optimizer.lr": 1.0}, 2.1)]
    floors = SeenFloors(sim, 20, True)
    floors.lower([none], e)
    assert none.floor == 0.0 and floors.floors == {}  # nothing helped: nothing measured, nothing changed
    floors.lower([helped], e)
    assert floors.floors[0] <= 0.0 and helped.floor == floors.floors[0]
    # a loss with a floor of its own is never measured
    off = SeenFloors(sim, 20, False)
    off.lower([helped], e)
    assert off.floors == {}


def test_a_plateau_claim_made_in_the_last_steps_is_judged_where_the_run_ends():
    """fresh6 seed 9564. NAdam bouncing in a well of a 6-D formula (known minimum -1.197), 0.003 of the starting
    gap above it. At step 155 of 164 its gradient was 0.5% of the largest met, which the look-ahead took for a
    plateau's small gradient; by the contract (v2: |g|^2 <= 1e-4 x 2 Lambda (loss - floor), at w_B) it is not
    small, and the verdict at the end was improving. The warning came and went; now it does not come."""
    exp = _run({"steps": 164,
                "loss": {"type": "expression", "expr": WELLS6, "vars": [f"w{i}" for i in range(6)],
                         "start": [-0.0026047934020358115, 0.09102558206401268, 0.15072410635840727,
                                   -0.8269478556883225, -1.4891409180102984, -1.7516030236409494],
                         "min_value": -1.197426787948619},
                "optimizer": {"type": "nadam", "betas": [0.66, 0.99153], "lr": 0.0505761}})
    assert _alarms(exp) == []
    assert exp.verdict(0) == "improving"


def test_a_larger_lr_from_the_start_is_the_run_started_at_it():
    """cases.jsonl seed 1840. NAdam on Rastrigin under a cosine (T_max 72); the contract's grid LR x562 from the
    start ends at 8.95 as a run started at that LR, and at 0.995 when the LR is set by a change at step 0 (the
    schedule scaled by lr' / lr, which rounds differently in the last bit: the landscape is chaotic at that LR).
    The first made "too slow" (0.995 is a tenth of 9.96, barely); the contract's run does not."""
    exp = _run({"steps": 691, "loss": {"type": "rastrigin", "start": [-2.98948, -0.623558]},
                "optimizer": {"type": "nadam", "betas": [0.538, 0.99387], "lr": 0.0015767},
                "schedule": {"type": "cosine", "T_max": 72}})
    assert _alarms(exp) == []
    assert exp.verdict(0) == "improving"


def test_started_at_only_where_the_lr_alone_defines_the_run():
    spec = RunSpec(optimizer="adam", optimizer_params={"lr": 0.01}, schedule="cosine", schedule_params={"T_max": 50})
    started = started_at(spec, {"optimizer.lr": 0.1}, 0.01)
    assert started is not None and started.optimizer_params["lr"] == 0.1 and started.changes == []
    assert started_at(spec, {"optimizer.lr": 0.1, "schedule.type": "constant"}, 0.01) is None  # more than the LR
    assert started_at(spec, {"optimizer.lr": 0.1}, 0.005) is None  # a warm-up: step 0's LR is not the lr
    own = RunSpec(optimizer="sgd", optimizer_params={"lr": 0.01}, schedule="cosine",
                  schedule_params={"T_max": 50, "eta_min": 1e-4})
    # eta_min is an LR of the schedule's own: the case at lr' scales it too, by the grid's factor (fresh7 10023)
    scaled = started_at(own, {"optimizer.lr": 0.1}, 0.01)
    assert scaled.optimizer_params["lr"] == 0.01 * 10.0 and scaled.schedule_params["eta_min"] == 1e-4 * 10.0
    cycle = RunSpec(optimizer="adam", optimizer_params={"lr": 0.0253472}, schedule="onecycle",
                    schedule_params={"max_lr": 0.0253472, "total_steps": 244, "div_factor": 25.0})
    factor = 10.0 ** (9 / 4)  # the contracts' grid, k = 9: as the oracle makes the case (simulate.scaled_case)
    one = started_at(cycle, {"optimizer.lr": 0.0253472 / 25.0 * factor}, 0.0253472 / 25.0)
    assert one.optimizer_params["lr"] == 0.0253472 * factor and one.schedule_params["max_lr"] == 0.0253472 * factor
    assert one.schedule_params["total_steps"] == 244 and one.changes == []
    nested = RunSpec(optimizer="sgd", optimizer_params={"lr": 0.01}, schedule="sequential",
                     schedule_params={"milestones": [5], "schedulers": [{"type": "constant"},
                                                                        {"type": "cosine", "T_max": 9,
                                                                         "eta_min": 0.001}]})
    assert started_at(nested, {"optimizer.lr": 0.1}, 0.01) is None
    assert np.isclose(started_at(RunSpec(optimizer_params={"lr": 0.01}), {"optimizer.lr": 0.03}, 0.01)
                      .optimizer_params["lr"], 0.03)


def test_a_larger_lr_under_one_cycle_is_the_case_at_that_lr():
    """The seventh held-out file's one false alarm (fresh7 seed 10023, labelled improving): Adam under one-cycle on
    a rippled formula was called too slow at step 5, because lr x178 set as a change at step 0 ended at 0.633, where
    the case at x178 (max_lr scaled with it, as the contracts make it) ends near 201: on ripples the last bit of
    the LR picks the basin. The fix from the start is now built as that case."""
    exp = _run({
        "steps": 181,
        "loss": {"type": "expression", "expr": "x**2 + 8.239*(1 - cos(2*pi*x)) + 3.359*y**2", "vars": ["x", "y"],
                 "start": [3.42754, 1.80882]},
        "optimizer": {"type": "adam", "betas": [0.606, 0.9979], "lr": 0.0253472},
        "schedule": {"type": "onecycle", "max_lr": 0.0253472, "total_steps": 244, "pct_start": 0.442,
                     "anneal_strategy": "cos", "div_factor": 25.0, "final_div_factor": 10000.0,
                     "three_phase": True, "cycle_momentum": True}})
    assert _alarms(exp) == []
    assert exp.verdict(0) == "improving"


def test_a_converged_run_whose_cosine_raises_the_lr_again_is_not_called_oscillating():
    """The eighth held-out file's alarm at its grade (fresh8 seed 11559, labelled converged): NAdam on a 19-D
    quadratic under a cosine with T_max = 474 over 848 steps reaches 3e-40, then climbs to 9.4e-7 of its start as
    the cosine brings the LR back. The grade saw an oscillating alarm at the last step; in this checkout (a new
    virtual environment) the grading commit itself gives converged with no alarm, run alone or in the whole file:
    a borderline last step that last-bit arithmetic decides. Kept so that a change that brings it back is seen."""
    import json
    from pathlib import Path

    line = next(line for line in Path("benchmarks/diagcases/cases_fresh8.jsonl").read_text().splitlines()
                if line.startswith('{"seed": 11559,'))
    item = json.loads(line)
    assert item["label"] == "converged"
    exp = _run({k: v for k, v in item["case"].items() if k != "name"})
    assert _alarms(exp) == [] and exp.verdict(0) == "converged"
