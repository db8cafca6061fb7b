"""NaN, inf, overflow and underflow in losses, optimizers and schedules (issue 8, item 3).

Each case trains a run that blows up next to one that does not, in one simulation, with every warning
turned into an error. The step where the faulty run must be marked diverged is worked out independently:
the loss, optimizer and schedule are stepped by hand, one run alone, and the first row whose loss or
parameters are not finite is the answer.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.core.losses import build_loss
from lrtui.core.losses.base import Loss
from lrtui.core.optimizers import build_optimizer
from lrtui.core.run_spec import RunSpec
from lrtui.core.schedules import build_lr_plan
from lrtui.core.simulation import Simulation

pytestmark = pytest.mark.filterwarnings("error")  # any RuntimeWarning (overflow, invalid value, ...) fails

STEPS = 60


def first_bad_row(loss, spec: RunSpec, steps=STEPS):
    """The row where this run alone first has a non-finite loss or parameters; -1 if it never does."""
    opt = build_optimizer(spec.optimizer, **spec.optimizer_params)
    sched, controller = build_lr_plan(spec.schedule, spec.schedule_params)
    base = np.array([spec.optimizer_params["lr"]], dtype=np.float64)
    x = np.array([loss.start if spec.start is None else spec.start], dtype=np.float64)
    state = opt.init(x)
    plateau = controller.init(base) if controller is not None else None
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            value, grad = loss.value_and_grad(x)
            if not (np.isfinite(value).all() and np.isfinite(x).all()):
                return t
            if t == steps:
                return -1
            lr = sched.lr_at(t, base)
            if plateau is not None:
                lr = controller.adjust(plateau, lr)
            x, state = opt.update(grad, state, x, lr, sched.momentum_at(t, base))
            if plateau is not None:
                plateau = controller.observe(plateau, sched.lr_at(t + 1, base), value)
    return -1


def run(optimizer="sgd", schedule="constant", sched_params=None, start=None, **opt_params) -> RunSpec:
    return RunSpec(optimizer=optimizer, optimizer_params=opt_params, schedule=schedule,
                   schedule_params=sched_params or {}, start=None if start is None else np.asarray(start, float))


def train_side_by_side(loss, faulty: RunSpec, healthy: RunSpec, steps=STEPS) -> Simulation:
    sim = Simulation(loss, [faulty, healthy])
    sim.step(steps)
    assert sim.step_count == steps
    return sim


def check(loss, faulty: RunSpec, healthy: RunSpec, steps=STEPS):
    """The faulty run stops at the row worked out by hand; the healthy one trains to the end."""
    expected = first_bad_row(loss, faulty, steps)
    assert 0 < expected <= steps, f"the case must blow up after its start, within {steps} steps ({expected})"
    assert first_bad_row(loss, healthy, steps) == -1, "the healthy run must stay finite on its own"
    sim = train_side_by_side(loss, faulty, healthy, steps)
    assert sim.diverged_at.tolist() == [expected, -1]
    kept, _ = sim.history.series("loss", 0)
    assert kept[-1] == expected  # the history ends at the step where the run diverged
    healthy_steps, healthy_losses = sim.history.series("loss", 1)
    assert healthy_steps.tolist() == list(range(steps + 1)) and np.isfinite(healthy_losses).all()
    assert [e.run for e in sim.events if e.kind == "diverged"] == [0]


# -- every loss overflows under a large enough step ---------------------------------------------------
LOSS_CASES = [  # (loss, its parameters, start, an LR that overflows it, an LR that does not)
    ("quadratic", {"eigenvalues": [1.0, 1e150]}, None, 1.0, 1e-151),
    ("quadratic", {"eigenvalues": [1.0, 1e300], "angle": 30.0}, None, 1.0, 1e-301),
    ("rosenbrock", {}, [10.0, 10.0], 0.1, 1e-6),
    ("beale", {}, [4.0, 4.0], 0.1, 1e-9),
    ("himmelblau", {}, [10.0, 10.0], 0.1, 1e-6),
    ("rastrigin", {"dims": 3}, None, 1e300, 1e-3),
    ("six_hump_camel", {}, [3.0, 3.0], 0.5, 1e-4),
    ("saddle", {}, [1.0, 3.0], 1.0, 1e-3),
    ("ackley", {}, None, 1e308, 1e-3),
    ("expression", {"expr": "exp(x*x) + y*y", "vars": ["x", "y"]}, [2.0, 1.0], 0.1, 1e-6),
    ("expression", {"expr": "x**4 + cosh(y)", "vars": ["x", "y"]}, [3.0, 1.0], 1.0, 1e-4),
    ("expression", {"expr": "sqrt(x) + y*y", "vars": ["x", "y"]}, [1.0, 1.0], 3.0, 1e-3),
    ("expression", {"expr": "log(x) + y*y", "vars": ["x", "y"]}, [1.0, 1.0], 3.0, 1e-3),
    ("expression", {"expr": "1/x + y", "vars": ["x", "y"]}, [1.0, 1.0], 1e307, 1e-3),
    ("logistic_regression", {"dataset": "xor", "n_samples": 40}, None, 1e308, 0.1),
    ("mlp", {"dataset": "circles", "n_samples": 40, "hidden": [4]}, None, 1e308, 0.1),
    ("mlp", {"dataset": "spiral", "n_samples": 40, "hidden": [4], "activation": "sigmoid"}, None, 1e308, 0.1),
]


@pytest.mark.parametrize("name, params, start, bad_lr, good_lr", LOSS_CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_every_loss_diverges_at_the_right_step_beside_a_healthy_run(name, params, start, bad_lr, good_lr):
    loss = build_loss(name, **params)
    check(loss, run(start=start, lr=bad_lr), run(start=start, lr=good_lr))


# -- every optimizer, with extreme learning rates and settings ---------------------------------------
OPTIMIZER_CASES = [
    ("sgd", {"lr": 1e300}), ("sgd", {"lr": 1.0, "momentum": 0.99, "nesterov": True}),
    ("sgd", {"lr": 0.1, "maximize": True}), ("sgd", {"lr": 0.01, "weight_decay": 1e300}),
    ("adagrad", {"lr": 1e300}), ("adagrad", {"lr": 1e300, "lr_decay": 1e-300, "eps": 5e-324}),
    ("rmsprop", {"lr": 1e300}), ("rmsprop", {"lr": 1e300, "momentum": 0.9, "centered": True}),
    ("adam", {"lr": 1e300}), ("adam", {"lr": 1e300, "amsgrad": True, "eps": 5e-324}),
    ("adam", {"lr": 1e300, "maximize": True}),
    ("adamw", {"lr": 1e300}), ("adamw", {"lr": 1e300, "weight_decay": 1e300}),
    ("nadam", {"lr": 1e300}), ("nadam", {"lr": 1e300, "momentum_decay": 1e300}),
]


@pytest.mark.parametrize("optimizer, params", OPTIMIZER_CASES, ids=lambda v: v if isinstance(v, str) else None)
def test_every_optimizer_diverges_at_the_right_step_beside_a_healthy_run(optimizer, params):
    loss = build_loss("quadratic", eigenvalues=[1.0, 50.0])
    check(loss, run(optimizer, **params), run(optimizer, **{**params, "lr": 1e-6, "maximize": False,
                                                            "weight_decay": 0.0}), steps=400)


# -- every schedule, driven to an infinite or overflowing learning rate ------------------------------
SCHEDULE_CASES = [
    ("exponential", {"gamma": 1e300}),
    ("step", {"step_size": 1, "gamma": 1e300}),
    ("multistep", {"milestones": [2, 3, 4], "gamma": 1e300}),
    ("cyclic", {"base_lr": 1e307, "max_lr": 1.7e308, "step_size_up": 3, "cycle_momentum": False}),
    ("cyclic", {"base_lr": 0.001, "max_lr": 1e300, "step_size_up": 5, "mode": "exp_range", "gamma": 1e10,
                "cycle_momentum": False}),
    ("onecycle", {"max_lr": 1e308, "total_steps": STEPS, "div_factor": 1e-300, "cycle_momentum": False}),
    ("cosine", {"T_max": 5, "eta_min": 1e308}),
    ("cosine_warm_restarts", {"T_0": 3, "eta_min": 1e300}),
    ("sequential", {"schedulers": [{"type": "constant"}, {"type": "exponential", "gamma": 1e300}],
                    "milestones": [3]}),
]


@pytest.mark.parametrize("schedule, params", SCHEDULE_CASES, ids=lambda v: v if isinstance(v, str) else None)
def test_every_schedule_that_overflows_diverges_at_the_right_step(schedule, params):
    loss = build_loss("quadratic", eigenvalues=[1.0, 5.0])
    check(loss, run(schedule=schedule, sched_params=params, lr=0.01), run(lr=0.01))


def test_plateau_cuts_on_a_run_that_overflows_and_spares_the_other():
    loss = build_loss("quadratic", eigenvalues=[1.0, 1e100])
    plateau = {"patience": 0, "factor": 0.5}
    check(loss, run(schedule="plateau", sched_params=plateau, lr=0.5), run(schedule="plateau", sched_params=plateau,
                                                                          lr=1e-101))


# -- faults a loss reports itself: NaN or inf in the value or in the gradient -------------------------
class FaultyLoss(Loss):
    """½‖w‖² that turns faulty once w[0] falls below `below`: nan or inf in its value or its gradient."""

    name = "faulty"
    n_params = 2
    exact_hessian = True

    def __init__(self, below: float, where: str, bad: float):
        self.below, self.where, self.bad = below, where, bad
        self.start = np.array([1.0, 1.0])

    def value_and_grad(self, params, batch=None):
        value, grad = 0.5 * np.sum(params * params, axis=1), params.copy()
        hit = params[:, 0] < self.below
        if self.where == "value":
            value = np.where(hit, self.bad, value)
        else:
            grad[hit, 1] = self.bad
        return value, grad

    def hvp(self, params, vectors, batch=None):
        return vectors.copy()


@pytest.mark.parametrize("where", ["value", "gradient"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_loss_that_reports_nan_or_inf_is_caught_where_it_happens(where, bad):
    # SGD at lr 0.1 shrinks w[0] by 0.9 a step: it first drops below 0.5 at step 7 (0.9**7 = 0.478).
    loss = FaultyLoss(below=0.5, where=where, bad=bad)
    expected = 7 if where == "value" else 8  # a bad gradient shows in the parameters one update later
    assert first_bad_row(loss, run(lr=0.1)) == expected
    healthy = RunSpec(optimizer="sgd", optimizer_params={"lr": 1e-3})
    sim = train_side_by_side(loss, RunSpec(optimizer="sgd", optimizer_params={"lr": 0.1}), healthy)
    assert sim.diverged_at.tolist() == [expected, -1]


# -- underflow is not divergence -----------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam"])
def test_learning_rates_that_underflow_leave_the_run_alive_and_still(optimizer, tiny_lr=1e-320):
    loss = build_loss("quadratic", eigenvalues=[1e-300, 1.0])
    sim = Simulation(loss, [RunSpec(optimizer=optimizer, optimizer_params={"lr": tiny_lr}),
                            RunSpec(optimizer=optimizer, optimizer_params={"lr": 0.1},
                                    schedule="exponential", schedule_params={"gamma": 1e-300})])
    sim.step(STEPS)
    assert sim.diverged_at.tolist() == [-1, -1]
    _, lr = sim.history.series("lr", 1)
    assert lr[0] == 0.1 and lr[-1] == 0.0  # 0.1 * 1e-300**t underflows to zero and stays there
    params = sim.history.params_series(0)[1]
    assert np.isfinite(params).all() and np.abs(params[-1] - params[0]).max() <= 1e-300


def test_the_smallest_positive_learning_rate_trains_without_an_exception():
    test_learning_rates_that_underflow_leave_the_run_alive_and_still("sgd", tiny_lr=5e-324)


def test_a_loss_that_underflows_to_zero_trains_on():
    loss = build_loss("expression", expr="1 - exp(-(x*x + y*y)*1e3) + 1e-300*x*y", vars=["x", "y"], start=[30, 30])
    sim = Simulation(loss, [RunSpec(optimizer="adam", optimizer_params={"lr": 0.1})])
    sim.step(STEPS)
    assert sim.diverged_at.tolist() == [-1]


# -- a run that starts at a non-finite loss ------------------------------------------------------------
def test_a_run_whose_start_is_already_non_finite_is_diverged_at_step_0():
    loss = build_loss("expression", expr="exp(x*x) + y*y", vars=["x", "y"])
    sim = train_side_by_side(loss, RunSpec(optimizer="sgd", optimizer_params={"lr": 0.1}, start=np.array([30.0, 1.0])),
                             RunSpec(optimizer="sgd", optimizer_params={"lr": 0.1}, start=np.array([0.1, 1.0])), 5)
    assert sim.diverged_at.tolist() == [0, -1]
    assert sim.history.series("loss", 0)[0].tolist() == [0]


def test_a_run_its_schedule_blew_up_gets_a_finite_suggestion():
    from lrtui.core.experiment import Experiment

    loss = build_loss("quadratic", eigenvalues=[1.0, 50.0])
    exp = Experiment.single(loss, [run(schedule="exponential", sched_params={"gamma": 1e300}, lr=0.01)])
    exp.step(20)
    diverged = [d for d in exp.diagnoses(0) if d.code == "diverged"]
    assert diverged and "n/a" not in diverged[0].message
    assert np.isfinite(diverged[0].fix["optimizer.lr"])
    assert diverged[0].message.startswith("diverged: the schedule drove the LR to inf")
    assert diverged[0].fix["schedule.type"] == "constant"
    # The suggestion, taken from the start, trains: the LR it names is below the stable limit 2/50.
    fixed = Experiment.single(loss, [run(lr=diverged[0].fix["optimizer.lr"])])
    fixed.step(20)
    assert fixed.diverged_at(0) == -1 and diverged[0].fix["optimizer.lr"] < 2 / 50


def test_a_run_that_starts_non_finite_is_not_told_to_lower_its_lr():
    from lrtui.core.experiment import Experiment

    loss = build_loss("expression", expr="exp(x*x) + y*y", vars=["x", "y"])
    exp = Experiment.single(loss, [run(lr=0.1, start=[30.0, 1.0]), run(lr=0.1, start=[0.1, 1.0])])
    exp.step(5)
    assert exp.diverged_at(0) == 0 and exp.diverged_at(1) == -1
    diagnosis = exp.summary(0)
    assert diagnosis.code == "diverged" and "at the start" in diagnosis.message and not diagnosis.fix
