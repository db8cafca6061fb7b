"""CSV logs: Keras's CSVLogger, Lightning's metrics.csv, TensorBoard's scalar download, W&B's chart export,
lrtui's own `--format csv`, and any table with a loss column.

The separator is the one of `,`, tab, `;` that splits the header and the first rows into the same number of
cells (a comma when several do); a header repeated inside the file (two logs concatenated) starts a new run.
A W&B export names its columns `<run> - <metric>` with `__MIN` and `__MAX` bands: each run becomes its own
table, the bands are left out.
"""

from __future__ import annotations

import csv
import re

from lrtui.logs.columns import normalised
from lrtui.logs.errors import MAX_COLUMNS, MAX_LINE_BYTES, LogError
from lrtui.logs.table import Table

SEPARATORS = (",", "\t", ";")
HEADER_PROBE = 5  # rows looked at with the header to choose the separator
_WANDB = re.compile(r"^(.+?) - (.+?)(__MIN|__MAX)?$")


def split_cells(text: str, delimiter: str) -> list[str]:
    if '"' not in text:
        return text.split(delimiter)
    try:
        return next(csv.reader([text], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return text.split(delimiter)


def choose_separator(header: str, rows: list[str]) -> str:
    counts = {d: len(split_cells(header, d)) for d in SEPARATORS}
    for d in SEPARATORS:
        if counts[d] >= 2 and rows and all(len(split_cells(r, d)) == counts[d] for r in rows):
            return d
    return max(SEPARATORS, key=lambda d: counts[d])  # the first of the most: a comma on a tie


def source_format(names: list[str]) -> str:
    lower = {n.lower() for n in names}
    norm = {normalised(n) for n in names}
    if {"wall_time", "value"} <= norm:
        return "tensorboard"
    if {"run", "label", "grad_norm"} <= lower:
        return "lrtui"
    if any(_WANDB.match(n) for n in names) and "step" in norm:
        return "wandb"
    if "step" in lower and "epoch" in lower:
        return "lightning"
    if names and names[0].lower() == "epoch":
        return "keras"
    return "csv"


class CsvParser:
    def __init__(self, name: str):
        self.name = name
        self.probe: list[tuple[int, str]] = []  # the header and the rows that choose the separator
        self.header: list[str] = []
        self.started = False  # the header has been read
        self.header_line = ""
        self.delimiter = ","
        self.main: Table | None = None
        self.fill: list[tuple[int, Table, str]] = []  # (cell index, table, column) for each wanted cell
        self.run_cells: tuple[int, int] | None = None  # lrtui: the run and label cells
        self.partial = ""  # a row whose quoted cell spans lines, so far
        self.partial_line = 0
        self._tables: list[Table] = []

    # -- lines in ------------------------------------------------------------------------------------------

    def line(self, number: int, text: str) -> None:
        if not self.started:
            if text.strip():
                self.probe.append((number, text))
            if len(self.probe) > HEADER_PROBE:
                self._start()
            return
        self._row(number, text)

    def end(self) -> None:
        if not self.started:
            self._start()
        if self.partial:
            raise LogError(f"{self.name} line {self.partial_line}: a quoted cell is never closed; not valid CSV")

    def tables(self) -> list[Table]:
        if not self.started:
            self._start()
        return self._tables

    # -- the header ----------------------------------------------------------------------------------------

    def _start(self) -> None:
        probe, self.probe = self.probe, []
        if not probe:
            raise LogError(f"{self.name} is empty; it needs a header line and at least one row with a loss")
        (header_number, header), rows = probe[0], probe[1:]
        self.delimiter = choose_separator(header, [t for _, t in rows])
        try:
            cells = next(csv.reader([header], delimiter=self.delimiter))
        except csv.Error as exc:
            raise LogError(f"{self.name} line {header_number}: not a valid CSV header ({exc})") from None
        if len(cells) > MAX_COLUMNS:
            raise LogError(f"{self.name}: a header of {len(cells):,} columns, more than lrtui reads "
                           f"({MAX_COLUMNS:,}); is this a training log?")
        self.header = [c.strip() for c in cells]
        self.started = True
        self.header_line = header.strip()
        self._layout()
        for number, text in rows:
            self._row(number, text)

    def _layout(self) -> None:
        names = self.header
        fmt = source_format(names)
        first: dict[str, int] = {}
        for i, n in enumerate(names):
            first.setdefault(n, i)  # a repeated column name: the first one counts
        if fmt == "wandb":
            self._tables = self._wandb_tables(names, first)
        else:
            main = self.main = Table(self.name, fmt)
            main.note_names(names)
            main.empty_message = f"{self.name} has a header but no rows; it needs at least one row with a loss"
            self.fill = [(i, main, n) for n, i in first.items() if main.is_wanted(n)]
            for _, table, n in self.fill:
                table.column(n)  # a wanted column exists even with no values, so that the error can say so
            self._tables = [self.main]
            if fmt == "lrtui":
                self.run_cells = (first["run"], first["label"])

    def _wandb_tables(self, names: list[str], first: dict[str, int]) -> list[Table]:
        shared = [(i, n) for n, i in first.items() if not _WANDB.match(n)]
        runs: dict[str, Table] = {}
        for n, i in first.items():
            m = _WANDB.match(n)
            if m is None or m.group(3):
                continue  # a shared column, or a __MIN / __MAX band
            run, metric = m.group(1), m.group(2)
            table = runs.get(run)
            if table is None:
                table = runs[run] = Table(self.name, "wandb")
                table.label = run
                table.empty_message = f"{self.name} has a header but no rows"
                for j, s in shared:
                    table.note_names([s])
                    if table.is_wanted(s):
                        self.fill.append((j, table, s))
            table.note_names([metric])
            if table.is_wanted(metric):
                self.fill.append((i, table, metric))
                table.column(metric)
        return list(runs.values())

    # -- rows ----------------------------------------------------------------------------------------------

    def _row(self, number: int, text: str) -> None:
        if self.partial:
            text = self.partial + "\n" + text
            number = self.partial_line
            self.partial = ""
        if not text.strip():
            return
        if text.count('"') % 2 == 1:  # a quoted cell goes on to the next line
            if len(text) > MAX_LINE_BYTES:
                raise LogError(f"{self.name} line {number}: a quoted cell runs on past {MAX_LINE_BYTES // 1024:,} "
                               "KB; not a training log row")
            self.partial, self.partial_line = text, number
            return
        if text.strip() == self.header_line:
            for table in self._tables:
                table.breaks.append(table.records)  # a second log's header: a new run starts here
            return
        cells = split_cells(text, self.delimiter)
        if len(cells) > len(self.header) and any(c.strip() for c in cells[len(self.header):]):
            raise LogError(f"{self.name} line {number}: {len(cells)} cells but the header has {len(self.header)} "
                           "columns; every row needs the header's columns")
        records = {id(t): t.start_record(number) for t in self._tables}
        count = len(cells)
        for i, table, column in self.fill:
            if i < count:
                table.put(records[id(table)], column, cells[i])
        if self.run_cells is not None and self.main is not None:
            r, lab = self.run_cells
            if r < count:
                try:
                    run = float(cells[r])
                except ValueError:
                    return
                if run not in self.main.run_labels and len(self.main.run_labels) < 100_000:
                    self.main.run_labels[run] = cells[lab].strip() if lab < count else ""
