"""Scenario, step, and per run: lr, loss, gradient norm and state."""

from __future__ import annotations

import math

import numpy as np

from rich.text import Text
from textual.widgets import Static

from lrtui.core.diagnostics.types import ABOVE_START, KINK_SHARE, RISING, SETTLED_OVER, in_words
from lrtui.core.diagnostics.wording import pct
from lrtui.scenario.library import COURSE_ORDER
from lrtui.text import arrow_label, short_label, short_title, visible
from lrtui.tui.palette import PlotPalette, app_palette, rich_run_color
from lrtui.tui.view import as_view
from lrtui.tui.widgets.adaptive_panel import is_adaptive
from lrtui.tui.widgets.panel import Panel


def _num(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.3g}"  # an LR a schedule drove to infinity shows as inf


def percent(fraction: float) -> str:
    """'125%', '3%', '0.05%': two significant digits below 10%, so a small fraction never reads as 0%."""
    value = 100 * fraction
    # From 10% on, as the diagnostics write it (pct): "8.1e+09%" at Ackley's cusp (walkthrough 11a, D80), "99.8%"
    # just under the limit (walkthrough 18a, N2), else whole percents
    return pct(fraction) if abs(value) >= 10 or value == 0 else f"{value:.2g}%"


class LatestAccuracy:
    """Each run's latest test accuracy (a data model's, measured every few steps), read from the steps
    recorded since the last time: a frame costs the new steps, however long the run."""

    def __init__(self):
        self._seen: dict[int, tuple] = {}  # run -> (history source, next step to read, latest value)

    def __call__(self, run_view) -> float:
        if not run_view.loss_function.is_model:
            return math.nan
        history = run_view.history
        source, since, value = self._seen.get(run_view.run, (None, 0, math.nan))
        if source != history.source or since > run_view.step:
            since, value = 0, math.nan
        env = history.envelope("test_accuracy", since=since)
        found = env.last[np.isfinite(env.last)]
        if found.size:
            value = float(found[-1])
        if env.step_end.size:
            since = int(env.step_end[-1]) + 1
        self._seen[run_view.run] = (history.source, since, value)
        return value


def test_accuracy(view, run: int) -> float:
    """The run's latest test accuracy, or NaN (for tests and one-off reads; the status line keeps a tracker)."""
    return LatestAccuracy()(as_view(view).run(run))


test_accuracy.__test__ = False  # a helper, not a pytest test


def visible_runs(n_runs: int, focused: int, rows: int) -> range:
    """The runs the status area shows: all when they fit, else a window that holds the focused run."""
    if n_runs <= rows:
        return range(n_runs)
    rows = max(1, rows - 1)  # one line says how many are left out
    start = min(max(0, focused - rows // 2), n_runs - rows)
    return range(start, start + rows)


def _fit(pieces: list[tuple[float, str, str]], width: int | None) -> list[tuple[str, str]]:
    """(priority, text, style) pieces of one line, in order: where the line is wider than `width`, the pieces
    of the highest priority number go first (|g|, the LR, a healthy verdict, the gauge, then the loss), so a
    warning verdict stays whole."""
    if width is not None:
        for drop in sorted({p for p, _, _ in pieces if p > 1}, reverse=True):
            if sum(len(t) for _, t, _ in pieces) <= width:
                break
            pieces = [piece for piece in pieces if piece[0] != drop]
    return [(t, style) for _, t, style in pieces]


def _fit_together(lines: list[list[tuple]], width: int | None) -> list[list[tuple[str, str]]]:
    """Every run's line with the same fields: what the widest line must drop, every line drops, so that a column
    (|g|, the LR) is there for all the runs or for none. A piece (priority, text, style[, shorter text[, stage]])
    takes its shorter wording (stage 1, then 2, 2.5 and 3) before a piece of priority GAUGE or less would go; its
    shorter text may also be a tuple of (stage, text) pairs, one wording per stage. Lesson 2's fixed run at 80
    columns lost "lr 212% of limit (96% here)", the lesson's key number, to its label "too high: lr=0.003, now lr
    0.00203" (walkthrough 10a, D48)."""
    def fits(lines) -> bool:
        return all(sum(len(piece[1]) for piece in line) <= width for line in lines)

    def worded(piece, stage: int):
        if len(piece) <= 3:
            return piece
        forms = piece[3] if isinstance(piece[3], tuple) else ((piece[4] if len(piece) > 4 else 1, piece[3]),)
        text = piece[1]
        for at, form in sorted(forms):
            if at <= stage:
                text = form
        return (piece[0], text, piece[2]) + tuple(piece[3:])

    def shorter(lines, stage: int):
        return [[worded(p, stage) for p in line] for line in lines]

    if width is not None:
        shortened = False
        for drop in sorted({piece[0] for line in lines for piece in line if piece[0] > 1}, reverse=True):
            if fits(lines):
                break
            if drop <= GAUGE and not shortened:
                # The label first, then a verdict's bracket ("(LR too high)"), then the gauge's words, then a piece.
                shortened = True
                for stage in (1, 2, 2.5, 3):  # (2.5: a share's last words go before the label's shortest form)
                    lines = shorter(lines, stage)
                    if fits(lines):
                        break
                if fits(lines):
                    break
            lines = [[piece for piece in line if piece[0] != drop] for line in lines]
    return [[(piece[1], piece[2]) for piece in line] for line in lines]


GAUGE = 3  # pieces of this priority or less are shortened before they go
GAUGE_LR = 1.6  # the LR and its share of the limit: they go after a healthy verdict, before the loss


FAR = KINK_SHARE  # a share of the limit shown as "over 100x the limit": a kink, or a run about to blow up


def lr_piece(exp, run: int, lr: str, named: bool = False) -> tuple:
    """The LR and, beside it, its share of the stable limit, as one piece: "lr 0.025 = 125% of limit". Shortened
    last to the LR alone, so that neither is dropped for the other (walkthroughs 14a C6 and 14b D4: lines lost
    "lr 0.5" first). A run that met a sharper point than where it is now reads by where it is now, "lr 0.5 = 35% of
    limit here (135% at its sharpest)", never "135%" beside "improving" (walkthroughs 13a A3, A5 and 13b B7).
    Adaptive optimizers show the LR alone: their share does not say whether the LR is too low or too high, and
    "176% of adaptive limit" beside "improving" read as a contradiction (walkthrough 14b, D3); the effective-LR
    panel and the verdict say it. Where the run's label already `named` its LR ("lr=0.0001"), the LR is the first
    to go (with the label's shortening), and the share stays: "0.1% of limit"."""
    gauge = exp.gauge(run)
    if is_adaptive(exp.spec(run).optimizer) or not math.isfinite(gauge):
        return (GAUGE_LR, lr, "")
    if gauge < 0:  # where the loss curves downwards no step size is unstable: there is no limit to show
        return (GAUGE_LR, f"{lr}, concave here: no lr limit", "dim", ((3, lr),))
    here = exp.gauge_here(run)
    if gauge >= FAR and exp.step_count > 0:  # "8.1e+09% of limit" at Ackley's centre (walkthrough 15)
        if exp.verdict(run) in ("improving", "converged"):
            # Healthy all the same: the sharpness is a kink's, not a blow-up to come ("over 100x the limit" beside
            # "loss 9.86e-09 improving" read as a contradiction: walkthrough 17a, L8)
            return (GAUGE_LR, f"{lr}, over {FAR}x the limit at a kink", "yellow",
                    ((2, f"{lr}, over {FAR}x limit (kink)"), (3, lr)))
        return (GAUGE_LR, f"{lr}, over {FAR}x the limit", "bold red", ((3, lr),))
    if gauge >= 1 and math.isfinite(here) and 0 <= here < 0.9 * gauge:
        # Over 100% by a sharp point met on the way, not where the run is now: why it still trains.
        style = "yellow" if here >= 0.8 else "green"
        shown = f"  {percent(here)} of limit here" if named else f"{lr} = {percent(here)} of limit here"
        return (GAUGE_LR, f"{lr} = {percent(here)} of limit here ({percent(gauge)} at its sharpest)", style,
                # (named: "at sharpest" before the share goes, which lesson 20 is about at 80 columns: 19b, R8)
                ((1, f"{shown} ({percent(gauge)} at its sharpest)"), (2, f"{shown} ({percent(gauge)} at sharpest)"),
                 (2.5, shown)) if named else ((2, shown), (3, lr)))
    style = "bold red" if gauge >= 1 else ("yellow" if gauge >= 0.8 else "green")
    return (GAUGE_LR, f"{lr} = {percent(gauge)} of limit", style,
            ((1, f"  {percent(gauge)} of limit"),) if named else ((3, lr),))


def _wrapped(message: str, width: int | None, lines: int = 3) -> list[str]:
    """The message in lines of the window's width (at most `lines`): a hint at its end is never cut off."""
    if width is None or len(message) + 1 <= width:
        return [message]
    import textwrap

    return textwrap.wrap(message, max(10, width - 2), max_lines=lines, placeholder=" ...")


def run_pieces(view, run: int, palette: PlotPalette, accuracy: LatestAccuracy) -> list[tuple[float, str, str]]:
    exp, session = view.experiment, view.session
    now = view.run(run)
    diverged = now.diverged_at >= 0
    label = visible(now.label)
    swatch = palette.swatch(run)
    pieces = [(1, ">" if run == session.focused else " ", "bold"),
              (1, f"{swatch} {label} ", rich_run_color(run, diverged),
               ((1, f"{swatch} {short_label(label)} "),
                (3, f"{swatch} {arrow_label(short_label(label), palette.ascii_only)} ")))]
    if diverged:
        if now.diverged_at == 0:  # no update has run yet: the start itself is not finite
            pieces.append((1, "  NOT FINITE at the start: change loss.start", "bold red"))
        else:
            pieces.append((1, f"  DIVERGED at step {now.diverged_at}: lr too high", "bold red"))
        return pieces
    if exp.step_count and exp.verdict(run) == "diverged":
        # Judged diverged while its loss is still finite (4.53e+159): the same words as one gone non-finite, at the
        # step of the finding (walkthrough 16a, H11: "lr 0.0697 = 174% of limit  loss 4.53e+159 ... diverged")
        pieces.append((1.5, f"  loss {_num(now.loss)}", ""))
        pieces.append((1, f"  DIVERGED at step {exp.summary(run).step}: lr too high", "bold red"))
        return pieces
    # The LR the next update uses, as the LR chart's "now", the gauge and the diagnosis give it (at the end of the
    # budget too: the last update's LR there read as a second "current" LR beside them, walkthrough 16a, H1)
    lr_now = lr_piece(exp, run, f"  lr {_num(now.lr)}", named=any(
        f"lr{sep}{_num(now.lr)}" in label.split(", now ")[-1] for sep in ("=", " ")))
    pieces.append(lr_now)
    bare_lr = len(lr_now) == 3  # the LR alone, with no share of a limit (an adaptive optimizer's)
    # A mini-batch model's loss is its last batch's, and says so (walkthrough 12b, F10: "loss 0.35" beside a chart
    # ending near 0.1 and a training-set loss of 0.22 in u)
    what = "batch loss" if now.loss_function.is_model and getattr(now.loss_function, "batch_size", None) else "loss"
    # (in the loss chart too: it gives way to a warning). "batch" stays: dropped to fit, "loss 0.35" read as the
    # training loss, which u gives as 0.22 (walkthrough 13, A4 and B1); the verdict's bracket goes instead.
    pieces.append((1.5, f"  {what} {_num(now.loss)}", ""))
    test_acc = accuracy(now)
    if math.isfinite(test_acc):
        pieces.append((1, f"  test acc {100 * test_acc:.1f}%", "bold"))
    pieces.append((5, f"  |g| {_num(now.grad_norm)}", ""))
    if exp.step_count == 0:
        # Nothing trained yet (a start, or a replay after a): "improving" beside "741% of limit" said too much.
        pieces.append((2.9, "  not started", "dim"))
        return pieces
    verdict = exp.verdict(run)  # every run says its verdict, a healthy one too (walkthrough 3: "safe" said nothing)
    style = {"improving": "dim", "converged": "green"}.get(verdict, "yellow")
    # "improving" tells least: in a narrow window it goes after |g| and the LR, but before the gauge (walkthrough 5:
    # "lr 167% of limit (49% here)" with no verdict read as a warning); any other verdict stays
    words = exp.summary(run).words if verdict == "improving" else in_words(verdict)  # ("settled (healthy)")
    # (a run settled over the limit keeps its words as a warning does: "settled" alone at 395% of the limit read as
    # a contradiction of the lesson's "hopping"; walkthrough 18a, N1)
    over = words in (SETTLED_OVER, ABOVE_START, RISING)  # (and one above its start, or rising: walks 21b, 23b)
    # Beside an LR alone (no share of a limit), a healthy verdict outlasts the LR: lesson 19's Adam run at 80
    # columns kept "lr 0.00131" and lost "improving" (walkthrough 24b, B8)
    healthy = 1.55 if bare_lr else 2.9
    pieces.append((1.4 if verdict != "improving" or over else healthy, f"  {words}", style,
                   f"  {words.split(' (')[0]}", 3 if over else 2))
    return pieces


def status_text(view, palette: PlotPalette, run_rows: int = 10, accuracy: LatestAccuracy | None = None,
                width: int | None = None, message_lines: int = 3) -> Text:
    """With a NO_COLOR palette each run is shown with its plot marker, which colour cannot tell apart. Given the
    window's `width`, each run's line drops its least telling numbers rather than cut its verdict, and the
    message wraps onto up to three lines."""
    view = as_view(view)
    session = view.session
    exp = session.experiment
    accuracy = accuracy or LatestAccuracy()
    state = "playing" if session.playing else ("finished" if session.finished else "paused")
    text = Text(no_wrap=True, overflow="crop" if palette.ascii_only else "ellipsis")
    name = visible(session.scenario.name)
    head = [(1, f" {name[:20]} ", "bold")]  # the fields are fitted beside the name's first 20 characters
    if session.lesson:
        head.append((3, f" lesson {session.lesson} of {len(COURSE_ORDER)} ", "dim"))
    head.append((1, f" step {exp.step_count}/{session.scenario.steps}  {state}", ""))
    head.append((4, f"  x{session.speed}", ""))
    rate = session.steps_per_second
    if session.playing and math.isfinite(rate):
        head.append((5, f"  {rate:,.0f} steps/s", "dim"))
    head = _fit(head, width)
    rest = sum(len(t) for t, _ in head[1:])
    if width is not None and len(name) + 2 + rest > width:
        # The speed and the rate go before the name is shortened: the whole name is the lesson's (walkthrough
        # 13a, A9: "Too high: bouncing around a mini…" beside "x10")
        slower = [piece for piece in head if not piece[0].startswith("  x") and not piece[0].endswith(" steps/s")]
        if len(name) + 2 + sum(len(t) for t, _ in slower[1:]) <= width:  # (else the speed stays, the name shortens)
            head, rest = slower, sum(len(t) for t, _ in slower[1:])
    if width is None or len(name) + 2 + rest <= width:
        head[0] = (f" {name} ", head[0][1])
    else:  # the rest of the name gives way before the lesson number, the step and the speed
        room = max(8, width - rest - 2)
        head[0] = (f" {short_title(name, room - 1, '.' if palette.ascii_only else '…')} ", head[0][1])
    for piece, style in head:
        text.append(piece, style=style)
    text.append("\n")
    shown = visible_runs(exp.n_runs, session.focused, run_rows)
    for line in _fit_together([run_pieces(view, run, palette, accuracy) for run in shown], width):
        for piece, style in line:
            text.append(piece, style=style)
        text.append("\n")
    hidden = exp.n_runs - len(shown)
    if hidden:
        above, below = shown.start, exp.n_runs - shown.stop
        where = " and ".join(part for part in (f"{above} above" if above else "", f"{below} below" if below else "")
                             if part)
        text.append(f"  ... {hidden} more run{'s' * (hidden != 1)} ({where}): tab moves through them\n", style="dim")
    if session.message:  # messages quote file names and labels
        text.append("\n".join(f" {line}" for line in _wrapped(visible(session.message), width, message_lines)),
                    style="italic")
    return text


class StatusLine(Panel, Static):
    _shown: Text | None = None
    _accuracy: LatestAccuracy | None = None

    def redraw(self, view) -> None:
        # The status area takes at most a third of the screen (app.tcss: max-height 33%, which Textual rounds
        # down): the head line, the runs (those beyond scroll with tab) and the message fit in it whole.
        width = self.size.width or None
        height = self.screen.size.height
        most = 4 if height >= 24 else 3  # a message's lines: long ones (a fix and where it was tried) stay whole
        message_lines = len(_wrapped(visible(view.session.message), width, most)) if view.session.message else 0
        rows = max(2, height * 33 // 100 - 1 - message_lines)
        if self._accuracy is None:
            self._accuracy = LatestAccuracy()
        text = status_text(view, app_palette(self.app, bool(getattr(self.app, "ascii_only", False))), rows,
                           self._accuracy, width, most)
        if text != self._shown:  # an update re-lays out the screen: only when something changed
            self._shown = text
            self.update(text)
