"""The footer: the keys that fit, with `? keys` and `q quit` always among them.

Textual's Footer lays every shown binding out in a row and cuts what does not fit, which, below
80 columns, was `? keys` and `q quit`: the two a newcomer needs. A narrow footer keeps only the
keys of the first minute (play, step, apply fix) beside them; `?` lists the rest.
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW_WIDTH = 80  # below this many columns the footer keeps NARROW_KEYS only
NARROW_KEYS = ("play", "step(1)", "apply_fix", "help", "quit")


class LrtuiFooter(Footer):
    narrow = reactive(False, recompose=True)

    def compose(self):
        shown = 0
        for widget in super().compose():
            if self.narrow and isinstance(widget, FooterKey) and widget.action not in NARROW_KEYS:
                continue
            shown += 1
            yield widget
        if self.narrow:
            self.styles.grid_size_columns = max(1, shown)
