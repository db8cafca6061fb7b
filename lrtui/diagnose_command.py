"""`lrtui diagnose LOG`: judge a training log with the curve-only rules, and plot it.

Plain text to stdout (plotext's `build()` for the chart); never imports Textual.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import textwrap

import numpy as np

from lrtui.core.diagnostics.curve import CurveReport, diagnose_curve
from lrtui.export import json_safe, printable
from lrtui.logs import LogError, TrainingLog, read_log
from lrtui.plotting import decade_ticks  # noqa: F401 (the one decade-tick function, kept importable here)

RULES_LINE = "rules: curve-only (no known minimum or Hessian for a log)"
FORMAT_NAMES = {"keras": "Keras CSVLogger", "lightning": "Lightning metrics.csv", "tensorboard": "TensorBoard CSV",
                "lrtui": "lrtui CSV export", "csv": "CSV", "jsonl": "JSON Lines"}
LOG_Y_SPAN = 100.0  # a loss spanning more than two decades is drawn on a log10 axis
# plotext's tick arithmetic overflows near float64's extremes: points beyond these are left out of the chart.
DRAWABLE_Y = 1e100
DRAWABLE_STEP = 1e15
NOT_DRAWN = "(no plot: the values are beyond what a terminal plot can draw)"
STATE_WORDS = {"diverged", "oscillating", "unstable", "schedule too aggressive", "converged", "plateau", "too slow",
               "improving", "overfitting"}
MARKED = ("warning", "error")  # severities whose step gets a vertical line (plus info spikes)


def run(path: str, output_format: str = "text", plot: bool | None = None, out=None, err=None) -> int:
    """The whole command: 0 on success whatever the verdict, 2 on a log that cannot be read."""
    from lrtui.process import write_out

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        log = read_log(path)
    except LogError as exc:
        print(str(exc), file=err)
        return 2
    report = diagnose_curve(log.loss, log.steps, log.lr, log.val_loss, log.val_steps)
    if output_format == "json":
        write_out(json.dumps(json_safe(json_report(report, log)), indent=1, allow_nan=False) + "\n", out)
        return 0
    write_out(text_report(report, log), out)
    tty = bool(getattr(out, "isatty", lambda: False)())
    if plot if plot is not None else tty:
        width, height = _plot_size()
        chart = render_plot(report, log, width, height, color=tty)
        if chart:
            write_out("\n" + chart + "\n", out)
    return 0


def json_report(report: CurveReport, log: TrainingLog) -> dict:
    data = report.as_dict()
    data["log"] = {"path": log.path, "format": log.source_format, "columns": log.columns,
                   "points": int(log.loss.size)}
    return data


def text_report(report: CurveReport, log: TrainingLog) -> str:
    main = report.diagnoses[0]
    head, _, rest = main.message.partition(": ")
    # "diverged: the loss became nan" heads the report as the verdict and its reason; a message such as
    # "too few points to judge: 2" is the reason whole.
    reason = rest if head in STATE_WORDS else main.message
    lines = [f"{report.verdict}: {reason}", RULES_LINE, _log_line(log), ""]
    for d in report.diagnoses:
        lines.append(f"step {_value(d.step)}  {d.severity:<7}  {d.message}")
        lines += textwrap.wrap(d.explanation, width=100, initial_indent="    ", subsequent_indent="    ")
        if d.suggestion:
            fix = ", ".join(f"{k} = {_value(v)}" for k, v in d.suggestion.items())
            lines.append(f"    suggestion: {fix}")
    return "\n".join(printable(line) for line in lines) + "\n"  # column names come from the file


def _log_line(log: TrainingLog) -> str:
    name = log.path.rsplit("/", 1)[-1]
    steps = log.steps
    cols = ", ".join(f"{role} = {col}" for role, col in log.columns.items() if role != "step")
    step_col = log.columns.get("step", "row number")
    extra = f"; val_loss at {log.val_loss.size} steps" if log.val_loss is not None else ""
    return (f"log: {name} ({FORMAT_NAMES.get(log.source_format, log.source_format)}), {steps.size} losses, "
            f"{step_col} {_value(steps[0])} to {_value(steps[-1])}; {cols}{extra}")


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
    if log.val_loss is not None:
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
