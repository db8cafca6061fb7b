"""Reading a user's training log: the CSV files Keras, PyTorch Lightning and TensorBoard write,
lrtui's own CSV export, and JSON Lines with the same keys.

Every problem becomes a `LogError` whose one-line message names the file and says what to do.
"""

from __future__ import annotations

import csv
import io
import json
import math
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lrtui.export import printable, shortened

MAX_BYTES = 200 * 1024 * 1024  # larger logs are refused: thin them out first (every k-th row)

# Column names each role accepts, case-insensitive, best first. Lightning logs `self.log("train_loss",
# on_step=True, on_epoch=True)` as train_loss_step and train_loss_epoch; the per-step one is preferred.
LOSS_NAMES = ("loss", "train_loss", "training_loss", "train/loss", "loss_step", "train_loss_step",
              "training_loss_step", "train/loss_step", "loss_epoch", "train_loss_epoch", "training_loss_epoch")
VAL_NAMES = ("val_loss", "validation_loss", "val/loss", "valid_loss", "val_loss_epoch", "validation_loss_epoch",
             "test_loss")
LR_NAMES = ("lr", "learning_rate", "learning-rate", "learningrate", "learning rate")
LR_PREFIXES = ("lr-", "lr/", "lr_", "learning_rate/", "learning_rate-")  # Lightning: lr-Adam, lr-SGD/pg1
STEP_NAMES = ("step", "global_step", "iteration", "iter", "epoch")


class LogError(ValueError):
    """A training log that cannot be read; the message is one line, for the user."""

    def __init__(self, message: str):
        super().__init__(printable(shortened(message)))  # it may quote the file: escape sequences, huge cells


@dataclass(frozen=True)
class TrainingLog:
    steps: np.ndarray
    loss: np.ndarray
    lr: np.ndarray | None  # aligned with steps: the LR in force at each logged loss
    val_loss: np.ndarray | None  # on its own steps, val_steps (validation runs less often)
    val_steps: np.ndarray | None
    source_format: str  # keras | lightning | tensorboard | lrtui | csv | jsonl
    columns: dict = field(default_factory=dict)  # role -> the column it was read from
    path: str = ""


def read_log(path) -> TrainingLog:
    path = Path(path)
    name = path.name or str(path)
    text = _read_text(path, name)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{"):
        names = _jsonl_names(text, name)
        rows = _jsonl_rows(text, name)
        fmt = "jsonl"
    else:
        names, rows = _csv_rows(text, name)
        fmt = "csv"
    roles = _match_columns(names, name)
    fmt = _source_format(names, fmt)
    return _assemble(rows, roles, fmt, name, str(path))


# -- bytes to text -------------------------------------------------------------------------------------

def _read_text(path: Path, name: str) -> str:
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:  # a folder on the way that we may not enter
        raise LogError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not path.exists():
        raise LogError(f"{path}: no such file; give the path of a CSV or JSON Lines training log")
    if path.is_dir():
        inside = path / "metrics.csv"
        hint = f" (this one has {inside})" if inside.is_file() else " (for Lightning: version_0/metrics.csv)"
        raise LogError(f"{path} is a directory; give the log file inside it{hint}")
    if name.startswith("events.out.tfevents"):
        raise LogError(f"{name} is a TensorBoard event file; in TensorBoard, tick 'Show data download links' "
                       "and download the loss scalar as CSV")
    size = path.stat().st_size
    too_big = f"is more than lrtui reads ({MAX_BYTES // 2**20} MB); keep every k-th row first"
    if size > MAX_BYTES:
        raise LogError(f"{name}: {size / 2**20:.0f} MB {too_big}")
    try:
        # At most one byte past the limit: a device (/dev/zero) or a pipe (<(...)) reports no size.
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise LogError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise LogError(f"{name}: the stream {too_big}")
    if b"\x00" in raw[:65536]:
        raise LogError(f"{name} is a binary file, not a text log; give a CSV or JSON Lines file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LogError(f"{name} line {line}: not UTF-8 text; save the log as UTF-8 CSV or JSON Lines") from None
    if not text.strip():
        raise LogError(f"{name} is empty; it needs a header line and at least one row with a loss")
    return text


# -- text to rows: (line number, cell getter), streamed so a big log costs little memory --------------

def _csv_rows(text: str, name: str):
    lines = iter(io.StringIO(text, newline=None))  # universal newlines: \r\n, and \r alone as old Mac tools write
    skipped = 0
    for header_line in lines:
        skipped += 1
        if header_line.strip():
            break
    delimiter = _delimiter(header_line)
    try:
        header = [cell.strip() for cell in next(csv.reader([header_line], delimiter=delimiter))]
    except csv.Error as exc:
        raise LogError(f"{name} line {skipped}: not a valid CSV header ({exc})") from None
    index = {col: i for i, col in reversed(list(enumerate(header)))}

    def rows():
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            for record in reader:
                if not record:
                    continue
                line = reader.line_num + skipped
                if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
                    raise LogError(f"{name} line {line}: {len(record)} cells but the header has {len(header)} "
                                   "columns; every row needs the header's columns")
                yield line, (lambda col, r=record: r[index[col]] if index[col] < len(r) else None)
        except csv.Error as exc:
            raise LogError(f"{name} line {reader.line_num + skipped}: not valid CSV ({exc})") from None

    return header, rows()


def _delimiter(header_line: str) -> str:
    """The delimiter that splits the header into a loss column, else the most frequent one: a header such
    as `step,loss,note (a;b;c)` has more ; than , but is a comma-separated file."""
    candidates = sorted((",", "\t", ";"), key=header_line.count, reverse=True)  # stable: ties keep this order
    for delimiter in candidates:
        if delimiter not in header_line:
            continue
        try:
            cells = {cell.strip().lower() for cell in next(csv.reader([header_line], delimiter=delimiter))}
        except csv.Error:
            continue
        if cells & set(LOSS_NAMES) or {"wall time", "step", "value"} <= cells:
            return delimiter
    return candidates[0]


def _jsonl_records(text: str, name: str):
    for number, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LogError(f"{name} line {number}: not valid JSON ({exc.msg}); JSON Lines needs one object "
                           "per line") from None
        except (ValueError, RecursionError):  # an integer of thousands of digits; brackets nested thousands deep
            raise LogError(f"{name} line {number}: a number too long or brackets nested too deeply; JSON Lines "
                           'needs one flat object per line, like {"step": 1, "loss": 0.5}') from None
        if not isinstance(record, dict):
            raise LogError(f"{name} line {number}: a JSON Lines log needs one object per line, like "
                           '{"step": 1, "loss": 0.5}')
        yield number, record


def _jsonl_names(text: str, name: str) -> list[str]:
    # Validation lines often carry other keys than training lines, so the columns are the union.
    names: dict[str, None] = {}
    for _, record in _jsonl_records(text, name):
        names.update(dict.fromkeys(str(k) for k in record))
    return list(names)


def _jsonl_rows(text: str, name: str):
    for number, record in _jsonl_records(text, name):
        yield number, (lambda col, r=record: r.get(col))


# -- columns -----------------------------------------------------------------------------------------

def _match_columns(names: list[str], name: str) -> dict:
    lower = {n.lower().strip(): n for n in reversed(names)}

    def pick(candidates):
        return next((lower[c] for c in candidates if c in lower), None)

    roles = {"loss": pick(LOSS_NAMES), "val_loss": pick(VAL_NAMES), "step": pick(STEP_NAMES)}
    if {"wall time", "step", "value"} <= set(lower) and roles["loss"] is None:
        roles["loss"] = lower["value"]  # a TensorBoard scalar download: Value is the plotted scalar
    roles["lr"] = pick(LR_NAMES) or next(
        (n for n in names if n.lower().startswith(LR_PREFIXES) and "sched" not in n.lower()), None)
    if roles["loss"] is None:
        found = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise LogError(f'{name}: no loss column; found columns {found or "none"}. Name the column "loss" '
                       '(or train_loss)')
    return {role: col for role, col in roles.items() if col is not None}


def _source_format(names: list[str], fmt: str) -> str:
    lower = {n.lower() for n in names}
    if fmt == "jsonl":
        return fmt
    if {"wall time", "value"} <= lower:
        return "tensorboard"
    if {"run", "label", "grad_norm"} <= lower:
        return "lrtui"
    if "step" in lower and "epoch" in lower:
        return "lightning"
    if names and names[0].lower() == "epoch":
        return "keras"
    return fmt


# -- rows to arrays ------------------------------------------------------------------------------------

def _number(cell, column: str, line: int, name: str) -> float | None:
    """The cell's value; None when it is blank (Lightning leaves other metrics' cells empty)."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool) or not isinstance(cell, (int, float, str)):
        raise LogError(f"{name} line {line}: {column} is {json.dumps(cell)}, not a number")
    try:
        return float(cell)
    except OverflowError:  # a JSON integer past float64's range, as a CSV's 1e400 reads as inf
        return math.inf if cell > 0 else -math.inf
    except ValueError:
        text = str(cell)
        hint = ("; log loss.item(), not the tensor" if text.startswith("tensor(") else
                "; write float(x), not the NumPy scalar's repr" if text.startswith("np.") else "")
        raise LogError(f'{name} line {line}: {column} is "{cell}", not a number{hint}') from None


def _assemble(rows, roles: dict, fmt: str, name: str, path: str) -> TrainingLog:
    series = {role: (array("d"), array("d")) for role in ("loss", "lr", "val_loss") if role in roles}
    step_col = roles.get("step")
    runs: set = set()
    index = -1
    for index, (line, cell) in enumerate(rows):
        values = {role: _number(cell(roles[role]), roles[role], line, name) for role in series}
        if all(v is None for v in values.values()):
            continue
        if fmt == "lrtui":
            runs.add(cell("run"))
        step = float(index)
        if step_col is not None:
            found = _number(cell(step_col), step_col, line, name)
            if found is None or not math.isfinite(found):
                raise LogError(f"{name} line {line}: {step_col} is empty or not finite; every row with a "
                               "loss needs its step")
            step = found
        for role, value in values.items():
            if value is not None:
                series[role][0].append(step)
                series[role][1].append(value)
    if len(runs) > 1:
        shown = ", ".join(sorted(map(str, runs))[:6]) + (", ..." if len(runs) > 6 else "")
        raise LogError(f"{name} holds {len(runs)} runs (run = {shown}); keep one run's rows, e.g. "
                       f"awk -F, 'NR==1 || $1==0' {name} > one.csv")
    if index < 0:
        raise LogError(f"{name} has a header but no rows; it needs at least one row with a loss")
    if not series["loss"][1]:
        raise LogError(f'{name}: the column "{roles["loss"]}" has no values; it needs at least one loss')
    steps, loss = _ordered(*series["loss"])
    lr = None
    if "lr" in series and series["lr"][1]:
        lr_steps, lr_values = _ordered(*series["lr"])
        at = np.searchsorted(lr_steps, steps, side="right") - 1
        lr = lr_values[np.maximum(at, 0)]
    val_steps = val_loss = None
    if "val_loss" in series and series["val_loss"][1]:
        val_steps, val_loss = _ordered(*series["val_loss"])
    return TrainingLog(steps, loss, lr, val_loss, val_steps, fmt, dict(roles), path)


def _ordered(steps, values) -> tuple[np.ndarray, np.ndarray]:
    """By step; when steps go back (a resumed run), the later row for a step wins."""
    s, v = np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if s.size > 1 and np.any(s[1:] < s[:-1]):  # compared, not subtracted: steps may be near float64's limits
        order = np.argsort(s, kind="stable")
        s, v = s[order], v[order]
        last = np.append(s[1:] != s[:-1], True)
        s, v = s[last], v[last]
    return s, v
