"""Memory a scenario will need, worked out before anything is built, and refused past a budget.

The limits on runs, steps and parameters each hold alone, but together they can still ask for more memory
than a machine has: 4,096 runs that each sweep a loss key keep 4,096 histories, one per loss, whether
they are 4,096 simulations or, when their losses stack, one. This adds up the parts that grow with the
scenario:

- each simulation's history (lrtui.core.history plans it within about 64 MB, and touches only the rows
  the steps fill) and its sharpness record;
- the (runs x parameters) arrays of parameters, gradients, optimizer state and sharpness estimates;
- a fixed cost per simulation (its monitor and bookkeeping: about 110 KB measured; 128 KB is counted),
  and 128 MB for the process itself.

The budget is 2 GiB unless LRTUI_MAX_MEMORY says otherwise (for example LRTUI_MAX_MEMORY=8G).
"""

from __future__ import annotations

import os
import re

from lrtui.core.diagnostics.record import CAPACITY as SHARPNESS_SAMPLES
from lrtui.core.diagnostics.record import FIELDS as SHARPNESS_FIELDS
from lrtui.core.diagnostics.record import MEMORY as SHARPNESS_MEMORY
from lrtui.core.history import BASE_FIELDS, MAX_RECORDED_PARAMS, plan_rows, planned_bytes

BUDGET_VARIABLE = "LRTUI_MAX_MEMORY"
DEFAULT_BUDGET = 2 * 2**30
# Arrays of shape (runs, parameters) a simulation holds: parameters and gradients, up to three of optimizer
# state, the monitor's copies, and a Lanczos basis for the sharpness estimate on models.
STATE_ARRAYS = 32
SIMULATION_OVERHEAD = 128 * 2**10
PROCESS_BASE = 128 * 2**20  # Python, NumPy and the data sets, before any simulation
MODEL_FIELDS = 3  # train_loss, test_loss, test_accuracy
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class BudgetError(ValueError):
    """LRTUI_MAX_MEMORY holds something that is not a size."""


def budget() -> int:
    """The memory budget in bytes: LRTUI_MAX_MEMORY (512M, 8G, or bytes) or 2 GiB."""
    raw = os.environ.get(BUDGET_VARIABLE)
    if raw is None or not raw.strip():
        return DEFAULT_BUDGET
    match = _SIZE.match(raw)
    if match is None or float(match.group(1)) <= 0:
        raise BudgetError(f"{BUDGET_VARIABLE}={raw!r} is not a size; write it as 512M, 8G or a number of bytes")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def human(size: float) -> str:
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 2**10:.0f} KB"


def simulation_bytes(n_runs: int, n_params: int, steps: int, is_model: bool) -> int:
    """What one simulation of `n_runs` runs holds at most after `steps` steps."""
    fields = len(BASE_FIELDS) + (MODEL_FIELDS if is_model else 0)
    rows, _ = plan_rows(n_runs, n_params, fields)
    if steps + 1 <= rows:  # the history's memory is touched only as steps fill it, and nothing is folded yet
        history = 8 * n_runs * (fields + (n_params if n_params <= MAX_RECORDED_PARAMS else 0)) * (steps + 1)
    else:
        history = planned_bytes(n_runs, n_params, fields)
    # At most one sharpness sample a step, and the record's memory is touched only as samples arrive.
    samples = min(min(SHARPNESS_SAMPLES, steps + 1) * 8 * len(SHARPNESS_FIELDS) * n_runs, SHARPNESS_MEMORY)
    state = STATE_ARRAYS * 8 * n_runs * n_params
    return history + samples + state + SIMULATION_OVERHEAD


def memory_needed(groups: list[tuple[int, int, bool]], steps: int, stacked: bool = False) -> int:
    """Bytes for simulations given as (runs, parameters per run, is a model) each. `stacked`: the groups are the
    losses of one simulation (lrtui.core.losses.stacked), whose runs of each loss keep what its own simulation
    would (history, sharpness record, state), with the fixed cost paid once."""
    needed = PROCESS_BASE + sum(simulation_bytes(runs, params, steps, model) for runs, params, model in groups)
    return needed - (len(groups) - 1) * SIMULATION_OVERHEAD if stacked and groups else needed


def memory_problem(groups: list[tuple[int, int, bool]], steps: int, stacked: bool = False) -> str | None:
    """Why these simulations cannot be run within the budget (one line that names what to change), or None."""
    needed = memory_needed(groups, steps, stacked)
    limit = budget()
    if needed <= limit:
        return None
    if len(groups) > 1 and stacked:
        what = f"{sum(g[0] for g in groups):,} runs over {len(groups):,} sets of loss.* values, each with its own history"
        fix = "sweep fewer loss values, train fewer steps"
    elif len(groups) > 1:
        what = f"{len(groups):,} simulations, one per set of loss.* values, each with its own history"
        fix = "sweep fewer loss values, train fewer steps"
    else:
        runs, params, _ = groups[0]
        what = f"{runs:,} runs of {params:,} parameters"
        fix = "use fewer runs (sweep fewer values) or a smaller model"
    wanted = human(needed * 1.25)
    return (f"these runs need about {human(needed)} of memory ({what}); the budget is {human(limit)}: {fix}, or "
            f"raise the budget with {BUDGET_VARIABLE}={wanted.replace(' ', '').replace('B', '')} if this machine has "
            "the memory")
