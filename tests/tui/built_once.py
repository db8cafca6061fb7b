"""Built-in scenarios whose experiment is built once per test process and handed out as deep copies.

Building a model's experiment measures its sharpness at step 0 (one to three seconds on a loaded machine);
a deep copy of the fresh experiment is the same experiment (the snapshots, drawn from copies, match the
ones drawn from fresh builds), in milliseconds. The key-sequence fuzz and the snapshot app use it.
"""

from __future__ import annotations

import copy

from lrtui.scenario.library import find_builtin

_BUILT: dict[str, object] = {}


def cached_builds(scenario, key: str | None = None):
    """The scenario, whose `build()` (opening it, `R`) returns a copy of the experiment it built the first time."""
    key = key or f"{scenario.source}:{scenario.steps}:{scenario.seed}"
    build = scenario.build

    def copied():
        if key not in _BUILT:
            _BUILT[key] = build()
        return copy.deepcopy(_BUILT[key])

    scenario.build = copied
    return scenario


def builtin(name: str):
    """find_builtin(name).load(), with its builds cached."""
    return cached_builds(find_builtin(name).load(), key=name)


_FINISHED: dict[str, object] = {}


def finished(name: str):
    """A copy of the built-in scenario's experiment trained through its whole budget (trained once per process)."""
    if name not in _FINISHED:
        scenario = builtin(name)
        experiment = scenario.build()
        experiment.step(scenario.steps)
        _FINISHED[name] = experiment
    return copy.deepcopy(_FINISHED[name])
