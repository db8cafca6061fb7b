"""An LR range test's result: the curve with every rule's pick, and the list of picks to choose from."""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lrtui.core.finder import RULES, RangeTest
from lrtui.find_command import LOG_Y_SPAN, RULE_COLORS
from lrtui.tui.widgets.chart import Chart, Line, Picture

# plotext knows "orange"; Rich calls its nearest colour "dark_orange".
RICH_NAMES = {"orange": "dark_orange"}


def rich_rule_color(rule: str) -> str:
    color = RULE_COLORS[rule]
    return RICH_NAMES.get(color, color)


def finder_picture(result: RangeTest, ascii_only: bool = False) -> Picture:
    """Smoothed loss (and the raw loss, faint) against log10(lr), with a line and a dot at each pick."""
    x = np.log10(result.lr)
    smooth_ok = np.isfinite(result.smoothed)
    if smooth_ok.sum() < 2:
        return Picture(message=f"too few points to draw ({result.stop_reason} after {result.lr.size})")
    # The raw loss can shoot up by decades in the last steps; keep to the smoothed curve's range, and that only
    # up to the test's own stop line (4x the best smoothed loss): the last step that crossed it can be decades
    # above, which left the part of the curve the rules read as one flat row.
    top = float(result.smoothed[smooth_ok].max())
    best = float(result.smoothed[smooth_ok].min())
    factor = float(result.settings.get("diverge_factor", 4.0)) if isinstance(result.settings, dict) else 4.0
    if best > 0 and np.isfinite(factor) and factor > 1:
        top = min(top, factor * best)
    raw_ok = np.isfinite(result.loss) & (result.loss <= top)
    shown = np.concatenate([result.smoothed[smooth_ok & (result.smoothed <= top)], result.loss[raw_ok]])
    log_y = bool(shown.min() > 0 and shown.max() / shown.min() > LOG_Y_SPAN)
    picture = Picture(log_y=log_y, log_x=True)
    low_y = float(shown.min())
    if top > low_y:  # the axis ends at the stop line: a last point beyond it runs off the top
        picture.y_range = (math.log10(low_y), math.log10(top)) if log_y else (low_y, top)
    picture.lines.append(Line(x[raw_ok], result.loss[raw_ok], color="gray"))
    picture.lines.append(Line(x[smooth_ok], result.smoothed[smooth_ok], color="cyan"))
    low = float(x[0])
    for rule in RULES:
        pick = result.picks[rule]
        if pick.lr is None:
            continue
        at = math.log10(pick.lr)
        low = min(low, at)
        # The dot sits on the smoothed curve where the rule looked (for minimum: the lowest point).
        height = float(result.smoothed[pick.index])
        # No legend entry: the list below names each rule in its colour, and a legend would hide the curve.
        picture.vlines.append((at, RULE_COLORS[rule]))
        picture.lines.append(Line(np.array([at]), np.array([height]), color=RULE_COLORS[rule],
                                  marker="o" if ascii_only else "●"))
    picture.x_range = (low, float(x[-1]))
    loss_axis = "loss (log)" if log_y else "loss"
    picture.title = f"{loss_axis} vs lr (log): smoothed, raw in grey; a line per pick"
    return picture


def pick_prompt(result: RangeTest, number: int, rule: str) -> Text:
    pick = result.picks[rule]
    recommended = rule == result.recommended and pick.lr is not None
    text = Text()  # a note too long for the line wraps under it
    text.append(f"{number} ", style="bold")
    text.append(f"{rule:<9}", style=f"bold {rich_rule_color(rule)}")
    if pick.lr is None:
        text.append(f"{'-':<10}", style="dim")
        text.append(pick.reason, style="dim italic")
    else:
        text.append(f"{pick.lr:<10.3g}", style="bold" if recommended else "")
        if recommended:
            text.append("recommended", style="bold reverse")
    return text


class FinderPanel(Vertical):
    """The range test's chart above the list of picks; `show(result)` fills both."""

    DEFAULT_CSS = """
    FinderPanel { height: 1fr; }
    FinderPanel > Chart { height: 1fr; min-height: 5; }
    FinderPanel > OptionList { height: auto; max-height: 50%; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ascii_only = False
        self.result: RangeTest | None = None

    def compose(self) -> ComposeResult:
        yield Chart()
        # One line per rule, in RULES order; rules that abstained are disabled and say why.
        yield OptionList(id="picks")

    def show(self, result: RangeTest) -> None:
        self.result = result
        chart = self.query_one(Chart)
        chart.ascii_only = self.ascii_only
        chart.show(finder_picture(result, self.ascii_only))
        picks = self.query_one("#picks", OptionList)
        picks.clear_options()
        picks.add_options(Option(pick_prompt(result, i + 1, rule), id=rule,
                                 disabled=result.picks[rule].lr is None)
                          for i, rule in enumerate(RULES))
        if result.recommended_lr is not None:
            picks.highlighted = RULES.index(result.recommended)
