"""TOML scenario files -> validated Scenario objects.

Every problem is collected with its key path and line, so a user sees all
that is wrong with a file at once, each with what is allowed.
"""

from __future__ import annotations

import itertools
import json
import math
from functools import lru_cache
from pathlib import Path

from lrtui.core.losses import LOSSES, build_loss
from lrtui.core.optimizers import OPTIMIZERS, build_optimizer
from lrtui.core.schedules import SCHEDULES, build_lr_plan
from lrtui.scenario.budget import BudgetError, memory_problem
from lrtui.scenario.changes import change_lines, check_changes
from lrtui.scenario.errors import Problem, ScenarioError, did_you_mean
from lrtui.scenario.model import (MAX_DESCRIPTION_CHARS, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_RUNS, MAX_STEPS,
                                  RunConfig, Scenario)
from lrtui.scenario.overrides import apply_overrides
from lrtui.scenario.params import blame_key, check_section, type_problem
from lrtui.scenario.source import key_lines, parse_toml, read_text
from lrtui.text import character_name, unsafe_character, visible

TOP_LEVEL = {
    "name": None,
    "description": "",
    "steps": 200,
    "seed": 0,
    "eval_every": 0,
    "loss": None,
    "optimizer": None,
    "schedule": None,
    "runs": None,
    "sweep": None,
}
OUT_OF_MEMORY = ("these settings need more memory than this machine has; use fewer runs, fewer or narrower "
                 "layers, or fewer samples")
# Longest text and the control characters it may hold: a description may run over several lines.
TEXT_LIMITS = {"name": (MAX_NAME_CHARS, ""), "description": (MAX_DESCRIPTION_CHARS, "\n\t"),
               "label": (MAX_LABEL_CHARS, "")}
SWEPT_VALUE_CHARS = 24  # of a string value swept into a label (a formula, say)
SECTIONS = {"loss": (LOSSES, "loss", ("start",)), "optimizer": (OPTIMIZERS, "optimizer", ()),
            "schedule": (SCHEDULES, "schedule", ())}


class _Collector:
    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.lines = key_lines(text)
        self.problems: list[Problem] = []

    def add(self, key: str, message: str) -> None:
        line = self.lines.get(key)
        probe = key
        while line is None and "." in probe:
            probe = probe.rsplit(".", 1)[0]
            line = self.lines.get(probe)
        self.problems.append(Problem(self.name, key, message, line))


def load_scenario(path: str | Path, overrides=()) -> Scenario:
    path = Path(path)
    text = read_text(path)
    return parse_scenario(text, str(path), overrides)


def parse_scenario(text: str, name: str, overrides=()) -> Scenario:
    """Validate a scenario's text; `overrides` are (dotted key, value) pairs applied first."""
    data = parse_toml(text, name)
    if overrides:
        data = apply_overrides(data, list(overrides))
    return scenario_from_data(data, name, text)


def scenario_from_data(data: dict, name: str, text: str = "") -> Scenario:
    """Validate already-parsed scenario data (lines are known only when `text` is given)."""
    out = _Collector(name, text)
    for key in data:
        if key not in TOP_LEVEL:
            out.add(key, f"unknown key{did_you_mean(key, TOP_LEVEL)} (allowed: {', '.join(TOP_LEVEL)})")
    header = _check_header(data, out)
    base = {section: data.get(section) for section in SECTIONS}
    if base["loss"] is None:
        out.add("loss", 'missing; add a [loss] table with a type, for example type = "rosenbrock"')
    if base["optimizer"] is None:
        out.add("optimizer", 'missing; add an [optimizer] table, for example type = "sgd" and lr = 0.01')
    if base["schedule"] is None:
        base["schedule"] = {"type": "constant"}
    variants = _variants(data, out)
    runs = []
    if base["loss"] is not None and base["optimizer"] is not None and variants is not None:
        memo: dict = {}  # what passed, by content: a sweep's runs share most sections (see _build_run)
        for key_prefix, label, overrides in variants:
            changes = overrides.pop("changes", None)
            run = _build_run(base, overrides, key_prefix, label, out, memo)
            if run is not None and changes is not None:
                checked = _run_changes(changes, key_prefix, run, header.get("steps", 200), out)
                if checked is None:
                    run = None
                else:
                    run.changes = checked
            if run is not None:
                runs.append(run)
    _check_schedule_lengths(runs, header.get("steps", 200), out)
    if out.problems:
        raise ScenarioError(out.problems)
    scenario = Scenario(runs=runs, source=name, text=text, **header)
    try:
        simulations = scenario.check_buildable()  # the limits on parameters speak first, before a memory total
    except ValueError as exc:
        raise ScenarioError([Problem(name, "", str(exc))]) from None
    except MemoryError:
        raise ScenarioError([Problem(name, "", OUT_OF_MEMORY)]) from None
    # Before training: 4,096 loss-swept runs keep 4,096 histories (in one simulation when their losses stack).
    try:
        groups = _groups(runs)
        too_much = memory_problem(groups, header.get("steps", 200), stacked=simulations < len(groups))
    except BudgetError as exc:
        too_much = str(exc)
    if too_much:
        raise ScenarioError([Problem(name, "sweep" if "sweep" in data else "", too_much, out.lines.get("sweep"))])
    return scenario


def _check_header(data: dict, out: _Collector) -> dict:
    header = {}
    name = data.get("name")
    if name is None:
        out.add("name", 'missing; add a line such as name = "Too high: bouncing across a valley"')
    for key in ("name", "description", "steps", "seed", "eval_every"):
        value = data.get(key, TOP_LEVEL[key])
        if value is None:
            continue
        why = type_problem(value, TOP_LEVEL[key] if key != "name" else "")
        if why:
            out.add(key, why)
            continue
        if key in TEXT_LIMITS and (why := text_problem(value, *TEXT_LIMITS[key])):
            out.add(key, why)
            continue
        header[key] = value
    steps = header.get("steps", 200)
    if isinstance(steps, int) and not 1 <= steps <= MAX_STEPS:
        out.add("steps", f"must be between 1 and {MAX_STEPS:,}, got {steps}")
    if header.get("seed", 0) < 0:
        out.add("seed", f"must be >= 0, got {header['seed']}")
    if header.get("eval_every", 0) < 0:
        out.add("eval_every", "must be >= 0 (0 means once per epoch)")
    return header


def text_problem(value: str, limit: int, allowed: str = "") -> str | None:
    """Why a name, label or description cannot be shown as it is, or None.

    A terminal acts on control characters (ESC starts sequences that set the title or write the clipboard)
    and bidi controls reorder the line: a shared file must not do either to whoever opens it.
    """
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit:,} are allowed: shorten it"
    found = unsafe_character(value, allowed)
    if found is None:
        return None
    index, ch = found
    kinds = "control or bidi characters" + (" other than new lines and tabs" if allowed else "")
    return (f"holds {character_name(ch)} at character {index + 1}; names, labels and descriptions may hold no "
            f"{kinds} (a terminal would act on them): remove it")


def _variants(data: dict, out: _Collector):
    """(key prefix for errors, label, overrides) per run: each [[runs]] entry times each sweep point."""
    runs = data.get("runs") or [{}]
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        out.add("runs", "must be [[runs]] tables, each with a label and the keys it overrides")
        return None
    sweep = data.get("sweep") or {}
    if not isinstance(sweep, dict):
        out.add("sweep", 'must be a table such as [sweep] "optimizer.lr" = [0.001, 0.01]')
        return None
    grid = []
    for key, values in sweep.items():
        section = key.split(".", 1)[0]
        if section not in SECTIONS or "." not in key:
            out.add(f"sweep.{key}", 'sweep keys name a section and a key, such as "optimizer.lr" or "schedule.gamma"')
            return None
        if not isinstance(values, list) or not values:
            out.add(f"sweep.{key}", "must be a non-empty list of values")
            return None
        grid.append([(key, v) for v in values])
    total = len(runs) * math.prod(len(g) for g in grid)
    if total > MAX_RUNS:
        out.add("sweep" if grid else "runs", f"makes {total:,} runs; at most {MAX_RUNS:,} are allowed")
        return None
    variants = []
    first_point = tuple(g[0] for g in grid)
    for i, run in enumerate(runs):
        prefix = f"runs[{i}]" if data.get("runs") else ""
        for point in itertools.product(*grid) if grid else [()]:
            overrides = {k: v for k, v in run.items() if k != "label"}
            for key, value in point:
                section, sub = key.split(".", 1)
                overrides.setdefault(section, {})
                if isinstance(overrides[section], dict):
                    overrides[section] = {**overrides[section], sub: value}
            label = run.get("label")
            if label is not None and not isinstance(label, str):
                out.add(f"{prefix}.label", "must be a string")
                label = None
            elif label is not None and (why := text_problem(label, *TEXT_LIMITS["label"])):
                if point == first_point:  # once per [[runs]] entry, not once per sweep point
                    out.add(f"{prefix}.label", why)
                label = None
            if point:
                swept = ", ".join(f"{k.split('.', 1)[1]}={_swept_value(v)}" for k, v in point)
                label = f"{label} {swept}" if label else None
            variants.append((prefix, label, overrides))
    return variants


def _run_changes(raw, prefix: str, run: RunConfig, steps, out: _Collector) -> list | None:
    """A [[runs]] entry's `changes` (lrtui.scenario.changes), each problem at the line of its entry."""
    where = f"{prefix}.changes" if prefix else "changes"
    first = out.lines.get(where)
    entry_lines = change_lines(out.text, first) if first else []
    reported = set()

    def add(key: str, message: str) -> None:
        if (key, message) in reported:  # once per [[runs]] entry, not once per sweep point
            return
        reported.add((key, message))
        j = key[len(where) + 1:].split("]", 1)[0] if key.startswith(where + "[") else ""
        line = entry_lines[int(j)] if j.isdigit() and int(j) < len(entry_lines) else first
        out.problems.append(Problem(out.name, key, message, line))

    def construct(section: str, name: str, params: dict):
        return _construct(section, name, params)

    return check_changes(raw, prefix, run.optimizer, run.schedule, steps, add, construct)


def _swept_value(value) -> str:
    """A swept value as it goes into the run's label: a number, or a short, visible string."""
    if isinstance(value, float):
        return f"{value:g}"
    text = visible(str(value))
    return text if len(text) <= SWEPT_VALUE_CHARS else text[: SWEPT_VALUE_CHARS - 1] + "…"


def _frozen(value):
    """A hashable copy of a TOML value that tells apart what a check could tell apart (1, 1.0 and true; 0.0
    and -0.0; the order of a table's keys), or None for anything else (nan, a date): that is never memoised."""
    kind = type(value)
    if kind is float:
        return (float, value, math.copysign(1.0, value)) if math.isfinite(value) else None
    if kind in (int, bool, str):
        return kind, value
    if kind is list or kind is dict:
        items = value if kind is list else value.items()
        parts = []
        for item in items:
            frozen = _frozen(item) if kind is list else _frozen(item[1])
            if frozen is None:
                return None
            parts.append(frozen if kind is list else (item[0], frozen))
        return kind, tuple(parts)
    return None


def _build_run(base: dict, overrides: dict, prefix: str, label, out: _Collector,
               checked: dict | None = None) -> RunConfig | None:
    """One run's validated configuration. `checked` memoises, by content, each section that passed and each
    start and cycling check: a section's outcome depends on its table alone, so the 1,024 runs of a sweep of
    optimizer.lr check the loss and the schedule once (a failure is never memoised: it is reported in the
    words of the run it happened in)."""
    checked = {} if checked is None else checked
    for key in overrides:
        if key not in SECTIONS:
            where = f"{prefix}.{key}" if prefix else key
            out.add(where, f"a run can override only loss.*, optimizer.* and schedule.*{did_you_mean(key, SECTIONS)}")
            return None
    merged = {}
    keys = {}
    for section, (registry, kind, extra) in SECTIONS.items():
        table = dict(base[section]) if isinstance(base[section], dict) else base[section]
        change = overrides.get(section)
        if change is not None:
            if not isinstance(change, dict):
                out.add(f"{prefix}.{section}", f"must be keys such as {section}.type = ...")
                return None
            if "type" in change and isinstance(table, dict) and change["type"] != table.get("type"):
                table = {}  # another type: the base section's parameters belong to the old one
            if isinstance(table, dict):  # otherwise check_section reports the base section itself
                table = {**table, **change}
        if change is None:  # the base section as it is: the same content for every run, frozen once
            key = _memo(checked, ("frozen", section, True), lambda: _frozen(table) if isinstance(table, dict) else None)
        else:
            key = _frozen(table) if isinstance(table, dict) else None
        keys[section] = key
        passed = checked.get((section, key)) if key is not None else None
        if passed is not None:
            merged[section] = dict(passed)
            continue
        problems, params = check_section(section, table, registry, kind, extra)
        for key, message in problems:
            sub = key.split(".", 1)[1] if "." in key else ""
            in_run = change is not None and sub.split(".")[0] in change and prefix
            out.add(f"{prefix}.{key}" if in_run else key, message)
        if problems:
            return None
        merged[section] = {"type": table["type"], **params}
        complaint = _construct(section, table["type"], params)
        if complaint:
            key, message = complaint
            if key:
                sub = f"{section}.{key}"
            else:
                sub, message = blame_key(message, section, params.keys())
            in_run = change is not None and sub.split(".", 1)[-1] in change and prefix
            out.add(f"{prefix}.{sub}" if in_run else sub, message)
            return None
        if keys[section] is not None:
            checked[(section, keys[section])] = dict(merged[section])
    start = merged["loss"].pop("start", None)
    problem = _memo(checked, ("start", keys["loss"]), lambda: _start_problem(merged["loss"], start))
    if not problem:
        pair = None if keys["schedule"] is None else ("cycling", merged["optimizer"]["type"], keys["schedule"])
        problem = _memo(checked, pair, lambda: _cycling_problem(merged["optimizer"], merged["schedule"]))
    if problem:
        key, message = problem
        section = key.split(".")[0]
        own = prefix and isinstance(overrides.get(section), dict) and key.split(".", 1)[1] in overrides[section]
        out.add(f"{prefix}.{key}" if own else key, message)  # the run's own override is at fault
        return None
    return RunConfig(label=label, loss=merged["loss"], start=start, optimizer=merged["optimizer"],
                     schedule=merged["schedule"])


def _memo(checked: dict, key, compute):
    """compute(), remembered in `checked` under `key` (never when key, or a part of it, is None)."""
    if key is None or key[-1] is None:
        return compute()
    if key not in checked:
        checked[key] = compute()
    return checked[key]


def _groups(runs: list[RunConfig]) -> list[tuple[int, int, bool]]:
    """(runs, parameters per run, is a model) for each simulation the scenario will make."""
    counts: dict[str, int] = {}
    for run in runs:
        key = json.dumps(run.loss, sort_keys=True)
        counts[key] = counts.get(key, 0) + 1
    groups = []
    for key, count in counts.items():
        loss = json.loads(key)
        size = _built("loss", loss["type"], json.dumps({k: v for k, v in loss.items() if k != "type"},
                                                       sort_keys=True))[1] or 0
        groups.append((count, size, bool(getattr(LOSSES[loss["type"]], "is_model", False))))
    return groups


def _check_schedule_lengths(runs: list[RunConfig], steps, out: _Collector) -> None:
    """torch's OneCycleLR raises past total_steps; say so before training starts."""
    for run in runs:
        params = {k: v for k, v in run.schedule.items() if k != "type"}
        limit = build_lr_plan(run.schedule["type"], params).schedule.step_limit
        if limit is not None and isinstance(steps, int) and steps > limit:
            out.add("schedule.total_steps", f"is {limit} but the scenario trains for {steps} steps; "
                    f"set total_steps to at least {steps} (torch raises past it)")
            return


def _start_problem(loss: dict, start) -> tuple[str, str] | None:
    if start is None:
        return None
    _, size = _built("loss", loss["type"], json.dumps({k: v for k, v in loss.items() if k != "type"}, sort_keys=True))
    if not isinstance(start, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in start):
        return "loss.start", f"must be a list of {size} numbers, got {start!r}"
    if len(start) != size:
        return "loss.start", f'must have {size} values, one per parameter of "{loss["type"]}", got {len(start)}'
    if not all(math.isfinite(v) for v in start):
        return "loss.start", "must be finite numbers"
    return None


def _cycling_problem(optimizer: dict, schedule: dict) -> tuple[str, str] | None:
    params = {k: v for k, v in schedule.items() if k != "type"}
    if build_lr_plan(schedule["type"], params).schedule.cycles_momentum and OPTIMIZERS[optimizer["type"]].momentum_key is None:
        return ("schedule.cycle_momentum",
                f'{optimizer["type"]} has no momentum or beta1 to cycle (torch refuses it too); '
                "set schedule.cycle_momentum = false")
    return None


def _construct(section: str, name: str, params: dict) -> tuple[str | None, str] | None:
    """Build the core object once to let it check values; its complaint (key, message), if any."""
    params = {k: v for k, v in params.items() if k != "start"}
    return _built(section, name, json.dumps(params, sort_keys=True))[0]


def _lr_plan(name: str, **params):
    return build_lr_plan(name, params)


@lru_cache(maxsize=256)
def _built(section: str, name: str, params_json: str) -> tuple[tuple[str | None, str] | None, int | None]:
    """(complaint, parameter count) of building one section; cached, so each distinct loss is built once."""
    params = json.loads(params_json)
    builder = {"loss": build_loss, "optimizer": build_optimizer, "schedule": _lr_plan}[section]
    if section == "optimizer" and "betas" in params:
        params["betas"] = tuple(params["betas"])
    try:
        built = builder(name, **params)
    except (ValueError, TypeError, ArithmeticError) as exc:
        # A formula's errors (ExpressionError, a ValueError) name the key at fault; loaded only for formulas.
        if hasattr(exc, "key") and hasattr(exc, "message"):
            return (exc.key, exc.message), None
        return (None, str(exc)), None
    except MemoryError:
        return (None, OUT_OF_MEMORY), None
    return None, getattr(built, "n_params", None)
