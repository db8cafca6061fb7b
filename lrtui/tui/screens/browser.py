"""The scenario browser: the scenarios the app was given and the built-in library, one line each."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lrtui.scenario.library import CHAPTER
from lrtui.tui.catalog import CatalogEntry
from lrtui.tui.widgets.chart import to_ascii


def entry_prompt(entry: CatalogEntry, current: bool, ascii_only: bool = False) -> Text:
    text = Text(no_wrap=True, overflow="crop" if ascii_only else "ellipsis")
    text.append("> " if current else "  ", style="bold")
    text.append(f"{entry.number:>2}. " if entry.number else "    ", style="dim")
    text.append(entry.key, style="bold")
    text.append("  " + (to_ascii(entry.summary) if ascii_only else entry.summary), style="dim")
    return text


class BrowserScreen(ModalScreen):
    """Lists scenarios; `enter` opens the highlighted one, `escape` closes."""

    BINDINGS = [Binding("escape", "dismiss", "close")]
    DEFAULT_CSS = """
    BrowserScreen { align: center middle; }
    BrowserScreen > Vertical { width: 90%; max-width: 140; height: 90%; border: round $primary;
                               background: $surface; padding: 0 1; }
    BrowserScreen OptionList { height: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    BrowserScreen #browser-title { height: auto; }
    BrowserScreen #browser-error { height: auto; color: $error; }
    """

    def __init__(self, entries: list[CatalogEntry], current_index: int):
        super().__init__()
        self.entries = entries
        self.current_index = current_index

    def compose(self) -> ComposeResult:
        options = []
        builtins_started = False
        chapter = ""
        for i, entry in enumerate(self.entries):
            if entry.builtin and not builtins_started:  # a rule between the learner's own files and the course
                builtins_started = True
                if options:
                    options.append(None)
            # The course's chapters as headings, as `lrtui list` has them (walkthrough 13, A13 and B12: a flat list
            # of 23 did not say where the schedules or the diagnosing lessons begin).
            if entry.builtin and entry.number and CHAPTER.get(entry.key, "") != chapter:
                chapter = CHAPTER[entry.key]
                options.append(Option(Text(f"{chapter}:", style="bold underline"), disabled=True))
            current = entry.session_index == self.current_index
            ascii_only = bool(getattr(self.app, "ascii_only", False))
            options.append(Option(entry_prompt(entry, current, ascii_only), id=f"entry-{i}"))
        with Vertical():
            yield Static(Text.assemble(("Scenarios", "bold"), ("  enter opens, escape closes", "dim")),
                         id="browser-title")
            yield OptionList(*options, id="browser-list")
            yield Static("", id="browser-error")

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        current = next((i for i, e in enumerate(self.entries) if e.session_index == self.current_index), 0)
        listing.highlighted = listing.get_option_index(f"entry-{current}")
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = self.entries[int(event.option.id.removeprefix("entry-"))]
        error = self.app.open_entry(entry)
        if error:
            self.query_one("#browser-error", Static).update(Text(error))
        else:
            self.dismiss()
