"""The base of the main screen's panels: the screen asks each whether it applies, then has it redraw.

A mixin placed first among a widget's bases (`class LossPanel(Panel, Chart)`), so the screen finds
every panel with `query(Panel)` and none needs to be listed by hand.
"""

from __future__ import annotations


class Panel:
    ALLOW_MAXIMIZE = True  # `z` zooms a chart panel to the whole main area (MainScreen.cycle_zoom)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Textual matches a type selector against the DOMNode bases' names; a mixin adds its own.
        cls._css_type_names = frozenset(getattr(cls, "_css_type_names", frozenset()) | {"Panel"})

    def on_resize(self) -> None:
        # What a panel draws depends on its size (titles, legends, columns): draw again at the new one.
        redraw_soon = getattr(self.app, "redraw_soon", None)
        if redraw_soon is not None:
            redraw_soon()

    def applies(self, view) -> bool:
        """Whether the panel has something to show for this view (else the screen hides it)."""
        return True

    def redraw(self, view) -> None:
        raise NotImplementedError
