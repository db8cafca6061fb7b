"""Loss-key sweeps stacked into one simulation (lrtui.core.losses.stacked): each run exactly as its own."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrtui.core.losses import build_loss, stack_losses
from lrtui.core.losses.stacked import RowCountError, StackedLoss
from lrtui.export import csv_chunks, json_chunks, to_table
from lrtui.scenario.loader import parse_scenario


def quadratics(*spectra, **extra):
    return [build_loss("quadratic", eigenvalues=list(s), **extra) for s in spectra]


# -- stacking --------------------------------------------------------------------------
def test_losses_of_one_kind_and_shape_stack_and_others_do_not():
    assert isinstance(stack_losses(quadratics([1, 10], [1, 100])), StackedLoss)
    assert stack_losses(quadratics([1, 10])) is not None  # one loss is itself
    assert stack_losses(quadratics([1, 10], [1, 10, 100])) is None  # shapes differ
    assert stack_losses([build_loss("rosenbrock"), build_loss("beale")]) is None  # kinds differ
    assert isinstance(stack_losses([build_loss("rosenbrock", b=b) for b in (1.0, 100.0)]), StackedLoss)
    # Their floors differ (-b/4), and the diagnostics measure a simulation's gaps from one floor.
    assert stack_losses([build_loss("saddle", b=b) for b in (1.0, 2.0)]) is None
    # A 2-D formula without min_value has its floor read off its own landscape.
    formulas = [build_loss("expression", expr=f"x**2 + {c}*y**2", vars=["x", "y"]) for c in (1, 5)]
    assert stack_losses(formulas) is None
    stated = [build_loss("expression", expr=f"x**2 + {c}*y**2", vars=["x", "y"], min_value=0.0) for c in (1, 5)]
    assert isinstance(stack_losses(stated), StackedLoss)
    # Data models, and losses too large for the exact sharpness, stay one simulation each.
    models = [build_loss("logistic_regression", dataset="gaussians", seed=s) for s in (0, 1)]
    assert stack_losses(models) is None
    assert stack_losses(quadratics(range(1, 18), range(2, 19))) is None
    # A quadratic with a saddle in 2-D has no stated minimum: its floor is its landscape's.
    assert stack_losses(quadratics([1, -1], [1, -2])) is None


def test_each_row_is_evaluated_by_its_own_loss_bit_for_bit():
    members = quadratics([1, 10, 3, 4, 5], [2, 30, 1, 1, 7], [0.5, 9, 9, 2, 1], rotation_seed=3)
    stacked = stack_losses(members)
    rng = np.random.default_rng(0)
    for member_of in ([0, 1, 2], [2, 0, 0, 1, 2, 2, 1]):  # one row each (batched), and several (each its own)
        loss = stacked.rows(member_of)
        params, vectors = rng.standard_normal((len(member_of), 5)) * 7, rng.standard_normal((len(member_of), 5))
        value, grad = loss.value_and_grad(params)
        hvp, hessian = loss.hvp(params, vectors), loss.hessian(params)
        for k in range(3):
            rows = np.flatnonzero(np.array(member_of) == k)
            own_value, own_grad = members[k].value_and_grad(params[rows])
            assert np.array_equal(value[rows], own_value) and np.array_equal(grad[rows], own_grad)
            assert np.array_equal(hvp[rows], members[k].hvp(params[rows], vectors[rows]))
            assert np.array_equal(hessian[rows], members[k].hessian(params[rows]))
            assert np.array_equal(loss.value(params)[rows], members[k].value(params[rows]))


def test_rows_give_each_runs_own_loss_and_a_wrong_row_count_is_refused():
    members = [build_loss("rosenbrock", b=b) for b in (1.0, 10.0, 100.0)]
    stacked = stack_losses(members).rows([0, 0, 1, 2])
    assert stacked.rows([3]) is members[2] and stacked.rows([0, 1]) is members[0]
    assert stacked.rows([1, 2]).members_of(2).tolist() == [0, 1]
    assert stacked.members_of(4).tolist() == [0, 0, 1, 2]
    assert members[0].rows([5, 6]) is members[0]  # an ordinary loss is every run's
    for call in (lambda: stacked.value_and_grad(np.zeros((3, 2))), lambda: stacked.hessian(np.zeros((1, 2))),
                 lambda: stacked.hvp(np.zeros((5, 2)), np.zeros((5, 2))), lambda: stacked.value(np.zeros((2, 2)))):
        with pytest.raises(RowCountError, match="loss.rows"):
            call()
    with pytest.raises(RowCountError):
        stacked.rows([4])


# -- a sweep, grouped and not ------------------------------------------------------------
SWEEP = """\
name = "stacked"
steps = {steps}

[loss]
type = "{kind}"
{loss}

[optimizer]
type = "{optimizer}"
lr = 0.01

[sweep]
"loss.{key}" = {values}
"optimizer.lr" = {lrs}
"""


def scenario(kind, loss, key, values, lrs, optimizer="sgd", steps=240):
    text = SWEEP.format(kind=kind, loss=loss, key=key, values=json.dumps(values), lrs=json.dumps(lrs),
                        optimizer=optimizer, steps=steps)
    return parse_scenario(text, "stacked.toml")


def assert_same(a, b, name="stacked"):
    """Everything a user sees of the two experiments, compared exactly."""
    assert a.n_runs == b.n_runs and a.labels == b.labels
    assert to_table(a, name) == to_table(b, name)
    assert "".join(csv_chunks(a)) == "".join(csv_chunks(b))
    assert "".join(json_chunks(a, name, [])) == "".join(json_chunks(b, name, []))
    assert a.diagnoses() == b.diagnoses()
    # A fork's text names its parent by its experiment number, grouped or not.
    assert a.events == b.events
    for e in a.events:
        if e.kind == "fork":
            assert e.detail.startswith(f"forked from run {e.parent} ")
    for run in range(a.n_runs):
        for field in ("loss", "lr", "grad_norm"):
            for x, y in zip(a.series(run, field), b.series(run, field)):
                assert np.array_equal(x, y, equal_nan=True), (run, field)
        assert a.verdict(run) == b.verdict(run) and a.summary(run) == b.summary(run)
        assert a.current(run)["loss"] == b.current(run)["loss"] or np.isnan(a.current(run)["loss"])
        for x, y in zip(a.curvature_history(run), b.curvature_history(run)):
            assert np.array_equal(x, y, equal_nan=True), run
        theory_a, theory_b = a.theory_loss(run), b.theory_loss(run)
        assert (theory_a is None) == (theory_b is None)
        if theory_a is not None:
            assert all(np.array_equal(x, y, equal_nan=True) for x, y in zip(theory_a, theory_b))
        assert a.loss_of(run) is not None and a.loss_of(run).describe() == b.loss_of(run).describe()
        assert a.view(run).loss_function.describe() == b.view(run).loss_function.describe()


CASES = {
    # Diverging, oscillating, slow and healthy runs of 2-D quadratics: the sweep's LRs are each other's siblings.
    "quadratic": ("quadratic", "eigenvalues = [1.0, 10.0]", "eigenvalues",
                  [[1.0, 10.0], [1.0, 100.0], [0.5, 250.0], [1.0, 1.0]], [0.001, 0.01, 0.019, 0.05], "sgd"),
    # 16 dimensions with momentum: every loss's runs go through a product of their own.
    "quadratic16": ("quadratic", "dims = 16", "condition_number", [2.0, 100.0, 1000.0],
                    [0.0001, 0.01, 0.19, 0.5], "sgd"),
    "rosenbrock": ("rosenbrock", "", "b", [1.0, 10.0, 100.0], [0.001, 0.05, 0.5], "adam"),
    "formula": ("expression", 'expr = "x**2 + y**2"\nvars = ["x", "y"]\nmin_value = 0.0', "expr",
                ["(x - 1)**2 + 5*y**2", "(x - 1)**2 + 50*y**2", "x**4 + y**2"], [0.005, 0.05], "sgd"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_loss_sweep_grouped_is_exactly_the_sweep_ungrouped(case):
    sc = scenario(*CASES[case])
    grouped, separate = sc.build(), sc.build_ungrouped()
    assert len(grouped.simulations) == 1 and len(separate.simulations) == len(CASES[case][3])
    for exp in (grouped, separate):
        exp.step(sc.steps)
    assert_same(grouped, separate)
    verdicts = {grouped.verdict(run) for run in range(grouped.n_runs)}
    assert len(verdicts) >= 2  # the comparison covers findings, not only healthy runs


def test_more_than_64_losses_of_one_run_each_are_sampled_and_recorded_as_one_run_each():
    # One run per loss: each would be its own simulation, sampled every checkpoint and keeping every step.
    sc = scenario("quadratic", "eigenvalues = [1.0, 10.0, 3.0]\nrotation_seed = 1", "rotation_seed",
                  list(range(70)), [0.15], steps=300)
    grouped, separate = sc.build(), sc.build_ungrouped()
    assert len(grouped.simulations) == 1 and len(separate.simulations) == 70
    for exp in (grouped, separate):
        exp.step(sc.steps)
    assert_same(grouped, separate)


def test_forks_edits_replays_and_resets_of_a_grouped_sweep_match_the_ungrouped_one():
    sc = scenario(*CASES["quadratic"])
    grouped, separate = sc.build(), sc.build_ungrouped()
    for exp in (grouped, separate):
        exp.step(60)
        assert exp.fork(5, (0.5, 1.0, 2.0)) == [16, 17]
        exp.scale_lr(9, 0.5)
        exp.set_optimizer(2, "adam", {"lr": 0.05})
        exp.step(sc.steps - 60)
    assert_same(grouped, separate)
    assert grouped.loss_of(16) is grouped.loss_of(5)  # a copy is a run of its parent's loss
    again_grouped, again_separate = grouped.replayed(), separate.replayed()
    for exp in (again_grouped, again_separate):
        exp.step(sc.steps)
    assert_same(again_grouped, again_separate)
    grouped.reset()
    separate.reset()
    assert grouped.n_runs == 16 and grouped.simulations[0].loss.members_of(16).tolist() == sorted(
        [0, 1, 2, 3] * 4)
    for exp in (grouped, separate):
        exp.step(30)
    assert_same(grouped, separate)


def test_uneven_loss_groups_and_data_models_stay_separate_simulations():
    # Two runs of one loss, one of another: a simulation plans its history and sampling for its runs of one
    # loss, so losses with different numbers of runs are not stacked.
    uneven = parse_scenario('name = "u"\nsteps = 20\n[loss]\ntype = "quadratic"\neigenvalues = [1.0, 10.0]\n'
                            '[optimizer]\ntype = "sgd"\nlr = 0.01\n[[runs]]\nlabel = "a"\n[[runs]]\nlabel = "b"\n'
                            '[[runs]]\nlabel = "c"\nloss.eigenvalues = [1.0, 20.0]\n', "uneven.toml")
    assert uneven.check_buildable() == 2 and len(uneven.build().simulations) == 2
    assert uneven.build().labels == ["a", "b", "c"]
    models = parse_scenario('name = "m"\nsteps = 5\n[loss]\ntype = "logistic_regression"\ndataset = "gaussians"\n'
                            '[optimizer]\ntype = "sgd"\nlr = 0.1\n[sweep]\n"loss.seed" = [0, 1]\n', "m.toml")
    assert len(models.build().simulations) == 2 and models.check_buildable() == 2
