"""The lesson: its place in the course, what to try and watch (first, so it shows at any size), then why.

`d` cycles the whole text, the task alone, and nothing. The text scrolls with PgDn and PgUp (and
the mouse wheel) when it is longer than the panel; the border names the lesson above and the keys below,
so that every row inside is the lesson's.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lrtui.scenario.challenges import challenge_for
from lrtui.scenario.library import COURSE_ORDER
from lrtui.scenario.summary import lesson_parts
from lrtui.text import short_title, visible
from lrtui.tui.widgets.chart import to_ascii
from lrtui.tui.widgets.panel import Panel

HINTS = {"full": "PgDn more  d task only", "task": "PgDn more  d hide"}
END_HINTS = {"full": "d task only  ? keys  g glossary", "task": "PgDn all of it  d hide"}


def lesson_title(view, width: int | None = None) -> str:
    """The frame's title: the lesson's number and name, its name shortened to whole words where the frame of
    `width` is narrower (the whole name then heads the explanation)."""
    session = view.session
    number = f"{session.lesson}/{len(COURSE_ORDER)} " if session.lesson else ""
    name = visible(session.scenario.name)
    if width:
        name = short_title(name, max(4, width - 6 - len(number)), "..." if view.ascii_only else "…")
    title = number + name
    return to_ascii(title) if view.ascii_only else title


def lesson_text(view, name_line: bool = False) -> Text:
    """The task (and challenge) first, then the explanation; with `name_line`, the lesson's whole name heads the
    explanation (the panel's frame cuts a long one: "1/23 Too high: bouncing around a …")."""
    session = view.session
    scenario = session.scenario
    # A user's file may hold control characters (the loader refuses them, and a file can change while open):
    # they are shown as text, never sent to the terminal.
    explanation, task = lesson_parts(visible(scenario.description, keep="\n\t"))
    if not task:  # a file of the user's with no "Try ..." or "Watch ..." sentence: all of it is the lesson
        explanation, task = "", explanation
    text = Text()
    text.append(task or "(no description)", style="bold italic")
    challenge = challenge_for(scenario.source) if session.lesson else None
    if challenge is not None:
        text.append(f"\nChallenge: {challenge.text}; u shows how you did.", style="bold")
    if view.description == "full" and explanation:
        if name_line:
            text.append("\n" + visible(scenario.name), style="bold")
        text.append("\n" + explanation)
    if view.ascii_only:  # a user's file may hold any glyph
        text = Text.assemble(*((to_ascii(span_text), style) for span_text, style in _spans(text)))
    return text


def _spans(text: Text):
    """(text, style) pieces of a Text, in order."""
    plain, spans = text.plain, sorted(text.spans, key=lambda s: s.start)
    at = 0
    for span in spans:
        if span.start > at:
            yield plain[at:span.start], ""
        yield plain[span.start:span.end], span.style
        at = span.end
    if at < len(plain):
        yield plain[at:], ""


class DescriptionPanel(Panel, VerticalScroll):
    DEFAULT_CSS = "DescriptionPanel > Static { height: auto; }"
    can_focus = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._shown: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-text")

    def applies(self, view) -> bool:
        return view.description != "off"

    def redraw(self, view) -> None:
        # The frame's whole width: the content's left out its border, padding and scroll bar, and titles with room
        # to spare were cut ("10/23 Cosine with warm…" in a 38-column frame: walkthrough 16a, H8). 6: the corners,
        # and a dash and a space each side of the title.
        width = self.outer_size.width
        title = lesson_title(view, width)
        text = lesson_text(view, name_line=title != lesson_title(view))
        if text != self._shown or title != self.border_title:  # an update re-lays out the screen: only on a change
            if self._shown is None or title != self.border_title or self._shown.plain.split("\n", 1)[0] != \
                    text.plain.split("\n", 1)[0]:
                self.scroll_home(animate=False)
            self._shown = text
            self.border_title = title
            self.query_one("#lesson-text", Static).update(text)
        self._mode = view.description
        self._hint()

    def _hint(self) -> None:
        """The bottom border: PgDn while there is more below, else the other keys."""
        mode = getattr(self, "_mode", "full")
        more = self.at_more()
        self.border_subtitle = (HINTS if more else END_HINTS).get(mode, "")

    def at_more(self) -> bool:
        """Whether the text goes on below what the panel shows."""
        return self.max_scroll_y > 0 and self.scroll_y < self.max_scroll_y

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._hint()

    def on_resize(self) -> None:
        self.call_after_refresh(self._hint)
