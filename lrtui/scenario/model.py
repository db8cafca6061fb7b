"""A validated scenario: what the app and the command line run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from lrtui.core.experiment import Experiment, RunRef
from lrtui.core.losses import build_loss, stack_losses
from lrtui.core.losses.base import MAX_PARAMS, Loss
from lrtui.core.run_spec import Change, RunSpec
from lrtui.core.simulation import Simulation

MAX_STEPS = 10_000_000
MAX_RUNS = 4096
# Text shown on screen: a name fits the status line, a label the legend; the description scrolls, but a file
# of one 450,000-character name would otherwise fill the app and, swept 4,096 times as a label, gigabytes.
MAX_NAME_CHARS = 200
MAX_LABEL_CHARS = 100
MAX_DESCRIPTION_CHARS = 20_000
# Optimizers keep a few (runs, parameters) arrays and the sharpness estimate about twenty more (its Lanczos
# basis); this keeps each at 32 MB, so a 1,024-run sweep of the digits MLP fits and nothing runs to gigabytes.
MAX_RUN_PARAMS = 2**22


@dataclass
class RunConfig:
    label: str | None
    loss: dict  # {"type": ..., params}, without the start
    start: list | None
    optimizer: dict
    schedule: dict
    changes: list[Change] = field(default_factory=list)  # made mid-run, at their steps (lrtui.scenario.changes)

    def as_dict(self) -> dict:
        out: dict = {"loss": dict(self.loss, **({"start": self.start} if self.start is not None else {})),
               "optimizer": dict(self.optimizer), "schedule": dict(self.schedule)}
        if self.changes:
            out["changes"] = [change.as_dict() for change in self.changes]
        return out

    def run_spec(self) -> RunSpec:
        opt = dict(self.optimizer)
        sched = dict(self.schedule)
        params = {k: tuple(v) if k == "betas" else v for k, v in opt.items() if k != "type"}
        return RunSpec(
            label=self.label or "",
            optimizer=opt["type"],
            optimizer_params=params,
            schedule=sched["type"],
            schedule_params={k: v for k, v in sched.items() if k != "type"},
            start=None if self.start is None else np.asarray(self.start, dtype=np.float64),
            changes=[Change(c.step, dict(c.changes)) for c in self.changes],
        )


@dataclass
class Scenario:
    name: str
    runs: list[RunConfig]
    description: str = ""
    steps: int = 200
    seed: int = 0
    eval_every: int = 0
    source: str = ""
    text: str = field(default="", repr=False)

    def loss_groups(self) -> list[tuple[dict, list[int]]]:
        """Runs that share a loss configuration, in order of first appearance."""
        groups: dict[str, tuple[dict, list[int]]] = {}
        for i, run in enumerate(self.runs):
            key = json.dumps(run.loss, sort_keys=True)
            groups.setdefault(key, (run.loss, []))[1].append(i)
        return list(groups.values())

    def build(self) -> Experiment:
        """A fresh experiment at step 0."""
        parts, order = self._parts()
        return Experiment(parts, order=order, seed=self.seed, eval_every=self.eval_every or self._default_eval_every(),
                          budget=self.steps)

    def _parts(self, group: bool = True) -> tuple[list[tuple[Loss, list[RunSpec]]], list[RunRef]]:
        """(loss, run specs) per loss group, and where each run went; refuses runs too large to hold. With
        `group`, loss groups that stack (same kind and shape, as many runs each: see `stacked`) are one part."""
        parts, order = self._loss_parts()
        if group and len(parts) > 1:
            stacked = stack_parts(parts, order)
            if stacked is not None:
                return stacked
        return parts, order

    def _loss_parts(self) -> tuple[list[tuple[Loss, list[RunSpec]]], list[RunRef]]:
        parts: list[tuple[Loss, list[RunSpec]]] = []
        placed: dict[int, RunRef] = {}
        total = 0
        for part, (loss_config, members) in enumerate(self.loss_groups()):
            params = {k: v for k, v in loss_config.items() if k != "type"}
            loss = build_loss(loss_config["type"], **params)
            if loss.n_params > MAX_PARAMS:
                raise ValueError(f"the model has {loss.n_params:,} parameters; at most {MAX_PARAMS:,} are allowed")
            total += loss.n_params * len(members)
            if total > MAX_RUN_PARAMS:
                raise ValueError(f"the runs hold {total:,} parameters in all (runs x parameters per run); at most "
                                 f"{MAX_RUN_PARAMS:,} are allowed: use fewer runs or a smaller model")
            specs = [self.runs[i].run_spec() for i in members]
            loss.fit_window([spec.start for spec in specs])  # (the loss is built without its runs' starts)
            parts.append((loss, specs))
            for local, i in enumerate(members):
                placed[i] = RunRef(part, local)
        return parts, [placed[i] for i in range(len(self.runs))]

    def build_ungrouped(self) -> Experiment:
        """The experiment with one simulation per set of loss values, as before grouping (for comparing)."""
        parts, order = self._parts(group=False)
        return Experiment(parts, order=order, seed=self.seed, eval_every=self.eval_every or self._default_eval_every(),
                          budget=self.steps)

    def _default_eval_every(self) -> int:
        """About 100 test evaluations per mini-batch run, one per step for short full-batch runs."""
        minibatch = any(run.loss.get("batch_size") for run in self.runs)
        return max(1, self.steps // (100 if minibatch else 1000))

    def check_buildable(self) -> int:
        """Group every run's optimizer and schedule as a simulation would, so that they check their values
        together (without evaluating anything: `build` does that). Returns how many simulations `build` makes."""
        parts = self._parts()[0]
        for loss, specs in parts:
            Simulation.check_specs(loss, specs)
        return len(parts)


def stack_parts(parts: list[tuple[Loss, list[RunSpec]]],
                order: list[RunRef]) -> tuple[list[tuple[Loss, list[RunSpec]]], list[RunRef]] | None:
    """The parts as one simulation of a stacked loss (each part's runs in a block, in order), or None when
    their losses do not stack or the parts hold different numbers of runs (a simulation's history and
    sampling are planned for its runs of one loss, so every loss must have as many)."""
    if len({len(specs) for _, specs in parts}) != 1:
        return None
    loss = stack_losses([part_loss for part_loss, _ in parts])
    if loss is None:
        return None
    size = len(parts[0][1])
    loss = loss.rows(np.repeat(np.arange(len(parts)), size))
    specs = [spec for _, part_specs in parts for spec in part_specs]
    return [(loss, specs)], [RunRef(0, ref.part * size + ref.local) for ref in order]


def stacks(losses: list[Loss], sizes: list[int]) -> bool:
    """True when runs of these losses, `sizes[k]` runs of losses[k], are stepped as one simulation."""
    return len(losses) > 1 and len(set(sizes)) == 1 and stack_losses(losses) is not None
