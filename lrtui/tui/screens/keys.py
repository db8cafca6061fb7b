"""`?` (or F1): the app's own keys first, grouped by what they do, then a glossary, then Textual's keys.

`g` opens the same screen at the glossary: the words the panels use ("% of limit", sharpness,
the dotted theory curve, the landscape's marks).
"""

from __future__ import annotations

import textwrap

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
    ("View", ("toggle_log", "toggle_smoothing", "toggle_description", "scroll_description", "zoom", "help", "glossary")),
    ("Lessons and files", ("scenario", "browse", "export", "save_scenario", "quit")),
)
GLOSSARY = (
    ("learning rate (lr)", "how far each update moves the parameters along the negative gradient"),
    ("sharpness, λ", "the loss's largest curvature (top Hessian eigenvalue) where the run is now: how steep "
                     "the steepest direction bends"),
    ("stable limit", "the largest lr at which the steepest direction still shrinks instead of bouncing outward: "
                     "2/λ for plain gradient descent (SGD), (2 + 2β)/λ with momentum β"),
    ("P⁻¹H", "the curvature as an adaptive optimizer (Adam, RMSProp, Adagrad) sees it: the Hessian H divided, "
             "parameter by parameter, by the step-size denominator P = √v̂ + ε it keeps. Its top eigenvalue is "
             "their λ, and their limit is 2/λ (Adagrad), (2 + 2β)/λ (RMSProp) or (2 + 2β1)/((1 - β1)λ) (Adam)"),
    ("% of limit", "lr × the largest sharpness met so far, as a share of the optimizer's limit. Exact on "
                   "quadratics: over 100% the steepest direction bounces outward. It keeps the sharpest point the "
                   "run has met, so a run that passed through a sharp region early can read over 100% while it "
                   "improves now: then the status line gives the share by the sharpness where the run is now, \"lr "
                   "0.0015 = 56% of limit here (157% at its sharpest)\". Read it as a warning, and the verdict as "
                   "the judgement"),
    ("over 100x the limit", "a share of the limit of 100 times or more on a run that has not blown up: the "
                            "loss has a corner (a kink, as at Ackley's centre), where its curvature has no "
                            "bound, so no LR is stable there and the run bounces around it, the closer the "
                            "smaller the LR; or the run is about to blow up"),
    ("% of adaptive limit", "the same share for Adam, RMSProp and Adagrad, by λ of P⁻¹H. Their P follows their "
                            "own steps, so they often settle near or past 100% and still improve, and a larger lr "
                            "moves the limit too: it does not say whether lr is too low or too high. Read the "
                            "verdict, and the effective-LR panel. The status line shows their LR without it"),
    ("concave here: no lr limit", "the status line's word where the loss curves downward in every direction "
                                  "the run could step (a hilltop or the start of a slope): no step size is "
                                  "unstable there, so there is no limit to show yet"),
    ("dotted theory curve", "the loss theory predicts for SGD on a quadratic, from the LRs the run used: "
                            "the run should lie on it"),
    ("theory, best lr", "the dotted curve of plain SGD at the fastest constant LR on this quadratic, "
                        "2/(λmax + λmin), where its steepest and flattest directions shrink at the same rate; "
                        "drawn when the focused run's LR is under a tenth of it"),
    ("test dotted", "on data models, the dotted line is the loss on held-out test data"),
    ("smoothed (m)", "the loss curves as an exponential moving average, the raw loss faint behind; the numbers "
                     "in the status line and the diagnostics are always the raw loss"),
    ("x at the top", "where a diverged run's loss left the linear loss chart; l switches to log10 to show how "
                     "far it went"),
    ("v at the bottom", "where the losses span over ten decades, the automatic log axis (\"log10, auto\" in the "
                        "title) reaches a decade or two below where the runs that have not converged are now, so "
                        "that a bouncing run stays a band beside one converging to 1e-30: a converged run that falls "
                        "further goes along the bottom edge from the v, and the title says from which step. l twice "
                        "(linear, then log10) gives a log axis down to the lowest loss, with no floor (in a short "
                        "chart its ticks skip decades)"),
    ("planned LR (dashed)", "the schedule's LR for the steps still to come, dashed in the run's colour (grey "
                            "dots with over three runs, or --ascii); a plateau schedule cuts when the loss stalls, "
                            "which no plan knows, so its dashes stay flat. The LR chart is linear, from 0, "
                            "where the runs' LRs are within twofold of each other and seldom near 0, so a cosine "
                            "looks like one; else log10, where each tenfold cut is a step of its own"),
    ("settled", "a healthy run whose loss has gone level, where nothing the checks tried did much better. \"settled "
                "(over the limit)\": its LR is past the stable limit where it is, so it cannot rest and hops "
                "about, its loss level on average"),
    ("near its limit", "\"improving (slow, near its limit)\": an SGD run that needs more steps than its budget, "
                       "where a larger LR would pass the stable limit: the steepest direction caps the LR and the "
                       "flattest crawls (an adaptive optimizer is not held back this way)"),
    ("above its start", "\"improving (above its start)\": falling, but still above the loss it started at. It "
                        "climbed first, which an LR too large for where it was usually does; the checks try only "
                        "larger LRs for a falling run, so try a smaller one yourself (-)"),
    ("rising from its best", "a healthy run whose loss has climbed back up from its lowest over the last window: it "
                             "has turned unstable where it is. No check blames the LR (they try larger ones), so a "
                             "lower LR (-) or a schedule that lowers it toward the end (s) is yours to try"),
    ("effective LR per parameter", "for adaptive optimizers, the step size each parameter really gets "
                                   "(lr/√v̂ for Adam and RMSProp, lr/√(sum of g²) for Adagrad). The key row names "
                                   "the lines in their colours: max, the parameter with the largest step; median; "
                                   "min, the smallest; lr dotted, the LR you set. The step axis is logarithmic "
                                   "(1, 10, 1e2 ...), so the first updates, where Adagrad's sum jumps, get room. "
                                   "'now median = lr/415' says the typical parameter moves 415 times less than lr "
                                   "would say; the gap between max and min is how unevenly the optimizer treats "
                                   "the parameters. In short windows the LR chart draws max and min over the "
                                   "planned LR instead"),
    ("vertical lines", "grey: your changes (lr, optimizer, schedule, fork); yellow: the schedule's own cuts"),
    ("landscape ★", "a minimum of the loss (Himmelblau's function, lessons 1 and 20, has four, all at loss 0; "
                    "the ★ min at the top is the key, not a fifth)"),
    ("landscape ●", "where each run is now"),
    ("landscape ·", "where a run has been; the bands are loss levels, dark = low"),
    ("verdicts", "diverged, oscillating, too slow, improving, converged, plateau, local minimum, "
                 "schedule too aggressive: the engine's judgement of each run, with its evidence (enter)"),
    ("the description", "PgDn and PgUp scroll the lesson's text; d shows the task alone, then hides it"),
)
# Keys that belong to one panel or screen (not in the app's bindings, so listed here).
PANEL_KEYS = (("enter", "on the main screen: explain the focused run's diagnosis, with its evidence"),
              ("f, then v", "in the LR finder: check each pick by training it, with a grid of LRs"),
              ("f, then 1-5/enter", "in the LR finder: apply that pick to the focused run"),
              ("u, then r / R / ]", "in the outcome table: replay with your changes, reset, next lesson"),
              ("u, then PgDn / PgUp", "in the outcome table: scroll it when its frame says PgDn more"))
TEXTUAL_KEYS = (("ctrl+p", "command palette: every action, every lesson, the theme"), ("ctrl+q", "quit"),
                ("tab / shift+tab", "in screens with lists: move between them"), ("escape", "close a screen"))


def _group_of(action: str) -> str:
    name = action.split("(")[0]
    return next((title for title, actions in GROUPS if name in actions), "More")


def _entry(text: Text, head: str, body: str, indent: int, width: int | None) -> None:
    """One entry: `head` in bold, then `body`; with a `width`, the body's later lines start `indent` columns in, so
    that a wrapped entry reads as one (walkthrough D98: its lines ran back to the left edge, under the keys)."""
    text.append(head, style="bold")
    if width is None or width <= indent + 12:
        text.append(f"{body}\n")
        return
    wrapper = textwrap.TextWrapper(width=width, initial_indent=" " * len(head), subsequent_indent=" " * indent,
                                   break_on_hyphens=False)
    lines = wrapper.wrap(body) or [" " * len(head)]
    text.append(lines[0][len(head):] + "\n")
    for line in lines[1:]:
        text.append(line + "\n")


def keys_text(app, width: int | None = None) -> Text:
    """The whole help; `width`: the columns it is shown in, to which each entry is wrapped with a hanging indent."""
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
            _entry(text, f"  {keys:<16}", description, 18, width)
    text.append("In panels and screens\n", style="bold underline")
    for keys, description in PANEL_KEYS:
        _entry(text, f"  {keys:<20}", description, 22, width)
    text.append("\nGlossary\n", style="bold underline")
    for term, meaning in GLOSSARY:
        _entry(text, f"  {term}: ", meaning, 4, width)
    text.append("\nTextual's own keys\n", style="bold underline")
    for keys, description in TEXTUAL_KEYS:
        _entry(text, f"  {keys:<16}", description, 18, width)
    text.append("\nescape, ? or q closes; g goes to the glossary", style="dim")
    return text


class KeysScreen(ModalScreen):
    # g inside the help goes to its glossary: it had closed the help, with no glossary (walkthrough 23a, Y13)
    BINDINGS = [Binding("escape,question_mark,f1,q", "dismiss", "close"), Binding("g", "glossary", "glossary")]
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

    def _width(self) -> int | None:
        scroll = self.query_one("#keys-scroll")
        # (one column kept for the scroll bar, which the long text always brings)
        return scroll.scrollable_content_region.width - 1 if scroll.scrollable_content_region.width > 20 else None

    def on_mount(self) -> None:
        self.call_after_refresh(self._rewrap)
        if self.at_glossary:
            self.call_after_refresh(self._to_glossary)

    def on_resize(self) -> None:
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        width = self._width()
        if width != getattr(self, "_wrapped_at", None):
            self._wrapped_at = width
            self.query_one("#keys-text", Static).update(keys_text(self.app, width))

    def action_glossary(self) -> None:
        self._to_glossary()

    def _to_glossary(self) -> None:
        plain = keys_text(self.app, self._width()).plain
        line = plain[: plain.index("\nGlossary")].count("\n") + 1
        self.query_one("#keys-scroll").scroll_to(0, line, animate=False)
