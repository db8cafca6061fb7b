"""The changes made to a run during training (its timeline), as PyTorch code for lrtui's torch scripts.

LR edits become `param_groups` edits at their steps (LR_CHANGES); optimizer and schedule switches become
code that builds the new torch optimizer or scheduler at that step (`switch`). Where torch cannot do what
lrtui did (an LR edit under a scheduler that recomputes its LR from its own parameters every step, say),
the script says, in a comment and in its docstring, from which step on it stops matching lrtui.

lrtui's rules, mirrored here (lrtui.core.controls): a change at step s acts from the update after step s;
"optimizer.lr" and "optimizer.lr_factor" multiply the run's LR scale (the whole schedule) by the same factor;
a schedule switch starts the new schedule from the run's base LR times that scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lrtui.core.run_spec import Change

# torch schedulers that compute each LR from the param group's current LR (chainable): an edit of
# param_groups carries through them as lrtui's LR scale does. The others recompute the LR from their own
# parameters each step, so an edit lasts one step.
CARRY_EDITS = ("constant", "constant_factor", "step", "multistep", "exponential", "linear", "polynomial", "plateau")
ABSOLUTE_LR_KEYS = ("base_lr", "max_lr", "eta_min", "min_lr")  # schedule parameters that are LRs themselves


@dataclass
class ChangeCode:
    lr_changes: dict[int, list[tuple[str, float]]] = field(default_factory=dict)  # steps with LR edits only
    switch_lines: list[str] = field(default_factory=list)  # the body of switch(step)
    switch_steps: list[int] = field(default_factory=list)
    stops_matching: str = ""  # "" or why, from which step, the script no longer matches lrtui
    plateau_possible: bool = False  # the schedule in force may be ReduceLROnPlateau at some step


def _scaled_call(name: str, params: dict, scheduler_call) -> str:
    """The scheduler's construction, with the parameters that are LRs multiplied by `lr_scale` at run time."""
    marked = {k: _Scaled(v) if k in ABSOLUTE_LR_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)
              else v for k, v in params.items()}
    if name == "sequential":
        marked["schedulers"] = [{k: _Scaled(v) if k in ABSOLUTE_LR_KEYS and isinstance(v, (int, float))
                                 and not isinstance(v, bool) else v for k, v in s.items()}
                                for s in params.get("schedulers", [])]
    return scheduler_call(name, marked)


class _Scaled(float):
    """A schedule parameter that is an LR: written as `value * lr_scale` (lrtui scales the whole schedule)."""

    @property
    def code(self) -> str:
        return f"{float(self)!r} * lr_scale"


def _carries(schedule: str, params: dict, since: int, steps: int) -> tuple[bool, int]:
    """(whether torch carries an LR edit through this schedule to the end of the run, the step from which it
    does not). CosineAnnealingLR's recursive form is proportional to the current LR while eta_min is 0, up to
    T_max steps after it started; then it goes back to its base LR."""
    if schedule in CARRY_EDITS:
        return True, steps
    if schedule == "cosine" and not params.get("eta_min", 0.0):
        end = since + int(params.get("T_max", 0)) + 1
        return steps <= end, end
    return False, 0


def change_code(spec, changes: list[Change], number, optimizer_call, scheduler_call,
                steps: int = 0) -> ChangeCode:
    """The code for a run's timeline. `number` writes a literal; `optimizer_call(name, params, lr_code)` and
    `scheduler_call(name, params)` write the constructors (lrtui.torch_script)."""
    out = ChangeCode()
    optimizer = spec.optimizer
    schedule, sched_params = spec.schedule, dict(spec.schedule_params)
    since = 0  # where the schedule in force started
    base = float(spec.optimizer_params["lr"])  # the run's base LR (its LR scale comes on top)
    out.plateau_possible = schedule == "plateau"
    by_step: dict[int, list[dict]] = {}
    for change in changes:
        by_step.setdefault(int(change.step), []).append(dict(change.changes))

    def stop(step: int, why: str) -> list[str]:
        if not out.stops_matching:
            out.stops_matching = f"from step {step} on: {why}"
        return [f"        # From here on this script no longer matches lrtui: {why}."]

    for step in sorted(by_step):
        block: list[str] = []
        edits: list[tuple[str, float]] = []  # this step's LR edits, when it has nothing else
        plain = True  # only LR edits, and torch carries them exactly
        for values in by_step[step]:
            lr_edits = [(key.split(".", 1)[1], float(values[key])) for key in ("optimizer.lr", "optimizer.lr_factor")
                        if key in values]
            opt = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("optimizer.")
                   and k not in ("optimizer.lr", "optimizer.lr_factor")}
            sched = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("schedule.")}
            new_type = opt.pop("type", None)
            # lrtui applies an optimizer change first, then a schedule change, then the LR (a new optimizer
            # takes a given LR as its own base LR).
            if new_type is not None:
                plain = False
                lr_code = 'optimizer.param_groups[0]["lr"]'
                if "optimizer.lr" in values:
                    base = float(values["optimizer.lr"])
                    lr_edits = [e for e in lr_edits if e[0] != "lr"]
                    lr_code = f"{number(base)} * lr_scale"
                    if schedule != "constant":
                        block += stop(step, "a new optimizer with an LR of its own under a schedule")
                optimizer = new_type
                block.append(f"        optimizer = {optimizer_call(optimizer, opt, lr_code)}")
                block.append("        scheduler.optimizer = optimizer  # fresh optimizer state; the schedule carries "
                             "on, as in lrtui")
            elif opt:
                plain = False
                block.append("        for group in optimizer.param_groups:  # the optimizer's state is kept, as in lrtui")
                for key, value in opt.items():
                    block.append(f"            group[{key!r}] = {number(tuple(value) if key == 'betas' else value)}")
            if sched:
                plain = False
                name = sched.pop("type", schedule)
                restart = bool(sched.pop("restart", name != schedule))
                merged = {**(sched_params if name == schedule else {}), **sched}
                if restart:
                    since = step
                    block.append("        for group in optimizer.param_groups:  # the new schedule starts from the "
                                 "base LR times the LR scale")
                    block.append(f'            group["lr"] = group["initial_lr"] = {number(base)} * lr_scale')
                    block.append(f"        scheduler = {_scaled_call(name, merged, scheduler_call)}")
                else:
                    block += stop(step, f"the {name} schedule's parameters changed in place (lrtui recomputes the "
                                        "schedule from its start with them; torch cannot)")
                schedule, sched_params = name, merged
                out.plateau_possible |= name == "plateau"
            for kind, value in lr_edits:
                carried, until = _carries(schedule, sched_params, since, steps)
                if not carried and until > step:  # cosine: exact until it restarts from its base LR
                    plain = False
                    block += stop(until, f"torch's CosineAnnealingLR goes back to its base LR after T_max steps, "
                                         f"where lrtui keeps the LR edit made at step {step}")
                elif not carried:
                    plain = False
                    block += stop(step, f"an LR edit under the {schedule} schedule, whose torch scheduler "
                                        "recomputes the LR from its own parameters every step")
                edits.append((kind, value))
                block.append(f"        change_lr({kind!r}, {number(value)})")
        if plain:
            out.lr_changes[step] = edits
        else:
            if all(line.lstrip().startswith("#") for line in block):
                block.append("        pass")
            out.switch_lines += [f"    {'elif' if out.switch_steps else 'if'} step == {step}:", *block]
            out.switch_steps.append(step)
    return out


def helper_lines(code: ChangeCode, number) -> list[str]:
    """The definitions a script with changes needs: lr_scale, change_lr and switch."""
    lines = [
        "lr_scale = 1.0  # lrtui's LR scale: the schedule's LR times this is the run's LR",
        "",
        "",
        "def change_lr(kind, value):",
        '    """An LR edit made in lrtui: every param group\'s LR set to `value` ("lr") or multiplied by it',
        '    ("lr_factor"), as param_groups edits; the schedule carries on from the new LR, as in lrtui."""',
        "    global lr_scale",
        '    now = optimizer.param_groups[0]["lr"]',
        '    factor = value / now if kind == "lr" else value',
        "    lr_scale *= factor",
        "    for group in optimizer.param_groups:",
        '        group["lr"] = now * factor',
        "",
    ]
    if code.switch_lines:
        lines += [
            "",
            "def switch(step):",
            '    """The other changes made in lrtui at this step, in order: another optimizer or schedule."""',
            "    global optimizer, scheduler",
            *code.switch_lines,
            "",
        ]
    steps = ", ".join(str(step) for step in code.switch_steps)
    lines += ["", f"SWITCHES = {{{steps}}}" if steps else "SWITCHES = set()", ""]
    return lines


def stops_matching(script: str) -> str:
    """From a written script: "" when it matches lrtui throughout, else "from step N on: why"."""
    marker = "It stops matching lrtui "
    if marker not in script:
        return ""
    rest = script[script.index(marker) + len(marker):]
    return " ".join(rest[: rest.index('"""')].split()).rstrip(".")
