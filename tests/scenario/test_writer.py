"""Saved settings (w in the app) load back as the same runs."""

import tomllib

import numpy as np
import pytest

from lrtui.core.schedules import SCHEDULES
from lrtui.scenario import find_builtin, parse_scenario
from lrtui.scenario.params import parameter_table
from lrtui.scenario.writer import experiment_runs, scenario_to_toml, toml_value

TWO_RUNS = """\
name = "two runs"
description = "A quadratic.\\nWatch both."
steps = 50

[loss]
type = "quadratic"
eigenvalues = [1.0, 10.0]
start = [1.0, 1.0]

[optimizer]
type = "sgd"
lr = 0.05
momentum = 0.9

[[runs]]

[[runs]]
label = "slow"
optimizer.lr = 0.01
"""


def saved(scenario, exp):
    specs, losses = experiment_runs(scenario, exp)
    text = scenario_to_toml(scenario.name, scenario.description, scenario.steps, scenario.seed, specs, losses,
                            eval_every=scenario.eval_every)
    return specs, text, parse_scenario(text, "saved.toml")


def schedule_params(spec):
    defaults, _ = parameter_table(SCHEDULES[spec.schedule])
    return {**defaults, **spec.schedule_params}


def assert_same_runs(specs, exp, rebuilt):
    assert rebuilt.n_runs == exp.n_runs == len(specs)
    for run, spec in enumerate(specs):
        sim, local = rebuilt.locate(run)
        back = sim.specs[local]
        assert back.optimizer == spec.optimizer
        assert back.optimizer_params == pytest.approx(spec.optimizer_params)
        assert back.schedule == spec.schedule and schedule_params(back) == schedule_params(spec)
        if spec.start is None:
            assert back.start is None
        else:
            np.testing.assert_array_equal(back.start, spec.start)
        assert rebuilt.loss_of(run).n_params == exp.loss_of(run).n_params
        if spec.label:
            assert back.label == spec.label


def test_switched_optimizer_scaled_lr_new_schedule_and_fork_load_back():
    scenario = parse_scenario(TWO_RUNS, "two.toml")
    exp = scenario.build()
    exp.step(5)
    exp.set_optimizer(0, "adam", {"lr": 0.02})
    exp.set_schedule(0, "cosine", {"T_max": 40})
    exp.scale_lr(1, 3.0)
    forked = exp.fork(1)
    specs, text, back = saved(scenario, exp)
    rebuilt = back.build()
    assert_same_runs(specs, exp, rebuilt)
    assert back.name == "two runs" and back.description == "A quadratic.\nWatch both." and back.steps == 50
    # The LR each run trains at now, scale folded in: 0.01 x3, and the fork's x0.3 and x3 on top.
    assert [rebuilt.current(r)["lr"] for r in (1, *forked)] == pytest.approx([0.03, 0.009, 0.09])
    assert rebuilt.spec(0).optimizer == "adam" and rebuilt.current(0)["lr"] == pytest.approx(0.02)
    # The unlabelled run is labelled afresh from its new optimizer; the fork keeps its label.
    # (a fork of a run whose LR was changed names the LR it multiplies: walkthrough 10b, D65)
    assert rebuilt.labels[0] == "adam lr=0.02" and rebuilt.labels[2] == "run 1 at lr 0.03 x0.3"
    # The base tables come from the first run; defaults are left out.
    data = tomllib.loads(text)
    assert data["optimizer"] == {"type": "adam", "lr": 0.02}
    assert data["schedule"] == {"type": "cosine", "T_max": 40}
    assert data["runs"][1] == {"label": "slow", "optimizer": {"type": "sgd", "lr": pytest.approx(0.03),
                                                             "momentum": 0.9}, "schedule": {"type": "constant"}}


def test_runs_with_different_losses_keep_their_own():
    scenario = find_builtin("minibatch-noise").load()
    exp = scenario.build()
    specs, text, back = saved(scenario, exp)
    assert [run.loss.get("batch_size") for run in back.runs] == [8, 0]
    assert_same_runs(specs, exp, back.build())


def test_a_start_only_some_runs_set_is_not_given_to_the_others():
    text = TWO_RUNS.replace("start = [1.0, 1.0]\n", "").replace('label = "slow"', 'label = "slow"\nloss.start = [2.0, -1.0]')
    scenario = parse_scenario(text, "two.toml")
    exp = scenario.build()
    specs, _, back = saved(scenario, exp)
    assert back.runs[0].start is None and back.runs[1].start == [2.0, -1.0]


SCHEDULE_TABLES = {
    "constant": "",
    "constant_factor": "factor = 0.5\ntotal_iters = 10",
    "step": "step_size = 10\ngamma = 0.5",
    "multistep": "milestones = [10, 30]",
    "exponential": "gamma = 0.97",
    "cosine": "T_max = 40\neta_min = 0.001",
    "cosine_warm_restarts": "T_0 = 15\neta_min = 0.002",
    "linear": "start_factor = 0.1\ntotal_iters = 20",
    "polynomial": "total_iters = 30\npower = 2.0",
    "onecycle": "max_lr = 0.08\ntotal_steps = 60",
    "cyclic": "base_lr = 0.001\nmax_lr = 0.05\nstep_size_up = 10",
    "plateau": "patience = 3\nmin_lr = 0.004",
    "sequential": 'milestones = [10]\nschedulers = [{ type = "linear", start_factor = 0.1, total_iters = 10 }, '
                  '{ type = "cyclic", base_lr = 0.002, max_lr = 0.04, step_size_up = 5, cycle_momentum = false }]',
}


def test_every_schedule_is_covered():
    assert set(SCHEDULE_TABLES) == set(SCHEDULES)


@pytest.mark.parametrize("schedule", list(SCHEDULE_TABLES))
def test_a_scaled_and_forked_run_plans_the_same_lr_under_every_schedule(schedule):
    text = TWO_RUNS.replace("steps = 50", "steps = 60").replace(
        "[[runs]]", f'[schedule]\ntype = "{schedule}"\n{SCHEDULE_TABLES[schedule]}\n\n[[runs]]', 1)
    scenario = parse_scenario(text, "two.toml")
    exp = scenario.build()
    exp.scale_lr(0, 2.0)  # onecycle and cyclic set the LR themselves: their max_lr and base_lr must scale too
    exp.fork(1)
    specs, _, back = saved(scenario, exp)
    rebuilt = back.build()
    assert_same_runs(specs, exp, rebuilt)
    for run in range(exp.n_runs):
        np.testing.assert_allclose(rebuilt.planned_lr(run, 60)[1], exp.planned_lr(run, 60)[1], rtol=1e-12)


@pytest.mark.parametrize("name", ["warmup-cosine", "lr-sweep", "rosenbrock-sgd-vs-adam"])
def test_builtins_load_back(name):
    scenario = find_builtin(name).load()
    exp = scenario.build()
    specs, _, back = saved(scenario, exp)
    assert_same_runs(specs, exp, back.build())
    assert back.description == scenario.description and back.steps == scenario.steps


def test_strings_survive_quotes_backslashes_tabs_and_unicode():
    # Names and labels hold no control characters (the loader refuses them); a description may hold tabs.
    tricky = 'a "quoted" \\path\\ with é and 🙂 """ end"'
    scenario = parse_scenario(TWO_RUNS, "two.toml")
    exp = scenario.build()
    specs, losses = experiment_runs(scenario, exp)
    specs[1].label = tricky
    text = scenario_to_toml(tricky, tricky + "\twith a tab\nline two", 10, 3, specs, losses)
    back = parse_scenario(text, "saved.toml")
    assert back.name == tricky and back.description == tricky + "\twith a tab\nline two"
    assert back.runs[1].label == tricky
    assert back.seed == 3 and back.steps == 10


def test_values_and_refusals():
    assert toml_value(np.float64(1e-5)) == "1e-05" and toml_value((0.9, 0.999)) == "[0.9, 0.999]"
    assert toml_value(float("inf")) == "inf" and toml_value(True) == "true"
    assert toml_value({"type": "linear", "total_iters": 3}) == '{ type = "linear", total_iters = 3 }'
    with pytest.raises(ValueError, match="cannot write"):
        toml_value(object())
    with pytest.raises(ValueError, match="at least one run"):
        scenario_to_toml("x", "", 10, 0, [], {})
