"""A log followed as it grows, for `lrtui watch`: each look reads only what is new.

    live = LiveLog("train.log")
    live.poll()               # read what arrived since the last poll (within a time budget); True if anything changed
    logfile = live.logfile()  # every run read so far; None before anything; a LogError while it cannot be judged
    live.status()             # waiting, growing, stopped, truncated, rotated, the window, an error

What is followed, by path (a path that does not exist yet is waited for):
- a log file (CSV, JSON Lines, logging text, an MLflow metric file): tailed (lrtui.logs.tail), the bytes
  appended since the last poll fed to the incremental reader (lrtui.logs.reader);
- a JSON document (a Hugging Face trainer_state.json): the Trainer rewrites it whole, which the tail sees as a
  rewrite, so it is read again from its start;
- a TensorBoard run folder or event file: TensorBoard's loader reads each event file's new events; event files
  that appear in the folder are read too;
- an MLflow run folder: each metric file is tailed; metric files that appear are read too;
- a folder of runs (lightning_logs, a folder of TensorBoard runs, an MLflow experiment) or a Hugging Face output
  folder with checkpoint-N folders: the newest is followed, and a newer one is switched to when it appears.

A partial last line is held back until its line ends; once the writer has stopped (no new bytes for
`stopped_after` seconds) it is counted, and should the file then grow after all, the window is read again.
Truncation, a rewrite from the start and a new file under the same name start the reading over. The window
(lrtui.logs.window) bounds the memory of a long watch: at most `window_bytes` of text and `window_records`
records are held, and the run before them is kept thinned.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from lrtui.logs.assemble import LogFile, TrainingLog, assemble
from lrtui.logs.errors import LogError
from lrtui.logs.live_sources import FileSource, MlflowSource, Target, TensorBoardSource, locate
from lrtui.logs.tail import NotAFile
from lrtui.logs.window import thinned, with_carried

WINDOW_BYTES = 8 * 2**20  # the reader holds at most this much of the log's text ...
WINDOW_RECORDS = 100_000  # ... and this many records (rows, events, metric lines); then the window rolls
STOPPED_AFTER = 30.0  # seconds without new bytes after which the writer counts as stopped
RELOCATE_SECONDS = 2.0  # a folder is looked at again this often for a newer run (or its first log)
POLL_BYTES = 1 << 20  # bytes read per step of a poll (a poll takes steps until caught up or out of time)
NOTES = 3  # the last few things that happened (truncated, rotated, switched), for the status line


@dataclass(frozen=True)
class LiveStatus:
    path: str  # as given
    following: str  # what is read now, "" while there is nothing to read
    waiting: str  # why there is nothing to read yet, "" when there is
    error: str  # what stopped the reading ("" when nothing did); it goes on once the file starts over
    data_time: float | None  # wall-clock time the last new data arrived
    quiet: float  # seconds without new data (since the start when none came)
    stopped: bool  # quiet for stopped_after seconds or more
    behind: int  # bytes known to be there and not read yet (catching up)
    pending: int  # bytes of a last line without a line end, held back
    counted_pending: bool  # the writer stopped mid-line, and that line was counted
    windows: int  # how many times the window rolled
    carried: int  # points kept (thinned) from before the window
    notes: tuple[str, ...]  # recent happenings, "HH:MM:SS what"


class LiveLog:
    """A log at `path` followed as it grows (see the module's docstring)."""

    def __init__(self, path, column: str | None = None, *, window_bytes: int = WINDOW_BYTES,
                 window_records: int = WINDOW_RECORDS, stopped_after: float = STOPPED_AFTER,
                 clock=time.monotonic, wall=time.time):
        self.path = Path(path)
        self.given = str(path)
        self.column = column
        self.window_bytes = window_bytes
        self.window_records = window_records
        self.stopped_after = stopped_after
        self.clock, self.wall = clock, wall
        self.target: Target | None = None
        self.source: FileSource | TensorBoardSource | MlflowSource | None = None
        self.carried: TrainingLog | None = None
        self.version = 0  # bumped whenever what logfile() gives may have changed
        self.starts = 0  # times the reading started over (truncated, replaced, a newer run followed)
        self.windows = 0
        self.error = ""
        self.started_at = clock()
        self.data_at: float | None = None
        self.data_wall: float | None = None
        self._notes: deque[str] = deque(maxlen=NOTES)
        self._relocate_at = -math.inf
        self._caught_up = False  # the first read of the file has reached its end

    # -- reading ---------------------------------------------------------------------------------------------

    def poll(self, seconds: float = 0.2) -> bool:
        """Read what is new, for up to about `seconds` while there is more; True if anything changed."""
        changed = self._relocate()
        deadline = self.clock() + seconds
        while self.source is not None:
            try:
                polled = self.source.poll(POLL_BYTES)
            except NotAFile as exc:
                changed |= self._fail(f"{self.given}: {exc.strerror}; lrtui watch follows a log file or a folder")
                break
            except OSError as exc:
                changed |= self._fail(f"{self.given}: cannot read it ({exc.strerror or exc})")
                break
            except LogError as exc:
                changed |= self._fail(str(exc))
                break
            for note in polled.notes:
                self._note(note)
            if polled.restarted:
                self.carried, self._caught_up, self.error = None, False, ""
                self.starts += 1
            if polled.grew:
                self.data_at, self.data_wall = self.clock(), self.wall()
                modified = self.source.modified
                if modified is not None and not self.source.behind and not self._caught_up:
                    # What was there before the watch began: as quiet as the file has been since it last changed.
                    self.data_at -= max(0.0, self.data_wall - modified)
                    self.data_wall = min(self.data_wall, modified)
                self._caught_up = not self.source.behind
            changed |= polled.changed
            self._roll_window()
            if not polled.grew or not self.source.behind or self.clock() >= deadline:
                break
        if self.source is not None and self.quiet() >= self.stopped_after and self.source.count_pending():
            self._note("the writer stopped mid-line: its last line is counted")
            changed = True
        if self.source is not None and self.source.broken and self.source.broken != self.error:
            self.error = self.source.broken
            changed = True
        if changed:
            self.version += 1
        return changed

    def logfile(self) -> LogFile | None:
        """Every run read so far (the window's, the first joined to the run carried from before it); None while
        nothing has been read. Raises LogError while what was read cannot be judged (no loss column yet)."""
        if self.source is None:
            return with_carried(self.carried, None)
        tables = self.source.tables()
        if self.carried is not None and not any(t.records for t in tables):
            return with_carried(self.carried, None)
        return with_carried(self.carried, assemble(tables, str(self.source.target.path), self.column))

    def quiet(self) -> float:
        return self.clock() - (self.data_at if self.data_at is not None else self.started_at)

    def status(self) -> LiveStatus:
        source = self.source
        waiting = ""
        if self.target is None:
            waiting = (f"{self.given} does not exist yet: waiting for it" if not self.path.exists() else
                       f"no log lrtui reads in {self.given} yet (a log file, TensorBoard events, a trainer_state.json, MLflow "
                       "metrics, a metrics.csv): waiting for one")
        quiet = self.quiet()
        return LiveStatus(
            path=self.given, following=self.target.name if self.target else "", waiting=waiting, error=self.error,
            data_time=self.data_wall, quiet=quiet, stopped=quiet >= self.stopped_after and self.data_at is not None,
            behind=source.behind if source else 0, pending=source.pending if source else 0,
            counted_pending=isinstance(source, FileSource) and source.counted_at is not None,
            windows=self.windows, carried=0 if self.carried is None else int(self.carried.loss.size),
            notes=tuple(self._notes))

    def close(self) -> None:
        if self.source is not None:
            self.source.close()

    # -- internals -------------------------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self._notes.append(f"{time.strftime('%H:%M:%S', time.localtime(self.wall()))} {text}")

    def _fail(self, message: str) -> bool:
        if message == self.error:
            return False
        self.error = message
        return True

    def _relocate(self) -> bool:
        """Look at the path again (each poll while nothing is followed; a folder every RELOCATE_SECONDS)."""
        now = self.clock()
        if self.target is not None and (self.target.path == self.path or now < self._relocate_at):
            return False
        self._relocate_at = now + RELOCATE_SECONDS
        try:
            target = locate(self.path)
        except LogError as exc:
            return self._fail(str(exc))
        except OSError as exc:
            return self._fail(f"{self.given}: cannot look at it ({exc.strerror or exc})")
        if target is None or target == self.target:
            return False
        try:
            source = (FileSource(target, self.column, self.clock) if target.kind == "file" else
                      TensorBoardSource(target, self.clock) if target.kind == "tensorboard" else
                      MlflowSource(target, self.clock))
        except LogError as exc:  # TensorBoard is not installed
            return self._fail(str(exc))
        if self.target is not None:
            self._note(f"following {target.name}, the newest")
        self.close()
        self.target, self.source, self.carried, self.error = target, source, None, ""
        self._caught_up = False
        self.starts += 1
        return True

    def _roll_window(self) -> None:
        source = self.source
        if source is None or not source.droppable:
            return
        if source.window_bytes <= self.window_bytes and source.records <= self.window_records:
            return
        carried = None
        try:
            logfile = self.logfile()
            if logfile is not None and not logfile.parallel:
                carried = thinned(logfile.runs[-1])
        except LogError:
            carried = self.carried
        source.drop_window()
        self.carried = carried
        self.windows += 1
