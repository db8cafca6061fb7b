"""Why a frame costs the same at step 1,000 and at step 1,000,000: what each shortcut must keep exact.

These are not timings (those are in benchmarks/drawing.py): they check that
the incremental reductions, the cached LR plan and the dropped plot points give
what the full computation gives, and that an unchanged panel builds nothing.
"""

import numpy as np
import pytest

from lrtui.core.decimate import RunningColumns, min_max_columns, rasterize_lines
from lrtui.core.history import History
from lrtui.scenario.library import find_builtin
from lrtui.scenario.loader import scenario_from_data
from lrtui.tui.app import LrtuiApp
from lrtui.tui.widgets.chart import Chart
from lrtui.tui.widgets.landscape_panel import cells_of
from lrtui.tui.widgets.lr_panel import PlannedLR
from tests.tui.pilot_steps import step_and_draw


def filled_history(steps: int, recent_rows: int = 64, seed: int = 0) -> tuple[History, np.ndarray]:
    rng = np.random.default_rng(seed)
    history = History(2, 2, recent_rows=recent_rows, max_buckets=8)
    values = rng.normal(size=(steps, 3, 2)).cumsum(axis=0)
    for row in values:
        history.append(row, params=row[:2].T.copy())
    return history, values


@pytest.mark.parametrize("since", [0, 1, 37, 300, 700, 999, 1000, 5000])
def test_history_since_gives_the_tail_of_the_full_envelope(since):
    history, _ = filled_history(1000)  # folded into buckets and merged many times over
    full = history.envelope("loss", 1)
    tail = history.envelope("loss", 1, since=since)
    keep = full.step_end >= since
    for name in ("step_start", "step_end", "low", "high", "last"):
        assert np.array_equal(getattr(tail, name), getattr(full, name)[keep])
    steps, params = history.params_series(0)
    tail_steps, tail_params = history.params_series(0, since=since)
    assert np.array_equal(tail_steps, steps[steps >= since]) and np.array_equal(tail_params, params[steps >= since])


def test_running_columns_equal_a_reduction_of_every_step_read_as_it_grows():
    rng = np.random.default_rng(1)
    history = History(1, 1, recent_rows=256, max_buckets=16)
    columns, x_range, raw = 50, (0.0, 5000.0), []
    running = RunningColumns()
    while len(raw) < 5000:
        for _ in range(int(rng.integers(1, 120))):  # fewer than half the buffer between frames: nothing unread folds
            value = rng.normal() + (40.0 if rng.random() < 0.002 else 0.0)
            raw.append(value)
            history.append(np.array([[0.0], [value], [0.0]]))
        x, low, high = running.update(history, "loss", 0, columns, x_range)
    truth_x, truth_low, truth_high = min_max_columns(np.arange(len(raw)), np.array(raw), np.array(raw), columns,
                                                     x_range)
    assert np.array_equal(x, truth_x) and np.array_equal(low, truth_low) and np.array_equal(high, truth_high)


def test_running_columns_draw_short_series_point_by_point_like_min_max_columns():
    history, values = filled_history(30, recent_rows=1024)
    running = RunningColumns()
    running.update(history, "grad_norm", 1, 100, (0.0, 200.0))
    history.append(np.full((3, 2), np.nan))  # a non-finite step is dropped, as min_max_columns drops it
    got = running.update(history, "grad_norm", 1, 100, (0.0, 200.0))
    env = history.envelope("grad_norm", 1)
    want = min_max_columns(env.step_end, env.low, env.high, 100, (0.0, 200.0))
    assert len(got[0]) == 30 and all(np.array_equal(a, b) for a, b in zip(got, want))


def sweep(schedule: dict, steps: int, lrs=(1e-4, 3e-4, 0.03)):  # the last run diverges
    data = {"name": "plan", "steps": steps, "loss": {"type": "rosenbrock"}, "optimizer": {"type": "sgd", "lr": 0.01},
            "schedule": schedule, "sweep": {"optimizer.lr": list(lrs)}}
    return scenario_from_data(data, "plan").build()


def full_plan(exp, run, end, columns, x_range):
    steps, planned = exp.planned_lr(run, end)
    if len(steps) <= 1:
        return np.empty(0), np.empty(0), np.empty(0)
    return min_max_columns(steps, planned, planned, columns, x_range)


SCHEDULES = [
    {"type": "cosine", "T_max": 700},
    {"type": "step", "step_size": 37, "gamma": 0.7},
    {"type": "onecycle", "max_lr": 0.05, "total_steps": 2000},
    {"type": "cyclic", "base_lr": 0.001, "max_lr": 0.02, "step_size_up": 9, "cycle_momentum": False},
    {"type": "sequential", "milestones": [30],
     "schedulers": [{"type": "linear", "start_factor": 0.01, "total_iters": 30}, {"type": "cosine", "T_max": 270}]},
    {"type": "plateau", "patience": 5},
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s["type"])
def test_planned_lr_at_column_resolution_equals_the_reduced_full_plan(schedule):
    end, columns, x_range = 2000, 120, (0.0, 2000.0)
    exp = sweep(schedule, end)
    planner = PlannedLR()
    for steps in (0, 3, 11, 17, 40, 1, 250, 333, 1990, 9):
        exp.step(steps)
        if steps == 250:
            exp.scale_lr(0, 0.5)  # the plan of run 0 changes; run 1's cached plan stays valid
        if steps == 333:
            exp.set_schedule(1, "exponential", {"gamma": 0.999})  # restarts run 1's schedule at this step
        for run in range(exp.n_runs):
            got = planner.line(exp.view(run), end, columns, x_range)
            want = full_plan(exp, run, end, columns, x_range)
            assert len(got[0]) == len(want[0])
            for a, b in zip(got, want):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


async def test_an_unchanged_panel_builds_nothing_and_a_step_rebuilds_it():
    app = LrtuiApp([find_builtin("rosenbrock-sgd-vs-adam").load()])
    async with app.run_test(size=(120, 40)) as pilot:
        await step_and_draw(app, pilot, 30)
        loss, lr = app.screen.query_one("#loss"), app.screen.query_one("#lr")
        builds = (loss.builds, lr.builds)
        app.redraw()
        await pilot.pause()
        assert (loss.builds, lr.builds) == builds  # nothing new: the canvases are kept
        await step_and_draw(app, pilot, 1)
        assert loss.builds == builds[0] + 1 and lr.builds == builds[1] + 1
        columns = 2 * loss.size.width
        assert all(len(line.x) <= 2 * columns for line in loss.picture.lines)


async def test_landscape_trail_holds_every_cell_the_path_visited():
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(120, 40)) as pilot:
        exp = app.session.experiment
        panel = app.screen.query_one("#landscape")
        for chunk in (1, 5, 20, 3):
            exp.step(chunk)
            app.redraw()
            await pilot.pause()
            panel.render()
        width, height = panel.size.width, panel.size.height - 1  # the top row is the caption (axis ranges)
        assert panel._trails[0].visited.shape == (height, width)
        loss = exp.loss_of(0)
        for run in range(exp.n_runs):
            _, path = exp.view(run).history.params_series()
            path = path[np.all(np.isfinite(path), axis=1)]
            rows, cols = cells_of(path, loss.window, width, height)
            expected = np.zeros((height, width), dtype=bool)
            expected[rows, cols] = True
            assert np.array_equal(panel._trails[run].visited, expected)


@pytest.mark.parametrize("seed", range(5))
def test_rasterized_lines_light_plotexts_pixels_and_the_last_line_wins(seed):
    import plotext._utility as plotext_utility

    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(3):
        px = rng.integers(-5, 60, size=40).astype(float)
        lines.append((px, np.clip(np.cumsum(rng.integers(-9, 10, size=40)) + 30, -3, 80).astype(float)))
    owner, cx, cy, masks = rasterize_lines(lines, [False] * 3, 50, 70)
    assert not masks.any() and np.all(np.diff(owner) >= 0)  # one glyph per cell, and in drawing order
    for index, (px, py) in enumerate(lines):
        marks = ["m"] * len(px)  # plotext lengthens a per-point list along each line; it needs one
        xs, ys = plotext_utility.get_lines(px.astype(int).tolist(), py.astype(int).tolist(), marks)[:2]
        want = {(x, y) for x, y in zip(xs, ys) if 0 <= x < 50 and 0 <= y < 70}
        assert set(zip(cx[owner == index].tolist(), cy[owner == index].tolist())) == want


@pytest.mark.parametrize("scenario_name, size", [("rosenbrock-sgd-vs-adam", (160, 50)), ("too-high-oscillation", (100, 30)),
                                                ("digits-lr-classic", (80, 24))])
async def test_numpy_lines_draw_the_same_canvas_as_plotext(scenario_name, size):
    app = LrtuiApp([find_builtin(scenario_name).load()])
    async with app.run_test(size=size) as pilot:
        app.session.experiment.step(57)
        app.session.smoothing = True  # a raw line under each smoothed one: more overlaps to get right
        app.redraw()
        await pilot.pause()
        charts = [chart for chart in app.screen.query(Chart) if chart.display and chart.picture is not None]
        assert len(charts) >= 2
        with_lines = 0
        for chart in charts:
            drawn = {}
            for fast in (True, False):
                chart.fast_lines, chart._built_key = fast, None
                text = chart.render()
                matrix = chart.canvas.matrix
                drawn[fast] = (text.plain, matrix.fullground, matrix.style)
            chart.fast_lines = True
            assert drawn[True] == drawn[False], chart.id
            with_lines += any(0x2800 < ord(c) <= 0x28FF for c in drawn[True][0])
        assert with_lines >= 2  # the loss and LR charts at least had lines to draw
