"""The grading corpus for `lrtui diagnose`: curves of lrtui's own models trained at LRs from 1e-5 to 30,
exported in the log formats lrtui reads, each labelled by the counterfactual, never by the rules.

Labels (written down before any rule was tuned on them):

    A sweep is one model, data set, optimizer, schedule and seed, trained at every LR of LRS from the same
    initial weights on the same batches. L0 is its training-set loss at step 0; f(lr) the training-set loss
    at the last step, +inf if the loss or a weight became non-finite at any step. Two runs compare by
    ratio(a, b) = (f(a) + EPS * L0) / (f(b) + EPS * L0), EPS = 1e-3: below a thousandth of the start, a lower
    loss is not a verdict about the LR.

    diverged    f(lr) is not finite, or f(lr) > FAR * L0 (FAR = 4, the "far above its start" of the project's verdict
                contracts): far above its start, wherever it went in between.
    stuck       no LR of the sweep ends below STUCK = half of L0: nothing the LR can do makes this model learn in
                this budget (logistic regression on XOR; plain SGD on the spiral in 500 steps). The right verdict
                says the loss is stuck: plateau or too slow.
    too_high    a smaller LR of the sweep ends MUCH = 10 times lower (ratio >= MUCH), or the run made less than
                FEW = a tenth of the progress (L0 - f) a smaller LR made.
    too_low     the same with a larger LR (and no smaller one).
    healthy     no LR of the sweep ends CLOSE = 3 times lower, and the run made at least HALF the progress of
                every other LR of the sweep.
    borderline  the rest: the counterfactual does not decide (the best LR ends 3 to 10 times lower, or made 2 to
                10 times the progress). Left out of the agreement; counted, and never called diverged.

Precedence: diverged, stuck, too_high, too_low, healthy, borderline.
The judge's verdict maps to a class: diverged -> diverged; oscillating (and unstable) -> too_high; too_slow ->
too_low; plateau -> too_high or too_low by the direction of its fix; schedule_too_aggressive -> too_low (its
fix keeps more LR); improving and converged -> healthy. A stuck run is judged right when the verdict is plateau
or too_slow.

Seeds split the corpus: even seeds tune the rules, odd seeds are held out; FRESH_SEEDS are a second held-out
set, built in phase 2, PHASE3_SEEDS a third, built in phase 3, PHASE4_SEEDS a fourth, built in phase 4, and PHASE5_SEEDS a fifth,
built in phase 5 (each graded once, after its phase's tuning). TUNING_SEEDS are every seed looked at before phase 5.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LRS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
EPS, FAR, MUCH, CLOSE, STUCK, FEW, HALF = 1e-3, 4.0, 10.0, 3.0, 0.5, 0.1, 0.5
CLASSES = ("healthy", "too_low", "too_high", "diverged", "stuck")


@dataclass(frozen=True)
class Sweep:
    name: str
    loss: dict  # build_loss arguments (without the seed)
    optimizer: str
    steps: int
    schedule: str = "constant"
    schedule_params: tuple = ()
    optimizer_params: tuple = ()


SWEEPS = (
    Sweep("digits-mlp-sgd", {"type": "mlp", "dataset": "digits", "hidden": [32], "batch_size": 32}, "sgd", 450),
    Sweep("digits-mlp-momentum", {"type": "mlp", "dataset": "digits", "hidden": [32], "batch_size": 32}, "sgd", 450,
          optimizer_params=(("momentum", 0.9),)),
    Sweep("digits-mlp-adam", {"type": "mlp", "dataset": "digits", "hidden": [32], "batch_size": 32}, "adam", 450),
    Sweep("digits-mlp-adam-warmup-cosine", {"type": "mlp", "dataset": "digits", "hidden": [32], "batch_size": 32},
          "adam", 450, "sequential", (("milestones", [45]), ("schedulers", [
              {"type": "linear", "start_factor": 0.01, "end_factor": 1.0, "total_iters": 45},
              {"type": "cosine", "T_max": 405}]))),
    Sweep("gaussians-logistic-sgd", {"type": "logistic_regression", "dataset": "gaussians"}, "sgd", 300),
    Sweep("xor-logistic-adam", {"type": "logistic_regression", "dataset": "xor"}, "adam", 300),
    Sweep("circles-mlp-sgd", {"type": "mlp", "dataset": "circles", "hidden": [16], "batch_size": 16}, "sgd", 500),
    Sweep("spiral-mlp-adam", {"type": "mlp", "dataset": "spiral", "hidden": [32, 32], "activation": "tanh"},
          "adam", 500),
    Sweep("spiral-mlp-sgd", {"type": "mlp", "dataset": "spiral", "hidden": [32, 32]}, "sgd", 500),
)
SEEDS = (0, 1, 2, 3, 4, 5)
# Phase 2 (lrtui watch): seeds never trained before, graded once after the live rule was written, with the same
# label definitions. The held-out half above had been looked at by then, so it could no longer grade a change.
FRESH_SEEDS = (6, 7, 8, 9, 10, 11)
# Phase 3 (the finished-log judge tuned again, on even seeds only): seeds never trained before, graded once after
# that tuning. By then the odd seeds and FRESH_SEEDS had both been looked at, so neither could grade a change.
PHASE3_SEEDS = (12, 13, 14, 15, 16, 17)
# Phase 4 (the judge tuned on seeds 0-17, all looked at by then): seeds never trained before, graded once.
PHASE4_SEEDS = (18, 19, 20, 21, 22, 23)
# Phase 5 (the judge tuned on seeds 0-23, all looked at by then): seeds never trained before, graded once.
TUNING_SEEDS = tuple(range(24))
PHASE5_SEEDS = (24, 25, 26, 27, 28, 29)


@dataclass
class Curve:
    sweep: str
    seed: int
    lr: float
    steps: np.ndarray  # every step's mini-batch (or full-batch) loss, as a training loop logs it
    loss: np.ndarray
    lr_series: np.ndarray
    val_steps: np.ndarray
    val_loss: np.ndarray
    final: float  # training-set loss at the end (inf if non-finite)
    start: float
    label: str = ""

    @property
    def held_out(self) -> bool:
        return self.seed % 2 == 1

    @property
    def key(self) -> str:
        return f"{self.sweep} seed {self.seed} lr {self.lr:g}"


def train(sweep: Sweep, seed: int) -> list[Curve]:
    from lrtui.core.losses import build_loss
    from lrtui.core.run_spec import RunSpec
    from lrtui.core.simulation import Simulation

    params = {k: v for k, v in sweep.loss.items() if k != "type"}
    loss = build_loss(sweep.loss["type"], seed=seed, **params)
    specs = [RunSpec(optimizer=sweep.optimizer, optimizer_params={"lr": lr, **dict(sweep.optimizer_params)},
                     schedule=sweep.schedule, schedule_params=dict(sweep.schedule_params)) for lr in LRS]
    every = max(1, sweep.steps // 25)
    sim = Simulation(loss, specs, seed=seed, eval_every=every, diagnostics=False)
    sim.run(sweep.steps)
    curves = []
    for r, lr in enumerate(LRS):
        steps, values = sim.history.series("loss", r)
        _, lrs = sim.history.series("lr", r)
        tsteps, train_loss = sim.history.series("train_loss", r)
        vsteps, val = sim.history.series("test_loss", r)
        keep = ~np.isnan(val) & (vsteps % every == 0)  # the rows between evaluations repeat the last one
        diverged = int(sim.diverged_at[r]) >= 0
        final = math.inf if diverged else float(train_loss[~np.isnan(train_loss)][-1])
        start = float(train_loss[~np.isnan(train_loss)][0])
        curves.append(Curve(sweep.name, seed, lr, steps.astype(float), values, lrs, vsteps[keep].astype(float),
                            val[keep], final, start))
    label(curves)
    return curves


def label(curves: list[Curve]) -> None:
    """The counterfactual labels of one sweep's curves (see the module's docstring)."""
    start = curves[0].start
    eps = EPS * start
    best = min(c.final for c in curves)
    for c in curves:
        if not math.isfinite(c.final) or c.final > FAR * start:
            c.label = "diverged"
            continue
        if best > STUCK * start:
            c.label = "stuck"
            continue
        mine, made = c.final + eps, c.start - c.final
        smaller = [o for o in curves if o.lr < c.lr and math.isfinite(o.final)]
        larger = [o for o in curves if o.lr > c.lr and math.isfinite(o.final)]

        def beaten(others, by_ratio, by_progress):
            return any(mine / (o.final + eps) >= by_ratio or made < by_progress * (start - o.final) for o in others)

        if beaten(smaller, MUCH, FEW):
            c.label = "too_high"
        elif beaten(larger, MUCH, FEW):
            c.label = "too_low"
        elif not beaten(smaller + larger, CLOSE, HALF):
            c.label = "healthy"
        else:
            c.label = "borderline"


def corpus(sweeps=SWEEPS, seeds=SEEDS) -> list[Curve]:
    return [c for sweep in sweeps for seed in seeds for c in train(sweep, seed)]


# -- writing the curves in each format ----------------------------------------------------------------------

def _r(x: float) -> str:
    return repr(float(x))


def write_keras(c: Curve, folder: Path) -> Path:
    """Keras CSVLogger: one row per epoch (here one per logged step), val_loss where evaluated."""
    val = dict(zip(c.val_steps.tolist(), c.val_loss.tolist()))
    lines = ["epoch,learning_rate,loss,val_loss"]
    lines += [f"{int(s)},{_r(lr)},{_r(v)},{_r(val[s]) if s in val else ''}"
              for s, v, lr in zip(c.steps, c.loss, c.lr_series)]
    return _put(folder / "training.log", lines)


def write_lightning(c: Curve, folder: Path) -> Path:
    """Lightning's CSVLogger: separate rows for the LR monitor, the training step and validation."""
    val = dict(zip(c.val_steps.tolist(), c.val_loss.tolist()))
    lines = ["epoch,lr-Adam,step,train_loss_step,val_loss"]
    for s, v, lr in zip(c.steps, c.loss, c.lr_series):
        lines.append(f",{_r(lr)},{int(s)},,")
        lines.append(f"0,,{int(s)},{_r(v)},")
        if s in val:
            lines.append(f"0,,{int(s)},,{_r(val[s])}")
    return _put(folder / "metrics.csv", lines)


def write_tensorboard_csv(c: Curve, folder: Path) -> Path:
    lines = ["Wall time,Step,Value"] + [f"{1714478400 + 0.5 * s:.3f},{int(s)},{_r(v)}" for s, v in zip(c.steps, c.loss)]
    return _put(folder / "run-.-tag-train_loss.csv", lines)


def write_jsonl(c: Curve, folder: Path) -> Path:
    val = dict(zip(c.val_steps.tolist(), c.val_loss.tolist()))
    out = []
    for s, v, lr in zip(c.steps, c.loss, c.lr_series):
        out.append(json.dumps({"step": int(s), "loss": float(v), "lr": float(lr)}))
        if s in val:
            out.append(json.dumps({"step": int(s), "val_loss": val[s]}))
    return _put(folder / "metrics.jsonl", out)


def write_huggingface(c: Curve, folder: Path) -> Path:
    """trainer_state.json with logging_first_step and logging_steps = 2: the entry at step k is the mean loss of
    the forward passes since the last entry (rows k-2 and k-1), as the Trainer logs it."""
    history = []
    val = dict(zip(c.val_steps.tolist(), c.val_loss.tolist()))
    s, v = c.steps, c.loss
    entries = [(1, v[:1])] + [(k, v[k - 2: k]) for k in range(2, s.size, 2)]
    for k, chunk in entries:
        history.append({"epoch": round(k / 45, 2), "grad_norm": 1.0, "learning_rate": float(c.lr_series[k - 1]),
                        "loss": float(np.mean(chunk)), "step": int(k)})
        if k in val:
            history.append({"epoch": round(k / 45, 2), "eval_loss": val[k], "step": int(k)})
    history.append({"epoch": 10.0, "step": int(s[-1]), "total_flos": 1.0, "train_loss": float(np.mean(v)),
                    "train_runtime": 1.0})
    doc = {"best_metric": None, "epoch": 10.0, "global_step": int(s[-1]), "log_history": history, "logging_steps": 2}
    path = folder / "trainer_state.json"
    path.write_text(json.dumps(doc, indent=2, allow_nan=True))
    return path


def write_mlflow(c: Curve, folder: Path) -> Path:
    run = folder / "mlruns" / "0" / "0123abcd"
    (run / "metrics").mkdir(parents=True)
    base = 1714478400000
    (run / "metrics" / "loss").write_text("".join(f"{base + int(s) * 10} {_r(v)} {int(s)}\n"
                                                  for s, v in zip(c.steps, c.loss)))
    (run / "metrics" / "lr").write_text("".join(f"{base + int(s) * 10} {_r(lr)} {int(s)}\n"
                                                for s, lr in zip(c.steps, c.lr_series)))
    (run / "metrics" / "val_loss").write_text("".join(f"{base + int(s) * 10 + 1} {_r(v)} {int(s)}\n"
                                                      for s, v in zip(c.val_steps, c.val_loss)))
    return run


def write_wandb(c: Curve, folder: Path) -> Path:
    name = "lucky-river-7"
    lines = [f'"Step","{name} - train/loss","{name} - train/loss__MIN","{name} - train/loss__MAX"']
    lines += [f'"{int(s)}","{_r(v)}","{_r(v)}","{_r(v)}"' for s, v in zip(c.steps, c.loss)]
    return _put(folder / "wandb_export.csv", lines)


def write_text(c: Curve, folder: Path) -> Path:
    """Python logging: `%(asctime)s %(levelname)s:%(message)s` with a message per step."""
    val = dict(zip(c.val_steps.tolist(), c.val_loss.tolist()))
    lines = []
    for s, v, lr in zip(c.steps, c.loss, c.lr_series):
        sec = int(s)
        stamp = f"2023-05-15 {22 + sec // 3600 % 2:02d}:{sec // 60 % 60:02d}:{sec % 60:02d},{sec * 7 % 1000:03d}"
        extra = f", Val Loss={val[s]:.6g}" if s in val else ""
        lines.append(f"{stamp} INFO:Step {int(s)}: Train Loss={float(v):.6g}, LR={float(lr):.6g}{extra}")
    return _put(folder / "train.log", lines)


WRITERS = {"keras": write_keras, "lightning": write_lightning, "tensorboard": write_tensorboard_csv,
           "jsonl": write_jsonl, "huggingface": write_huggingface, "mlflow": write_mlflow, "wandb": write_wandb,
           "text": write_text}


def _put(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def export(c: Curve, index: int, folder: Path) -> tuple[str, Path]:
    """The curve written in the format its index picks (each format gets every eighth curve)."""
    fmt = list(WRITERS)[index % len(WRITERS)]
    sub = folder / f"{index:04d}-{fmt}"
    sub.mkdir(parents=True)
    return fmt, WRITERS[fmt](c, sub)
