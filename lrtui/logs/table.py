"""The cells every format reader produces, kept column by column, and grown one record at a time.

A record is one row of a CSV, one JSON object, one line of logging text, one TensorBoard event or MLflow metric
line. Only the columns that could play a role (loss, validation loss, LR, step, epoch, grad norm, run) are kept,
each as (record index, value) pairs, so a wide log costs little memory. A blank cell is missing, not NaN: a
Lightning row leaves the other metrics' cells empty, while a logged `nan` loss is a divergence. A cell that is
not a number is remembered (line and text) and reported only if its column turns out to be needed.
"""

from __future__ import annotations

import json
import math
from array import array
from typing import Protocol

from lrtui.logs.columns import classify, normalised
from lrtui.logs.errors import MAX_COLUMNS, LogError


def wanted(name: str) -> bool:
    """Whether a column could play a role: the others are never stored."""
    return classify(name) is not None or normalised(name) == "value"


class Column:
    __slots__ = ("name", "rows", "values", "bad")

    def __init__(self, name: str):
        self.name = name
        self.rows = array("q")  # record index of each value
        self.values = array("d")
        self.bad: tuple[int, str] | None = None  # (line, cell as text) of the first cell that is not a number


class Table:
    """Records of one log, in the order they were read."""

    def __init__(self, name: str, source_format: str):
        self.name = name  # the log's name, for messages
        self.source_format = source_format
        self.columns: dict[str, Column] = {}  # the wanted columns, in order of first appearance
        self.seen: dict[str, None] = {}  # every column name seen (up to MAX_COLUMNS), for messages
        self.lines = array("q")  # the source line (or event number) of each record
        self.breaks: list[int] = []  # record indices where a new run starts for certain (a repeated header)
        self.run_labels: dict[float, str] = {}  # lrtui run id -> its label
        self.label = ""  # the run's name when the reader knows it (a W&B run, a TensorBoard or MLflow folder)
        self.empty_message = ""  # what to say when the log has no records at all
        self.line_word = "line"  # what a record's number counts: a line, a log_history entry, an event
        self._wanted: dict[str, bool] = {}

    @property
    def records(self) -> int:
        return len(self.lines)

    def note_names(self, names) -> None:
        for n in names:
            if n not in self.seen:
                if len(self.seen) >= MAX_COLUMNS:
                    if self.source_format == "text":  # prose "key: value" pairs: stop listing, keep reading
                        return
                    raise LogError(f"{self.name}: more than {MAX_COLUMNS:,} different columns or keys; that is not "
                                   "a training log lrtui reads (is it one?)")
                self.seen[n] = None

    def is_wanted(self, name: str) -> bool:
        hit = self._wanted.get(name)
        if hit is None:
            if len(self._wanted) > 4 * MAX_COLUMNS:  # keys that vary on every line: stop caching them
                return wanted(name)
            hit = self._wanted[name] = wanted(name)
        return hit

    def column(self, name: str) -> Column:
        col = self.columns.get(name)
        if col is None:
            col = self.columns[name] = Column(name)
        return col

    def start_record(self, line: int) -> int:
        self.lines.append(line)
        return len(self.lines) - 1

    def put(self, record: int, name: str, cell) -> None:
        """One cell of the current record: a number, a numeric string, or blank/None (missing)."""
        if cell is None:
            return
        if isinstance(cell, str):
            if not cell or cell.isspace():
                return
            try:
                value = float(cell)
            except ValueError:
                self._bad(name, cell)
                return
        elif isinstance(cell, bool) or not isinstance(cell, (int, float)):
            self._bad(name, json.dumps(cell) if isinstance(cell, (bool, list, dict)) else str(cell))
            return
        else:
            try:
                value = float(cell)
            except OverflowError:  # a JSON integer past float64's range, as a CSV's 1e400 reads as inf
                value = math.inf if cell > 0 else -math.inf
        col = self.column(name)
        col.rows.append(record)
        col.values.append(value)

    def _bad(self, name: str, text: str) -> None:
        col = self.column(name)
        if col.bad is None:
            col.bad = (int(self.lines[-1]) if self.lines else 0, text)

    def add(self, line: int, cells: dict) -> None:
        """A record from a mapping of column -> cell; unwanted columns are only noted by name."""
        self.note_names(cells)
        record = self.start_record(line)
        for key, cell in cells.items():
            if self.is_wanted(key):
                self.put(record, key, cell)


class Parser(Protocol):
    """What every line-based format reader offers: lines in, tables out."""

    def line(self, number: int, text: str) -> None: ...

    def end(self) -> None: ...

    def tables(self) -> list[Table]: ...
