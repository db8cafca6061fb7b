"""Scenario TOML out: the settings a user reached in the app, as a file the loader reads back.

The first run gives the base [loss], [optimizer] and [schedule] tables; every
run then gets a [[runs]] entry with only the keys where it differs. Parameters
equal to their defaults are left out, so the file reads like a hand-written one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np

from lrtui.core.losses import LOSSES
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.core.run_spec import RunSpec
from lrtui.core.schedules import SCHEDULES
from lrtui.scenario.model import MAX_LABEL_CHARS
from lrtui.scenario.params import parameter_table

# Schedule parameters that are learning rates themselves rather than factors of
# the optimizer's lr, so a run's LR scale must multiply them too.
ABSOLUTE_LR_KEYS = ("base_lr", "max_lr", "eta_min", "min_lr")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _plain(value):
    """Python values TOML can hold: NumPy scalars and arrays unwrapped, tuples as lists."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _scaled_schedule(params: dict, scale: float) -> dict:
    out = {}
    for key, value in params.items():
        if key in ABSOLUTE_LR_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value) * scale
        elif key == "schedulers" and isinstance(value, (list, tuple)):
            value = [_scaled_schedule(v, scale) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def folded_spec(spec: RunSpec, scale: float) -> RunSpec:
    """The spec that trains at the LR the run has now, with its LR scale (from + - * /) built in."""
    scale = float(scale)
    if scale == 1.0:
        return spec.copy()
    optimizer_params = dict(spec.optimizer_params)
    optimizer_params["lr"] = float(optimizer_params["lr"]) * scale
    return spec.copy(optimizer_params=optimizer_params, schedule_params=_scaled_schedule(spec.schedule_params, scale))


def experiment_runs(scenario, experiment) -> tuple[list[RunSpec], list[dict]]:
    """Each run's current spec (LR scale folded in) and loss configuration, ready for scenario_to_toml.

    A run the scenario left unlabelled gets an empty label, so that the file
    labels it afresh from its optimizer and LR, which the user may have changed.
    Forked runs share their parent's simulation, and so its loss.
    """
    originals = min(len(scenario.runs), experiment.n_runs)
    specs, losses = [], []
    for run in range(experiment.n_runs):
        sim, local = experiment.locate(run)
        spec = folded_spec(sim.specs[local], float(sim.lr_scale[local]))
        if run < originals and scenario.runs[run].label is None:
            spec.label = ""
        owner = next((i for i in range(originals) if experiment.locate(i)[0] is sim), 0)
        specs.append(spec)
        losses.append(dict(scenario.runs[owner].loss))
    return specs, losses


def _defaults(registry: Mapping, name: str) -> dict:
    defaults, _ = parameter_table(registry[name])
    return _plain(defaults)


def _with_defaults(registry: Mapping, config: dict) -> dict:
    """The config's own keys in their order, then the defaults it left out."""
    defaults = _defaults(registry, config["type"])
    return {"type": config["type"], **config, **{k: v for k, v in defaults.items() if k not in config}}


def _section_tables(registry: Mapping, configs: list[dict], always=()) -> tuple[dict, list[dict]]:
    """The base table (from the first run) and each run's overrides for one section."""
    base_type = configs[0]["type"]
    full = [_with_defaults(registry, _plain(c)) for c in configs]
    base_defaults = _defaults(registry, base_type)
    base = {"type": base_type}
    for key, value in full[0].items():
        if key == "type" or value is None:
            continue
        if key not in always and key in base_defaults and base_defaults[key] == value:
            continue
        # TOML has no null: a run of this type that needs the key unset could not say so.
        if any(c["type"] == base_type and c.get(key) is None for c in full):
            continue
        base[key] = value
    merged_base = {**base_defaults, **base}
    overrides = []
    for config in full:
        if config["type"] != base_type:
            defaults = _defaults(registry, config["type"])
            change = {"type": config["type"]}
            change.update({k: v for k, v in config.items() if k != "type" and v is not None
                           and (k in always or k not in defaults or defaults[k] != v)})
        else:
            change = {k: v for k, v in config.items() if k != "type" and v is not None and merged_base.get(k) != v}
        overrides.append(change)
    return base, overrides


def _string(text: str, multiline: bool = False) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n" and multiline:
            out.append("\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    body = "".join(out)
    return f'"""\n{body}"""' if multiline else f'"{body}"'


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def toml_value(value) -> str:
    value = _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise ValueError(f"cannot write {value!r} ({type(value).__name__}) to a scenario file")


def scenario_to_toml(scenario_name: str, description: str, steps: int, seed: int, specs: list[RunSpec],
                     loss_config: dict | list[dict], eval_every: int = 0) -> str:
    """A scenario file that rebuilds these runs. `loss_config` is one loss for all runs, or one per run."""
    if not specs:
        raise ValueError("specs must hold at least one run, got none")
    losses = [loss_config] * len(specs) if isinstance(loss_config, dict) else list(loss_config)
    if len(losses) != len(specs):
        raise ValueError(f"loss_config must be one table or one per run ({len(specs)}), got {len(losses)}")
    loss_tables = []
    for spec, loss in zip(specs, losses):
        table = {k: v for k, v in loss.items() if k != "start"}
        table["start"] = None if spec.start is None else spec.start
        loss_tables.append(table)
    sections = {
        "loss": _section_tables(LOSSES, loss_tables),
        "optimizer": _section_tables(OPTIMIZERS, [{"type": s.optimizer, **s.optimizer_params} for s in specs],
                                     always=("lr",)),
        "schedule": _section_tables(SCHEDULES, [{"type": s.schedule, **s.schedule_params} for s in specs]),
    }
    lines = [f"name = {_string(str(scenario_name))}"]
    if description:
        lines.append(f"description = {_string(str(description), multiline=True)}")
    lines += [f"steps = {int(steps)}", f"seed = {int(seed)}"]
    if eval_every:
        lines.append(f"eval_every = {int(eval_every)}")
    for section, (base, _) in sections.items():
        lines += ["", f"[{section}]"] + [f"{_key(k)} = {toml_value(v)}" for k, v in base.items()]
    for run, spec in enumerate(specs):
        lines += ["", "[[runs]]"]
        if spec.label:
            lines.append(f"label = {_string(_fitting_label(spec.label))}")
        for section, (_, overrides) in sections.items():
            lines += [f"{section}.{_key(k)} = {toml_value(v)}" for k, v in overrides[run].items()]
    return "\n".join(lines) + "\n"


def _fitting_label(label: str) -> str:
    """A label the loader takes back: forks add " x0.3" each time, so a run forked often outgrows the limit."""
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def run_config_dict(spec: RunSpec, loss_config: dict) -> dict:
    """A run's current settings in the shape of RunConfig.as_dict(), for JSON exports."""
    loss = {k: v for k, v in loss_config.items() if k != "start"}
    if spec.start is not None:
        loss["start"] = spec.start
    return _plain({"loss": loss, "optimizer": {"type": spec.optimizer, **spec.optimizer_params},
                   "schedule": {"type": spec.schedule, **spec.schedule_params}})
