"""The app as the snapshot tests see it: a fixed scenario list, no clock-driven stepping."""

from lrtui.tui.app import LrtuiApp
from tests.tui.built_once import builtin, finished


class SnapshotApp(LrtuiApp):
    def open_named(self, name: str) -> None:
        self.session.open_scenario(builtin(name))  # built once per test process, then copied
        self.redraw()

    def open_finished(self, name: str) -> None:
        """The lesson with its whole budget trained (once per test process, then copied)."""
        self.session.open_scenario(builtin(name))
        self.session.experiment = finished(name)
        self.redraw()


app = SnapshotApp([builtin("too-high-oscillation")])

if __name__ == "__main__":
    app.run()
