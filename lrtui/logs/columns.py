"""Which column is the loss, the validation loss, the LR and the step: one documented rule for every format.

A column's name is normalised to lower-case word tokens ("Training Loss", "train/loss", "trainLoss" and
"train_loss" all become `train loss`), then classified by its tokens:

- a **loss** has the token `loss`, and none that makes it something other than the loss value (`loss_scale`
  from mixed precision, `best_loss`, `loss_std`, ...);
- it is a **validation loss** when a token says so: val, valid, validation, eval, evaluation, test, dev, holdout;
- among several training losses the rule prefers, in this order: the plain loss (`loss`, `train_loss`,
  `Training Loss`), then a total (`total_loss`, `overall_loss`, `objective`), then a mean (`mean_loss`,
  `avg_loss`, `running_loss`), then a smoothed one (`loss_ema`); only when there is none of these, a component
  (`kl_loss`, `policy_loss`, ...), the first in the file. Within each, per-step values (`train_loss_step`) come
  before per-epoch means (`train_loss_epoch`), and an earlier column before a later one;
- the **LR** is `lr` or `learning_rate` (also prefixed, `train/learning_rate`, or with the optimizer's name,
  Lightning's `lr-Adam`), never a scheduler setting or `lr-Adam-momentum`;
- the **step** is `step`, `global_step`, `iteration`, `iter` or `batch`; `epoch` is the step only when none of
  those is there. Without any, the row number is the step.

`--column NAME` overrides the loss choice; the report says which column was used and why.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lrtui.logs.errors import LogError

VAL_WORDS = ("val", "valid", "validation", "eval", "evaluation", "dev", "holdout", "test")
TRAIN_WORDS = frozenset({"train", "training", "trn"})
TOTAL_WORDS = frozenset({"total", "overall", "full", "all", "sum", "objective", "combined", "net"})
MEAN_WORDS = frozenset({"mean", "avg", "average", "running", "batch", "reduced"})
SMOOTH_WORDS = frozenset({"ema", "smooth", "smoothed"})
GRAIN_WORDS = {"step": 1, "epoch": 2}  # Lightning's on_step / on_epoch suffixes: per-step first
NOT_A_LOSS = frozenset({"scale", "scaler", "weight", "weights", "coef", "coeff", "std", "var", "variance", "min",
                        "max", "best", "lowest", "time", "ratio", "count", "acc", "accuracy", "threshold", "delta",
                        "improvement", "patience", "diff", "nans", "inf"})
STEP_NAMES = {("step",): 0, ("global", "step"): 1, ("globalstep",): 1, ("iteration",): 2, ("iter",): 3,
              ("batch",): 4, ("batch", "idx"): 4, ("it",): 5}
STEP_PREFIXES = frozenset({"trainer", "train", "training"})
LR_NOT = frozenset({"sched", "scheduler", "finder", "warmup", "decay", "min", "max", "init", "initial", "base",
                    "factor", "mult", "multiplier", "momentum", "beta", "betas", "find", "range", "gamma", "patience"})
LR_PREFIXES = frozenset({"train", "training", "optimizer", "optim", "opt", "trainer"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^0-9a-z]+")


def tokens(name: str) -> tuple[str, ...]:
    """"Training Loss", "train/loss", "trainLoss" -> ("train(ing)", "loss")."""
    return tuple(t for t in _SPLIT.split(_CAMEL.sub("_", name.strip()).lower()) if t)


def normalised(name: str) -> str:
    return "_".join(tokens(name))


@dataclass(frozen=True)
class Kind:
    role: str  # loss | val_loss | lr | step | epoch | grad_norm | run | label
    rank: tuple  # lower is preferred among columns of the same role


@functools.lru_cache(maxsize=8192)
def classify(name: str) -> Kind | None:
    """The role a column could play, with its rank among its rivals; None for any other column."""
    words = tokens(name)
    if not words:
        return None
    if words in (("run",), ("label",)):
        return Kind(words[0], (0,))
    if "loss" in words or "losses" in words:
        return _loss_kind(words)
    step = _step_rank(words)
    if step is not None:
        return Kind("step", (step,))
    if words in (("epoch",), ("epochs",), ("train", "epoch"), ("training", "epoch"), ("cur", "epoch"),
                 ("current", "epoch")):
        return Kind("epoch", (0,))
    lr = _lr_rank(words)
    if lr is not None:
        return Kind("lr", (lr,))
    if ("grad", "norm") == words[-2:] or "gradnorm" in words or words[-2:] == ("gradient", "norm"):
        return Kind("grad_norm", (len(words),))
    return None


def _loss_kind(words: tuple[str, ...]) -> Kind | None:
    if NOT_A_LOSS.intersection(words):
        return None
    grain = max((GRAIN_WORDS.get(w, 0) for w in words), default=0)
    qualifier = [w for w in words if w not in ("loss", "losses") and w not in GRAIN_WORDS]
    val = [VAL_WORDS.index(w) for w in qualifier if w in VAL_WORDS]
    if val:
        others = [w for w in qualifier if w not in VAL_WORDS]
        return Kind("val_loss", (0 if not others else 1, grain != 0, min(val), len(words)))
    rest = set(qualifier) - TRAIN_WORDS
    if not rest:
        cls = 0
    elif rest <= TOTAL_WORDS:
        cls = 1
    elif rest <= MEAN_WORDS | TOTAL_WORDS:
        cls = 2
    elif rest <= SMOOTH_WORDS | MEAN_WORDS | TOTAL_WORDS:
        cls = 3
    else:
        cls = 4  # a component: kl_loss, policy_loss, box_loss, g0_loss...
    return Kind("loss", (cls, grain, len(words)))


def _step_rank(words: tuple[str, ...]) -> int | None:
    core = words[1:] if len(words) > 1 and words[0] in STEP_PREFIXES else words
    return STEP_NAMES.get(core)


def _lr_rank(words: tuple[str, ...]) -> int | None:
    if LR_NOT.intersection(words):
        return None
    core = list(words[1:] if len(words) > 1 and words[0] in LR_PREFIXES else words)
    if core[:2] == ["learning", "rate"]:
        core = ["lr"] + core[2:]
    elif core[:1] == ["learningrate"]:
        core = ["lr"] + core[1:]
    if core[:1] != ["lr"]:
        return None
    return (0 if len(core) == 1 else 2) + (1 if len(core) != len(words) else 0)


REASONS = {
    0: "the plain training loss is preferred",
    1: "a total loss is preferred over its components",
    2: "a mean loss is preferred over component losses",
    3: "a smoothed loss is used when there is no plain, total or mean loss",
    4: "no plain, total or mean loss: the first component loss is used",
}


@dataclass(frozen=True)
class Roles:
    """The columns picked for each role (None when the log has none) and why the loss was picked."""

    loss: str
    val_loss: str | None = None
    lr: str | None = None
    step: str | None = None
    epoch: str | None = None
    grad_norm: str | None = None
    loss_candidates: tuple[str, ...] = ()
    note: str = ""  # one sentence when the loss was chosen among several or by --column
    by_role: dict = field(default_factory=dict)  # role -> column, for the report

    def columns(self) -> list[str]:
        return [c for c in (self.loss, self.val_loss, self.lr, self.step, self.epoch, self.grad_norm) if c]


def pick_roles(names: list[str], name: str, column: str | None = None, found: list[str] | None = None,
               together=None) -> Roles:
    """The role of each column among `names` (in file order). `name` is the log's, for messages; `found` lists
    every column seen, for the message when there is no loss; `together(a, b)` counts the records that have
    both columns: the step column is the one logged with the most losses (nanoGPT logs `step` on its
    evaluation lines and `iter` on its training lines)."""
    kinds = {n: classify(n) for n in names}
    losses = sorted(((k.rank, i, n) for i, (n, k) in enumerate(kinds.items()) if k and k.role == "loss"))
    candidates = tuple(n for *_, n in losses)
    note = ""
    if column is not None:
        chosen = _find_column(column, names, candidates, name)
        note = f"loss column {chosen} chosen with --column"
    elif losses:
        chosen = losses[0][2]
        if len(losses) > 1:
            others = ", ".join(c for c in candidates[1:6]) + (", ..." if len(candidates) > 6 else "")
            why = REASONS[losses[0][0][0]]
            if losses[1][0][0] == losses[0][0][0]:
                why = ("per-step values are preferred over per-epoch means" if losses[1][0][1] != losses[0][0][1]
                       else "the shortest name is preferred among equally ranked columns"
                       if losses[1][0][2] != losses[0][0][2] else "the first of equally ranked columns is used")
            note = f"loss column {chosen} of {len(losses)} loss columns ({why}; the others: {others}); " \
                   "--column NAME picks another"
    elif _is_tensorboard_download(found if found is not None else names):
        chosen = next(n for n in names if normalised(n) == "value")
    else:
        seen = found if found is not None else names
        listed = ", ".join(seen[:12]) + (", ..." if len(seen) > 12 else "")
        raise LogError(f'{name}: no loss column; found columns {listed or "none"}. Name the column "loss" '
                       "(or train_loss), or choose one with --column NAME")
    best: dict[str, str] = {}
    for role in ("val_loss", "lr", "step", "epoch", "grad_norm"):
        ranked = sorted(((-together(n, chosen) if together and role in ("step", "epoch") else 0), k.rank, i, n)
                        for i, (n, k) in enumerate(kinds.items()) if k and k.role == role and n != chosen)
        if ranked:
            best[role] = ranked[0][-1]
    if "step" not in best and "epoch" in best:
        best["step"] = best.pop("epoch")
    roles = {"loss": chosen, **best}
    return Roles(chosen, best.get("val_loss"), best.get("lr"), best.get("step"), best.get("epoch"),
                 best.get("grad_norm"), candidates, note, roles)


def _is_tensorboard_download(names: list[str]) -> bool:
    return {"wall_time", "step", "value"} <= {normalised(n) for n in names}


def _find_column(column: str, names: list[str], candidates: tuple[str, ...], name: str) -> str:
    for match in (lambda n: n == column, lambda n: n.lower() == column.lower(),
                  lambda n: normalised(n) == normalised(column)):
        hits = [n for n in names if match(n)]
        if hits:
            return hits[0]
    listed = ", ".join(candidates[:12]) if candidates else "none"
    raise LogError(f'{name}: no column "{column}" (--column); its loss columns are: {listed}')
