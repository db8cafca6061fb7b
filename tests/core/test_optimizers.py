"""lrtui's optimizers against torch.optim trajectories, and their batch behaviour.

The torch trajectories come from tests/fixtures/make_torch_optimizers.py
(torch 2.13, float64, 500 steps); the landscape's gradient below is the same
NumPy code that script used.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrtui.core.optimizers import OPTIMIZERS, build_optimizer

with np.load(Path(__file__).parents[1] / "fixtures" / "torch_optimizers.npz") as stored:
    FIXTURE = dict(stored)
CASES = json.loads(str(FIXTURE["cases"]))
TORCH_DEFAULTS = json.loads(str(FIXTURE["torch_defaults"]))
HESSIAN, PULL, QUARTIC = FIXTURE["hessian"], FIXTURE["pull"], float(FIXTURE["quartic"])
FLOAT64_CASES = sorted(name for name, spec in CASES.items() if spec["default_dtype"] == "float64")


def landscape_grad(x):
    linear = x[:, 0:1] * HESSIAN[0] + x[:, 1:2] * HESSIAN[1] + x[:, 2:3] * HESSIAN[2]
    return linear - PULL + (4.0 * QUARTIC) * (x * x * x)


def with_tuple_betas(hyper: dict) -> dict:
    hyper = dict(hyper)
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    return hyper


def replay(name: str) -> np.ndarray:
    spec = CASES[name]
    optimizer = build_optimizer(spec["optimizer"], **with_tuple_betas(spec["hyper"]))
    lr = FIXTURE[f"{name}/lr"]
    momentum = FIXTURE[f"{name}/momentum"] if f"{name}/momentum" in FIXTURE else None
    params = FIXTURE["start"][None, :].copy()
    state = optimizer.init(params)
    trajectory = [params[0]]
    for t in range(lr.size):
        grads = spec["grad_sign"] * landscape_grad(params)
        params, state = optimizer.update(grads, state, params, lr[t], None if momentum is None else momentum[t : t + 1])
        trajectory.append(params[0])
    return np.array(trajectory)


@pytest.mark.parametrize("name", FLOAT64_CASES)
def test_trajectory_matches_torch(name):
    np.testing.assert_allclose(replay(name), FIXTURE[f"{name}/trajectory"], rtol=1e-9, atol=0)


def test_nadam_keeps_mu_product_in_float64():
    # Under torch's float32 default dtype torch rounds NAdam's mu_product to
    # float32; lrtui stays in float64, so the gap is small but real.
    gap = np.abs(replay("nadam_torch_float32_default") - FIXTURE["nadam_torch_float32_default/trajectory"]).max()
    assert 1e-12 < gap < 1e-6


def test_fixture_exercises_every_option():
    for name, cls in OPTIMIZERS.items():
        used = [spec["hyper"] for spec in CASES.values() if spec["optimizer"] == name]
        for key, default in cls.defaults.items():
            values = {json.dumps(h.get(key, default)) for h in used}
            if isinstance(default, bool):
                assert values == {"true", "false"}, f"{name}.{key} not run both ways"
            else:
                assert len(values) > 1, f"{name}.{key} only run at its default"
        assert any(f"{n}/momentum" in FIXTURE for n, s in CASES.items() if s["optimizer"] == name) == (
            cls.momentum_key is not None
        )


def test_defaults_and_names_are_torchs():
    assert list(OPTIMIZERS) == ["sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam"]
    for name, cls in OPTIMIZERS.items():
        ours = {k: list(v) if isinstance(v, tuple) else v for k, v in cls.defaults.items()}
        assert ours == TORCH_DEFAULTS[name], name
    assert {n: c.momentum_key for n, c in OPTIMIZERS.items()} == {
        "sgd": "momentum", "adagrad": None, "rmsprop": "momentum",
        "adam": "beta1", "adamw": "beta1", "nadam": "beta1",
    }  # fmt: skip


# Per-run hyperparameters for 4 runs that mix zero and nonzero values and both lerp branches.
BATCH_CONFIGS = {
    "sgd": {"lr": [0.01, 0.02, 0.003, 0.005], "momentum": [0.0, 0.9, 0.5, 0.7], "dampening": [0.0, 0.3, 0.0, 0.1],
            "weight_decay": [0.0, 0.1, 0.2, 0.0]},
    "sgd_nesterov": {"lr": [0.01, 0.02, 0.003, 0.005], "momentum": [0.9, 0.5, 0.8, 0.99], "nesterov": True,
                     "maximize": True},
    "adagrad": {"lr": [0.1, 0.3, 0.05, 0.2], "lr_decay": [0.0, 0.01, 0.1, 0.0], "eps": [1e-10, 1e-3, 1e-6, 0.1],
                "initial_accumulator_value": [0.0, 0.5, 0.1, 1.0], "weight_decay": [0.0, 0.1, 0.0, 0.3]},
    "rmsprop": {"lr": [0.01, 0.002, 0.005, 0.001], "alpha": [0.99, 0.3, 0.9, 0.5], "momentum": [0.0, 0.9, 0.5, 0.0],
                "centered": True, "weight_decay": [0.0, 0.1, 0.0, 0.2]},
    "adam": {"lr": [0.01, 0.02, 0.005, 0.001], "betas": ([0.9, 0.3, 0.5, 0.8], [0.999, 0.9, 0.99, 0.5]),
             "eps": [1e-8, 1e-4, 1e-6, 1e-3], "weight_decay": [0.0, 0.1, 0.2, 0.0], "amsgrad": True},
    "adamw": {"lr": [0.01, 0.02, 0.005, 0.001], "betas": (0.9, [0.999, 0.9, 0.99, 0.5]),
              "weight_decay": [0.01, 0.0, 0.3, 0.1], "maximize": True},
    "nadam": {"lr": [0.01, 0.02, 0.005, 0.001], "betas": ([0.9, 0.3, 0.6, 0.95], 0.99),
              "momentum_decay": [0.004, 0.0, 0.02, 0.1], "weight_decay": [0.0, 0.1, 0.2, 0.0],
              "decoupled_weight_decay": True},
}  # fmt: skip
STARTS = np.array([[6.0, -4.0, 3.0], [2.5, -1.5, 1.0], [-1.0, 2.0, 0.5], [0.3, 0.2, -2.0]])


def optimizer_name(config: str) -> str:
    return config.split("_")[0]


def run_row(hyper: dict, run: int) -> dict:
    def pick(value):
        if isinstance(value, tuple):
            return tuple(pick(v) for v in value)
        return value[run] if isinstance(value, list) else value

    return {k: pick(v) for k, v in hyper.items()}


def batch_hyper(hyper: dict) -> dict:
    def arrays(value):
        if isinstance(value, tuple):
            return tuple(arrays(v) for v in value)
        return np.array(value) if isinstance(value, list) else value

    return {k: arrays(v) for k, v in hyper.items()}


def cycled_momentum(config: str, t: int):
    """Momentum / beta1 overrides on two steps in three, through 0 unless Nesterov forbids it."""
    if OPTIMIZERS[optimizer_name(config)].momentum_key is None or t % 3 == 0:
        return None
    return np.array([0.9, 0.4, 0.3 if "nesterov" in config else 0.0, 0.85])


def scheduled_lr(config: str, t: int) -> np.ndarray:
    return np.array(BATCH_CONFIGS[config]["lr"]) * (1.0 + 0.5 * np.sin(t))


def step_batch(optimizer, params, state, steps, lr_of, momentum_of):
    sign = -1.0 if optimizer.hyperparams["maximize"] else 1.0
    for t in range(steps):
        params, state = optimizer.update(sign * landscape_grad(params), state, params, lr_of(t), momentum_of(t))
    return params, state


@pytest.mark.parametrize("config", sorted(BATCH_CONFIGS))
def test_batch_equals_separate_runs_bit_for_bit(config):
    name, hyper = optimizer_name(config), BATCH_CONFIGS[config]
    batch = build_optimizer(name, **batch_hyper(hyper))
    params, state = step_batch(
        batch, STARTS, batch.init(STARTS), 60, lambda t: scheduled_lr(config, t), lambda t: cycled_momentum(config, t)
    )
    for run in range(len(STARTS)):
        single = build_optimizer(name, **run_row(hyper, run))
        row = STARTS[run : run + 1]

        def own(values, run=run):
            return None if values is None else values[run : run + 1]

        one_params, one_state = step_batch(
            single, row, single.init(row), 60,
            lambda t: own(scheduled_lr(config, t)), lambda t: own(cycled_momentum(config, t)),
        )  # fmt: skip
        assert np.array_equal(one_params, params[run : run + 1]), (config, run)
        assert one_state.keys() == state.keys()
        for key in state:
            assert np.array_equal(one_state[key], state[key][run : run + 1]), (config, run, key)


@pytest.mark.parametrize("config", sorted(BATCH_CONFIGS))
def test_one_run_restarted_while_others_continue(config):
    name, hyper = optimizer_name(config), BATCH_CONFIGS[config]
    batch = build_optimizer(name, **batch_hyper(hyper))
    base_lr = np.array(hyper["lr"])
    params, state = step_batch(batch, STARTS, batch.init(STARTS), 20, lambda t: base_lr, lambda t: None)
    uninterrupted, _ = step_batch(batch, params, state, 20, lambda t: base_lr, lambda t: None)
    fresh = batch.init(params)
    state = {key: np.concatenate([value[:1], fresh[key][1:2], value[2:]]) for key, value in state.items()}
    restart_from = params[1:2].copy()
    params, state = step_batch(batch, params, state, 20, lambda t: base_lr, lambda t: None)
    single = build_optimizer(name, **run_row(hyper, 1))
    alone, _ = step_batch(single, restart_from, single.init(restart_from), 20, lambda t: base_lr[1:2], lambda t: None)
    assert np.array_equal(alone, params[1:2])
    others = [0, 2, 3]
    assert np.array_equal(uninterrupted[others], params[others])


@pytest.mark.parametrize("config", sorted(BATCH_CONFIGS))
def test_zero_lr_leaves_params_unchanged(config):
    name, hyper = optimizer_name(config), BATCH_CONFIGS[config]
    optimizer = build_optimizer(name, **batch_hyper(hyper))
    params, state = step_batch(optimizer, STARTS, optimizer.init(STARTS), 10, lambda t: np.array(hyper["lr"]),
                               lambda t: None)
    before = params.copy()
    for lr in (0.0, np.zeros(len(STARTS))):
        after, _ = optimizer.update(landscape_grad(params), state, params, lr)
        assert np.array_equal(after, before)
    fresh, _ = optimizer.update(landscape_grad(STARTS), optimizer.init(STARTS), STARTS, 0.0)
    assert np.array_equal(fresh, STARTS)


@pytest.mark.parametrize("config", sorted(BATCH_CONFIGS))
def test_stepping_from_an_old_state_again_gives_the_same_result(config):
    name, hyper = optimizer_name(config), BATCH_CONFIGS[config]
    optimizer = build_optimizer(name, **batch_hyper(hyper))
    state0 = optimizer.init(STARTS)
    params1, state1 = optimizer.update(landscape_grad(STARTS), state0, STARTS, 0.01)
    params2, state2 = optimizer.update(landscape_grad(params1), state1, params1, 0.01)
    again1, _ = optimizer.update(landscape_grad(STARTS), state0, STARTS, 0.01)
    again2, again_state2 = optimizer.update(landscape_grad(params1), state1, params1, 0.01)
    assert np.array_equal(again1, params1) and np.array_equal(again2, params2)
    assert all(np.array_equal(again_state2[k], state2[k]) for k in state2)


@pytest.mark.parametrize("config", sorted(BATCH_CONFIGS))
def test_update_does_not_modify_its_inputs(config):
    name, hyper = optimizer_name(config), BATCH_CONFIGS[config]
    optimizer = build_optimizer(name, **batch_hyper(hyper))
    params, state = step_batch(optimizer, STARTS, optimizer.init(STARTS), 3, lambda t: 0.01, lambda t: None)
    grads = landscape_grad(params)
    copies = (params.copy(), grads.copy(), {k: v.copy() for k, v in state.items()})
    optimizer.update(grads, state, params, np.full(len(STARTS), 0.01), cycled_momentum(config, 1))
    assert np.array_equal(params, copies[0]) and np.array_equal(grads, copies[1])
    assert all(np.array_equal(state[k], copies[2][k]) for k in state)


def test_effective_lr_is_the_per_parameter_step():
    grads = landscape_grad(STARTS)
    lr = np.array([0.01, 0.02, 0.005, 0.001])
    assert build_optimizer("sgd").effective_lr(build_optimizer("sgd").init(STARTS), lr) is None
    # After one step from rest the update is exactly -effective_lr times a known direction.
    cases = {
        "adagrad": ({}, lambda s: grads),
        "rmsprop": ({"centered": True}, lambda s: grads),
        "adam": ({"amsgrad": True}, lambda s: s["exp_avg"] / (1.0 - 0.9)),
    }
    for name, (hyper, direction) in cases.items():
        optimizer = build_optimizer(name, **hyper)
        state = optimizer.init(STARTS)
        params, state = optimizer.update(grads, state, STARTS, lr)
        step = optimizer.effective_lr(state, lr)
        assert step.shape == STARTS.shape and np.all(step > 0)
        np.testing.assert_allclose(STARTS - params, step * direction(state), rtol=1e-12)
    nadam = build_optimizer("nadam")
    state = nadam.init(STARTS)
    fresh = nadam.effective_lr(state, 0.002)
    np.testing.assert_allclose(fresh, 0.002 / 1e-8)
    _, state = nadam.update(grads, state, STARTS, 0.002)
    np.testing.assert_allclose(nadam.effective_lr(state, 0.002), 0.002 / (np.abs(grads) + 1e-8), rtol=1e-12)
    assert build_optimizer("adam").effective_lr(build_optimizer("adam").init(STARTS), lr).shape == STARTS.shape


@pytest.mark.parametrize(
    ("name", "hyper", "message"),
    [
        ("sgd", {"lr": -0.1}, "lr must be >= 0, got -0.1"),
        ("sgd", {"lr": float("nan")}, "lr must be a finite number, got nan"),
        ("sgd", {"lr": np.array([0.1, float("inf")])}, r"lr must be a finite number, got inf \(run 1\)"),
        ("sgd", {"momentum": -0.5}, "momentum must be >= 0, got -0.5"),
        ("sgd", {"weight_decay": np.array([0.0, -1.0])}, r"weight_decay must be >= 0, got -1.0 \(run 1\)"),
        ("sgd", {"nesterov": True}, "nesterov=True needs momentum > 0"),
        ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov=True needs dampening = 0"),
        ("sgd", {"nesterov": 1}, "nesterov must be true or false, got 1"),
        ("sgd", {"momentum": True}, "momentum must be a number, got True"),
        ("sgd", {"momentun": 0.9}, 'sgd has no hyperparameter "momentun"; did you mean "momentum"\\?'),
        ("sgd", {"foreach": False}, "does not take 'foreach'"),
        ("sgd", {"lr": np.ones((2, 2))}, r"lr must be a number or a 1-D array with one value per run"),
        ("sgd", {"lr": "fast"}, "lr must be a number or one number per run"),
        ("sgd", {"lr": np.ones(3), "momentum": np.ones(2)}, "momentum has 2 values but other hyperparameters have 3"),
        ("adagrad", {"lr_decay": -1.0}, "lr_decay must be >= 0"),
        ("adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value must be >= 0"),
        ("adagrad", {"eps": -1e-10}, "eps must be >= 0"),
        ("rmsprop", {"alpha": -0.1}, "alpha must be >= 0"),
        ("adam", {"betas": (1.0, 0.999)}, r"betas\[0\] must be >= 0 and < 1, got 1.0"),
        ("adam", {"betas": (0.9, np.array([0.9, -0.1]))}, r"betas\[1\] must be >= 0 and < 1, got -0.1 \(run 1\)"),
        ("adam", {"betas": 0.9}, r"betas must be a pair \(beta1, beta2\)"),
        ("adam", {"bets": (0.9, 0.99)}, 'did you mean "betas"'),
        ("adamw", {"decoupled_weight_decay": False}, 'adamw has no hyperparameter "decoupled_weight_decay"'),
        ("nadam", {"momentum_decay": -0.004}, "momentum_decay must be >= 0"),
        ("adm", {}, 'unknown optimizer "adm"; did you mean "adam"\\?'),
    ],
)
def test_bad_hyperparameters_are_explained(name, hyper, message):
    with pytest.raises(ValueError, match=message):
        build_optimizer(name, **hyper)


def test_state_shape_errors_and_adagrad_momentum():
    with pytest.raises(ValueError, match="params has 4 runs but the hyperparameter arrays have 2 values"):
        build_optimizer("adam", lr=np.array([0.1, 0.2])).init(STARTS)
    with pytest.raises(ValueError, match=r"params must have shape \(runs, n_params\)"):
        build_optimizer("adam").init(STARTS[0])
    adagrad = build_optimizer("adagrad")
    with pytest.raises(ValueError, match="adagrad has no momentum or beta1 to cycle"):
        adagrad.update(STARTS, adagrad.init(STARTS), STARTS, 0.1, momentum=np.full(4, 0.9))
