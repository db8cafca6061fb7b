"""What "adaptive" means, made visible: the step size each parameter really gets, over time.

Adagrad, RMSprop and the Adam family divide the learning rate by a running
root-mean-square of each parameter's gradients, so every parameter moves with
its own effective LR. The chart shows the largest, the median and the smallest
of them for the focused run, with the nominal LR dotted for scale and the
median of up to three other adaptive runs for comparison, and a key row in
the lines' own colours says which is which.

The step axis is logarithmic: what makes Adagrad stall happens in its first
few updates (its sum of squared gradients jumps, and its effective LR falls
hundreds of times below lr), then nothing moves for hundreds of steps. On a
linear axis that fall is one column wide; on a log axis it takes the left
quarter, and RMSProp's late climb still shows on the right. The engine samples
the effective LRs every few steps; the steps before its first sample are
filled in from a replayed copy of the run (EarlySteps), so the line starts
where the first update put it.

Where the side column has no room (windows under CROWDED rows), the LR chart
draws the focused run's largest and smallest effective LR over every run's
LR and plan instead (`effective_lines`), so the planned schedule stays in view;
where no run has a schedule, this panel's picture takes the LR chart's place.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.decimate import min_max_columns
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.tui.palette import MIN_DISTANCE, RUN_MARKERS, colour_distance, run_color
from lrtui.tui.view import as_view
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.panel import Panel

CROWDED = 30  # screen rows below which the side column cannot hold this panel beside a landscape
SPREAD_COLORS = {"max": "warning", "min": "accent"}  # theme roles, see palette.py
# Under NO_COLOR the four lines differ by marker instead, and the key row shows which is which.
PLAIN_MARKERS = {"max": "^", "median": "*", "min": "v", "lr": "."}
MAX_OTHERS = 3  # other adaptive runs whose median is drawn beside the focused run's spread
EARLY_STEPS = 30  # at most this many steps before the engine's first sample (and checkpoint) are replayed
WAITING = "per-parameter LR: after the first update (n)"


def adaptive_names() -> list[str]:
    return [name for name, cls in OPTIMIZERS.items() if cls.adaptive]


def is_adaptive(name: str) -> bool:
    """True for an optimizer with per-parameter step sizes (Adagrad, RMSProp, the Adam family)."""
    return name in OPTIMIZERS and OPTIMIZERS[name].adaptive


def subject_run(view) -> int | None:
    """The run whose per-parameter LRs the panel shows: the focused run where its optimizer has them, else the
    lesson's first run that does (lessons 16 and 18 open on their SGD run, and the panel of RMSProp's or Adam's
    step sizes, the lesson's point, was not there: walkthrough 17b, M3); None where no run has them."""
    view = as_view(view)
    exp, focused = view.session.experiment, view.session.focused
    if is_adaptive(exp.spec(focused).optimizer):
        return focused
    return next((run for run in range(exp.n_runs) if is_adaptive(exp.spec(run).optimizer)), None)


def adaptive_applies(view) -> bool:
    """True when some run uses an optimizer with per-parameter step sizes (the focused one first)."""
    return subject_run(view) is not None


def is_effective_key(title: str) -> bool:
    """A title or key row led by the effective-LR panel's name (in full or short)."""
    return title.startswith(("effective LR", "eff. LR"))


def spread_colors(palette, run: int, runs: int = 0) -> dict[str, str]:
    """Theme roles for the max and min lines: two that differ from each other, from the run's own colour (the
    median's) and from the other `runs` runs' (their medians are drawn beside it: lesson 17's Adagrad max and
    RMSProp's median were one orange, walkthrough 24b, B1), so that the key row tells them apart (accent and
    warning are one orange in some themes): colours nearer than MIN_DISTANCE count as one. Where the theme has no
    two such roles, the other runs' colours are let go."""
    if palette is None or palette.no_color:
        return dict(SPREAD_COLORS)
    others = [palette.color(other) for other in range(runs) if other != run]
    for avoid in (others, []):  # every run's colour, else the focused run's alone
        taken = [palette.color(run), *avoid]
        chosen = []
        for role in ("warning", "success", "secondary", "error", "primary", "accent"):
            if all(colour_distance(palette.color(role), used) >= MIN_DISTANCE for used in taken):
                chosen.append(role)
                taken.append(palette.color(role))
            if len(chosen) == 2:
                return {"max": chosen[0], "min": chosen[1]}
    return dict(SPREAD_COLORS)


def _stats(values: np.ndarray) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=np.float64).ravel()
    return float(values.min()), float(np.median(values)), float(values.max())


class EarlySteps:
    """The effective LRs of the steps before the engine's first sample of them, from a replayed copy of the run.

    `Experiment.replayed()` retraces the run exactly (its changes at their steps, the same batches), so
    stepping the copy one update at a time gives what the run's own optimizer held after each. Kept per
    experiment, run and spec; computed only for steps the run has taken, and given up for an experiment
    whose steps are too slow to replay within a frame (a network, whose engine samples start later anyway)."""

    BUDGET = 0.08  # seconds of replay per redraw, at most

    def __init__(self):
        self._key = None
        self._value = (np.empty(0), np.empty(0), np.empty(0), np.empty(0))
        self._too_slow = None  # the experiment whose replay ran out of time: not tried again

    def get(self, experiment, run: int, until: int):
        """(steps, min, median, max) for steps 1 .. until - 1 (at most EARLY_STEPS of them)."""
        import time

        from lrtui.core.diagnostics.monitor import checkpoint_every

        # Only the steps before the engine's first checkpoint, where it would try fixes on copies of the runs.
        until = min(int(until), EARLY_STEPS + 1, checkpoint_every(experiment.view(run).budget))
        if until <= 1 or experiment is self._too_slow:
            return self._value if experiment is self._too_slow and self._key and self._key[0] is experiment else (
                np.empty(0), np.empty(0), np.empty(0), np.empty(0))
        key = (experiment, run, until, repr(experiment.view(run).spec))
        if key != self._key:
            started = time.perf_counter()
            copy = experiment.replayed()
            rows = []
            for step in range(1, until):
                copy.step(1)
                values = copy.effective_lr(run)
                if values is None or not np.size(values) or not np.all(np.isfinite(values)):
                    break
                rows.append((step, *_stats(values)))
                if time.perf_counter() - started > self.BUDGET and step < until - 1:
                    self._too_slow = experiment
                    break
            table = np.array(rows, dtype=np.float64).reshape(-1, 4)
            self._key, self._value = key, tuple(table[:, i].copy() for i in range(4))
        return self._value


def effective_series(view, early: EarlySteps | None = None):
    """(steps, min, median, max) of the subject run's effective LRs (`subject_run`: the focused run, where it is
    adaptive): the replayed first steps, then the engine's samples (finite ones only)."""
    view = as_view(view)
    exp, run = view.session.experiment, subject_run(view)
    if run is None:
        return np.empty(0), np.empty(0), np.empty(0), np.empty(0)
    steps, low, median, high = exp.effective_lr_history(run)
    # Up to where the run diverged (went non-finite, or was judged so), as the loss chart ends it: lesson 18's Adam
    # at lr 20, diverged at step 5, had its step sizes drawn on to step 1000 (walkthrough 22b, X5)
    stop = exp.diverged_at(run)
    if stop < 0 and exp.verdict(run) == "diverged":
        stop = exp.summary(run).step
    ok = np.isfinite(low) & np.isfinite(median) & np.isfinite(high) & (steps > 0) & ((stop < 0) | (steps <= stop))
    steps, low, median, high = steps[ok], low[ok], median[ok], high[ok]
    first = int(steps[0]) if len(steps) else exp.step_count + 1
    if early is not None and first > 1:
        e_steps, e_low, e_median, e_high = early.get(exp, run, min(first, exp.step_count + 1))
        steps = np.concatenate([e_steps, steps.astype(np.float64)])
        low, median, high = (np.concatenate(pair) for pair in ((e_low, low), (e_median, median), (e_high, high)))
    return steps.astype(np.float64), low, median, high


def ratio_text(ratio: float, ascii_only: bool = False) -> str:
    """The median effective LR against lr: 'lr/415' when smaller, '3.2×lr' when larger."""
    if not (np.isfinite(ratio) and ratio > 0):
        return ""
    if ratio < 1:
        return f"lr/{1 / ratio:.3g}"
    return f"{ratio:.3g}{'x' if ascii_only else '×'}lr"


def key_row(entries: list[tuple[str, tuple]], no_color: bool, ascii_only: bool, lead: str, extra: str,
            width: int, owner: str = "") -> list[tuple[str, object]]:
    """The panel's key: `lead`, then a short stroke in each line's own colour (its marker under NO_COLOR)
    and its name, then `extra`, as much as fits in `width`. Entries are (name, (style, role, marker)). `owner`
    (" of run 1") goes into every form of the lead, before its colon: whose lines the key names."""
    glyph = {"solid": "-" if ascii_only else "━", "dotted": "." if ascii_only else "┈"}
    short_lead = lead.split(" per ")[0] + ": " if " per " in lead else lead
    if owner:
        lead, short_lead = (form[:-2] + owner + ": " if form.endswith(": ") else form for form in (lead, short_lead))

    def build(lead: str, gap: str, extra: str, names: bool = True) -> list[tuple[str, object]]:
        parts: list[tuple[str, object]] = [(lead, None)] if lead else []
        for i, (name, (style, role, marker)) in enumerate(entries):
            parts.append(((" " if i else "") + (marker if no_color and marker else glyph[style]), role))
            parts.append((gap + (name if names or name.startswith("run ") else name[:3]), None))
        if extra:
            parts.append((f"  {extra}", None))
        return parts

    tail_lead = short_lead.split("; ", 1)[1] if "; " in short_lead else ""  # "run 0 effective lr: " alone
    tiny_lead = short_lead.replace("effective LR", "eff. LR") if short_lead.startswith("effective LR") else ""
    tiny = [build(tiny_lead, " ", "", names=False)] if tiny_lead else []
    for parts in (build(lead, " ", extra), build(lead, " ", ""), build(short_lead, " ", ""), build(short_lead, "", ""),
                  *tiny, build(tail_lead, " ", ""), build("", " ", ""), build("", "", ""),
                  build("", "", "", names=False)):
        if sum(len(text) for text, _ in parts) <= width:
            return parts
    return parts


def adaptive_picture(view, width: int, ascii_only: bool = False, no_color: bool = False,
                     early: EarlySteps | None = None, colors: dict | None = None) -> tuple[Picture, list]:
    """The side panel's picture on a log step axis, and its key row."""
    view = as_view(view)
    session = view.session
    exp, run = session.experiment, subject_run(view)
    end = float(max(session.scenario.steps, exp.step_count, 10))
    x_range = (0.0, math.log10(end))
    picture = Picture(log_y=True, log_x=True, x_range=x_range, title="effective LR per parameter")
    if run is None:
        name = view.focused.spec.optimizer
        picture.message = (f"per-parameter LR: only for {', '.join(adaptive_names())}; run {session.focused} uses "
                           f"{name}")
        return picture, []
    subject = view.run(run)
    steps, low, median, high = effective_series(view, early)
    if not len(steps):
        picture.message = WAITING
        return picture, []
    columns = max(10, 2 * width)
    colors = colors or SPREAD_COLORS
    x = np.log10(np.maximum(steps, 1.0))
    plain = PLAIN_MARKERS if no_color else {}
    # The nominal LR first, dotted, so that the per-parameter lines are drawn over it where they meet.
    lr_steps, lr_values = subject.history.series("lr")
    keep = (lr_steps >= 1) & np.isfinite(lr_values) & (lr_values > 0)
    if keep.any():
        lx, llo, lhi = min_max_columns(np.log10(lr_steps[keep].astype(np.float64)), lr_values[keep],
                                       lr_values[keep], columns, x_range)
        picture.lines.append(Line(lx, np.sqrt(llo * lhi), color="muted", label="lr", marker=plain.get("lr", "dot")))
    others = other_medians(view, columns, x_range, run)
    marks = {other: other_marker(other) if no_color else None for other, _ in others}
    company_lines = [Line(ox, oy, color=run_color(other), label=f"run {other}", marker=marks[other])
                     for other, (ox, oy) in others]
    picture.lines.extend(company_lines)  # under the focused run's lines: thin company, for comparison
    for name, values, color in (("max", high, colors["max"]), ("median", median, run_color(run)),
                                ("min", low, colors["min"])):
        cx, lo, hi = min_max_columns(x, values, values, columns, x_range)
        picture.lines.append(Line(cx, np.sqrt(lo * hi), color=color, label=name, marker=plain.get(name)))
    picture.legend = False  # the key row names the lines, in their colours, without covering them
    # Another run's than the focused one's: the lead says whose lines these are, "eff. LR of run 1: ━ max ━
    # median ━ min" ("━ max ━ run 1 median ━ min" left max and min to guess: walkthrough 23b, Z5); where no lead
    # fits, its median says whose (the status line lists the runs by colour).
    owner = "" if run == session.focused else f" of run {run}"

    def entries(median_name: str) -> list:
        return [("max", ("solid", colors["max"], plain.get("max"))),
                (median_name, ("solid", run, plain.get("median"))),
                ("min", ("solid", colors["min"], plain.get("min"))),
                ("lr", ("dotted", "muted", plain.get("lr")))]
    now = ratio_text(median[-1] / subject.lr if subject.lr > 0 else np.nan, ascii_only)
    # Their medians, another optimizer's first: after c in lesson 17, two Adagrad forks' keys had crowded out
    # RMSProp's, and with them every other run's line (walkthrough 20b, T1)
    own = exp.spec(run).optimizer
    company = sorted(((f"run {other}", ("solid", other, marks[other])) for other, _ in others),
                     key=lambda entry: exp.spec(entry[1][1]).optimizer == own)
    for kept in range(len(company), -1, -1):  # as many of them as fit, then none
        for whose, median_name in ([(owner, "median"), ("", f"run {run} median")] if owner else [("", "median")]):
            keyed = entries(median_name) + company[:kept]
            key = key_row(keyed, no_color, ascii_only, "effective LR per parameter: ",
                          f"now median = {now}" if now else "", width, whose)
            if key and is_effective_key(key[0][0]):
                break
        if key and is_effective_key(key[0][0]):
            # The panel's name stays (lesson 17's task points at it), shortened before the other runs' keys give
            # way: their medians are the lesson's comparison (walkthrough 11b, D94: RMSProp's line went unnamed)
            break
    named = {entry[1][1] for entry in company[:kept]}
    # ...and the lines of those left out with them: a line without a key (walkthrough 6, D23)
    unnamed = [line for (other, _), line in zip(others, company_lines) if other not in named]
    picture.lines = [line for line in picture.lines if all(line is not c for c in unnamed)]
    picture.title = "".join(text for text, _ in key)
    return picture, key


def other_marker(run: int) -> str:
    """Under NO_COLOR, another run's median line takes that run's own marker, unless the spread's lines use it."""
    free = [m for m in RUN_MARKERS if m not in PLAIN_MARKERS.values()]
    return RUN_MARKERS[run % len(RUN_MARKERS)] if RUN_MARKERS[run % len(RUN_MARKERS)] in free else free[run % len(free)]


def other_medians(view, columns: int, x_range, subject: int | None = None) -> list[tuple[int, tuple[np.ndarray,
                                                                                                       np.ndarray]]]:
    """The median effective LR of the other adaptive runs (up to MAX_OTHERS), from the engine's samples, on the
    same log step axis: lesson 17 asks to compare Adagrad's flat lines with RMSProp's climb, and the focused run
    alone showed one of them at a time (walkthrough 4)."""
    view = as_view(view)
    exp = view.session.experiment
    focused = view.session.focused if subject is None else subject
    out = []
    for other in range(exp.n_runs):
        if other == focused or not is_adaptive(exp.spec(other).optimizer):
            continue
        steps, _, median, _ = exp.effective_lr_history(other)
        ok = np.isfinite(median) & (median > 0) & (steps > 0)
        if not ok.any():
            continue
        x = np.log10(np.asarray(steps[ok], dtype=np.float64))
        cx, lo, hi = min_max_columns(x, median[ok], median[ok], columns, x_range)
        out.append((other, (cx, np.sqrt(lo * hi))))
        if len(out) == MAX_OTHERS:
            break
    return out


def effective_lines(view, columns: int, x_range, no_color: bool = False, early: EarlySteps | None = None,
                    colors: dict | None = None):
    """The subject run's largest and smallest effective LR on a linear step axis, for the LR chart."""
    colors = colors or SPREAD_COLORS
    steps, low, _, high = effective_series(view, early)
    if not len(steps):
        return []
    plain = PLAIN_MARKERS if no_color else {}
    lines = []
    for name, values in (("max", high), ("min", low)):
        cx, lo, hi = min_max_columns(steps, values, values, columns, x_range)
        lines.append(Line(cx, np.sqrt(lo * hi), color=colors[name], label=name, marker=plain.get(name)))
    return lines


class AdaptivePanel(Panel, Chart):
    """The spread of the focused run's per-parameter learning rates, on log axes."""

    picture: Picture | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._early = EarlySteps()

    def applies(self, view) -> bool:
        # Where the side column has no room, the LR chart shows the spread over the plan instead.
        return adaptive_applies(view) and view.height >= CROWDED

    def redraw(self, view) -> None:
        session = view.session
        width = self.size.width or 60
        if self.unchanged(view.key(width, session.focused, self.ascii_only)):
            return
        palette = self.palette
        picture, key = adaptive_picture(view, width, self.ascii_only, palette.no_color, self._early,
                                        spread_colors(palette, subject_run(view), session.experiment.n_runs))
        self.show(picture, key)


STALLS = ("too_slow", "plateau")  # verdicts of a stalled run, where Adagrad's note says why it stalls


def adagrad_note(experiment, run: int, code: str, ascii_only: bool = False) -> str:
    """Why an Adagrad run stalls, in its own numbers, for the explanation of a too-slow or plateau verdict: the
    effective LR its first updates left it with (walkthrough 6: the explanation said only "too slow"). Empty for
    other optimizers and verdicts, and where the effective LR did not fall (by at least half)."""
    if code not in STALLS or experiment.view(run).spec.optimizer != "adagrad":
        return ""
    steps, _low, median, _high = experiment.effective_lr_history(run)
    since = max((e.step for e in experiment.events if e.run == run and e.kind in ("optimizer", "fork")), default=0)
    keep = np.isfinite(median) & (median > 0) & (steps > since)
    steps, median = steps[keep], median[keep]
    if len(steps) < 2 or not median[0] >= 2 * median[-1]:
        return ""
    now = float(median[-1])
    settled = int(steps[np.flatnonzero(median <= 1.25 * now)[0]])  # where it came within 25% of its level now
    lr = float(experiment.current(run)["lr"])
    ratio = ratio_text(now / lr, ascii_only) if lr > 0 else ""
    early = settled - since <= 0.1 * (int(steps[-1]) - since)  # most of the fall came in the first tenth
    why = ("the first, large gradients filled the sum, and every later step stays that small" if early else
           "each gradient adds to the sum, so its steps keep shrinking however small the gradients get")
    return (f"Why it stalls: Adagrad divides lr by the square root of the sum of every squared gradient so far, "
            f"and that sum only grows. Its effective LR (the median over the parameters) fell from {median[0]:.3g} "
            f"after step {int(steps[0]):,} to {float(median[steps == settled][0]):.3g} by step {settled:,}, and is "
            f"{now:.3g} now{f' ({ratio})' if ratio else ''}: {why}. A larger lr scales every step up; RMSProp and "
            f"Adam average the squared gradients instead, so their steps can grow again.")
