"""The footer: the keys that fit, with `? keys` and `q quit` always among them.

Textual's Footer lays every shown binding out in a row and cuts what does not fit, which, below
80 columns, was `? keys` and `q quit`: the two a newcomer needs. A narrow footer shows the keys
in NARROW_KEYS, with short labels, in priority order while they fit: play, step, the LR keys the
lessons' tasks use (walkthrough 6: at 60x20 `+` and `-` were gone), apply fix, keys and quit; then
the finder where there is room. `?` lists the rest.
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW_WIDTH = 80  # below this many columns the footer keeps NARROW_KEYS only
# action: the label at narrow widths, most needed first ("help" and "quit" are never left out).
NARROW_KEYS = {"help": "keys", "quit": "quit", "play": "play", "step(1)": "step", "scale_lr(2)": "lr x2",
               "scale_lr(0.5)": "lr /2", "apply_fix": "fix", "finder": "finder"}


def narrow_keys(keys: list[tuple[str, str]], room: int) -> set[str]:
    """The actions of `keys` ((action, key shown)) to show in `room` columns: NARROW_KEYS, most needed first, while
    they fit (a compact footer key is "key label", one column between keys)."""
    present = dict(keys)
    chosen: set[str] = set()
    used = -1
    for action, label in NARROW_KEYS.items():
        if action not in present:
            continue
        width = len(present[action]) + 1 + len(label) + 1
        if used + width <= room or action in ("help", "quit"):
            chosen.add(action)
            used += width
    return chosen


class LrtuiFooter(Footer):
    narrow = reactive(False, recompose=True)
    room = reactive(0, recompose=True)  # the footer's columns while narrow

    def compose(self):
        widgets = list(super().compose())
        if self.narrow:
            keys = [(w.action, w.key_display) for w in widgets if isinstance(w, FooterKey)]
            shown = narrow_keys(keys, self.room or NARROW_WIDTH - 1)
            widgets = [w for w in widgets if not isinstance(w, FooterKey) or w.action in shown]
            for widget in widgets:
                if isinstance(widget, FooterKey) and widget.action in NARROW_KEYS:
                    widget.description = NARROW_KEYS[widget.action]
            self.styles.grid_size_columns = max(1, len(widgets))
        yield from widgets
