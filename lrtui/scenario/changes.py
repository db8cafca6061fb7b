"""A run's `changes` in a scenario file: what was changed mid-run, at which step, so a replay retraces it.

    [[runs]]
    label = "sgd, edited"
    changes = [
      { step = 40, "optimizer.lr" = 0.005 },
      { step = 60, "optimizer.type" = "adam" },
      { step = 90, "schedule.type" = "cosine", "schedule.T_max" = 110 },
    ]

Each entry is one `lrtui.core.run_spec.Change`: `step` (a whole number from 0 to the scenario's `steps`; the
update after that step is the first to use the change) and the keys a diagnosis's fix uses:
"optimizer.lr" (a new LR; a schedule keeps its shape around it), "optimizer.lr_factor" (multiply the LR, its
whole schedule included), "optimizer.<name>" (a hyperparameter, the optimizer's state kept),
"optimizer.type" (another optimizer, fresh state), "schedule.type" and "schedule.<name>" (another schedule,
or other parameters), and "schedule.restart" (true: the schedule counts its steps from the change).

Every value is checked by the rules of the [optimizer] and [schedule] sections, against the optimizer and
schedule in force at that step (the earlier changes applied), so a file that loads never fails mid-run.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from lrtui.core.optimizers import OPTIMIZERS
from lrtui.core.registry import did_you_mean
from lrtui.core.run_spec import Change
from lrtui.core.schedules import SCHEDULES, build_lr_plan
from lrtui.scenario.params import blame_key, check_section, type_problem


MAX_CHANGES = 10_000  # per run: a session's edits are tens; a file of millions would only take memory
SCHEDULE_RESTART = "schedule.restart"
LR_KEYS = ("optimizer.lr", "optimizer.lr_factor")

Add = Callable[[str, str], None]  # (key path, message)
Construct = Callable[[str, str, dict], "tuple[str | None, str] | None"]


def _shown(value) -> str:
    return json.dumps(value) if isinstance(value, (str, list, dict)) else repr(value)


def check_changes(raw, prefix: str, optimizer: dict, schedule: dict, steps, add: Add,
                  construct: Construct) -> list[Change] | None:
    """The run's changes as Change objects, or None after reporting each problem with `add(key, message)`.

    `optimizer` and `schedule` are the run's sections as validated ({"type": ..., params}); `construct` builds
    a section once to let the core check its values (the loader's cached builder)."""
    where = f"{prefix}.changes" if prefix else "changes"
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        add(where, 'must be a list of tables such as [{ step = 40, "optimizer.lr" = 0.005 }]')
        return None
    if len(raw) > MAX_CHANGES:
        add(where, f"holds {len(raw):,} changes; at most {MAX_CHANGES:,} are allowed")
        return None
    state = _State(dict(optimizer), dict(schedule))
    changes, ok, last_step = [], True, -1
    for j, entry in enumerate(raw):
        key = f"{where}[{j}]"
        step = entry.get("step")
        if step is None:
            add(f"{key}.step", "missing; each change needs the step it takes effect at, such as step = 40")
            ok = False
            continue
        if isinstance(step, bool) or not isinstance(step, int):
            add(f"{key}.step", f"must be a whole number from 0 to the scenario's steps, got {_shown(step)}")
            ok = False
            continue
        if isinstance(steps, int) and not 0 <= step <= steps:
            add(f"{key}.step", f"must be from 0 to {steps} (the scenario's steps), got {step}")
            ok = False
            continue
        if step < last_step:
            add(f"{key}.step", f"is {step}, before the change above it (step {last_step}): list changes in order")
            ok = False
            continue
        last_step = step
        values = {k: v for k, v in entry.items() if k != "step"}
        if not values:
            add(key, 'changes nothing; add a key such as "optimizer.lr" = 0.005')
            ok = False
            continue
        problems = state.apply(values, construct)
        for sub, message in problems:
            add(f"{key}.{sub}", message)
        if problems:
            ok = False
            continue
        changes.append(Change(int(step), values))
    return changes if ok else None


class _State:
    """The optimizer and schedule in force as the changes are applied in order, as the engine applies them."""

    def __init__(self, optimizer: dict, schedule: dict):
        self.optimizer, self.schedule = optimizer, schedule

    def apply(self, values: dict, construct: Construct) -> list[tuple[str, str]]:
        optimizer: dict = {}
        schedule: dict = {}
        problems: list[tuple[str, str]] = []
        for key, value in values.items():
            section, dot, name = str(key).partition(".")
            if section not in ("optimizer", "schedule") or not dot or not name:
                hint = did_you_mean(key, ["optimizer.lr", "optimizer.lr_factor", "optimizer.type", "schedule.type"])
                problems.append((f'"{key}"', f"unknown change{hint}; a change sets optimizer.<name> or "
                                             "schedule.<name> (for example \"optimizer.lr\" = 0.005)"))
                continue
            (optimizer if section == "optimizer" else schedule)[name] = value
        if problems:
            return problems
        new_optimizer, new_schedule = dict(self.optimizer), dict(self.schedule)
        if optimizer:
            problems += self._optimizer(optimizer, new_optimizer, construct)
        if schedule:
            problems += self._schedule(schedule, new_schedule, construct)
        if not problems:
            problems += _cycling(new_optimizer, new_schedule)
        if not problems:
            self.optimizer, self.schedule = new_optimizer, new_schedule
        return problems

    @staticmethod
    def _optimizer(changed: dict, into: dict, construct: Construct) -> list[tuple[str, str]]:
        problems = []
        lr, factor = changed.pop("lr", None), changed.pop("lr_factor", None)
        for name, value, positive in (("lr", lr, False), ("lr_factor", factor, True)):
            if value is None:
                continue
            why = type_problem(value, 0.0)
            if why is None and (value < 0 or (positive and value == 0)):
                why = f"must be {'> 0' if positive else '>= 0'}, got {value!r}"
            if why:
                problems.append((f'"optimizer.{name}"', why))
        name = changed.pop("type", None)
        if name is not None:
            if not isinstance(name, str) or name not in OPTIMIZERS:
                hint = did_you_mean(name, OPTIMIZERS) if isinstance(name, str) else ""
                problems.append(('"optimizer.type"', f"unknown optimizer {_shown(name)}{hint} (choose one of: "
                                                     f"{', '.join(OPTIMIZERS)})"))
                return problems
            # Another optimizer: fresh, with the LR given or the one the run had, and its own defaults.
            table = {"type": name, "lr": into.get("lr") if lr is None else lr, **changed}
        else:
            table = {**into, **changed}
        if problems:
            return problems
        found, params = check_section("optimizer", table, OPTIMIZERS, "optimizer")
        problems += [(_quoted(key), message) for key, message in found]
        if not found and (complaint := construct("optimizer", table["type"], params)):
            problems.append(_blamed(complaint, "optimizer", params))
        if not problems:
            into.clear()
            into.update({"type": table["type"], **params})
        return problems

    @staticmethod
    def _schedule(changed: dict, into: dict, construct: Construct) -> list[tuple[str, str]]:
        restart = changed.pop("restart", None)
        if restart is not None and not isinstance(restart, bool):
            return [(f'"{SCHEDULE_RESTART}"', f"must be true or false, got {_shown(restart)}")]
        name = changed.pop("type", into["type"])
        if not isinstance(name, str) or name not in SCHEDULES:
            hint = did_you_mean(name, SCHEDULES) if isinstance(name, str) else ""
            return [('"schedule.type"', f"unknown schedule {_shown(name)}{hint} (choose one of: "
                                        f"{', '.join(SCHEDULES)})")]
        old = {k: v for k, v in into.items() if k != "type"} if name == into["type"] else {}
        table = {"type": name, **old, **changed}
        found, params = check_section("schedule", table, SCHEDULES, "schedule")
        problems = [(_quoted(key), message) for key, message in found]
        if not found and (complaint := construct("schedule", name, params)):
            problems.append(_blamed(complaint, "schedule", params))
        if not problems:
            into.clear()
            into.update({"type": name, **params})
        return problems


def _blamed(complaint: tuple, section: str, params: dict) -> tuple[str, str]:
    """The core's complaint about a section's values, on the key it is about ("momentum must be >= 0")."""
    key, message = complaint
    sub, message = (f"{section}.{key}", message) if key else blame_key(message, section, params.keys())
    return _quoted(sub), message


def _quoted(key: str) -> str:
    """'optimizer.momentum' as it is written in a change: one quoted key."""
    return f'"{key}"' if "." in key else key


def _cycling(optimizer: dict, schedule: dict) -> list[tuple[str, str]]:
    params = {k: v for k, v in schedule.items() if k != "type"}
    try:
        cycles = build_lr_plan(schedule["type"], params).schedule.cycles_momentum
    except (ValueError, TypeError):
        return []  # the schedule's own check has spoken
    if cycles and OPTIMIZERS[optimizer["type"]].momentum_key is None:
        return [('"schedule.cycle_momentum"', f'{optimizer["type"]} has no momentum or beta1 to cycle (torch '
                                              'refuses it too); set "schedule.cycle_momentum" = false')]
    return []


def change_lines(text: str, start_line: int) -> list[int]:
    """The line of each entry of the `changes = [...]` array that begins on `start_line` (1-based).

    A small scanner: it follows brackets and braces outside strings, and notes the line of each table that
    opens at the array's own depth."""
    lines = text.splitlines()
    found: list[int] = []
    depth, quote = 0, ""
    started = False
    for number in range(start_line, len(lines) + 1):
        line = lines[number - 1]
        i = line.index("=") + 1 if number == start_line and "=" in line else 0
        while i < len(line):
            ch = line[i]
            if quote:
                if ch == "\\" and quote == '"':
                    i += 2
                    continue
                if line.startswith(quote, i):
                    i += len(quote)
                    quote = ""
                    continue
            elif ch in "\"'":
                quote = '"""' if line.startswith('"""', i) else ("'''" if line.startswith("'''", i) else ch)
                i += len(quote)
                continue
            elif ch == "#":
                break
            elif ch in "[{":
                if ch == "{" and depth == 1:
                    found.append(number)
                depth += 1
                started = True
            elif ch in "]}":
                depth -= 1
                if started and depth == 0:
                    return found
            i += 1
        if quote in ('"', "'"):
            quote = ""  # a basic string ends with its line
    return found

