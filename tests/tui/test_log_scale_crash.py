"""Issue 13's crash: log scale on a run whose loss got small ended the app inside plotext's legend.

Root cause: the log axis's decade ticks stepped by several decades and could stop below the
data, so the axis (pinned to the ticks) cut off the start of the curves. plotext 5 then draws
a legend entry from the colours of the points it kept on the canvas, and for a labelled
series with none left it indexes an empty list.
"""

import numpy as np
import pytest

from lrtui.plotting import decade_axis, decade_ticks
from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.loss_panel import LossPanel


@pytest.mark.parametrize("low, high", [(-15, 2), (-121.3, 0.35), (-300, 5), (-2.3, 0.4), (3, 3), (-0.5, -0.4),
                                       (-7.9, 17.2), (0.1, 307.9)])
def test_decade_ticks_cover_the_data(low, high):
    ticks, labels = decade_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high and len(ticks) == len(labels) <= 9
    steps = np.diff(ticks)
    assert len(set(steps.tolist())) <= 1 and all(t % steps[0] == 0 for t in ticks) if len(steps) else True
    limits, inner, _ = decade_axis(low, high)
    assert limits[0] <= low and limits[1] >= high and len(inner) >= 2
    assert all(limits[0] <= t <= limits[1] for t in inner)


def test_decade_labels_read_as_numbers():
    assert decade_ticks(-2.3, 0.4) == ([-3.0, -2.0, -1.0, 0.0, 1.0], ["1e-3", "1e-2", "0.1", "1", "10"])
    assert decade_ticks(-40, 5)[1] == ["1e-40", "1e-30", "1e-20", "1e-10", "1", "1e10"]  # round multiples


async def test_a_labelled_line_out_of_view_is_drawn_without_a_legend_entry():
    """The guard itself: whatever the limits, plotext never gets a labelled series with nothing in view."""
    chart = Chart()

    class Host(LrtuiApp):
        pass

    app = Host([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.screen.mount(chart)
        await pilot.pause()
        for fast in (True, False):
            chart.fast_lines = fast
            picture = Picture(x_range=(0.0, 10.0), title="out of view")
            picture.lines.append(Line(np.arange(5.0), np.linspace(1.0, 2.0, 5), color=0, label="in view"))
            picture.lines.append(Line(np.arange(20.0, 25.0), np.linspace(1.0, 2.0, 5), color=1, label="beyond x"))
            chart.show(picture)
            text = chart.render().plain
            assert "in view" in text and "beyond x" not in text


@pytest.mark.parametrize("name, keys", [("too-high-oscillation", ["minus"]), ("too-low-slow", ["asterisk"] * 3)])
async def test_log_scale_after_converging_draws(name, keys):
    """The two ways the learner found: `-`, play, `l` on the default scenario; `* * *`, `l`, play on too-low-slow."""
    app = LrtuiApp([find_builtin(name).load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*keys, "l")
        exp = app.session.experiment
        exp.step(app.session.scenario.steps)  # what playing to the end does, without waiting for frames
        app.redraw()
        await pilot.pause()
        panel = app.screen.query_one(LossPanel)
        text = panel.render().plain
        assert exp.current(0)["loss"] < 1e-20 and "loss (log10)" in text
        values = np.concatenate([line.y[np.isfinite(line.y) & (line.y > 0)] for line in panel.picture.lines])
        bottom, top = panel.canvas.ylim
        assert bottom <= np.log10(values.min()) and top >= np.log10(values.max())  # nothing cut off
        await pilot.press("l", "l")  # and back, and again: nothing raises
        assert app.is_running
