"""The lesson: its place in the course, what to try and watch (first, so it shows at any size), then why.

`d` cycles the whole text, the task alone, and nothing. The text scrolls (mouse wheel) when it
is longer than the panel.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from lrtui.scenario.challenges import challenge_for
from lrtui.scenario.library import COURSE_ORDER
from lrtui.scenario.summary import lesson_parts
from lrtui.text import visible
from lrtui.tui.widgets.chart import to_ascii
from lrtui.tui.widgets.panel import Panel

HINTS = {"full": "d: the task alone   ? keys   g glossary", "task": "d: hide   ? keys   g glossary"}


def lesson_text(view) -> Text:
    session = view.session
    scenario = session.scenario
    # A user's file may hold control characters (the loader refuses them, and a file can change while open):
    # they are shown as text, never sent to the terminal.
    explanation, task = lesson_parts(visible(scenario.description, keep="\n\t"))
    if not task:  # a file of the user's with no "Try ..." or "Watch ..." sentence: all of it is the lesson
        explanation, task = "", explanation
    text = Text()
    if session.lesson:
        text.append(f"{session.lesson}/{len(COURSE_ORDER)} ", style="dim")
    text.append(visible(scenario.name) + "\n", style="bold")
    text.append(task or "(no description)", style="bold italic")
    challenge = challenge_for(scenario.source) if session.lesson else None
    if challenge is not None:
        text.append(f"\nChallenge: {challenge.text}; u shows how you did.", style="bold")
    if view.description == "full" and explanation:
        text.append("\n" + explanation)
    text.append("\n" + HINTS.get(view.description, ""), style="dim")
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
        text = lesson_text(view)
        if text != self._shown:  # an update re-lays out the screen: only when something changed
            if self._shown is None or self._shown.plain.split("\n", 2)[:2] != text.plain.split("\n", 2)[:2]:
                self.scroll_home(animate=False)
            self._shown = text
            self.query_one("#lesson-text", Static).update(text)
