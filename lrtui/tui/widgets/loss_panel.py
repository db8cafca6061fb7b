"""The loss curve of every run, with markers where the user or the schedule changed the LR.

Muted lines mark the user's changes (LR, optimizer, schedule, fork); lines in the
theme's warning colour the schedule's own moves (warmup end, decays, restarts,
plateau cuts). Each run's curve is reduced to the plot's columns as it grows
(RunningColumns), so a frame reads only the steps taken since the last one.
"""

from __future__ import annotations

import re

import numpy as np

from lrtui.core.decimate import as_line
from lrtui.core.smoothing import debiased_ema
from lrtui.plotting import DECADE_NAMES
from lrtui.text import arrow_label, short_label
from lrtui.tui.palette import MARKER, SCHEDULE_MARKER, run_color
from lrtui.tui.view import ViewColumns
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.panel import Panel
from lrtui.tui.widgets.theory_overlay import BEST_LABEL, theory_lines

MARKED_EVENTS = ("lr", "optimizer", "schedule", "fork")
MAX_LEGEND_LINES = 4
FINDING_COLORS = {"warning": "warning", "error": "diverged"}  # theme roles, see palette.py
MAX_FINDING_MARKS = 40
BLOWN_UP = 1e6  # a finite loss this many times its start leaves the chart like a diverged one
AUTO_LOG_SPAN = 10.0  # the loss's largest over smallest value above which the automatic axis is log10
# The automatic log axis reaches this many whole decades below where the runs that have not converged (the ones
# still telling a story) are now: the lowest loss of their last third. Converged runs falling further go along the
# bottom edge from a "v". A converged fork at 1e-29 had stretched it to 1e-30, and a run bouncing between 3.1 and
# 4.2 beside it became a flat line at 1 (walkthrough 6, D17). With every run converged, or none below that, the
# axis keeps every decade; so does `l` twice.
AUTO_LOG_BELOW_OPEN = 1
# ... but only when the whole span is more than this many decades. Within it every run is shown to its lowest:
# lesson 3's good run, 1.5 down to 6e-10 in 128 steps, went along the bottom from step 19 of an axis stopped at
# 0.1, so "the slow run creeps, far above the good one" could not be seen (walkthrough 18a, N3).
AUTO_LOG_WHOLE_DECADES = 10.0

# `m`: an EMA over the screen columns (each already a min/max over its steps); 0.85 averages about 7 columns,
# so a mini-batch curve's jitter visibly gives way to its trend.
SMOOTHING = 0.85
# The loss chart's vertical lines in words, by the kind of schedule event they mark (Schedule.events)
MARK_WORDS = {"decay": "LR cuts", "restart": "restarts", "trough": "LR lows", "peak": "LR peaks",
              "warmup_end": "warmup ends", "decay_end": "decay ends", "boost": "LR rises", "switch": "switches"}


def clip_diverged(lines: list[Line], healthy_top: float, gone: tuple = ()) -> list[tuple[float, float]]:
    """Let diverged curves leave through the top of the healthy runs' range; returns where each left it.

    A loss at 1e278 would otherwise squash every other curve flat, and beyond about 1e300
    plotext cannot lay out the axis at all and draws nothing. The (step, top) of each line's
    first point above the range is where the chart marks its exit. A line in `gone` (a run that diverged, or was
    judged diverged while its loss stayed finite) ends there: lesson 16's SGD at lr 0.008, judged diverged at step
    5 at 1e138 and still stepping, ran along the top edge to step 200 (walkthrough 17b, M11)."""
    if not lines:
        return []
    if not np.isfinite(healthy_top):  # every run diverged: keep the range they started in
        starts = [float(line.y[0]) for line in lines if len(line.y) and np.isfinite(line.y[0])]
        healthy_top = max(starts, default=np.nan)
    if not np.isfinite(healthy_top):
        return []
    top = healthy_top + 0.05 * abs(healthy_top) if healthy_top else 1.0
    exits = []
    for line in lines:
        with np.errstate(invalid="ignore"):
            above = np.flatnonzero(~(line.y <= top) & ~np.isnan(line.y))
            if above.size:
                exits.append((float(line.x[above[0]]), top))
            line.y = np.where(np.isnan(line.y), np.nan, np.minimum(line.y, top))
            if above.size and any(line is g for g in gone):
                line.y[above[0] + 1:] = np.nan
    return exits


def compact_legend(label: str, n_runs: int, room: int = 10_000, ascii_only: bool = False) -> str:
    """The legend's one line when there are too many curves to name: the focused run, and how many others, cut to
    `room` characters from the label's end (plotext leaves out a legend wider than its plot: lesson 3's fork
    "sgd lr=0.0005 x3, now lr 0.15 (focused; +2 runs, tab)" left the legend row blank, walkthroughs 4 and 5)."""
    others = n_runs - 1
    tail = f" (focused; +{others} run{'s' * (others != 1)}, tab)" if others else ""
    if len(label) + len(tail) > room:
        tail = f" (+{others}, tab)" if others else ""
        keep = max(room - len(tail), 4)
        head, sep, now = label.partition(", now ")
        if len(label) > keep and sep:
            # The run's name with the LR it has now, before its name goes (walkthrough 18a, N5: "… now lr 0.5" at
            # 80x24 left the learner to work out which run it was): "slow, now lr 0.5", then "slow→0.5".
            shorter = short_label(label)
            label = next((form for form in (shorter, arrow_label(shorter, ascii_only)) if len(form) <= keep), label)
        if len(label) > keep and sep and re.fullmatch(r"lr \S+", now) and len(now) + 6 <= keep:
            # The LR it has now is what an edited run's label is for: its head goes first ("sgd lr=0.025 x3, now lr
            # 0…" had cut the number; walkthrough 14a, C5): "... now lr 0.075".
            label = ("... now " if ascii_only else "… now ") + now
        if len(label) > keep:
            label = label[: keep - 3] + "..." if ascii_only else label[: keep - 1] + "…"
    return label + tail


def next_log_scale(chosen: bool | None, panel) -> bool | None:
    """`l`'s next loss scale from the one `chosen` (None: automatic) and what the loss `panel` shows: automatic ->
    the other scale -> (where the automatic one is log) log with every decade -> automatic again."""
    if chosen is None:
        return not panel.shown_log
    if chosen != panel.auto_log and panel.auto_log:
        return True
    return None


def auto_log_floor(low: float, open_low: float, high: float = np.inf) -> float | None:
    """The automatic log axis's floor: AUTO_LOG_BELOW_OPEN whole decades under `open_low`, where the healthy runs
    that have not converged are now, when some run (`low`: the lowest of all) falls under it and the whole span,
    up to `high` (the highest), is over AUTO_LOG_WHOLE_DECADES; else None."""
    if not (np.isfinite(low) and np.isfinite(open_low) and 0 < low < open_low):
        return None
    if np.isfinite(high) and np.log10(high / low) <= AUTO_LOG_WHOLE_DECADES:
        return None
    floor = float(10.0 ** (np.floor(np.log10(open_low)) - AUTO_LOG_BELOW_OPEN))
    return floor if low < floor else None


def floor_lines(lines: list[Line], floor: float) -> None:
    """Every line's values under `floor` (a loss of exactly 0 too) drawn at it, along the axis's bottom edge."""
    for line in lines:
        with np.errstate(invalid="ignore"):
            line.y = np.where(np.isnan(line.y), np.nan, np.fmax(line.y, floor))


def below_floor(line: Line, floor: float) -> float | None:
    """The first step at which `line` fell under the floor (None when it never did)."""
    with np.errstate(invalid="ignore"):
        under = np.flatnonzero(line.y < floor)
    return float(line.x[under[0]]) if under.size else None


def fit_title(title: str, notes: list[tuple[list[str], bool]], room: int) -> str:
    """`title` with the notes that fit in `room` characters, most telling first, each in its longest wording that
    fits. A note is (wordings, longest first; whether it names runs that left the chart). Those leave room for the
    shortest wording of the later ones: "v: run 1 below 0.1; x: diverged" says where both went."""
    for i, (forms, _) in enumerate(notes):
        reserve = sum(len(later[-1]) for later, leaving in notes[i + 1:] if leaving)
        fitting = [form for form in forms if len(title) + len(form) <= room]
        kept = [form for form in fitting if len(title) + len(form) + reserve <= room]
        if kept or fitting:
            title += (kept or fitting)[0]
    return title


def diverged_steps(steps: list[int]) -> str:
    """Where runs diverged, in words: "at step 7", or "at steps 4-20" when they differ."""
    low, high = min(steps), max(steps)
    return f"at step {low}" if low == high else f"at steps {low}-{high}"


def below_zero_floor(view) -> float:
    """What the chart adds to every loss: minus the loss's known minimum where that is below 0 and every run
    shares it (lesson 4's -0.25), so that a log axis shows the distance to it; else 0. A log axis cannot show
    a loss at or below 0: the saddle lesson's escape to -0.237 vanished from "loss (log10)" (walkthrough 11b,
    D93)."""
    floors = {view.run(run).loss_function.min_value for run in range(view.experiment.n_runs)}  # (views kept)
    floor = floors.pop() if len(floors) == 1 else None
    return -float(floor) if floor is not None and np.isfinite(floor) and floor < 0 else 0.0


def finding_marks(view, y_top: float | None, shift: float = 0.0) -> list[Line]:
    """A mark on the loss curve at the step where each warning or error began (at most MAX_FINDING_MARKS)."""
    marks = []
    for d in [d for d in view.experiment.diagnoses() if d.severity in FINDING_COLORS][:MAX_FINDING_MARKS]:
        values = view.run(d.run).history.envelope("loss", since=d.step).last
        values = values[np.isfinite(values)]
        if not values.size:
            continue
        y = float(values[0]) + shift if y_top is None else min(float(values[0]) + shift, y_top)
        marks.append(Line(np.array([float(d.step)]), np.array([y]), color=FINDING_COLORS[d.severity], marker="!"))
    return marks


class LossPanel(Panel, Chart):
    """Loss against step for every run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown_log = False  # what the axis is now (l switches to the other one)
        self.auto_log = False  # what the automatic choice is for the runs as they are (l comes back to it)
        self._columns: dict[tuple[int, str], ViewColumns] = {}

    def reduced(self, view, run: int, field: str, columns: int, x_range):
        return self._columns.setdefault((run, field), ViewColumns()).update(
            view.run(run).history, field, columns, x_range)

    def loss_picture(self, view, width: int = 80) -> Picture:
        session = view.session
        exp = session.experiment
        palette = self.palette
        columns = max(10, 2 * width)  # braille packs two points per cell
        x_range = (0.0, float(max(session.scenario.steps, exp.step_count, 1)))
        picture = Picture(x_range=x_range)
        theory = theory_lines(session, x_range, columns)
        shift = below_zero_floor(view)
        picture.lines.extend(theory)  # first, so the real curves draw over it
        span_low, span_high = np.inf, -np.inf
        open_low = np.inf  # where the healthy runs that have not converged are now: the floor is set from it
        healthy_top, diverged_lines = -np.inf, []
        any_model = False
        focused_line = None
        run_lines: dict[int, Line] = {}  # each healthy run's loss curve, for where it left a floored axis
        nonpositive = False  # some healthy run's loss is below 0 (after the shift): a log axis cannot show it
        smoothed: list[Line] = []  # the lines to average, once the axis is known
        test_lines: list[Line] = []  # a data model's test loss, dotted
        climbing: list[int] = []  # runs far above their start that have not diverged (yet): they leave the top too
        gone: dict[int, int] = {}  # run -> the step it diverged at (went non-finite, or was judged diverged)
        gone_lines: list[Line] = []  # their curves, which end where they leave the chart
        for run in range(exp.n_runs):
            first_line = len(picture.lines)
            run_view = view.run(run)
            x, low, high = self.reduced(view, run, "loss", columns, x_range)
            low, high = low + shift, high + shift
            # Judged diverged too: a loss blown up far above its start but still finite (1e250, say), which would
            # otherwise set the automatic axis and flatten every healthy run onto one row (walkthrough 3, #12).
            diverged = run_view.diverged_at >= 0 or exp.verdict(run) == "diverged"
            off_chart = diverged or _blown_up(low, high)  # leaves through the top; named diverged once judged so
            color, marker = run_color(run, diverged), palette.run_marker(run)
            label = run_view.label + (" (diverged)" if diverged else "")
            if view.smoothing and len(x):
                picture.lines.append(Line(*as_line(x, low, high), color="muted"))
                picture.lines.append(Line(x, 0.5 * (low + high), color=color, label=label, marker=marker))
                smoothed.append(picture.lines[-1])  # averaged below, once the axis is known (per screen column)
            else:
                picture.lines.append(Line(*as_line(x, low, high), color=color, label=label, marker=marker))
            if run == session.focused:
                focused_line = picture.lines[-1]
            if not off_chart:
                run_lines[run] = picture.lines[-1]
            if run_view.loss_function.is_model:
                any_model = True
                tx, tlo, thi = self.reduced(view, run, "test_loss", columns, x_range)
                # Under every training curve (inserted after the loop): lesson 23's slow run, flat at 2.3, was
                # hidden under its own dotted test loss (walkthrough 14b, D6)
                test_lines.append(Line(tx, 0.5 * (tlo + thi), color=color, label=f"{run_view.label} test",
                                       marker="dot"))
                if off_chart:
                    diverged_lines.append(test_lines[-1])
            if off_chart:
                diverged_lines.extend(picture.lines[first_line:])
                if run_view.diverged_at > 0 or diverged:  # (non-finite, or judged diverged while still finite)
                    gone[run] = run_view.diverged_at if run_view.diverged_at > 0 else exp.summary(run).step
                    gone_lines.extend(picture.lines[first_line:])
                else:
                    climbing.append(run)
            elif np.isfinite(high).any():
                healthy_top = max(healthy_top, float(high[np.isfinite(high)].max()))
            nonpositive = nonpositive or bool(np.any(low[np.isfinite(low)] < 0)) and not off_chart
            finite = low[np.isfinite(low) & (low > 0)]
            if finite.size and not off_chart:  # the healthy runs' span decides the automatic scale
                span_low, span_high = min(span_low, finite.min()), max(span_high, high[np.isfinite(high)].max())
                # The focused run is always shown whole: in lesson 14 at 80x24 the scheduled run's fall to 1.9e-7,
                # the lesson itself, went below a floor set by the constant run bouncing at 25 (walkthrough 12, E9).
                if exp.verdict(run) != "converged" or run == session.focused:
                    open_low = min(open_low, float(finite[-max(1, finite.size // 3):].min()))
        picture.lines[len(theory):len(theory)] = test_lines
        # Auto (until l chooses): a log axis once the loss spans more than AUTO_LOG_SPAN, so a run that
        # bounces between two levels far below its start shows as a band, not a flat line.
        span = span_high / span_low if np.isfinite(span_low) and span_low > 0 else 1.0
        auto = view.log_scale is None
        # (never automatically where a loss is 0 or below: a log axis would hide it; walkthrough 11b, D93)
        self.auto_log = bool(span > AUTO_LOG_SPAN and not nonpositive)
        picture.log_y = self.auto_log if auto else bool(view.log_scale)
        self.shown_log = picture.log_y
        floor = auto_log_floor(span_low, open_low, span_high) if picture.log_y and auto else None
        if (picture.log_y and floor is None and np.isfinite(span_low) and span_low > 0
                and any(np.any(line.y == 0) for line in run_lines.values())):
            # A loss of exactly 0 (a run at its minimum to the last digit) goes along the bottom from a "v", a decade
            # under the lowest loss drawn: on `l`'s every-decade axis its curve had just stopped (walkthrough 12a, E6)
            floor = float(10.0 ** (np.floor(np.log10(span_low)) - 1))
        legend_rows = max(0, min(MAX_LEGEND_LINES, ((self.size.height or 12) - 4) // 3))  # as plotting.draw allows
        if len([line for line in picture.lines if line.label]) > legend_rows and \
                any(line.label and line.label.startswith(BEST_LABEL) for line in theory):
            # No legend to tell two kinds of dots apart, and no room in the title to name both: the best LR's stay,
            # the runs' own (which lie on their curves) go (walkthroughs 13a A10, 14a C9, lesson 3 at 80x24).
            own = {id(line) for line in theory if not (line.label or "").startswith(BEST_LABEL)}
            theory = [line for line in theory if id(line) not in own]
            picture.lines = [line for line in picture.lines if id(line) not in own]
        theory_gone = None  # the "v" where the theory's dots go on below the axis
        if picture.log_y and np.isfinite(span_low) and span_low > 0:
            # Theory follows the runs' axis, never sets it: the best LR's curve reaches 1e-175 in lesson 3, which
            # flattened the converged run at 1 (walkthrough 6, D19); below, it leaves through the bottom.
            clamp = 0.1 * span_low if floor is None else floor
            for line in theory:  # where it leaves, a "v" in its colour (walkthrough 10a, D44: it read as a plateau)
                step = below_floor(line, clamp)
                if step is not None and theory_gone is None:
                    theory_gone = Line(np.array([step]), np.array([clamp]), color=line.color, marker="v")
                line.y = np.fmax(line.y, clamp)
        for line in smoothed:
            # On a log axis the average is taken of log10(loss): averaged linearly, a loss falling from 1 to 1e-30
            # would be held near 1e-5 by its own past, a plateau that is not there (walkthrough 3, defect 10).
            if picture.log_y:
                with np.errstate(all="ignore"):
                    logged = np.where(line.y > 0, np.log10(np.where(line.y > 0, line.y, 1.0)), np.nan)
                    line.y = 10.0 ** debiased_ema(logged, SMOOTHING)
            else:
                line.y = debiased_ema(line.y, SMOOTHING)
        # On every axis, `l`'s log one too: a run at 1e250 would put every healthy run on one row (walkthrough 4).
        exits = clip_diverged(diverged_lines, healthy_top, tuple(gone_lines))
        # An x where a diverged run left the chart, in its (diverged) colour.
        picture.lines.extend(Line(np.array([x]), np.array([top]), color="diverged", marker="x") for x, top in exits)
        y_top = exits[0][1] if exits else None
        picture.lines.extend(finding_marks(view, y_top, shift))
        sunk: list[tuple[int, float]] = []  # (run, step) of each run that fell under the automatic log axis's floor
        if floor is not None:
            sunk = [(run, step) for run, line in run_lines.items() if (step := below_floor(line, floor)) is not None]
            floor_lines(picture.lines, floor)
            picture.lines.extend(Line(np.array([step]), np.array([floor]), color=run, marker="v") for run, step in sunk)
        if theory_gone is not None:
            picture.lines.append(theory_gone)
        labelled = [line for line in picture.lines if line.label]
        fastest = next((line.label for line in labelled if line.label.startswith(BEST_LABEL)), None)
        own_theory = any(line.label == "theory" for line in labelled)  # the runs' own LRs, dotted
        named_runs = [line for line in labelled if any(line is own for own in run_lines.values())]
        if 1 < len(named_runs) == exp.n_runs <= legend_rows < len(labelled):
            # Every run's name fits where the dots' would not: the runs keep the legend and the title names the
            # dots (walkthrough 23a: at 80x24 lesson 3 named only the focused run, so which curve was "good" took tab).
            # Only where that names every run: a row of legend is a row of data less (plotting.legend_headroom), and
            # lesson 1's bounce beside two forks needs its rows more than a legend naming two runs of three.
            for line in labelled:
                line.label = (compact_legend(line.label, 1, width - 12, self.ascii_only)
                              if any(line is own for own in named_runs) else None)
        elif len(labelled) > legend_rows:
            # plotext pins its legend to the top left, where every curve starts: with many runs it
            # would hide them. A one-line legend names the focused run and how many others there are;
            # the status line below names each run in its colour.
            for line in labelled:
                line.label = None
            if focused_line is not None and legend_rows:
                focused_line.label = compact_legend(view.run(session.focused).label, exp.n_runs, width - 12,
                                                    self.ascii_only)
        else:
            for line in labelled:  # plotext leaves out a legend wider than its plot (walkthrough 6, D22)
                line.label = compact_legend(line.label, 1, width - 12, self.ascii_only)
        for event in exp.events:
            if event.kind in MARKED_EVENTS:
                picture.vlines.append((event.step, MARKER))
            elif event.kind == "plateau_cut":
                picture.vlines.append((event.step, SCHEDULE_MARKER))
        # The focused run's schedule cuts only: lesson 19's two schedules drew 17 lines no one could tell apart
        # (walkthrough 10a, D46); tab moves them to the other run, and the LR chart below plans both.
        # Inside the chart only: cosine annealing's low at the budget's last step lies on the frame's right edge,
        # where no line shows, and "|: lows" named nothing (walkthrough 19a, Q5).
        def inside(run: int) -> list:
            return [(step, kind) for step, kind in view.run(run).schedule_events(int(x_range[1]))
                    if 0 < step < x_range[1]]

        marks = inside(session.focused)
        cuts = [step for step, _kind in marks]
        kinds = {kind for _, kind in marks}
        # What the lines are, by the schedule's own events: cosine's one line is where it bottoms out, not a cut
        # (walkthrough 18a, N9: "lines: LR cuts" on cosine annealing)
        marked = MARK_WORDS.get(next(iter(kinds)), "schedule marks") if len(kinds) == 1 else "schedule marks"
        picture.vlines.extend((step, SCHEDULE_MARKER) for step in cuts)
        cut_elsewhere = any(inside(run) for run in range(exp.n_runs) if run != session.focused)
        scale = "log10" if picture.log_y else "linear"
        what = f"loss + {shift:.3g}" if shift else "loss"  # (the distance to a minimum below 0)
        title = f"{what} ({scale}{', auto' if auto else ''}{', smoothed' if view.smoothing else ''})"
        notes = []  # most telling first: (wordings, longest first; names runs that left the chart)
        if sunk:  # first: a diverged run says so in the status line too, a sunk one only here
            who = f"run {sunk[0][0]}" if len(sunk) == 1 else f"{len(sunk)} runs"
            power = int(round(np.log10(floor)))
            low = DECADE_NAMES.get(power, f"1e{power}")  # as the axis's ticks name it
            from_step = diverged_steps([int(step) for _, step in sunk]).replace("at step", "from step")
            notes.append(([f"; v: {who} below {low} {from_step}", f"; v: {who} below {low}", f"; v: below {low}"],
                          True))
        if exits:
            # The diverged curve leaves through the top (the legend can hide where): say so in words.
            if gone:
                who = f"run {next(iter(gone))}" if len(gone) == 1 else f"{len(gone)} runs"
                where = diverged_steps(list(gone.values()))
                left = int(round(min(x for x, _ in exits)))
                # A run judged diverged while finite left the chart long before that judgement: the x is where it
                # left ("diverged at step 300" beside an x at step 1 read as a wrong mark; walkthrough 22b, X2)
                judged = all(view.run(run).diverged_at < 0 for run in gone)  # (still finite: judged so, later)
                if judged and left < min(gone.values()) - 1:
                    forms = [f"; x: {who} off the top from step {left}, judged diverged {where}",
                             f"; x: {who} diverged, off from step {left}"]
                else:
                    forms = [f"; x: {who} diverged off the top {where}", f"; x: {who} diverged {where}"]
                notes.append((forms + [f"; x: {who} diverged", "; x: diverged"], True))
            elif climbing:
                # Its loss (5e37 at step 5 of lesson 2) is far off the top before it overflows: the x says where it
                # left, and the title says so (walkthrough 14a, C2: an x with no word, beside "improving").
                who = f"run {climbing[0]}" if len(climbing) == 1 else f"{len(climbing)} runs"
                notes.append(([f"; x: {who} climbing off the top", f"; x: {who} off the top", "; x: off the top"],
                              True))
        if any_model:
            notes.append(([", test dotted"], False))  # the legend, which says so too, gives way to the curves
        if not picture.log_y and span > 100 and not nonpositive:
            notes.append(([" - over 2 decades: press l for log"], False))
        if len(labelled) > legend_rows and (fastest is not None or own_theory):
            # The legend that named the dots gave way: the title does (where both kinds were drawn, the runs' own
            # went above, so the dots are one kind: walkthroughs 13a A10, 14a C9).
            if fastest is not None:
                best = fastest.removeprefix(BEST_LABEL)
                notes.append(([f"; dots: theory at best lr {best}", f"; dots: best lr {best}"], False))
            else:
                notes.append((["; dots: theory at the run's lr", "; dots: theory"], False))
        if cuts:  # the vertical lines, named at every size (walkthrough 17a, L6: at 80x24 nothing said what they were)
            short = f"; |: {marked.split()[-1]}"
            notes.append(([f"; lines: run {session.focused}'s {marked} (tab)", f"; lines: focused run's {marked}",
                           f"; lines: {marked}", short] if cut_elsewhere else [f"; lines: {marked}", short], False))
        if theory_gone is not None:
            notes.append((["; v: the dots go on below the axis", "; v: dots go lower"], False))
        if picture.log_y and nonpositive:  # (walkthrough 11b, D93, D97; 11a, D86: the curve just ended)
            notes.append((["; losses below 0 are not drawn on a log axis: l for linear", "; losses < 0 not drawn",
                           "; <0 hidden"], True))
        if any(line.marker == "!" for line in picture.lines):
            notes.append((["; ! where a finding began", "; !: a finding began", "; !: findings"], False))
        # 8: plotext centres the title over the plot, right of the y ticks (up to "2.3561┤"): at width - 4 it ran
        # into the next panel's border ("...began╭─": walkthroughs 17a L11, 17b M10)
        title = fit_title(title, notes, width - 8)
        picture.title = title
        return picture

    def redraw(self, view) -> None:
        width = self.size.width or 80
        if not self.unchanged(view.key(width, view.log_scale, view.smoothing, view.session.focused)):
            self.show(self.loss_picture(view, width))


def _blown_up(low: np.ndarray, high: np.ndarray) -> bool:
    """The run's loss, still finite, now more than BLOWN_UP times where it started (a run on its way to inf)."""
    first = low[np.isfinite(low)]
    last = high[np.isfinite(high)]
    return bool(first.size and last.size and first[0] > 0 and last[-1] > BLOWN_UP * first[0])
