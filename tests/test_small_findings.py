"""Issue 15, finding 7 (the smaller ones): a log header with more ; than , keeps its loss column, an LR
pushed past float64 stays finite and says so, and an infinite LR reads `inf`, not `nan`."""

from __future__ import annotations

from lrtui.cli import main
from lrtui.logs import read_log
from lrtui.scenario.loader import parse_scenario
from lrtui.tui.palette import PlotPalette
from lrtui.tui.session import Session
from lrtui.tui.widgets.status_line import status_text

QUADRATIC = """\
name = "q"
steps = 10

[loss]
type = "quadratic"
eigenvalues = [1.0, 10.0]

[optimizer]
type = "sgd"
lr = 0.01
{schedule}
"""


def test_a_comma_log_whose_header_has_more_semicolons_keeps_its_loss_column(tmp_path, capsys):
    log = tmp_path / "metrics.csv"
    log.write_text("step,loss,note (warmup;cosine;restarts;ema)\n"
                   + "".join(f"{i},{1 / (i + 1)},x\n" for i in range(40)))
    read = read_log(log)
    assert read.columns["loss"] == "loss" and read.loss.size == 40
    assert main(["diagnose", str(log), "--no-plot"]) == 0
    assert "loss = loss" in capsys.readouterr().out


def test_a_semicolon_log_is_still_read_as_one(tmp_path):
    log = tmp_path / "excel.csv"
    log.write_text("step;loss;lr\n" + "".join(f"{i};{1 / (i + 1)};0.1\n" for i in range(20)))
    read = read_log(log)
    assert read.columns["loss"] == "loss" and read.lr is not None and read.loss.size == 20


def test_multiplying_the_lr_past_float64_is_refused_and_it_stays_finite():
    session = Session([parse_scenario(QUADRATIC.format(schedule=""), "q.toml")])
    refused = None
    for presses in range(400):
        try:
            session.scale_lr(10)
        except ValueError as exc:
            refused = str(exc)
            break
    assert refused is not None and presses > 300
    assert refused.startswith("lr x10 would overflow; it stays ")
    assert session.experiment.current(0)["lr"] < float("inf")


def test_an_infinite_lr_reads_inf_in_the_status_line():
    # ExponentialLR with a huge gamma drives the LR to infinity; at the minimum the gradient is 0, so the run
    # has not diverged yet when the LR for its next update is inf.
    text = QUADRATIC.format(schedule='\n[schedule]\ntype = "exponential"\ngamma = 1e300\n')
    text = text.replace("eigenvalues = [1.0, 10.0]", "eigenvalues = [1.0, 10.0]\nstart = [0.0, 0.0]")
    session = Session([parse_scenario(text, "q.toml")])
    session.experiment.step(2)
    assert session.experiment.current(0)["lr"] == float("inf")
    shown = status_text(session, PlotPalette()).plain
    assert "lr inf" in shown and "lr nan" not in shown


def test_a_run_that_diverged_inside_a_bucket_keeps_its_last_step():
    # Long sweeps fold old steps into buckets; a run that diverged in the first bucket had no history left,
    # and `lrtui run` of 4,096 runs x 20,000 steps ended in an IndexError.
    import numpy as np

    from lrtui.core.history import History

    history = History(2, 1, recent_rows=8, max_buckets=4)
    for step in range(100):
        loss = [1.0 / (step + 1), np.inf if step >= 3 else 10.0 ** step]
        if step == 3:
            history.stop_run(1, 3)
        history.append(np.array([[0.1, 0.1], loss, [1.0, 1.0]]), np.full((2, 1), float(step)))
    steps, values = history.series("loss", 1)
    assert steps.tolist() == [3] and values.tolist() == [np.inf]
    envelope = history.envelope("loss", 1)
    assert envelope.step_start.tolist() == [0] and envelope.step_end.tolist() == [3]
    assert envelope.low.tolist() == [1.0] and envelope.high.tolist() == [np.inf]
    assert history.params_series(1)[0].tolist() == [3]
    steps, values = history.series("loss", 0)  # a run that did not stop is unchanged
    assert steps[-1] == 99 and values[-1] == 0.01


def test_a_write_error_counts_as_a_hangup_only_when_the_terminal_is_gone():
    import errno
    import os
    import pty

    from lrtui.process import terminal_gone

    master, slave = pty.openpty()
    with os.fdopen(slave, "rb", buffering=0) as terminal:
        eio = OSError(errno.EIO, "Input/output error")
        assert not terminal_gone(eio, terminal)  # the other side is still open: a real error, reported
        os.close(master)
        assert terminal_gone(eio, terminal)  # closed: the hangup
        assert not terminal_gone(ValueError("x"), terminal)
