"""`lrtui watch LOG_OR_DIR`: follow a training log as it grows, in the app's panels, the verdict updating.

Headless until the screen opens (Textual is imported only then): the path is looked at and read once here, so a
file that is not a log (binary, a web page, not UTF-8) gets one line and exit code 2, as `lrtui diagnose` does.
A path that does not exist yet, or a log without a loss so far, is waited for on the screen.

The Follower below is what the screen drives: each frame it polls the LiveLog (lrtui.logs.live) and, when the
log changed, judges it again with the curve-only rules, no more often than judging can keep up with: at most
JUDGE_SHARE of the time goes to judging (a 100,000-point log takes about 0.3 s to judge). While the writer
goes on, the run is judged as one still going (`live`: a steady fall is not called too slow yet, since its
end is not known); once it has stopped, as a finished run, exactly as `lrtui diagnose` judges it.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, replace

from lrtui.core.diagnostics.curve import CurveReport
from lrtui.diagnose_command import capped_by_siblings, judge
from lrtui.logs import LogError, LogFile, TrainingLog
from lrtui.logs.live import WINDOW_BYTES, WINDOW_RECORDS, LiveLog, LiveStatus

JUDGE_SHARE = 0.2  # judging takes at most this share of the time while the log grows fast
MAX_SIBLINGS = 16  # a log of runs side by side: each judged (a fix is capped by a sibling's divergence) up to this


@dataclass(frozen=True)
class Frame:
    """One judged state of the log: what the watch screen draws."""

    version: int  # the LiveLog's version it was made from
    starts: int  # the LiveLog's starts then: a frame from before the reading started over is not kept
    logfile: LogFile | None
    log: TrainingLog | None  # the run shown (the last, or --run N)
    report: CurveReport | None
    problem: str  # why there is no verdict now (nothing read yet, no loss column yet, ...); "" when there is one
    seconds: float  # what judging took
    status: LiveStatus
    live: bool = True  # judged as a run still going (the writer has not stopped): a steady fall is not too slow yet


class Follower:
    """A LiveLog and the judgement of its run (see the module's docstring)."""

    def __init__(self, live: LiveLog, run: int | None = None, clock=time.monotonic):
        self.live = live
        self.run = run
        self.clock = clock
        self.frame: Frame | None = None
        self._next_judge = -math.inf

    def step(self, seconds: float = 0.2) -> Frame:
        """Poll, and judge again when the log changed and judging is due; the frame to draw (with fresh status)."""
        self.live.poll(seconds)
        frame = self.frame
        due = self.clock() >= self._next_judge
        going = not self.live.status().stopped
        # A restart (truncation, rotation) is judged at once: the old run's verdict must not linger beside it.
        restarted = frame is not None and frame.starts != self.live.starts
        if frame is None or restarted or (due and (frame.version != self.live.version or frame.live != going)):
            frame = self.frame = self.judged()
            self._next_judge = self.clock() + frame.seconds / JUDGE_SHARE
        return replace(frame, status=self.live.status())

    def judged(self) -> Frame:
        started = self.clock()
        version = self.live.version
        old = self.frame if self.frame is not None and self.frame.starts == self.live.starts else None
        going = not self.live.status().stopped
        try:
            logfile = self.live.logfile()
            if logfile is None:
                status = self.live.status()
                return self._kept(old, version, status.waiting or status.error or "nothing read yet", started)
            log = logfile.pick(self.run)
            if logfile.parallel and len(logfile.runs) <= MAX_SIBLINGS:
                report = capped_by_siblings(logfile, [judge(r, going) for r in logfile.runs])[log.run]
            else:
                report = judge(log, going)
        except (LogError, ValueError) as exc:
            return self._kept(old, version, str(exc), started)
        return Frame(version, self.live.starts, logfile, log, report, "", self.clock() - started, self.live.status(),
                     going)

    def _kept(self, old: Frame | None, version: int, problem: str, started: float) -> Frame:
        """No verdict now: the last one stays on screen, unless the reading started over since (a truncated log
        shows nothing until its first row)."""
        seconds, starts = self.clock() - started, self.live.starts
        if old is None or old.report is None:
            return Frame(version, starts, None, None, None, problem, seconds, self.live.status())
        return replace(old, version=version, starts=starts, problem=problem, seconds=seconds,
                       status=self.live.status())


def first_look(live: LiveLog) -> str:
    """Read what is there now; the one-line reason to refuse the path, or "" to open the screen."""
    live.poll(seconds=2.0)
    status = live.status()
    if status.error:
        return status.error
    return ""


def run(args) -> int:
    from lrtui.text import visible

    if not (math.isfinite(args.fps) and args.fps > 0):
        print(f"lrtui watch: --fps must be a positive number, got {args.fps:g}", file=sys.stderr)
        return 2
    if args.window is not None and not (math.isfinite(args.window) and args.window > 0):
        print(f"lrtui watch: --window must be a positive number of MB, got {args.window:g}", file=sys.stderr)
        return 2
    window = int(args.window * 2**20) if args.window is not None else WINDOW_BYTES
    live = LiveLog(args.log, column=args.column, window_bytes=window, window_records=WINDOW_RECORDS)
    problem = first_look(live)
    if problem:
        live.close()
        print(visible(problem), file=sys.stderr)
        return 2
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        live.close()
        print("lrtui watch draws in a terminal; for a report on a file, use lrtui diagnose LOG", file=sys.stderr)
        return 2
    import signal

    from lrtui.process import end_on_hangup

    # As the app does: a hangup (the SSH link dropped) or SIGTERM ends the process by the signal itself.
    for name in ("SIGHUP", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    from lrtui.tui.watch_app import WatchApp

    end_on_hangup(sys.stdin)
    app = WatchApp(Follower(live, run=args.run), fps=args.fps, ascii_only=args.ascii)
    try:
        app.run()
    finally:
        live.close()
    return app.return_code or 0
