"""The app as the snapshot tests see it: a fixed scenario list, no clock-driven stepping."""

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp


class SnapshotApp(LrtuiApp):
    def open_named(self, name: str) -> None:
        self.session.open_scenario(find_builtin(name).load())
        self.redraw()


app = SnapshotApp([find_builtin("too-high-oscillation").load()])

if __name__ == "__main__":
    app.run()
