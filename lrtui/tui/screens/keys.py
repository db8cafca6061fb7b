"""`?` (or F1): the app's own keys first, grouped by what they do, then a glossary, then Textual's keys.

`g` opens the same screen at the glossary: the words the panels use ("% of limit", sharpness,
the dotted theory curve, the landscape's marks).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lrtui.tui.commands import key_names

# Groups by action (the part before any "("); a binding in none of them is listed under "More".
GROUPS = (
    ("Play", ("play", "step", "speed")),
    ("Learning rate", ("scale_lr", "finder", "apply_fix")),
    ("Runs", ("focus_run", "cycle_optimizer", "cycle_schedule", "fork", "replay", "reset", "outcomes", "torch_script")),
    ("View", ("toggle_log", "toggle_smoothing", "toggle_description", "scroll_description", "help", "glossary")),
    ("Lessons and files", ("scenario", "browse", "export", "save_scenario", "quit")),
)
GLOSSARY = (
    ("learning rate (lr)", "how far each update moves the parameters along the negative gradient"),
    ("sharpness, λ", "the loss's largest curvature (top Hessian eigenvalue) where the run is now"),
    ("stable limit", "the largest lr that does not bounce outward along the sharpest direction: 2/λ for plain "
                     "gradient descent, (2 + 2β)/λ with momentum β"),
    ("% of limit", "lr x sharpness against that limit; over 100% the steep direction oscillates outward"),
    ("dotted theory curve", "the loss theory predicts for SGD on a quadratic, from the LRs the run used: "
                            "the run should lie on it"),
    ("test dotted", "on data models, the dotted line is the loss on held-out test data"),
    ("planned LR (dotted)", "the schedule's LR for the steps still to come"),
    ("vertical lines", "grey: your changes (lr, optimizer, schedule, fork); yellow: the schedule's own cuts"),
    ("landscape ★", "a minimum of the loss"),
    ("landscape ●", "where each run is now"),
    ("landscape ·", "where a run has been; the bands are loss levels, dark = low"),
    ("verdicts", "diverged, oscillating, too slow, improving, converged, plateau, local minimum, "
                 "schedule too aggressive: the engine's judgement of each run, with its evidence"),
)
TEXTUAL_KEYS = (("ctrl+p", "command palette: every action, every lesson, the theme"), ("ctrl+q", "quit"),
                ("tab / shift+tab", "in screens with lists: move between them"), ("escape", "close a screen"))


def _group_of(action: str) -> str:
    name = action.split("(")[0]
    return next((title for title, actions in GROUPS if name in actions), "More")


def keys_text(app) -> Text:
    text = Text()
    rows: dict[str, list[tuple[str, str]]] = {title: [] for title, _ in GROUPS}
    rows["More"] = []
    for binding in app.BINDINGS:
        if isinstance(binding, Binding) and binding.description:
            rows[_group_of(binding.action)].append((key_names(app, binding), binding.description))
    for title, entries in rows.items():
        if not entries:
            continue
        text.append(f"{title}\n", style="bold underline")
        for keys, description in entries:
            text.append(f"  {keys:<16}", style="bold")
            text.append(f"{description}\n")
    text.append("\nGlossary\n", style="bold underline")
    for term, meaning in GLOSSARY:
        text.append(f"  {term}: ", style="bold")
        text.append(f"{meaning}\n")
    text.append("\nTextual's own keys\n", style="bold underline")
    for keys, description in TEXTUAL_KEYS:
        text.append(f"  {keys:<16}", style="bold")
        text.append(f"{description}\n")
    text.append("\nescape, ? or q closes", style="dim")
    return text


class KeysScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,f1,q,g", "dismiss", "close")]
    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    KeysScreen > Vertical { width: 90%; max-width: 110; height: 90%; border: round $primary;
                            background: $surface; padding: 0 1; }
    """

    def __init__(self, at_glossary: bool = False):
        super().__init__()
        self.at_glossary = at_glossary

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="keys-scroll"):
                yield Static(keys_text(self.app), id="keys-text")

    def on_mount(self) -> None:
        if self.at_glossary:
            plain = keys_text(self.app).plain
            line = plain[: plain.index("\nGlossary")].count("\n") + 1
            self.call_after_refresh(self.query_one("#keys-scroll").scroll_to, 0, line, animate=False)
