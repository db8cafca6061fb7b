"""A validated scenario: what the app and the command line run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from lrtui.core.experiment import Experiment, RunRef
from lrtui.core.losses import build_loss
from lrtui.core.losses.base import MAX_PARAMS, Loss
from lrtui.core.run_spec import RunSpec
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

    def as_dict(self) -> dict:
        return {"loss": dict(self.loss, **({"start": self.start} if self.start is not None else {})),
                "optimizer": dict(self.optimizer), "schedule": dict(self.schedule)}

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

    def _parts(self) -> tuple[list[tuple[Loss, list[RunSpec]]], list[RunRef]]:
        """(loss, run specs) per loss group, and where each run went; refuses runs too large to hold."""
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
            parts.append((loss, specs))
            for local, i in enumerate(members):
                placed[i] = RunRef(part, local)
        return parts, [placed[i] for i in range(len(self.runs))]

    def _default_eval_every(self) -> int:
        """About 100 test evaluations per mini-batch run, one per step for short full-batch runs."""
        minibatch = any(run.loss.get("batch_size") for run in self.runs)
        return max(1, self.steps // (100 if minibatch else 1000))

    def check_buildable(self) -> None:
        """Group every run's optimizer and schedule as a simulation would, so that they check their values
        together (without evaluating anything: `build` does that)."""
        for loss, specs in self._parts()[0]:
            Simulation.check_specs(loss, specs)
