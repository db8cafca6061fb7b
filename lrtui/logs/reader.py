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
        self.first_record = 0  # records read before this reader's first, by the readers it goes on from
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
        return self._numbered(self._parser().tables())

    def _numbered(self, tables: list[Table]) -> list[Table]:
        for t in tables:
            t.first_record = self.first_record
        return tables

    def log(self) -> LogFile:
        """Every run read so far."""
        return assemble(self.tables(), self.path, self.column)

    # -- for a live view (lrtui.logs.live) ------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Bytes of a last line that has no line end yet (held back)."""
        return len(self.splitter.pending)

    def preview(self) -> list[Table]:
        """The records read so far. While the first lines are too few to decide the format for good, they are
        read with the format they suggest now, on a copy, and decided again once enough have come."""
        if isinstance(self.parser, JsonDocParser) and self.splitter.pending:
            # A JSON document often ends without a line end: it is whole once it parses.
            doc = JsonDocParser(self.name)
            doc.text = self.parser.text + [self.splitter.pending.decode("utf-8", "replace")]
            return doc.tables()
        if self.parser is not None:
            return self._numbered(self.parser.tables())
        probe = LogReader(self.name, self.path, kind=self.kind, column=self.column, metric=self.metric)
        probe._waiting = list(self._waiting)
        probe.splitter.pending = self.splitter.pending
        probe.first_record = self.first_record
        probe._decide()
        return probe.preview()

    def count_pending(self) -> bool:
        """Take the held-back last line as a line now (the writer stopped mid-line); True if it was read as one.
        A line that its format cannot read (half a JSON object) is left out."""
        lines = self.splitter.end()
        if not lines:
            return False
        if self.parser is None:
            self._decide()  # the writer stopped: what is there is what there is to decide on
        try:
            self._take(lines)
        except LogError:
            return False
        return True

    @property
    def records(self) -> int:
        """Records read so far (0 until the format is decided, and for a JSON document, read only when asked)."""
        if self.parser is None or isinstance(self.parser, JsonDocParser):
            return 0
        return sum(t.records for t in self.parser.tables())

    def fresh(self, keep_pending: bool = True) -> LogReader:
        """A reader that goes on where this one stopped, without the records read so far: the same format, the
        CSV header, the text log's step and epoch carried from earlier lines, the held-back partial line, the
        line count. A live view drops what it has read this way when its window is full."""
        parser = self._parser()
        new = LogReader(self.name, self.path, kind=self.kind, column=self.column, max_bytes=self.max_bytes,
                        metric=self.metric)
        new._head = self._head  # checked already
        new.first_record = self.first_record + self.records
        if isinstance(parser, CsvParser) and parser.started:
            new.splitter.number = self.splitter.number - 1  # the header, fed again, takes the number before
            new.feed(parser.header_line.encode("utf-8") + b"\n")
            new.bytes = 0
        if new.parser is None:
            new._decide()
        if isinstance(parser, TextParser) and isinstance(new.parser, TextParser):
            new.parser.carried = dict(parser.carried)
            new.parser.names = dict(parser.names)
        new.splitter.number = self.splitter.number
        new.splitter.pending = self.splitter.pending if keep_pending else b""
        return new

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
