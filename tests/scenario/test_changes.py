"""Mid-run changes in scenario files (issue 13): `w` saves them, the loader checks them, and a replay of the
saved file retraces the session bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.core.simulation import MODEL_FIELDS
from lrtui.scenario.errors import ScenarioError
from lrtui.scenario.library import find_builtin
from lrtui.scenario.loader import load_scenario, parse_scenario
from lrtui.tui.saving import save_settings
from lrtui.tui.session import Session

FIELDS = ("loss", "lr", "grad_norm")


def edited_session(name: str, steps: int) -> Session:
    """A session with every kind of change made between steps: LR edits, an optimizer switch, schedule changes,
    a fork, and an edit of the fork."""
    session = Session([find_builtin(name).load()])
    exp = session.experiment
    rhythm = max(1, steps // 10)
    exp.step(rhythm)
    session.scale_lr(2.0)
    exp.step(rhythm)
    session.set_lr(session.experiment.view(0).lr * 0.7)
    exp.step(rhythm)
    session.cycle_optimizer()
    exp.step(rhythm)
    session.cycle_schedule()  # warmup
    exp.step(rhythm)
    session.cycle_schedule()  # warmup, then cosine
    session.fork()
    exp.step(rhythm)
    session.focused = exp.n_runs - 1
    session.scale_lr(0.5)
    exp.step(rhythm)
    return session


def assert_same_runs(a, b) -> None:
    assert a.n_runs == b.n_runs and a.step_count == b.step_count
    for run in range(a.n_runs):
        va, vb = a.view(run), b.view(run)
        assert va.label == vb.label and va.spec.optimizer == vb.spec.optimizer and va.spec.schedule == vb.spec.schedule
        fields = FIELDS + (tuple(MODEL_FIELDS) if va.loss_function.is_model else ())
        for field in fields:
            (sa, xa), (sb, xb) = va.history.series(field), vb.history.series(field)
            assert np.array_equal(sa, sb) and np.array_equal(xa, xb, equal_nan=True), (run, field)
        if va.history.records_params:
            (sa, pa), (sb, pb) = va.history.params_series(), vb.history.params_series()
            assert np.array_equal(sa, sb) and np.array_equal(pa, pb, equal_nan=True), run
        assert np.array_equal(va.params, vb.params, equal_nan=True)


@pytest.mark.parametrize("name, steps", [("too-high-oscillation", 60), ("minibatch-noise", 40)])
def test_a_saved_session_replays_bit_for_bit(tmp_path, name, steps):
    session = edited_session(name, steps)
    exp = session.experiment
    path = save_settings(session, tmp_path)
    text = path.read_text()
    assert "changes = [" in text and '"optimizer.type"' in text and '"schedule.type"' in text
    loaded = load_scenario(path)
    assert any(run.changes for run in loaded.runs)
    replayed = loaded.build()
    replayed.step(exp.step_count)
    assert_same_runs(exp, replayed)
    # And the app's own replay (r) retraces it too.
    again = exp.replayed()
    again.step(exp.step_count)
    assert_same_runs(exp, again)


BASE = """name = "changes"
steps = 50

[loss]
type = "rosenbrock"

[optimizer]
type = "sgd"
lr = 0.001

[[runs]]
label = "edited"
changes = [
  { step = 10, "optimizer.lr" = 0.0005 },
CHANGE
]
"""


def problems_of(change: str) -> str:
    with pytest.raises(ScenarioError) as error:
        parse_scenario(BASE.replace("CHANGE", change), "mine.toml")
    return str(error.value)


@pytest.mark.parametrize("change, expected", [
    ('{ step = 60, "optimizer.lr" = 0.01 },', 'mine.toml:15: runs[0].changes[1].step: must be from 0 to 50'),
    ('{ step = -1, "optimizer.lr" = 0.01 },', "runs[0].changes[1].step: must be from 0 to 50 (the scenario's steps), got -1"),
    ('{ step = 2.5, "optimizer.lr" = 0.01 },', "runs[0].changes[1].step: must be a whole number"),
    ('{ step = 5, "optimizer.lr" = 0.01 },', "runs[0].changes[1].step: is 5, before the change above it"),
    ('{ "optimizer.lr" = 0.01 },', "runs[0].changes[1].step: missing"),
    ('{ step = 20 },', "runs[0].changes[1]: changes nothing"),
    ('{ step = 20, "optimizer.lr" = -0.01 },', 'mine.toml:15: runs[0].changes[1]."optimizer.lr": must be >= 0'),
    ('{ step = 20, "optimizer.lr_factor" = 0 },', '"optimizer.lr_factor": must be > 0'),
    ('{ step = 20, "optimizer.lr" = "fast" },', '"optimizer.lr": expected a number, got "fast"'),
    ('{ step = 20, "optimizer.momentun" = 0.9 },', 'unknown key for optimizer "sgd"; did you mean "momentum"?'),
    ('{ step = 20, "optimizer.type" = "adamm" },', 'unknown optimizer "adamm"; did you mean "adam"?'),
    ('{ step = 20, "optimizer.momentum" = -1.0 },', '"optimizer.momentum"'),
    ('{ step = 20, "schedule.type" = "cosin" },', 'unknown schedule "cosin"; did you mean "cosine"?'),
    ('{ step = 20, "schedule.type" = "step" },', '"schedule.step_size": missing'),
    ('{ step = 20, "schedule.type" = "exponential", "schedule.gamma" = "x" },', '"schedule.gamma": must be a number'),
    ('{ step = 20, "schedule.restart" = 1 },', '"schedule.restart": must be true or false'),
    ('{ step = 20, "loss.type" = "beale" },', 'unknown change'),
    ('{ step = 20, "optimizer.type" = "adagrad" },\n  { step = 30, "optimizer.betas" = [0.9, 0.99] },',
     'runs[0].changes[2]."optimizer.betas": unknown key for optimizer "adagrad"'),
])
def test_bad_changes_are_one_line_each_naming_file_key_and_line(change, expected):
    message = problems_of(change)
    assert expected in message, message
    assert all(line.startswith("mine.toml:") for line in message.splitlines())
    assert "Traceback" not in message


def test_the_line_is_the_changes_own_line():
    message = problems_of('{ step = 20, "optimizer.type" = "adagrad" },\n  { step = 30, "optimizer.betas" = [0.9, 0.99] },')
    assert message.startswith("mine.toml:16: runs[0].changes[2].")


def test_changes_apply_to_the_optimizer_and_schedule_in_force_then():
    text = BASE.replace("CHANGE", '{ step = 20, "optimizer.type" = "adam", "optimizer.betas" = [0.8, 0.9] },\n'
                                  '  { step = 30, "optimizer.betas" = [0.85, 0.95] },\n'
                                  '  { step = 35, "schedule.type" = "step", "schedule.step_size" = 5 },\n'
                                  '  { step = 40, "schedule.gamma" = 0.5 },')
    scenario = parse_scenario(text, "mine.toml")
    assert [c.step for c in scenario.runs[0].changes] == [10, 20, 30, 35, 40]
    assert scenario.runs[0].as_dict()["changes"][0] == {"step": 10, "optimizer.lr": 0.0005}
    exp = scenario.build()
    exp.step(50)
    view = exp.view(0)
    assert view.spec.optimizer == "adam" and tuple(view.spec.optimizer_params["betas"]) == (0.85, 0.95)
    assert view.spec.schedule == "step" and view.spec.schedule_params["gamma"] == 0.5
    assert [c.step for c in view.timeline] == [10, 20, 30, 35, 40]


def test_a_schedule_that_cycles_momentum_needs_an_optimizer_with_momentum():
    message = problems_of('{ step = 20, "optimizer.type" = "adagrad" },\n'
                          '  { step = 30, "schedule.type" = "onecycle", "schedule.max_lr" = 0.01, '
                          '"schedule.total_steps" = 50 },')
    assert 'runs[0].changes[2]."schedule.cycle_momentum": adagrad has no momentum' in message


def test_changes_at_the_top_level_or_not_a_list_are_refused():
    with pytest.raises(ScenarioError, match="changes: unknown key"):
        parse_scenario(BASE.replace("CHANGE", "").replace('name = "changes"', 'name = "changes"\nchanges = []'),
                       "mine.toml")
    text = BASE.replace("changes = [\n  { step = 10, \"optimizer.lr\" = 0.0005 },\nCHANGE\n]", "changes = 3")
    with pytest.raises(ScenarioError, match=r"runs\[0\].changes: must be a list of tables"):
        parse_scenario(text, "mine.toml")
