"""`lrtui diagnose LOG`: judge a training log with the curve-only rules, and plot it.

Plain text to stdout (plotext's `build()` for the chart, drawn by `render_plot` alone); never imports Textual.
Every run of the log is judged; the text shows the chosen one (the last, or --run N) in full and a line for each
of the others; the JSON has them all.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import textwrap
from dataclasses import replace

import numpy as np

from lrtui.core.diagnostics.curve import CurveReport, diagnose_curve, nice
from lrtui.core.diagnostics.types import in_words
from lrtui.export import json_safe, printable
from lrtui.logs import FORMAT_NAMES, LogError, LogFile, TrainingLog, read_runs
from lrtui.plotting import decade_ticks  # noqa: F401 (the one decade-tick function, kept importable here)

RULES_LINE = "rules: curve-only (no known minimum or Hessian for a log)"
UNTRIED = "not tried: lrtui cannot re-run your training"
LOG_Y_SPAN = 100.0  # a loss spanning more than two decades is drawn on a log10 axis
# plotext's tick arithmetic overflows near float64's extremes: points beyond these are left out of the chart.
DRAWABLE_Y = 1e100
DRAWABLE_STEP = 1e15
NOT_DRAWN = "(no plot: the values are beyond what a terminal plot can draw)"
STATE_WORDS = {"diverged", "oscillating", "unstable", "schedule too aggressive", "converged", "plateau", "too slow",
               "improving", "overfitting"}
MARKED = ("warning", "error")  # severities whose step gets a vertical line (plus info spikes)
MAX_RUN_LINES = 50  # the text lists at most this many of the other runs (the JSON has them all)


def run(path: str, output_format: str = "text", plot: bool | None = None, out=None, err=None,
        column: str | None = None, run_index: int | None = None) -> int:
    """The whole command: 0 on success whatever the verdict, 2 on a log that cannot be read."""
    from lrtui.process import write_out

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        logfile = read_runs(path, column)
        log = logfile.pick(run_index)
    except LogError as exc:
        print(str(exc), file=err)
        return 2
    reports = capped_by_siblings(logfile, [judge(r) for r in logfile.runs])
    report = reports[log.run]
    if output_format == "json":
        data = json_report(report, log, logfile, reports)
        write_out(json.dumps(json_safe(data), indent=1, allow_nan=False) + "\n", out)
        return 0
    write_out(text_report(report, log, logfile, reports), out)
    tty = bool(getattr(out, "isatty", lambda: False)())
    if plot if plot is not None else tty:
        width, height = _plot_size()
        chart = render_plot(report, log, width, height, color=tty)
        if chart:
            write_out("\n" + chart + "\n", out)
    return 0


def judge(log: TrainingLog) -> CurveReport:
    return diagnose_curve(log.loss, log.steps, log.lr, log.val_loss, log.val_steps, grad_norm=log.grad_norm,
                          run=log.run)


def capped_by_siblings(logfile: LogFile, reports: list[CurveReport]) -> list[CurveReport]:
    """In a log of runs side by side, the other runs are evidence too: a fix never raises the LR to one that a
    sibling run diverged at. It is capped at a third of the lowest such LR, and says so."""
    if not logfile.parallel:
        return reports
    diverged = [float(np.nanmax(r.lr)) for r, rep in zip(logfile.runs, reports)
                if rep.verdict == "diverged" and r.lr is not None and np.isfinite(r.lr).any()]
    if not diverged:
        return reports
    limit = min(diverged)
    out = []
    for rep in reports:
        main = rep.diagnoses[0]
        lr = (main.fix or {}).get("optimizer.lr")
        if lr is None or lr < limit:
            out.append(rep)
            continue
        capped = nice(limit / 3)
        note = (f" Another run of this log diverged at lr {limit:.3g}, so the fix is capped at a third of that, "
                f"{capped:.3g}.")
        main = replace(main, fix={**(main.fix or {}), "optimizer.lr": capped}, explanation=main.explanation + note)
        out.append(replace(rep, diagnoses=[main] + rep.diagnoses[1:]))
    return out


def json_report(report: CurveReport, log: TrainingLog, logfile: LogFile | None = None,
                reports: list[CurveReport] | None = None) -> dict:
    data = report.as_dict()
    data["run"] = log.run
    data["log"] = _log_dict(log, logfile)
    data["evidence"] = report.evidence
    if logfile is not None and reports is not None:
        data["runs"] = [{**_run_dict(r), **rep.as_dict()} for r, rep in zip(logfile.runs, reports)]
    return data


def _log_dict(log: TrainingLog, logfile: LogFile | None) -> dict:
    data = {"path": log.path, "format": log.source_format, "columns": log.columns, "points": int(log.loss.size),
            "note": log.note or None}
    if logfile is not None:
        data.update(runs=len(logfile.runs), parallel=logfile.parallel, split_lines=list(logfile.split_lines))
    return data


def _run_dict(log: TrainingLog) -> dict:
    return {"run": log.run, "label": log.label or None, "lines": list(log.lines), "line_word": log.line_word,
            "points": int(log.loss.size),
            "first_step": float(log.steps[0]), "last_step": float(log.steps[-1]), "resumed_from": log.resumed_from,
            "resumed_at": log.resumed_at}


def text_report(report: CurveReport, log: TrainingLog, logfile: LogFile | None = None,
                reports: list[CurveReport] | None = None) -> str:
    main = report.diagnoses[0]
    head, _, rest = main.message.partition(": ")
    # "diverged: the loss became nan at step 730" heads the report as the verdict in words and its reason;
    # "improving, no clear trend yet: ..." is already both; "too few points to judge: 2" is the reason whole.
    if head.split(",")[0] in STATE_WORDS and head != head.split(",")[0]:
        first = main.message
    else:
        first = f"{in_words(report.verdict)}: {rest if head in STATE_WORDS else main.message}"
    lines = [first, RULES_LINE, _log_line(log, logfile)]
    lines += _notes(log, logfile)
    if logfile is not None and reports is not None and len(logfile.runs) > 1:
        lines += _runs_lines(logfile, reports, log.run)
    lines.append("")
    for d in report.diagnoses:
        lines.append(f"step {_value(d.step)}  {d.severity:<7}  {d.message}")
        lines += textwrap.wrap(d.explanation, width=100, initial_indent="    ", subsequent_indent="    ")
        if d.fix:
            fix = ", ".join(f"{k} = {_value(v)}" for k, v in d.fix.items())
            lines.append(f"    fix to try: {fix} ({UNTRIED})")
    return "\n".join(printable(line) for line in lines) + "\n"  # names and labels come from the file


def _log_line(log: TrainingLog, logfile: LogFile | None = None) -> str:
    name = log.path.rstrip("/").rsplit("/", 1)[-1]
    steps = log.steps
    cols = ", ".join(f"{role} = {col}" for role, col in log.columns.items() if role not in ("step", "epoch"))
    step_col = log.columns.get("step", "row number")
    extra = f"; val_loss at {log.val_loss.size} steps" if log.val_loss is not None else ""
    which = ""
    if logfile is not None and len(logfile.runs) > 1:
        label = f' "{log.label}"' if log.label else ""
        which = f"; run {log.run}{label} of {len(logfile.runs)} (runs 0 to {len(logfile.runs) - 1}; --run N picks one)"
    return (f"log: {name} ({FORMAT_NAMES.get(log.source_format, log.source_format)}), {steps.size} losses, "
            f"{step_col} {_value(steps[0])} to {_value(steps[-1])}; {cols}{extra}{which}")


def _notes(log: TrainingLog, logfile: LogFile | None) -> list[str]:
    notes = []
    if log.note:
        notes.append(f"note: {log.note}")
    if logfile is not None and logfile.split_lines and not logfile.parallel:
        shown = ", ".join(str(n) for n in logfile.split_lines[:8]) + (", ..." if len(logfile.split_lines) > 8 else "")
        notes.append(f"note: the steps go back at {logfile.line_word} {shown}: {len(logfile.runs)} runs appended to one log, split "
                     "and judged apart, never blended")
    if log.resumed_from is not None:
        notes.append(f"note: run {log.run} starts at step {_value(log.resumed_at)}, inside run {log.resumed_from}'s "
                     f"steps: judged as resumed from a checkpoint, with run {log.resumed_from}'s rows before step "
                     f"{_value(log.resumed_at)}")
    return notes


def _runs_lines(logfile: LogFile, reports: list[CurveReport], shown: int) -> list[str]:
    kind = "side by side" if logfile.parallel else "one after another"
    lines = [f"runs ({len(logfile.runs)}, {kind}):"]
    order = list(range(len(logfile.runs)))
    if len(order) > MAX_RUN_LINES:
        order = sorted(set(order[: MAX_RUN_LINES - 1] + [shown]))
    for i in order:
        r, rep = logfile.runs[i], reports[i]
        label = f' "{r.label}"' if r.label else ""
        mark = "  (shown below)" if i == shown else ""
        lines.append(f"  run {i}{label}: {in_words(rep.verdict)}; {r.loss.size} losses at {r.line_word}s {r.lines[0]}-"
                     f"{r.lines[1]}; {rep.diagnoses[0].message}{mark}")
    if len(order) < len(logfile.runs):
        lines.append(f"  ... {len(logfile.runs) - len(order)} more runs (--format json lists them all)")
    return lines


def _value(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{int(v)}" if float(v).is_integer() and abs(v) < 1e15 else f"{float(v):g}"
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and abs(v) >= 1e15:
        return f"{float(v):g}"  # a step read as 1e308 from the log, not its 309 digits
    return str(v)


def _plot_size() -> tuple[int, int]:
    size = shutil.get_terminal_size((100, 30))
    return max(40, min(size.columns, 140)), max(12, min(size.lines - 4, 24))


def render_plot(report: CurveReport, log: TrainingLog, width: int, height: int, color: bool = True) -> str:
    """The loss, its smoothed curve and the validation loss, with the flagged steps marked."""
    from lrtui.plotting import Line, Picture, draw  # only when a chart is asked for

    # Without colour the series differ by their marker: dots for the raw loss, braille for the rest.
    series = [(log.steps, log.loss, "gray", "loss", "braille" if color else "dot"),
              (report.steps, report.smoothed, "cyan", f"smoothed (EMA {report.smoothing_weight:.2f})", "braille")]
    if log.val_loss is not None and log.val_steps is not None:
        series.append((log.val_steps, log.val_loss, "orange", "val_loss", "braille" if color else "x"))
    finite = np.concatenate([y[np.isfinite(y)] for _, y, *_ in series])
    if finite.size < 2:
        return ""
    positive = finite[finite > 0]
    log_y = finite.min() > 0 and math.log10(positive.max()) - math.log10(positive.min()) > math.log10(LOG_Y_SPAN)
    picture = Picture(log_y=bool(log_y), x_label=log.columns.get("step", "row"))
    for x, y, line_color, label, marker in series:
        with np.errstate(all="ignore"):
            drawable = ((y >= 1 / DRAWABLE_Y) & (y <= DRAWABLE_Y)) if log_y else (np.abs(y) <= DRAWABLE_Y)
        keep = np.isfinite(y) & drawable & (np.abs(x) <= DRAWABLE_STEP)
        if keep.sum():
            picture.lines.append(Line(np.asarray(x, dtype=float)[keep], y[keep], line_color, label, marker))
    if not picture.lines:
        return NOT_DRAWN
    marked = [d for d in report.diagnoses if (d.severity in MARKED or d.code == "loss_spike")
              and abs(d.step) <= DRAWABLE_STEP]
    picture.vlines = [(float(d.step), "red" if d.severity == "error" else "orange") for d in marked]
    marks = "; vertical lines mark the flagged steps" if marked else ""
    picture.title = f"{report.verdict}: loss{' (log scale)' if log_y else ''}{marks}"
    canvas = draw(picture, width, height, theme="clear")
    if canvas.xlim is None:
        return NOT_DRAWN
    return canvas.ansi() if color else canvas.plain()
