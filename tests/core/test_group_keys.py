"""The grouping keys are remembered between calls (a sweep asks for the same one a thousand times): a
remembered key must be exactly the JSON made afresh, whatever came before it."""

import json

import numpy as np

from lrtui.core.groups import optimizer_key, schedule_key


def _fresh_schedule(name, params, offset):
    return json.dumps([name, params, offset], sort_keys=True, default=str)


def _fresh_optimizer(name, params):
    fixed = {k: v for k, v in params.items() if not (isinstance(v, (int, float)) and not isinstance(v, bool))
             and k != "betas"}
    return json.dumps([name, sorted(fixed.items())], default=str)


def test_remembered_keys_equal_fresh_ones_and_tell_apart_what_json_tells_apart():
    schedules = [("step", {"step_size": 10, "gamma": 0.5}), ("step", {"gamma": 0.5, "step_size": 10}),
                 ("exponential", {"gamma": 1}), ("exponential", {"gamma": 1.0}), ("exponential", {"gamma": True}),
                 ("exponential", {"gamma": 0.0}), ("exponential", {"gamma": -0.0}),
                 ("exponential", {"gamma": float("nan")}), ("exponential", {"gamma": np.float64(0.5)}),
                 ("multistep", {"milestones": [1, 2]}), ("constant", {}), ("constant", {"x": None}),
                 ("constant", {"x": "1"})]
    for _ in range(2):  # the second pass reads what the first remembered
        for offset in (0, 3):
            keys = [schedule_key(name, params, offset) for name, params in schedules]
            assert keys == [_fresh_schedule(name, params, offset) for name, params in schedules]
    assert len({schedule_key("exponential", {"gamma": g}, 0) for g in (1, 1.0, True, 0.0, -0.0)}) == 5
    optimizers = [("sgd", {"lr": 0.1, "nesterov": True}), ("sgd", {"lr": 0.2, "nesterov": False}),
                  ("sgd", {"lr": 0.1, "nesterov": 1}), ("adam", {"betas": (0.9, 0.99), "amsgrad": False}),
                  ("adam", {"amsgrad": "yes"}), ("adam", {"amsgrad": [1]})]
    for _ in range(2):
        assert [optimizer_key(n, p) for n, p in optimizers] == [_fresh_optimizer(n, p) for n, p in optimizers]
