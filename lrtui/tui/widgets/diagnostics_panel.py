"""What the engine says about the runs: the focused run's verdict now and why, then the findings, newest first.

The first entry is always the focused run's current verdict in words with the reason (the engine's
summary), once a step was taken. Each finding gives its step, run, severity and message, and on a
second line the fix with how it fared when the engine tried it, or that nothing tried did much better. Enter
explains the highlighted entry in full; `a` applies the focused run's fix. No raw code is ever shown:
codes are put in words by the engine (`in_words`).
"""

from __future__ import annotations

import math
import re

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lrtui.core.diagnostics.wording import fix_words
from lrtui.text import visible
from lrtui.tui.palette import PlotPalette, app_palette, rich_run_color
from lrtui.tui.widgets.chart import to_ascii
from lrtui.tui.widgets.panel import Panel

TITLES = ("diagnostics (enter: explain, a: apply fix)", "diagnostics (enter, a)", "diagnostics")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
VERDICT_STYLE = {"improving": "green", "converged": "bold green"}
NOTHING_HELPED = "; nothing tried did much better"


def split_message(d) -> tuple[str, str]:
    """(what was found, how the fix fared): the engine's message ends with the fix and its try, which the panel
    shows on a line of its own."""
    message = d.message
    tried = d.tried
    if tried is not None and tried.helped and d.fix:
        tail = f"; try {fix_words(tried.fix, tried)} ({tried.sentence()})"
        if message.endswith(tail):
            return message[: -len(tail)], f"fix: {fix_words(d.fix, tried)} ({tried.sentence()})"
    if message.endswith(NOTHING_HELPED):
        best = f" (best: {fix_words(tried.fix, tried)}, {tried.sentence()})" if tried is not None and tried.fix else ""
        return message[: -len(NOTHING_HELPED)], f"nothing tried did much better{best}"
    if tried is not None and not tried.helped:
        return message, f"nothing tried did much better ({tried.sentence()})"
    return message, ""


def without_code(text: str, d) -> str:
    """A message without its leading "too slow: " where the verdict in words says it already."""
    head, sep, rest = text.partition(": ")
    return rest if sep and head in (d.code.replace("_", " "), d.words, d.code) else text


def _shown(text: str, ascii_only: bool) -> str:
    return to_ascii(text) if ascii_only else text


def fix_forms(words: str) -> list[str]:
    """A fix's wordings, longest first, for a panel of two rows (walkthrough 6, lesson 19 at 80x24: "→ a: schedule
    constant, lr" and "→ a: lr x31.6 on the whole" were cut): the schedule's range goes first, then its words."""
    forms = [words]
    if whole := re.fullmatch(r"(lr x\S+) on the whole schedule(, \S+ to \S+)?", words):
        forms += [f"{whole[1]} on the whole schedule", f"{whole[1]} on the schedule", whole[1]]
    if swap := re.fullmatch(r"schedule (\w+), lr = (\S+)", words):
        forms += [f"schedule {swap[1]}, lr {swap[2]}", f"{swap[1]} lr {swap[2]}"]
    return list(dict.fromkeys(forms))


def tried_forms(tried) -> list[str]:
    """What the fix's try ended at, in words short enough to follow the fix on a compact panel's row, longest
    first (walkthrough 12, E10: at 80x24 the two-row panel showed the fix but not what it does, which took
    enter): ": loss 0 vs 3.09 unchanged", ": loss 0 vs 3.09", ": loss 0"."""
    if tried is None or not tried.helped or not math.isfinite(tried.loss):
        return []
    got = f"{tried.measure} {tried.loss:.3g}"  # ("training-set loss" for a mini-batch model's try)
    if tried.baseline_diverged:
        return [f": {got}; the unchanged run diverged", f": {got} vs diverged", f": {got}"]
    against = f"{tried.baseline:.3g}"
    return [f": {got} vs {against} unchanged", f": {got} vs {against}", f": {got}"]


def pace_forms(d) -> list[str]:
    """How long a too-slow run would take at its pace, longest wording first: ", ~8,305 more steps", " (~8,305
    steps)" ([] for another verdict, or unknown). The lesson turns on it, and a compact panel had left it behind
    enter (walkthroughs 23a and 24a, A1: at 80x24 in tmux, whose status bar leaves the box two rows)."""
    steps = d.steps_to_go
    if d.code != "too_slow" or not (isinstance(steps, float) and steps == steps and steps > 0):
        return []
    if steps == float("inf"):
        return [", never at this pace"]
    return [f", ~{steps:,.0f} more steps", f" (~{steps:,.0f} steps)"]


def summary_text(d, label: str, palette: PlotPalette, finished: bool, compact: bool = False,
                 fix: str | None = None, flow: bool = False, named: bool = False, pace: str = "") -> Text:
    """The focused run's verdict now, in words, and why; the fix `a` applies, if the engine found one that helps.
    `compact` (a panel of 2-3 rows, as at 80x24) with a fix: the verdict and the fix only, the why behind enter
    (the why's first words, cut off mid-sentence, had pushed the fix out of view: walkthrough 4). `fix`: the fix in
    other words (one of fix_forms); `flow`: it follows the verdict on the same row rather than on its own; `named`:
    a compact panel says whose verdict it is too (in a lesson of several runs, walkthrough 13a, A7)."""
    ascii_only = palette.ascii_only
    text = Text(overflow="fold")
    text.append(f"{palette.swatch(d.run)} ", style=rich_run_color(d.run))
    if not compact or named:  # (compact, only where it fits: "run 0: " had pushed the fix out, walkthrough 5)
        text.append(f"run {d.run}: ", style="bold")  # now or at the end: the status line says which
    # Compact: the verdict's name alone ("oscillating", not "oscillating (LR too high)"), so that it and the fix
    # fit two rows (walkthrough 6: at 80x24 the words took two and the fix was out of view); enter has the rest.
    words = d.words.split(" (")[0] + pace if compact and d.fix else d.words
    text.append(words, style=VERDICT_STYLE.get(d.code, SEVERITY_STYLE.get(d.severity, "bold")))
    # No label: the run is the focused one, named by the status line in the same colour; the line it took
    # pushed the fix's closing words below a short panel (enter shows the label with the whole explanation).
    what, fared = split_message(d)
    if compact and d.fix:  # the frame's title says "(enter, a)" already
        arrow = "->" if ascii_only else "→"
        text.append(f"{' ' if flow else chr(10)}{arrow} a: {fix or fix_words(d.fix, d.tried)}", style="bold")
        return text
    # Not indented: in a 36-column panel the indent alone took the fix's closing words to a row out of view.
    if (forms := pace_forms(d)) and "more steps" in forms[0]:  # how long, first, as the compact box says it
        text.append(f"{forms[0]} at this pace", style="bold")  # (after the why it was cut off: walkthrough 24a)
    text.append("\n" + _shown(without_code(what, d), ascii_only))
    if d.fix:
        arrow = "->" if ascii_only else "→"
        text.append(f"\n{arrow} a: {fix_words(d.fix, d.tried)}", style="bold")
        if d.tried is not None:
            text.append(f" ({_shown(d.tried.sentence(), ascii_only)})")
    elif fared:
        text.append(f"\n{_shown(fared, ascii_only)}", style="dim")
    return text


def diagnosis_line(d, palette: PlotPalette) -> Text:
    """One finding: step, run, severity and what was found; then the fix and its try, or that none helped."""
    ascii_only = palette.ascii_only
    text = Text(no_wrap=True, overflow="crop" if ascii_only else "ellipsis")
    # "step 175", not a bare "175" that nothing on screen explained (walkthrough 13b, B5)
    text.append(f"step {d.step:,} ", style="dim")
    # Every run's findings are listed: each says whose (walkthrough 5: run 3's "LR 0.00052" read as run 0's).
    # A warning is the usual finding: only an error or an info says its kind, so that the words fit.
    text.append(f"{palette.swatch(d.run)} run {d.run} ", style=rich_run_color(d.run))
    if d.severity != "warning":
        text.append(f"{d.severity} ", style=SEVERITY_STYLE.get(d.severity, ""))
    what, fared = split_message(d)
    text.append(_shown(what, ascii_only))
    if fared:
        text.append("\n  " + _shown(fared, ascii_only), style="bold" if d.fix else "dim")
    return text


COMPACT_ROWS = 4  # a panel this short (its frame included) shows the verdict and the fix, the why behind enter


class DiagnosticsPanel(Panel, OptionList):
    """The focused run's verdict, then the findings, newest first; enter shows one in full."""

    DEFAULT_CSS = "DiagnosticsPanel { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = TITLES[0]
        self.findings: list = []  # as listed, newest first
        self.entries: list = []  # what each option explains: the summary (or None before a step), then findings
        self._shown: tuple | None = None  # what the options were built from
        self._summary_text: Text | None = None

    def _wrapped(self, text: Text) -> Text:
        region = self.scrollable_content_region
        # Room for the scroll bar, which comes once the findings outgrow the panel (and narrows every line).
        width = region.width - (0 if self.show_vertical_scrollbar else self.styles.scrollbar_size_vertical)
        return wrap_to(text, width, self.app.console) if region.width else text

    def action_select(self) -> None:
        """enter: the highlighted verdict or finding explained; before any, a word on why there is none (it had
        done nothing, silently: walkthrough 20b, T4)."""
        if self.highlighted is None or not self.entries or self.entries[self.highlighted] is None:
            session = getattr(self.app, "session", None)
            if session is not None:
                session.message = ("nothing to explain yet: the engine judges each run as it trains; step (n) or play "
                                   "(space), then enter")
                self.app.redraw()
            return
        super().action_select()

    def _clipped(self, text: Text, ascii_only: bool) -> Text:
        """The verdict cut to the rows the panel shows, its last row saying that enter has the rest: cut mid-sentence
        with no sign of more, "loss 4.48, falling only" read as the whole of it (walkthrough 19b, R4)."""
        region = self.scrollable_content_region
        rows, width = region.height, region.width - self.styles.scrollbar_size_vertical
        lines = text.split("\n")
        if rows < 1 or width < 12 or len(lines) <= rows:
            return text
        # The fix stays whole where it fits: the why before it gives way (a in the frame's title applies it)
        fix = next((i for i, line in enumerate(lines) if line.plain.startswith(("→ a:", "-> a:"))), len(lines))
        kept = [] if len(lines) - fix > rows - 1 else list(lines[fix:])
        head = list(lines[:rows - len(kept)])
        tail = " ... enter" if ascii_only else " … enter"
        last = head[-1]
        room = max(1, width - len(tail))
        if len(last.plain) > room:  # at a word's end: "falling 1% p … enter" (walkthrough 20b, T7)
            space = last.plain.rfind(" ", 0, room + 1)
            room = space if space > room // 2 else room
        last.truncate(room)
        last.rstrip()
        last.append(tail, style="dim")
        out = Text("\n").join([*head, *kept])
        out.no_wrap = True
        return out

    def redraw(self, view) -> None:
        # A border title wider than the box is cut with "…": pick one that fits (and stays ASCII).
        width = self.size.width or 80
        self.border_title = next(t for t in TITLES if len(t) + 4 <= width or t == TITLES[-1])
        session = view.session
        exp = session.experiment
        findings = exp.diagnoses()[::-1]
        run = session.focused
        started = exp.step_count > 0
        shown = (exp, run, started, self.size.height, tuple((d.run, d.code, d.step, d.message) for d in findings))
        palette = app_palette(self.app, bool(getattr(self.app, "ascii_only", False)))
        summary = exp.summary(run) if started else None
        compact = 0 < self.size.height <= COMPACT_ROWS
        if summary is None:
            summary_text = self._wrapped(Text("step (n) or play (space): the engine judges each run as it trains",
                                              style="dim"))
        elif compact and summary.fix:
            summary_text = fitting_summary(summary, view.run(summary.run).label, palette, view.session.finished,
                                           self._wrapped, self.scrollable_content_region.height, exp.n_runs > 1)
        else:
            summary_text = self._clipped(self._wrapped(summary_text_of(summary, view, palette, compact)),
                                         palette.ascii_only)
        if shown == self._shown:
            # The verdict now, for enter, even where its words here stay the same (a compact panel shows the
            # verdict and fix only: its explanation had kept the loss and steps left of an early frame).
            self.entries[0] = summary
            if summary_text != self._summary_text:  # the verdict's numbers move every step: one option changes
                self._summary_text = summary_text
                self.replace_option_prompt_at_index(0, summary_text)
            return
        self._shown, self._summary_text = shown, summary_text
        self.findings = findings
        self.entries = [summary, *findings]
        highlighted = self.highlighted
        self.clear_options()
        self.add_option(Option(summary_text, disabled=summary is None))
        self.add_options(Option(diagnosis_line(d, palette)) for d in findings)
        if summary is None and not findings:
            return
        first = 0 if summary is not None else 1
        self.highlighted = first if highlighted is None else max(first, min(highlighted, len(self.entries) - 1))


def fitting_summary(summary, label: str, palette: PlotPalette, finished: bool, wrap, rows: int,
                    several: bool = False) -> Text:
    """The compact verdict and fix in `rows` rows (`wrap` breaks a text into the panel's lines): the longest wording
    of the fix that fits, with what its try ended at where that fits too, on a row of its own or after the verdict;
    where none fits, the one that takes fewest rows. With `several` runs, each wording is tried first naming the run."""
    best = None
    # A too-slow run's pace first ("too slow, ~8,305 more steps"): how long it would take is the lesson, before the
    # run's name and the try's result. Only with the fix on a row of its own.
    for pace in pace_forms(summary) + [""]:
        for words in fix_forms(fix_words(summary.fix, summary.tried)):
            for named in ((True, False) if several else (False,)):
                # The try's result and the run's name only with the fix on a row of its own: after the verdict the
                # fix was broken mid-way ("■ run 1: too slow → a: lr").
                for fix, flow in [(words + tail, False) for tail in tried_forms(summary.tried)] + [(words, False)] + (
                        [] if named or pace else [(words, True)]):
                    text = wrap(summary_text(summary, label, palette, finished, True, fix, flow, named, pace))
                    lines = len(text.plain.splitlines())
                    if lines <= max(1, rows):
                        return text
                    if best is None or lines < best[0]:
                        best = (lines, text)
    return best[1]


def wrap_to(text: Text, width: int, console) -> Text:
    """`text` broken into lines of at most `width` cells here, so that the option list counts the rows it draws (it
    measured a 27-character verdict as one row in a 26-column panel and left out the fix below it)."""
    if width < 8:
        return text
    lines = text.wrap(console, width)
    out = Text("\n").join(lines)
    out.no_wrap = True
    return out


def summary_text_of(summary, view, palette: PlotPalette, compact: bool = False) -> Text:
    return summary_text(summary, view.run(summary.run).label, palette, view.session.finished, compact)
