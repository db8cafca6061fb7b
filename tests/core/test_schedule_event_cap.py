"""Plot markers of schedules over long budgets: at most MAX_EVENTS, each a real change, spread over the run."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lrtui.core.losses import build_loss
from lrtui.core.run_spec import RunSpec
from lrtui.core.schedules import build_schedule
from lrtui.core.schedules.base import MAX_EVENTS
from lrtui.core.simulation import Simulation

LONG = 10_000_000  # the step limit

DENSE = {
    "step": {"step_size": 1, "gamma": 0.999999},  # still changing after ten million steps
    "cosine": {"T_max": 1},
    "cosine_warm_restarts": {"T_0": 2},
    "cyclic": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 1},
    "sequential": {"schedulers": [{"type": "step", "step_size": 3, "gamma": 0.99999}, {"type": "cosine", "T_max": 2}],
                   "milestones": [LONG // 2]},
}


@pytest.mark.parametrize("name", sorted(DENSE))
def test_a_change_every_step_over_the_step_limit_gives_a_bounded_spread_of_real_markers(name):
    sched = build_schedule(name, **DENSE[name])
    started = time.perf_counter()
    events = sched.events(LONG)
    assert time.perf_counter() - started < 2.0  # ten million markers took 12-30 s
    assert 100 <= len(events) <= MAX_EVENTS and events == sorted(events)
    steps = np.array([t for t, _ in events])
    assert steps[0] < LONG // 100 and steps[-1] > LONG - LONG // 100  # from the start to the end of the run
    # Each marker sits where the LR really changes: lr_at(t) differs from lr_at(t - 1).
    for t, _ in events[:: max(1, len(events) // 25)]:
        assert sched.lr_at(t, 0.1) != sched.lr_at(t - 1, 0.1), (name, t)


def test_alternating_kinds_keep_both_kinds_when_thinned():
    for name in ("cosine", "cyclic"):
        kinds = {kind for _, kind in build_schedule(name, **DENSE[name]).events(LONG)}
        assert kinds == {"peak", "trough"}, name


@pytest.mark.parametrize("n_steps", [MAX_EVENTS, MAX_EVENTS + 1, 3 * MAX_EVENTS])
def test_markers_are_thinned_only_past_the_cap(n_steps):
    events = build_schedule("step", step_size=1).events(n_steps)
    if n_steps <= MAX_EVENTS:
        assert events == [(t, "decay") for t in range(1, n_steps + 1)]
    else:
        stride = -(-n_steps // MAX_EVENTS)
        assert events == [(t, "decay") for t in range(1, n_steps + 1, stride)]


def test_a_simulation_asks_for_the_markers_of_a_ten_million_step_budget_quickly():
    loss = build_loss("quadratic", eigenvalues=[1.0, 10.0])
    sim = Simulation(loss, [RunSpec(optimizer="sgd", optimizer_params={"lr": 0.01}, schedule="step",
                                    schedule_params={"step_size": 1, "gamma": 0.999999})], budget=LONG)
    started = time.perf_counter()
    markers = sim.schedule_events(0, LONG)
    assert time.perf_counter() - started < 2.0
    assert len(markers) <= MAX_EVENTS and markers[0] == (1, "decay")
