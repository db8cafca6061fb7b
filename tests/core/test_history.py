import numpy as np

from lrtui.core.history import History


def fill(history, steps, runs=2, n=2):
    for t in range(steps):
        row = np.array([[0.1] * runs, [float(t)] * runs, [float(-t)] * runs])
        row[1, 1] = t * 10.0
        history.append(row, np.full((runs, n), float(t)))


def test_short_history_is_kept_whole():
    h = History(2, 2, recent_rows=64)
    fill(h, 50)
    steps, loss = h.series("loss", 0)
    assert np.array_equal(steps, np.arange(50))
    assert np.array_equal(loss, np.arange(50.0))
    steps, params = h.params_series(1)
    assert params.shape == (50, 2) and params[-1, 0] == 49.0


def test_long_history_stays_bounded_and_keeps_extremes_and_last_values():
    h = History(2, 2, recent_rows=256, max_buckets=64)
    fill(h, 100_000)
    assert h.steps_recorded == 100_000
    steps, loss = h.series("loss", 1)
    assert len(steps) < 64 + 256 + 2
    assert np.all(np.diff(steps) > 0) and steps[-1] == 99_999
    # Every value is a real value at that step (the last of its bucket).
    np.testing.assert_array_equal(loss, steps * 10.0)
    env = h.envelope("grad_norm", 0)
    assert env.low.min() == -99_999 and env.high.max() == 0.0
    assert np.all(env.step_start <= env.step_end)
    # Spans tile the steps without gaps.
    assert np.array_equal(env.step_start[1:], env.step_end[:-1] + 1) and env.step_start[0] == 0
    before = h.nbytes()
    fill(h, 100_000)
    assert h.nbytes() == before or h.nbytes() < before * 1.1


def test_stopped_run_ends_at_its_divergence_step():
    h = History(2, 2, recent_rows=64)
    fill(h, 30)
    h.stop_run(0, 12)
    steps, _ = h.series("loss", 0)
    assert steps[-1] == 12
    assert h.series("loss", 1)[0][-1] == 29


def test_added_runs_copy_their_parents_history():
    h = History(2, 2, recent_rows=32, max_buckets=8)
    fill(h, 100)
    h.add_runs([1])
    assert h.n_runs == 3
    for field in ("lr", "loss", "grad_norm"):
        assert np.array_equal(h.series(field, 2)[1], h.series(field, 1)[1])
    h.append(np.zeros((3, 3)), np.zeros((3, 2)))
    assert h.series("loss", 2)[0][-1] == 100


def test_nan_values_do_not_hide_the_finite_extremes():
    h = History(1, 1, recent_rows=8, max_buckets=4)
    for t in range(40):
        loss = np.nan if t % 3 == 0 else float(t)
        h.append(np.array([[0.1], [loss], [1.0]]), np.zeros((1, 1)))
    env = h.envelope("loss", 0)
    assert np.nanmax(env.high) == 38.0


def test_parameters_are_not_recorded_for_large_models():
    h = History(1, 100, recent_rows=8)
    h.append(np.zeros((3, 1)), np.zeros((1, 100)))
    assert not h.records_params


def _series_final_and_best(history, field, run):
    _, values = history.series(field, run)
    finite = values[np.isfinite(values)]
    return (values[-1] if values.size else np.nan), (finite.min() if finite.size else np.nan), values.size > 0


def test_final_and_best_match_series_run_by_run():
    """The one-pass summary the run table uses gives what series() gives each run: stopped runs (inside a
    bucket, inside the recent rows, at step 0), nan and inf, with and without folded buckets."""
    rng = np.random.default_rng(3)
    for steps, rows in ((40, 64), (5_000, 64), (777, 128)):
        runs = 9
        h = History(runs, 2, recent_rows=rows, max_buckets=16)
        for t in range(steps):
            row = rng.normal(size=(3, runs))
            row[1, 2] = np.nan if t > steps // 3 else row[1, 2]  # goes nan and stays nan
            row[1, 3] = np.inf if t % 7 == 0 else row[1, 3]
            row[1, 4] = np.nan  # never finite
            h.append(row, np.zeros((runs, 2)))
        for run, stop in ((5, 0), (6, steps // 2), (7, steps - 3), (8, 1)):
            h.stop_run(run, stop)
        final, best, held = h.final_and_best("loss")
        for run in range(runs):
            want = _series_final_and_best(h, "loss", run)
            np.testing.assert_array_equal([final[run], best[run]], want[:2])
            assert held[run] == want[2]
