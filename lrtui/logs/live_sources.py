"""What `lrtui watch` follows at a path, and how each kind is read as it grows (see lrtui.logs.live).

A source reads what is new on each `poll(budget)` and says what happened (a `Polled`); `tables()` gives the
records of its window; `drop_window()` forgets them (the window rolls) and reading goes on where it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lrtui.logs.errors import LogError
from lrtui.logs.formats import MlflowMetricParser, fill_mlflow
from lrtui.logs.reader import LineSplitter, LogReader
from lrtui.logs.sources import EVENT_PREFIX, PART_FOLDERS, _is_event, _listing, _metric_files, _metric_name, _run_name
from lrtui.logs.table import Table
from lrtui.logs.tail import FileTail
from lrtui.logs.tensorboard_format import event_scalars, events_table, loader_class, missing

POLL_EVENTS = 20_000  # TensorBoard events read per poll


@dataclass
class Polled:
    """What one poll of a source found."""

    changed: bool = False  # anything that may change what tables() gives
    grew: bool = False  # new bytes (or events) arrived
    restarted: bool = False  # the reading started over (truncated, rewritten, a new file)
    notes: list[str] = field(default_factory=list)  # what happened, in words


@dataclass(frozen=True)
class Target:
    """What a path points at now."""

    kind: str  # file | tensorboard | mlflow
    path: Path  # the file, the run folder, or the metrics folder
    name: str  # as shown: relative to the path given
    file_kind: str | None = None  # a LogReader kind (mlflow for a metric file)
    metric: str | None = None
    label: str = ""


def _newest(folders: list[Path]) -> Path:
    def stamp(p: Path) -> float:
        try:
            return max([p.stat().st_mtime] + [q.stat().st_mtime for q in _listing(p)])
        except OSError:
            return 0.0
    return max(folders, key=lambda p: (stamp(p), p.name))


def locate(path: Path, shown: str = "") -> Target | None:
    """What to follow at `path` now, or None while there is nothing there to follow yet."""
    shown = shown or path.name or str(path)
    if not path.exists():
        return None
    if not path.is_dir():  # a file, or something that is not one (a FIFO), which the tail refuses
        if path.name.startswith(EVENT_PREFIX):
            return Target("tensorboard", path, shown)
        metrics = next((a for a in list(path.parents)[:3] if a.name == "metrics"), None)
        if metrics is not None and not path.suffix:
            return Target("file", path, shown, "mlflow", _metric_name(metrics, path))
        return Target("file", path, shown)
    entries = _listing(path)
    names = {p.name for p in entries}
    subdirs = [p for p in entries if p.is_dir()]
    if "trainer_state.json" in names:
        return Target("file", path / "trainer_state.json", f"{shown}/trainer_state.json")
    checkpoints = [p for p in subdirs if re.fullmatch(r"checkpoint-\d+", p.name)
                   and (p / "trainer_state.json").is_file()]
    if checkpoints:
        latest = max(checkpoints, key=lambda p: int(p.name.split("-")[1]))
        return Target("file", latest / "trainer_state.json", f"{shown}/{latest.name}/trainer_state.json")
    if any(_is_event(p) for p in entries) or any(p.name.lower() in PART_FOLDERS and _has_events(p) for p in subdirs):
        return Target("tensorboard", path, shown)
    if path.name == "metrics" or (path / "metrics").is_dir():
        metrics = path if path.name == "metrics" else path / "metrics"
        return Target("mlflow", metrics, shown, label=_run_name(metrics.parent))
    if "metrics.csv" in names:
        return Target("file", path / "metrics.csv", f"{shown}/metrics.csv")
    runs = [p for p in subdirs if _has_events(p) or (p / "metrics").is_dir() or (p / "metrics.csv").is_file()
            or (p / "trainer_state.json").is_file() or any(_has_events(q) for q in _subfolders(p))]
    if runs:
        newest = _newest(runs)
        return locate(newest, f"{shown}/{newest.name}")
    return None


def _subfolders(path: Path) -> list[Path]:
    return [p for p in _listing(path) if p.is_dir()]


def _has_events(path: Path) -> bool:
    return any(_is_event(p) for p in _listing(path))


# -- sources: one per kind of target ------------------------------------------------------------------------

class FileSource:
    """A line-based log file (or a JSON document) followed by its tail."""

    def __init__(self, target: Target, column: str | None, clock):
        self.target = target
        self.column = column
        self.tail = FileTail(target.path, clock)
        self.reader = self._new_reader()
        self.base: LogReader | None = None  # an empty reader where the window starts (None: the file's start)
        self.window_start = 0
        self.window_bytes = 0
        self.counted_at: int | None = None  # the offset at which a held-back last line was counted
        self.broken = ""  # a LogError while reading: nothing more is read until the file starts over

    def _new_reader(self) -> LogReader:
        t = self.target
        return LogReader(t.name, str(t.path), kind=t.file_kind, column=self.column, metric=t.metric)

    @property
    def behind(self) -> int:
        return self.tail.behind

    @property
    def pending(self) -> int:
        return self.reader.pending

    @property
    def records(self) -> int:
        return self.reader.records

    @property
    def droppable(self) -> bool:
        return self.reader.kind != "json" and not self.broken

    @property
    def modified(self) -> float | None:
        """The file's modification time (wall clock), as last seen."""
        return self.tail.mtime_ns / 1e9 if self.tail.mtime_ns else None

    def poll(self, budget: int) -> Polled:
        out = Polled()
        for change in self.tail.poll(budget):
            out.changed = True
            if change.kind == "restart":
                out.notes.append(f"{change.reason}: reading it from its start")
                out.restarted = True
                self._start_over()
            elif change.kind == "gone":
                out.notes.append(f"it was {change.reason}: waiting for a file under its name")
            elif change.kind == "data":
                out.grew = True
                if self.counted_at is not None:  # the line counted as the last grew after all: read again
                    self._read_window_again()
                    return out
                if not self.broken:
                    try:
                        self.reader.feed(change.data)
                    except LogError as exc:
                        self.broken = str(exc)
                self.window_bytes += len(change.data)
        return out

    def count_pending(self) -> bool:
        if self.broken or not self.reader.pending or self.reader.kind == "json":
            return False
        try:
            counted = self.reader.count_pending()
        except LogError as exc:
            self.broken = str(exc)
            return True
        self.counted_at = self.tail.offset
        return counted

    def tables(self) -> list[Table]:
        return self.reader.preview()

    def drop_window(self) -> None:
        self.window_start = self.tail.offset - self.reader.pending
        self.base = self.reader.fresh(keep_pending=False)
        self.reader = self.reader.fresh()
        self.window_bytes = self.reader.pending

    def _start_over(self) -> None:
        self.reader, self.base, self.window_start, self.window_bytes = self._new_reader(), None, 0, 0
        self.counted_at, self.broken = None, ""

    def _read_window_again(self) -> None:
        self.reader = self._new_reader() if self.base is None else self.base.fresh(keep_pending=False)
        self.tail.start_at(self.window_start)
        self.window_bytes, self.counted_at, self.broken = 0, None, ""

    def close(self) -> None:
        self.tail.close()


class TensorBoardSource:
    """A TensorBoard run folder (event files in it, or in train/ and validation/) or one event file."""

    def __init__(self, target: Target, clock):
        self.target = target
        self.clock = clock
        self.loader_cls = loader_class()
        if self.loader_cls is None:
            raise missing(target.name)
        self.loaders: dict[Path, tuple] = {}  # path -> (loader, file index, tag prefix)
        self.events: list[tuple] = []
        self.window_bytes = self.pending = self.behind = 0
        self.broken = ""

    @property
    def records(self) -> int:
        return len(self.events)

    def _files(self) -> list[tuple[Path, str]]:
        path = self.target.path
        if path.is_file() or not path.exists():
            return [(path, "")] if path.exists() else []
        files = [(p, "") for p in _listing(path) if _is_event(p)]
        for sub in _subfolders(path):
            if sub.name.lower() in PART_FOLDERS:
                files += [(p, f"{sub.name}/") for p in _listing(sub) if _is_event(p)]
        return files

    droppable = True
    modified = None

    def poll(self, budget: int) -> Polled:
        before = len(self.events)
        for path, prefix in self._files():
            if path not in self.loaders:
                self.loaders[path] = (self.loader_cls(str(path)), len(self.loaders), prefix)
        taken = 0
        for path, (loader, k, prefix) in self.loaders.items():
            try:
                for event in loader.Load():
                    for wall, step, tag, value in event_scalars(event):
                        self.events.append((wall if wall == wall else 0.0, k, len(self.events), step, prefix + tag,
                                            value))
                    taken += 1
                    if taken >= POLL_EVENTS:
                        break
            except Exception as exc:  # a corrupt record: TensorBoard's reader gives up on the file
                self.broken = f"{path.name}: not a readable TensorBoard event file ({type(exc).__name__})"
        self.behind = int(taken >= POLL_EVENTS)
        grew = len(self.events) > before
        return Polled(changed=grew, grew=grew)

    def count_pending(self) -> bool:
        return False

    def tables(self) -> list[Table]:
        return [events_table(self.events, self.target.name, self.target.label)]

    def drop_window(self) -> None:
        self.events = []

    def close(self) -> None:
        self.loaders.clear()


class MlflowSource:
    """An MLflow run's metrics folder: each metric file tailed, new ones picked up."""

    def __init__(self, target: Target, clock):
        self.target = target
        self.clock = clock
        self.files: dict[Path, list] = {}  # path -> [tail, splitter, parser]
        self.window_bytes = self.pending = 0
        self.broken = ""

    @property
    def behind(self) -> int:
        return sum(f[0].behind for f in self.files.values())

    @property
    def records(self) -> int:
        return sum(len(f[2].values) for f in self.files.values())

    def _parser(self, path: Path) -> MlflowMetricParser:
        metrics = self.target.path
        return MlflowMetricParser(path.relative_to(metrics.parent.parent).as_posix(), _metric_name(metrics, path))

    droppable = True
    modified = None

    def poll(self, budget: int) -> Polled:
        out = Polled()
        if self.target.path.is_dir():
            for path in _metric_files(self.target.path):
                if path not in self.files:
                    parser = self._parser(path)
                    self.files[path] = [FileTail(path, self.clock), LineSplitter(parser.name), parser]
        for path, entry in self.files.items():
            tail, splitter, parser = entry
            for change in tail.poll(budget):
                out.changed = True
                if change.kind == "restart":
                    out.notes.append(f"{parser.name}: {change.reason}: reading it from its start")
                    out.restarted = True
                    entry[1], entry[2] = LineSplitter(parser.name), self._parser(path)
                    splitter, parser = entry[1], entry[2]
                elif change.kind == "data" and not self.broken:
                    out.grew = True
                    self.window_bytes += len(change.data)
                    try:
                        for number, text in splitter.feed(change.data):
                            parser.line(number, text)
                    except LogError as exc:
                        self.broken = str(exc)
        self.pending = sum(len(f[1].pending) for f in self.files.values())
        return out

    def count_pending(self) -> bool:
        return False  # an MLflow metric line is written whole

    def tables(self) -> list[Table]:
        table = Table(self.target.name, "mlflow")
        table.label = self.target.label
        table.empty_message = f"{self.target.name}: no metric values yet"
        fill_mlflow(table, [(f[2].metric, f[2]) for f in self.files.values()])
        return [table]

    def drop_window(self) -> None:
        for path, entry in self.files.items():
            entry[2] = self._parser(path)
        self.window_bytes = 0

    def close(self) -> None:
        for tail, _, _ in self.files.values():
            tail.close()
