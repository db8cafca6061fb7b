"""The curvature, adaptive-LR and decision-region panels, and the theory overlay, each in an app of its own."""

import numpy as np
import pytest
from textual.app import App

from lrtui.scenario.library import find_builtin
from lrtui.scenario.loader import parse_scenario
from lrtui.tui.session import Session
from lrtui.tui.view import View
from lrtui.tui.widgets.adaptive_panel import AdaptivePanel, adaptive_applies
from lrtui.tui.widgets.curvature_panel import CurvaturePanel, curvature_applies
from lrtui.tui.widgets.decision_panel import REGION_GLYPHS, DecisionPanel, decision_applies
from lrtui.tui.widgets.theory_overlay import theory_lines

QUADRATIC_5D = """
name = "five dims"
description = "a 5-D quadratic"
steps = 100
[loss]
type = "quadratic"
condition_number = 50.0
dims = 5
[optimizer]
type = "sgd"
lr = 0.02
momentum = 0.5
"""

SIZES = [(100, 30), (12, 4)]


class OnePanel(App):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel

    def compose(self):
        yield self.panel


def session_of(name: str, steps: int) -> Session:
    scenario = parse_scenario(QUADRATIC_5D, "five-dims") if name == "five-dims" else find_builtin(name).load()
    session = Session([scenario])
    session.experiment.step(steps)
    return session


async def drawn(panel, session, size):
    """Mount the panel alone at `size`, redraw it, and return what it rendered (plain text)."""
    app = OnePanel(panel)
    async with app.run_test(size=size) as pilot:
        panel.redraw(View(session))
        await pilot.pause()
        charts = list(panel.query("Chart")) if isinstance(panel, CurvaturePanel) else [panel]
        return "\n".join(chart.render().plain for chart in charts)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", ["five-dims", "digits-lr-classic"])
async def test_curvature_panel_draws_grad_norm_and_gauge_against_the_limit(name, size):
    session = session_of(name, 12)
    assert curvature_applies(session)
    panel = CurvaturePanel()
    text = await drawn(panel, session, size)
    grad, gauge = panel.pictures
    exp = session.experiment
    assert len(grad.lines) == exp.n_runs and grad.log_y
    limit = gauge.lines[-1]
    assert limit.label == "limit" and np.all(limit.y == 100.0)
    assert len(gauge.lines) == exp.n_runs + 1
    shown = np.concatenate([line.y for line in gauge.lines[:-1]])
    assert np.any(np.isclose(shown, 100 * exp.gauge(0)))
    if size == (100, 30):
        assert "gradient norm" in text and "stable limit" in text


async def test_curvature_panel_says_so_before_any_sharpness_is_known():
    session = session_of("five-dims", 0)
    session.experiment.simulations[0].monitor.record.count = 0  # as if nothing were measured yet
    panel = CurvaturePanel()
    text = await drawn(panel, session, (100, 30))
    assert "sharpness not measured yet" in panel.pictures[1].message
    assert "sharpness not measured yet" in text
    assert not curvature_applies(session_of("too-high-oscillation", 0))  # a 2-D landscape is shown instead


@pytest.mark.parametrize("size", SIZES)
async def test_adaptive_panel_shows_the_spread_of_per_parameter_lrs(size):
    session = session_of("rmsprop-equalizes", 20)
    session.focused = next(r for r in range(session.experiment.n_runs)
                           if session.experiment.spec(r).optimizer == "rmsprop")
    assert adaptive_applies(session)
    panel = AdaptivePanel()
    text = await drawn(panel, session, size)
    picture = panel.picture
    labels = [line.label for line in picture.lines]
    assert labels == ["lr", "max", "median", "min"] and picture.log_y  # lr first: the others drawn over it
    high, median, low = (line.y for line in picture.lines[1:4])
    assert np.all(low <= median + 1e-15) and np.all(median <= high + 1e-15) and high.max() > low.min()
    # A key at every size, naming the lines (its stroke drawn in each line's colour): the full one where it fits.
    assert all(name in picture.title for name in ("max", "min", "lr"))
    if size[0] >= 30:
        assert "LR" in picture.title
        assert picture.title in text
    if size[0] >= 100:
        # The title row is the key: each line's name after a stroke in its colour, and the median against lr.
        assert picture.title.startswith("effective LR per parameter: ━ max ━ median ━ min ┈ lr  now median = lr/")


async def test_adaptive_panel_explains_when_the_run_is_not_adaptive():
    session = session_of("too-high-oscillation", 3)
    assert not adaptive_applies(session)
    panel = AdaptivePanel()
    text = await drawn(panel, session, (100, 30))
    assert "only for adagrad, rmsprop, adam, adamw, nadam; run 0 uses sgd" in panel.picture.message
    assert "only for adagrad" in text


@pytest.mark.parametrize("size", SIZES)
async def test_decision_panel_colours_regions_and_marks_points(size):
    session = session_of("minibatch-noise", 10)
    assert decision_applies(session)
    panel = DecisionPanel()
    app = OnePanel(panel)
    async with app.run_test(size=size) as pilot:
        panel.redraw(View(session))
        await pilot.pause()
        rendered = panel.render()
        width, height = panel.size.width, panel.size.height
        title = rendered.plain.split("\n")[0]
        # Whole, or cut with an ellipsis (walkthrough 16b, K12), never wider than the panel
        assert len(title) <= width and ("decision regions".startswith(title.rstrip("…")) or
                                        title.startswith("decision regions")), title
        assert len(rendered.plain.split("\n")) == height
        assert "●" in rendered.plain
        backgrounds = {str(span.style.bgcolor.name) for span in rendered.spans if hasattr(span.style, "bgcolor")
                       and span.style.bgcolor is not None}
        assert len(backgrounds) >= 2  # both classes are predicted somewhere, or at least two confidences
        panel.ascii_only = True
        assert "●" not in panel.render().plain and "o" in panel.render().plain
        panel.plain = True  # NO_COLOR: region glyphs and class digits, no styles
        plain = panel.render()
        body = plain.plain.split("\n", 1)[1]
        assert set(body) - {"\n"} <= set(REGION_GLYPHS[:2]) | {"0", "1"}
        assert {"0", "1"} & set(body)
        assert not [span for span in plain.spans if span.style != "bold"]


async def test_decision_panel_refreshes_every_few_steps_while_playing():
    session = session_of("minibatch-noise", 0)
    panel = DecisionPanel()
    async with OnePanel(panel).run_test(size=(60, 20)) as pilot:
        panel.redraw(View(session))
        await pilot.pause()
        panel.render()
        first = panel._cached_step
        session.playing = True
        session.experiment.step(1)
        panel.render()
        assert panel._cached_step == first  # one step while playing: still the cached grid
        session.experiment.step(5)
        panel.render()
        assert panel._cached_step == session.experiment.step_count
        session.playing = False
        session.experiment.step(1)
        panel.render()
        assert panel._cached_step == session.experiment.step_count  # stepping by hand shows every step


@pytest.mark.parametrize("name", ["digits-lr-classic", "momentum-ravine"])
async def test_decision_panel_explains_when_there_is_no_plane(name):
    session = session_of(name, 0)
    assert not decision_applies(session)
    panel = DecisionPanel()
    async with OnePanel(panel).run_test(size=(100, 30)) as pilot:
        panel.redraw(View(session))
        await pilot.pause()
        text = panel.render().plain
    assert text.startswith("decision regions: only for models on 2-D data sets") and "\n" not in text


def test_theory_lines_follow_each_quadratic_sgd_run():
    session = session_of("momentum-ravine", 40)
    exp = session.experiment
    lines = theory_lines(session, (0.0, 150.0), 200)
    assert len(lines) == exp.n_runs == 3
    assert [line.label for line in lines] == ["theory", None, None]
    assert all(line.color == "gray" and line.marker == "dot" for line in lines)
    for run, line in enumerate(lines):
        _, actual = exp.series(run, "loss")
        assert np.allclose(line.y, actual, rtol=1e-10)  # fewer steps than columns: every step is drawn
    exp.set_optimizer(0, "adam", {"lr": 0.01})
    assert len(theory_lines(session, (0.0, 150.0), 200)) == 2
    assert theory_lines(session_of("too-high-oscillation", 5), (0.0, 100.0), 200) == []


def test_the_adaptive_panel_draws_the_other_adaptive_runs_median_for_comparison():
    """Walkthrough 4: lesson 17 asks to compare Adagrad's flat lines with RMSProp's climb, and the panel showed
    the focused run alone. The other adaptive run's median is drawn in its colour, and the key names it while
    the panel's own name still fits."""
    from lrtui.scenario.library import find_builtin
    from lrtui.tui.session import Session
    from lrtui.tui.view import as_view
    from lrtui.tui.widgets.adaptive_panel import adaptive_picture

    session = Session([find_builtin("adagrad-decays-too-fast").load()])
    session.experiment.step(300)
    view = as_view(session)
    wide, key = adaptive_picture(view, 60)
    labels = [line.label for line in wide.lines]
    assert "run 1" in labels and labels.index("run 1") < labels.index("median"), labels
    assert wide.title.startswith("effective LR") and "run 1" in wide.title, wide.title
    narrow, _ = adaptive_picture(view, 38)
    assert narrow.title.startswith("effective LR"), narrow.title
    # where its key cannot fit beside the panel's name, the other run's line goes too (walkthrough 6, D23)
    assert "run 1" not in [line.label for line in narrow.lines]
