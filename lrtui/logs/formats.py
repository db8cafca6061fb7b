"""Deciding a log's format from its first lines, and the JSON and MLflow readers.

- JSON Lines: one object per line (`{"step": 3, "loss": 0.52}`); nested objects are flattened
  (`{"train": {"loss": 0.5}}` is `train/loss`); `NaN` and `Infinity` are accepted.
- A JSON document: a Hugging Face Trainer `trainer_state.json` (its `log_history` entries are the records),
  or a list of such objects.
- An MLflow metric file (`mlruns/<experiment>/<run>/metrics/<name>`): lines `timestamp value step`.
"""

from __future__ import annotations

import json
import re
from array import array

from lrtui.logs.columns import classify
from lrtui.logs.csv_format import CsvParser, choose_separator, split_cells
from lrtui.logs.errors import MAX_BYTES, LogError
from lrtui.logs.table import Table
from lrtui.logs.text_format import TextParser, pairs, strong_pairs

__all__ = ["CsvParser", "JsonDocParser", "JsonlParser", "MlflowMetricParser", "TextParser", "sniff_lines"]

_MLFLOW = re.compile(r"^\d{9,16} \S+( -?\d+)?$")
_NAME_LIKE = re.compile(r"(^|\s)[-+]?\.?\d")  # a cell with a bare number in it is a value, not a column name
FLATTEN_DEPTH = 3


def sniff_lines(lines: list[str], name: str) -> str:
    """empty | jsonl | json | mlflow | csv | text, from the first lines of a file."""
    nonblank = [t for t in lines if t.strip()]
    if not nonblank:
        return "empty"
    first = nonblank[0].strip()
    if first.startswith("{"):
        try:
            return "jsonl" if isinstance(json.loads(first), dict) else "json"
        except (ValueError, RecursionError):
            return "json" if len(nonblank) > 1 or not first.endswith("}") else "jsonl"
    if first.startswith("["):
        return "json"
    if all(_MLFLOW.match(t.strip()) for t in nonblank):
        return "mlflow"
    return "csv" if _tabular(nonblank) else "text"


def _tabular(nonblank: list[str]) -> bool:
    header, rows = nonblank[0], nonblank[1:6]
    if strong_pairs(header):
        return False  # "Epoch 1: Train Loss=0.07": a log line, not a header
    delimiter = choose_separator(header, rows)
    cells = [c.strip().strip('"') for c in split_cells(header, delimiter)]
    names = all(not _NAME_LIKE.search(c) for c in cells)
    if names and any(classify(c) is not None or c.lower() == "value" for c in cells):
        return True
    if len(cells) >= 2:
        numeric_rows = sum(1 for r in rows if len(split_cells(r, delimiter)) == len(cells)
                           and _mostly_numbers(split_cells(r, delimiter)))
        if numeric_rows and numeric_rows >= len(rows) / 2:
            return True
    if sum(1 for t in nonblank[:30] if pairs(t)) >= max(1, len(nonblank[:30]) // 4):
        return False
    return True  # neither: read as CSV, whose errors say what a log needs


def _mostly_numbers(cells: list[str]) -> bool:
    good = 0
    for c in cells:
        try:
            float(c)
            good += 1
        except ValueError:
            good += not c.strip()
    return good * 2 >= len(cells)


def _flat(record: dict, prefix: str = "", depth: int = 0) -> dict:
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < FLATTEN_DEPTH:
            out.update(_flat(value, f"{name}/", depth + 1))
        else:
            out[name] = value
    return out


class JsonlParser:
    def __init__(self, name: str):
        self.name = name
        self.table = Table(name, "jsonl")

    def line(self, number: int, text: str) -> None:
        if not text.strip():
            return
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LogError(f"{self.name} line {number}: not valid JSON ({exc.msg}); JSON Lines needs one object "
                           "per line") from None
        except (ValueError, RecursionError):  # an integer of thousands of digits; brackets nested thousands deep
            raise LogError(f"{self.name} line {number}: a number too long or brackets nested too deeply; JSON Lines "
                           'needs one flat object per line, like {"step": 1, "loss": 0.5}') from None
        if not isinstance(record, dict):
            raise LogError(f"{self.name} line {number}: a JSON Lines log needs one object per line, like "
                           '{"step": 1, "loss": 0.5}')
        self.table.add(number, _flat({str(k): v for k, v in record.items()}))

    def end(self) -> None:
        pass

    def tables(self) -> list[Table]:
        return [self.table]


class JsonDocParser:
    """A whole JSON document: read when asked, since it is only valid once complete."""

    def __init__(self, name: str):
        self.name = name
        self.text: list[str] = []
        self.size = 0

    def line(self, number: int, text: str) -> None:
        self.size += len(text) + 1
        if self.size > MAX_BYTES:
            raise LogError(f"{self.name}: a JSON document of more than {MAX_BYTES // 2**20} MB")
        self.text.append(text)

    def end(self) -> None:
        pass

    def tables(self) -> list[Table]:
        try:
            doc = json.loads("\n".join(self.text))
        except json.JSONDecodeError as exc:
            raise LogError(f"{self.name} line {exc.lineno}: not valid JSON ({exc.msg}); lrtui reads JSON Lines (one "
                           "object per line) or a Hugging Face trainer_state.json") from None
        except (ValueError, RecursionError):
            raise LogError(f"{self.name}: a number too long or brackets nested too deeply; not a training log") from None
        if isinstance(doc, dict) and isinstance(doc.get("log_history"), list):
            entries, fmt, word = doc["log_history"], "huggingface", "log_history entry"
        elif isinstance(doc, list):
            entries, fmt, word = doc, "json", "item"
        else:
            raise LogError(f"{self.name}: a JSON document without a log_history list; lrtui reads JSON Lines (one "
                           "object per line), a list of objects, or a Hugging Face trainer_state.json")
        table = Table(self.name, fmt)
        table.line_word = word
        table.empty_message = f"{self.name}: its {'log_history' if fmt == 'huggingface' else 'list'} is empty"
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                raise LogError(f"{self.name} {word} {number}: not an object such as {{\"step\": 1, \"loss\": 0.5}}")
            table.add(number, _flat({str(k): v for k, v in entry.items()}))
        return [table]


class MlflowMetricParser:
    """One metric file of MLflow's file store: `timestamp value step` per line (old files: no step)."""

    def __init__(self, name: str, metric: str):
        self.name = name
        self.metric = metric
        self.times = array("q")
        self.steps = array("d")
        self.values = array("d")
        self.line_numbers = array("q")

    def line(self, number: int, text: str) -> None:
        parts = text.split()
        if not parts:
            return
        if len(parts) not in (2, 3):
            raise LogError(f"{self.name} line {number}: an MLflow metric line is 'timestamp value step'")
        try:
            time, value = int(parts[0]), float(parts[1])
            step = float(parts[2]) if len(parts) == 3 else float(len(self.values))
        except ValueError:
            raise LogError(f"{self.name} line {number}: an MLflow metric line is 'timestamp value step', "
                           "with numbers") from None
        self.times.append(max(min(time, 2**62), -(2**62)))
        self.steps.append(step)
        self.values.append(value)
        self.line_numbers.append(number)

    def end(self) -> None:
        pass

    def tables(self) -> list[Table]:
        table = Table(self.name, "mlflow")
        table.empty_message = f"{self.name}: an empty MLflow metric file"
        fill_mlflow(table, [(self.metric, self)])
        return [table]


def fill_mlflow(table: Table, metrics: list[tuple[str, MlflowMetricParser]]) -> None:
    """Records from several metric files, in the order they were logged (by timestamp, then file order)."""
    order = []
    for k, (metric, parser) in enumerate(metrics):
        table.note_names([metric])
        order += [(parser.times[i], k, i) for i in range(len(parser.values))]
    order.sort()
    table.note_names(["step"])
    for _, k, i in order:
        metric, parser = metrics[k]
        record = table.start_record(parser.line_numbers[i])
        table.put(record, "step", parser.steps[i])
        if table.is_wanted(metric):
            table.put(record, metric, parser.values[i])
