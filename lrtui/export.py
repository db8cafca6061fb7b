"""Turning an experiment's history into CSV, JSON or a summary table, and writing files safely."""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lrtui.core.history import MAX_RECORDED_PARAMS

if TYPE_CHECKING:  # only for annotations: `lrtui diagnose` imports json_safe without the engine
    from lrtui.core.experiment import Experiment


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def printable(text: str) -> str:
    """`text` with control characters (an escape sequence from a hostile file, a stray \\r) shown as escapes,
    so that a message quoting a file cannot move the cursor, recolour or clear the user's terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def shortened(text: str, limit: int = 400) -> str:
    """`text`, or its start and end around " ... " when a quoted value (a list of thousands) makes it long."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 150]} ... {text[-120:]}"


def json_safe(value):
    """`value` with every nan and inf turned into None: JSON has no such numbers, and jq or a browser refuse them."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def run_status(exp: Experiment, run: int) -> str:
    at = exp.diverged_at(run)
    return f"diverged at step {at}" if at >= 0 else "ok"


def run_rows(exp: Experiment, run: int) -> dict[str, np.ndarray]:
    """Aligned columns for one run: step, lr, loss, grad_norm, x0.., test metrics."""
    steps, loss = exp.series(run, "loss")
    columns = {"step": steps, "lr": exp.series(run, "lr")[1], "loss": loss, "grad_norm": exp.series(run, "grad_norm")[1]}
    sim, local = exp.locate(run)
    if sim.history.records_params:
        _, params = sim.history.params_series(local)
        for j in range(params.shape[1]):
            columns[f"x{j}"] = params[:, j]
    if sim.loss.is_model:
        for name in ("test_loss", "test_accuracy"):
            columns[name] = exp.series(run, name)[1]
    return columns


def to_csv(exp: Experiment) -> str:
    n_x = max(
        (exp.loss_of(r).n_params for r in range(exp.n_runs) if exp.loss_of(r).n_params <= MAX_RECORDED_PARAMS),
        default=0,
    )
    any_model = any(exp.loss_of(r).is_model for r in range(exp.n_runs))
    header = ["run", "label", "step", "lr", "loss", "grad_norm"] + [f"x{j}" for j in range(n_x)]
    if any_model:
        header += ["test_loss", "test_accuracy"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for run in range(exp.n_runs):
        columns = run_rows(exp, run)
        label = exp.spec(run).label
        names = header[2:]
        data = [columns.get(name) for name in names]
        for i in range(len(columns["step"])):
            cells = [run, label]
            for name, col in zip(names, data):
                if col is None:
                    cells.append("")
                elif name == "step":
                    cells.append(int(col[i]))
                else:
                    cells.append(repr(float(col[i])))
            writer.writerow(cells)
    return out.getvalue()


def run_summary(exp: Experiment, run: int) -> dict:
    _, loss = exp.series(run, "loss")
    finite = loss[np.isfinite(loss)]
    summary = {
        "label": exp.spec(run).label,
        "status": run_status(exp, run),
        "final_loss": _number(loss[-1]) if loss.size else None,
        "best_loss": _number(finite.min()) if finite.size else None,
        "steps": int(exp.series(run, "loss")[0][-1]),
        "verdict": exp.verdict(run),
        "diagnoses": [d.as_dict() for d in exp.diagnoses(run)],
    }
    if exp.loss_of(run).is_model:
        # The loss column of a mini-batch run is its last batch's loss; these are on whole splits.
        for name in ("train_loss", "test_loss", "test_accuracy"):
            summary[name] = _number(exp.series(run, name)[1][-1])
    return summary


def to_json(exp: Experiment, scenario_name: str, configs: list[dict]) -> str:
    runs = []
    for run in range(exp.n_runs):
        entry = run_summary(exp, run)
        entry["config"] = configs[run] if run < len(configs) else {}
        entry["history"] = {
            name: [int(v) for v in col] if name == "step" else [_number(v) for v in col]
            for name, col in run_rows(exp, run).items()
        }
        runs.append(entry)
    return json.dumps(json_safe({"scenario": scenario_name, "runs": runs}), indent=1, allow_nan=False) + "\n"


def to_table(exp: Experiment, scenario_name: str) -> str:
    rows = [run_summary(exp, r) for r in range(exp.n_runs)]
    has_acc = any("test_accuracy" in r for r in rows)
    head = ["run", "label", "status", "verdict", "final loss", "best loss"] + (
        ["train loss", "test acc"] if has_acc else [])
    body = []
    for i, r in enumerate(rows):
        cells = [str(i), printable(r["label"]), r["status"], r["verdict"], _fmt(r["final_loss"]), _fmt(r["best_loss"])]
        if has_acc:
            acc = r.get("test_accuracy")
            cells.append(_fmt(r["train_loss"]) if "train_loss" in r else "")
            cells.append("" if acc is None else f"{100 * acc:.1f}%")
        body.append(cells)
    widths = [max(len(h), *(len(row[c]) for row in body)) for c, h in enumerate(head)]
    lines = [f"{scenario_name}  ({exp.step_count} steps)", "  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in body]
    findings = [d for r in range(exp.n_runs) for d in [exp.summary(r)] if d.code != "improving"]
    if findings:
        lines.append("")
        for d in findings:
            fix = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in d.suggestion.items())
            lines.append(f"run {d.run}: {d.message}" + (f"  [suggested: {fix}]" if fix else ""))
    # Labels and the name come from the scenario file: keep its control characters off the terminal.
    return "\n".join(printable(line) for line in lines) + "\n"


def _fmt(value) -> str:
    return "nan/inf" if value is None else f"{value:.6g}"


def write_atomically(path: Path, text: str, force: bool = False) -> None:
    """Write via a temporary file in the same directory and a rename: never a half-written file.

    Without `force` an existing file is never replaced, even one that appears while the text is written.
    """
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; use --force to overwrite it")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes the file private; give it a new file's usual mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, path)
        else:
            _place_new(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# What to do about each way a file cannot be written, after "PATH: cannot write it (reason)".
WRITE_FIXES = {errno.ENOENT: "check that the folder exists", errno.ENOTDIR: "part of the path is a file, not a folder",
               errno.EISDIR: "it is a folder: give a file name", errno.EACCES: "check that you may write there",
               errno.EPERM: "check that you may write there", errno.EROFS: "the disk is read-only: write elsewhere",
               errno.ENOSPC: "the disk is full: free some space or write elsewhere",
               errno.EDQUOT: "the disk quota is full: free some space or write elsewhere",
               errno.ENAMETOOLONG: "choose a shorter name"}


def cannot_write(path: Path, exc: OSError) -> str:
    """One line for a file that could not be written: the path, why, and what to do."""
    if isinstance(exc, FileExistsError):
        return f"{printable(str(path))} exists; use --force to overwrite it, or choose another name"
    reason = exc.strerror or str(exc)
    fix = WRITE_FIXES.get(exc.errno, "check the path")
    return f"{printable(str(path))}: cannot write it ({reason}); {fix}"


def unwritable(path: Path) -> OSError | None:
    """Why `path` cannot be written, as far as can be told before the work that makes its text."""
    path = Path(path)
    if path.is_dir():
        return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    parent = path.parent
    if not parent.exists():
        return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    if not parent.is_dir():
        return NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    return None


def _place_new(tmp: Path, path: Path) -> None:
    """Give the finished file its name unless that name is taken: a hard link fails on an existing name."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path} exists; use --force to overwrite it") from None
    except OSError:  # a file system without hard links (FAT, some network shares): check, then rename
        if path.exists():
            raise FileExistsError(f"{path} exists; use --force to overwrite it") from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
