"""Command palette (Ctrl+P): every key's action, and every scenario the app can open."""

from __future__ import annotations

import dataclasses
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from lrtui.tui.catalog import CatalogEntry, catalog_entries


def key_names(app, binding: Binding) -> str:
    """'n or right': each key of the binding as the Footer and help panel show it."""
    keys = [k.strip() for k in binding.key.split(",") if k.strip()]
    return " or ".join(app.get_key_display(dataclasses.replace(binding, key=k)) for k in keys)


def action_commands(app) -> list[tuple[str, str, str]]:
    """(title, help, action) for each binding of the app, in the order the help panel lists them."""
    commands = []
    for binding in app.BINDINGS:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        commands.append((binding.description, f"key: {key_names(app, binding)}", binding.action))
    return commands


def scenario_title(entry: CatalogEntry) -> str:
    return f"open {entry.title}" if entry.number else f"open scenario {entry.key}"


class LrtuiCommands(Provider):
    """Actions first (what a key does, and which key), then scenarios by name."""

    async def startup(self) -> None:
        self.actions = action_commands(self.app)
        self.entries = catalog_entries(self.app.session.scenarios)

    def _run_action(self, action: str):
        return partial(self.app.run_action, action)

    def _open(self, entry: CatalogEntry):
        return partial(self.app.open_entry, entry)

    async def discover(self) -> Hits:
        for title, help_text, action in self.actions:
            yield DiscoveryHit(title, self._run_action(action), help=help_text)
        for entry in self.entries:
            yield DiscoveryHit(scenario_title(entry), self._open(entry), help=entry.summary)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self.actions:
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), self._run_action(action), text=title, help=help_text)
        for entry in self.entries:
            title = scenario_title(entry)
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), self._open(entry), text=title, help=entry.summary)
