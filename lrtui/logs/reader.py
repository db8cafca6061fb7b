"""Reading a line-based log incrementally: bytes in, records out, runs on demand.

    reader = LogReader("metrics.csv")
    reader.feed(first_bytes)      # any amount; a partial last line is held back
    reader.feed(appended_bytes)   # later, what the file grew by
    log = reader.log()            # a LogFile with every run read so far
    reader.end()                  # at the end of the file: the held-back line counts after all

`lrtui diagnose` feeds a whole file in chunks; a live view can feed what a growing file appends. The format
is decided once, from the first lines (or from `kind`): CSV (Keras, Lightning, TensorBoard's download, W&B's
export, lrtui's own), JSON Lines, an MLflow metric file, or plain logging text.
"""

from __future__ import annotations

import re

from lrtui.logs.assemble import LogFile, assemble
from lrtui.logs.errors import MAX_BYTES, MAX_LINE_BYTES, SNIFF_BYTES, LogError
from lrtui.logs.formats import CsvParser, JsonDocParser, JsonlParser, MlflowMetricParser, TextParser, sniff_lines
from lrtui.logs.table import Parser, Table

_NEWLINE = re.compile(rb"\r\n|\r|\n")
SNIFF_LINES = 30  # the format is decided on this many non-blank lines (or SNIFF_BYTES, or the end of the file)
_HTML = (b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"<svg")


class LineSplitter:
    """Bytes to decoded lines: \\n, \\r\\n and a lone \\r end a line; a partial last line waits for more."""

    def __init__(self, name: str, max_line: int = MAX_LINE_BYTES):
        self.name = name
        self.max_line = max_line
        self.pending = b""
        self.number = 0  # lines emitted so far

    def feed(self, data: bytes) -> list[tuple[int, str]]:
        buf = self.pending + data
        held = buf.endswith(b"\r")  # maybe the first half of \r\n: keep it for the next feed
        parts = _NEWLINE.split(buf[:-1] if held else buf)
        tail = parts.pop() + (b"\r" if held else b"")
        self.pending = tail
        if len(self.pending) > self.max_line:
            self._too_long(self.number + len(parts) + 1)
        return [self._decoded(p) for p in parts]

    def end(self) -> list[tuple[int, str]]:
        tail, self.pending = self.pending.rstrip(b"\r"), b""
        return [self._decoded(tail)] if tail else []

    def _decoded(self, raw: bytes) -> tuple[int, str]:
        self.number += 1
        if len(raw) > self.max_line:
            self._too_long(self.number)
        if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            return self.number, raw.decode("utf-8")
        except UnicodeDecodeError:
            raise LogError(f"{self.name} line {self.number}: not UTF-8 text; save the log as UTF-8") from None

    def _too_long(self, line: int) -> None:
        raise LogError(f"{self.name} line {line}: longer than {self.max_line // 1024:,} KB; lrtui reads log lines up "
                       "to that (is this a training log?)")


class LogReader:
    """A line-based log read incrementally (see the module's docstring)."""

    def __init__(self, name: str, path: str = "", kind: str | None = None, column: str | None = None,
                 max_bytes: int = MAX_BYTES, metric: str | None = None):
        self.name = name
        self.path = path or name
        self.kind = kind  # csv | jsonl | text | mlflow; None: decided from the first lines
        self.column = column
        self.max_bytes = max_bytes
        self.metric = metric  # an MLflow metric file's metric name
        self.bytes = 0
        self.splitter = LineSplitter(name)
        self.parser: Parser | None = None
        self._waiting: list[tuple[int, str]] = []  # lines held until the format is decided
        self._head = b""

    def feed(self, data: bytes) -> None:
        self.bytes += len(data)
        if self.bytes > self.max_bytes:
            raise LogError(f"{self.name}: more than lrtui reads ({self.max_bytes // 2**20} MB); keep every k-th row "
                           "first")
        if len(self._head) < SNIFF_BYTES:
            self._head += data[: SNIFF_BYTES - len(self._head)]
            self._check_head()
        self._take(self.splitter.feed(data))

    def end(self) -> None:
        """The file ended: its last line counts even without a newline, and the format is decided now."""
        self._take(self.splitter.end())
        self._parser().end()

    def tables(self) -> list[Table]:
        """The records read so far, one table per run group."""
        return self._parser().tables()

    def log(self) -> LogFile:
        """Every run read so far."""
        return assemble(self.tables(), self.path, self.column)

    def _parser(self) -> Parser:
        if self.parser is None:
            self._decide()
        assert self.parser is not None
        return self.parser

    # -- internals ---------------------------------------------------------------------------------------------

    def _check_head(self) -> None:
        head = self._head
        if b"\x00" in head:
            raise LogError(f"{self.name} is a binary file, not a text log; give a CSV, JSON Lines or text log, a "
                           "TensorBoard event file or folder, or a trainer_state.json")
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:16].lower()
        if start.startswith(_HTML):
            raise LogError(f"{self.name} is an HTML or XML page, not a training log; save the log itself (for "
                           "TensorBoard: its CSV download link, not the page)")

    def _take(self, lines: list[tuple[int, str]]) -> None:
        if not lines:
            return
        if self.parser is not None:
            for number, text in lines:
                self.parser.line(number, text)
            return
        self._waiting += lines
        nonblank = sum(1 for _, t in self._waiting if t.strip())
        if nonblank >= SNIFF_LINES or len(self._head) >= SNIFF_BYTES:
            self._decide()

    def _decide(self) -> None:
        waiting, self._waiting = self._waiting, []
        kind = self.kind or sniff_lines([t for _, t in waiting], self.name)
        self.kind = kind
        if kind == "empty":
            raise LogError(f"{self.name} is empty; it needs a header line and at least one row with a loss")
        parser: Parser
        if kind == "mlflow":
            parser = MlflowMetricParser(self.name, self.metric or "value")
        elif kind == "csv":
            parser = CsvParser(self.name)
        elif kind == "jsonl":
            parser = JsonlParser(self.name)
        elif kind == "json":
            parser = JsonDocParser(self.name)
        else:
            parser = TextParser(self.name)
        self.parser = parser
        for number, text in waiting:
            parser.line(number, text)
