"""Defects the eleventh learner walkthroughs found (/work/wt/walk11a- and walk11b-report.md in the lead's notes)."""

import numpy as np

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.screens.outcomes import outcome_rows
from lrtui.tui.session import Session
from tests.tui.pilot_steps import step_and_draw


def test_a_schedule_switched_on_mid_run_is_sized_to_the_steps_left():
    """D82: step decay paused at step 188 of 240, s: "multistep, x0.1 at 50% and 75%" put its cuts after the end."""
    s = Session([find_builtin("step-decay").load()])
    s.experiment.step(188)
    while "multistep" not in s.message:
        s.cycle_schedule()
    assert "x0.1 at 50% and 75%" in s.message and "from step 188" in s.message
    s.experiment.step(s.scenario.steps - 188)
    lrs = s.experiment.series(0, "lr")[1]
    assert lrs[-1] < lrs[189] / 50  # both cuts fell inside the budget


def test_the_outcome_table_before_play_says_not_started():
    """D83: "settled (healthy), 25.5" in the table while the status line said "not started"."""
    exp = find_builtin("exponential-decay").load().build()
    assert {row[2] for row in outcome_rows(exp)} == {"not started"}
    exp.step(5)
    assert "not started" not in {row[2] for row in outcome_rows(exp)}


def test_a_level_run_reads_settled_in_its_message_too():
    """D87, D95: the heading said "settled (healthy)" and the body "improving: settled at loss 1.35"."""
    s = Session([find_builtin("step-decay").load()])
    s.experiment.step(s.scenario.steps)
    d = s.experiment.summary(0)
    assert d.words == "settled (healthy)" and d.message.startswith("settled (healthy): batch loss ")
    assert "improving" not in d.message and "(ten times closer to the floor)" in d.message


async def test_a_minimum_below_zero_is_drawn_as_the_distance_to_it():
    """D93: the saddle lesson's escape to -0.237 vanished from "loss (log10)"; the chart now adds 0.25."""
    app = LrtuiApp([find_builtin("saddle-escape").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, app.session.scenario.steps)
        picture = app.main.query_one("#loss").picture
        assert picture.title.startswith("loss + 0.25 (log10") and "not drawn" not in picture.title
        runs = [line for line in picture.lines if line.label and line.label.startswith("sgd lr=0.05")]
        assert runs and np.nanmin(runs[0].y) >= 0


def test_the_chaotic_too_slow_explanation_says_luck_decides():
    """D90: "too low" at 1268% of the limit on Rastrigin; the explanation now says a constant LR past the limit
    hops, and a schedule that lowers the LR lets it settle."""
    s = Session([find_builtin("rastrigin-local-minimum").load()])
    s.set_lr(0.02, run=0)
    s.experiment.step(s.scenario.steps)
    d = s.experiment.summary(0)
    assert d.code == "too_slow" and "where any constant LR ends is partly luck" in d.explanation
    low = Session([find_builtin("too-low-slow").load()])
    low.experiment.step(low.scenario.steps)
    assert "partly luck" not in low.experiment.summary(0).explanation


def test_a_gauge_thousands_of_times_over_reads_in_powers_of_ten():
    """D80: "lr 8112329567% of limit" at Ackley's cusp, where warm restarts end."""
    from lrtui.core.diagnostics.verdicts import pct
    from lrtui.tui.widgets.status_line import percent

    assert percent(81123295.67) == pct(81123295.67) == "8.1e+09%"
    assert percent(12.3) == pct(12.3) == "1230%" and percent(0.0005) == "0.05%"
