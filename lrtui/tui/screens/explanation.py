"""One diagnosis in full: what was found, the evidence with numbers, the fix and how it fared when tried."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lrtui.core.diagnostics.wording import fix_words
from lrtui.text import visible
from lrtui.tui.widgets.diagnostics_panel import SEVERITY_STYLE, split_message


def tried_text(tried) -> str:
    """How the engine tried the fix, in a sentence: from where, for how long, and what came of it."""
    where = "from the start (a replay of the whole run)" if tried.from_step == 0 else f"from step {tried.from_step:,}"
    verdict = "It helped." if tried.helped else "It did not help enough to suggest it."
    return (f"Tried {fix_words(tried.fix, tried)} {where} for {tried.steps:,} steps, next to the unchanged run: "
            f"{tried.sentence().removeprefix('tried: ')}. {verdict}")


def how_to_apply(d, focused: bool, finished: bool) -> str:
    """What `a` will do with this fix, on the main screen."""
    if not focused:
        return f"Focus run {d.run} with tab, then press a to apply it."
    if d.tried is not None and d.tried.from_step == 0:
        return "Press a on the main screen: every run is replayed from step 0 with the fix on this one."
    if finished:
        # Where the replay starts and where the fix acts, as the message after the first a says (walkthrough 17a, L7:
        # "replay from step 0 with it" here, "from step 25 as it was tried" there, read as a contradiction)
        at = f", with this fix from step {d.tried.from_step:,} as it was tried" if d.tried is not None else " with it"
        return f"The step budget is used up: press a on the main screen to replay every run from step 0{at}."
    return "Press a on the main screen to apply it from the current step."


HEALTHY = ("improving", "converged")


def explanation_text(d, label: str, focused: bool = True, finished: bool = False, now: int | None = None,
                     note: str = "", remembered: str = "") -> Text:
    """The diagnosis in full; `note`, the app's own paragraph after the engine's (why Adagrad stalls);
    `remembered`, a fix the lesson's checks tried in an earlier play, which a applies (Session.remembered_note)."""
    text = Text()
    text.append(f"{d.words} ", style=SEVERITY_STYLE.get(d.severity, "bold"))
    # A healthy verdict is dated now (its step is where it began, 0 for most: "improving at step 0" over a body
    # about the last 45 steps); a finding by the step it was found at, which can come after the event it
    # describes ("by step 40" under "found at step 45"): walkthrough 5.
    when = f"at step {now:,}" if d.code in HEALTHY and now is not None else f"found at step {d.step:,}"
    text.append(f"({d.severity}) {when}, run {d.run}: {visible(label)}\n\n", style="dim")
    what, fared = split_message(d)
    text.append(what + "\n\n", style="bold")
    text.append(d.explanation + "\n")
    if note:
        text.append(f"\n{note}\n")
    if d.fix:
        text.append(f"\nFix: {fix_words(d.fix, d.tried)}\n", style="bold")
    if d.tried is not None:
        text.append(tried_text(d.tried) + "\n")
    elif fared:
        text.append(f"\n{fared}\n")
    if d.fix:
        text.append(how_to_apply(d, focused, finished) + "\n", style="bold")
    elif remembered:
        text.append(f"\n{remembered}\n", style="bold")
    elif d.tried is not None:
        text.append("Nothing tried did much better, so a changes nothing for this finding.\n", style="dim")
    text.append("\nescape to close", style="dim")
    return text


class ExplanationScreen(ModalScreen):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "close")]
    DEFAULT_CSS = """
    ExplanationScreen { align: center middle; }
    ExplanationScreen > VerticalScroll { width: 96%; max-width: 90; height: auto; max-height: 96%;
                                         border: round $primary; background: $surface; padding: 0 1; }
    ExplanationScreen Static { height: auto; }
    """

    def __init__(self, diagnosis, label: str, focused: bool = True, finished: bool = False, now: int | None = None,
                 note: str = "", remembered: str = ""):
        super().__init__()
        self.note, self.remembered = note, remembered
        self.now = now
        self.diagnosis = diagnosis
        self.label = label
        self.for_focused_run = focused  # (a Screen's `focused` is its focused widget)
        self.finished = finished

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(explanation_text(self.diagnosis, self.label, self.for_focused_run, self.finished, self.now,
                                          self.note, self.remembered))

    def on_mount(self) -> None:
        self.call_after_refresh(self._more_hint)
        self.watch(self.query_one(VerticalScroll), "scroll_y", lambda _: self._more_hint(), init=False)

    def on_resize(self) -> None:
        self.call_after_refresh(self._more_hint)

    def _more_hint(self) -> None:
        """Where the text runs past the box, its bottom edge says so: at 80x24 the fix and its key were below the
        first page, with only the scrollbar's thumb to say there was more (walkthrough 21b, V8)."""
        scroll = self.query_one(VerticalScroll)
        below = scroll.max_scroll_y > 0 and scroll.scroll_y < scroll.max_scroll_y
        scroll.border_subtitle = "PgDn more" if below else ""
