"""Every built-in scenario runs, and shows what its description claims."""

import warnings

import numpy as np
import pytest

from lrtui.scenario import builtin_scenarios, find_builtin

NAMES = [entry.name for entry in builtin_scenarios()]


def trained(name, overrides=()):
    scenario = find_builtin(name).load(overrides)
    exp = scenario.build()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exp.step(scenario.steps)
    return exp


def final(exp, run, field="loss"):
    return exp.series(run, field)[1][-1]


def test_there_are_at_least_twenty_scenarios():
    assert len(NAMES) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_loads_and_says_what_to_watch_and_try(name):
    scenario = find_builtin(name).load()
    words = scenario.description.lower()
    assert len(scenario.description) > 200
    assert "watch" in words, f"{name}: say what to watch"
    assert "try" in words or "press" in words, f"{name}: say what to try"


def test_too_high_oscillation_bounces_without_diverging_and_halving_fixes_it():
    exp = trained("too-high-oscillation")
    loss = exp.series(0, "loss")[1]
    assert exp.diverged_at(0) == -1
    changes = np.diff(loss[-100:])
    assert np.all(changes[1:] * changes[:-1] < 0)  # up, down, up, down: a two-step bounce
    assert loss[-100:].min() > 1.0  # and it never settles (the minimum is 0)
    assert exp.verdict(0) == "oscillating"
    halved = trained("too-high-oscillation", [("optimizer.lr", 0.0125)])
    assert final(halved, 0) < 1e-12


def test_too_high_divergence_diverges_and_the_safe_run_does_not():
    exp = trained("too-high-divergence")
    assert 0 < exp.diverged_at(0) < 50 and exp.diverged_at(1) == -1


def test_too_low_crawls_and_ten_times_the_lr_gets_much_further():
    exp = trained("too-low-slow")
    loss = exp.series(0, "loss")[1]
    assert exp.diverged_at(0) == -1 and np.all(np.diff(loss) <= 0)
    assert final(exp, 0) > 0.5 * exp.series(0, "loss")[1][0]
    faster = trained("too-low-slow", [("optimizer.lr", 0.005)])
    assert final(faster, 0) < final(exp, 0) / 5


def test_just_right_beats_both_neighbours():
    exp = trained("just-right")
    assert final(exp, 0) < final(exp, 1) / 10 and final(exp, 0) < final(exp, 2) / 10


def test_momentum_speeds_up_the_ravine_and_polyak_is_best():
    exp = trained("momentum-ravine")
    assert final(exp, 1) < final(exp, 0) / 10
    assert final(exp, 2) < final(exp, 1) / 1000


def test_adam_follows_the_rosenbrock_valley_that_sgd_crawls():
    exp = trained("rosenbrock-sgd-vs-adam")
    assert final(exp, 1) < final(exp, 0) / 10
    assert np.linalg.norm(exp.current(1)["params"] - [1.0, 1.0]) < 0.6


def test_adagrad_stalls_where_rmsprop_keeps_going():
    exp = trained("adagrad-decays-too-fast")
    assert final(exp, 1) < final(exp, 0) / 5
    eff = exp.effective_lr(0)
    assert np.all(eff < 0.5 * 0.2)  # adagrad's effective step has shrunk far below its lr


def test_rmsprop_beats_sgd_on_the_stretched_bowl():
    exp = trained("rmsprop-equalizes")
    assert final(exp, 1) < final(exp, 0) / 10


@pytest.mark.parametrize("name", ["step-decay", "cosine-annealing", "one-cycle"])
def test_decaying_schedules_end_below_their_constant_lr_twin(name):
    exp = trained(name)
    assert final(exp, 0, "train_loss") < final(exp, 1, "train_loss")
    assert final(exp, 0, "test_accuracy") >= final(exp, 1, "test_accuracy")


def test_exponential_decay_gamma_098_beats_gamma_09():
    exp = trained("exponential-decay")
    assert final(exp, 0) < final(exp, 1) / 10


def test_warmup_avoids_the_early_blow_up():
    exp = trained("warmup-cosine")
    early = exp.series(1, "loss")[1][:30]
    assert early.max() > 1.5 * early[0]  # no warmup: the early spike
    assert final(exp, 0, "train_loss") < final(exp, 1, "train_loss") / 5


def test_reduce_on_plateau_cuts_and_then_converges():
    exp = trained("reduce-on-plateau")
    cuts = [e for e in exp.events if e.kind == "plateau_cut" and e.run == 0]
    assert cuts
    assert final(exp, 0) < 1e-4 and final(exp, 1) > 1.0


def test_too_aggressive_schedule_freezes_far_from_the_minimum():
    exp = trained("schedule-too-aggressive")
    assert final(exp, 0) > 100 * final(exp, 1)
    assert final(exp, 0, "lr") < 0.1 / 100


def test_rastrigin_small_lr_is_stuck_in_a_local_minimum():
    exp = trained("rastrigin-local-minimum")
    stuck = exp.current(0)
    assert stuck["grad_norm"] < 1e-6 and stuck["loss"] > 10
    hessian = exp.loss_of(0).hessian(stuck["params"][None, :])[0]
    assert np.all(np.linalg.eigvalsh(hessian) > 0)
    assert final(exp, 1) < final(exp, 0) / 5


def test_saddle_plateau_then_escape():
    exp = trained("saddle-escape")
    grad = exp.series(0, "grad_norm")[1]
    flat = grad < 1e-2
    longest = max(len(run) for run in "".join("1" if f else "0" for f in flat).split("0"))
    assert longest >= 30
    for run in range(3):
        assert final(exp, run) < -0.2  # every run escaped toward a valley at y = ±1


def test_digits_lr_point_one_learns_and_lr_one_in_ten_thousand_does_not():
    exp = trained("digits-lr-classic")
    assert final(exp, 0, "test_accuracy") >= 0.85
    assert final(exp, 1, "test_accuracy") <= 0.2


def test_minibatch_loss_is_noisier_than_full_batch():
    exp = trained("minibatch-noise")
    noise = [np.std(np.diff(exp.series(r, "loss")[1][100:])) for r in range(2)]
    assert noise[0] > 5 * noise[1]


def test_lr_sweep_spans_too_slow_to_divergent():
    exp = trained("lr-sweep")
    diverged = [exp.diverged_at(r) >= 0 for r in range(exp.n_runs)]
    assert diverged[0] is False and diverged[-1] is True
    finals = [final(exp, r) if not d else np.inf for r, d in enumerate(diverged)]
    best = int(np.argmin(finals))
    assert 0 < best < exp.n_runs - 1 and diverged[best + 1]


def test_himmelblau_four_rates_four_minima():
    exp = trained("himmelblau-which-minimum")
    minima = exp.loss_of(0).minima
    ends = {int(np.argmin(np.linalg.norm(minima - exp.current(r)["params"], axis=1))) for r in range(exp.n_runs)}
    assert len(ends) == 4


def test_warm_restarts_settle_in_the_central_well():
    exp = trained("warm-restarts")
    assert final(exp, 0) < 1e-3 and final(exp, 1) > 0.5


def test_cyclic_lr_sweeps_between_its_bounds():
    exp = trained("cyclic-lr")
    lr = exp.series(0, "lr")[1]
    assert lr.min() == pytest.approx(0.001) and lr.max() == pytest.approx(0.05)
    assert final(exp, 0) < exp.series(0, "loss")[1][0]
