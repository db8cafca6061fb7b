import textwrap

import pytest

from lrtui.scenario import ScenarioError, load_scenario, parse_scenario

GOOD = """\
name = "Too high: bouncing across a narrow valley"
description = \"\"\"
What this shows.\"\"\"
steps = 50
seed = 0

[loss]
type = "quadratic"
eigenvalues = [1.0, 50.0]
start = [1.0, 1.0]

[optimizer]
type = "sgd"
lr = 0.039
momentum = 0.0

[schedule]
type = "step"
step_size = 50
gamma = 0.5
"""


def problems(text, name="mine.toml"):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(textwrap.dedent(text), name)
    return [str(p) for p in info.value.problems]


def test_a_good_file_gives_one_run_with_a_default_label():
    scenario = parse_scenario(GOOD, "good.toml")
    assert scenario.name.startswith("Too high") and scenario.steps == 50
    assert len(scenario.runs) == 1
    exp = scenario.build()
    assert exp.labels == ["sgd lr=0.039"]
    exp.step(5)
    assert exp.step_count == 5


def test_runs_and_sweep_expand_into_labelled_runs():
    text = GOOD + '\n[[runs]]\nlabel = "base"\n\n[[runs]]\nlabel = "half the LR"\noptimizer.lr = 0.0195\n'
    scenario = parse_scenario(text, "x.toml")
    assert [r.label for r in scenario.runs] == ["base", "half the LR"]
    assert scenario.runs[1].optimizer["lr"] == 0.0195 and scenario.runs[0].optimizer["lr"] == 0.039
    sweep = GOOD + '\n[sweep]\n"optimizer.lr" = [1e-4, 1e-3, 1e-2]\n'
    scenario = parse_scenario(sweep, "x.toml")
    assert [r.optimizer["lr"] for r in scenario.runs] == [1e-4, 1e-3, 1e-2]
    assert scenario.build().labels == ["sgd lr=0.0001", "sgd lr=0.001", "sgd lr=0.01"]


def test_a_run_with_another_schedule_type_drops_the_base_parameters():
    text = GOOD + '\n[[runs]]\nlabel = "cosine"\nschedule.type = "cosine"\nschedule.T_max = 50\n'
    run = parse_scenario(text, "x.toml").runs[0]
    assert run.schedule == {"type": "cosine", "T_max": 50}


def test_overrides_are_applied_before_validation():
    scenario = parse_scenario(GOOD, "x.toml", [("optimizer.lr", 0.3), ("steps", 7)])
    assert scenario.runs[0].optimizer["lr"] == 0.3 and scenario.steps == 7
    with pytest.raises(ScenarioError, match="optimizer.lr"):
        parse_scenario(GOOD, "x.toml", [("optimizer.lr", -1.0)])


def test_malformed_toml_names_the_line():
    [msg] = problems('name = "x"\n[loss\ntype = "a"\n')
    assert msg.startswith("mine.toml:2: invalid TOML")


def test_missing_required_keys():
    msgs = problems('name = "x"\n[optimizer]\ntype = "sgd"\n')
    assert any("loss: missing" in m for m in msgs)
    msgs = problems('[loss]\ntype = "rosenbrock"\n[optimizer]\ntype = "sgd"\n')
    assert any(m.startswith("mine.toml: name: missing") for m in msgs)


def test_wrong_type_names_key_and_line():
    [msg] = problems(GOOD.replace("steps = 50", 'steps = "fifty"'))
    assert msg == 'mine.toml:4: steps: expected an integer, got "fifty" (a string)'


@pytest.mark.parametrize("bad", ["-0.1", "inf", "nan"])
def test_negative_or_non_finite_lr(bad):
    [msg] = problems(GOOD.replace("lr = 0.039", f"lr = {bad}"))
    assert msg.startswith("mine.toml:14: optimizer.lr:")


def test_start_of_the_wrong_length():
    [msg] = problems(GOOD.replace("start = [1.0, 1.0]", "start = [1.0, 1.0, 2.0]"))
    assert "start" in msg and "2 values" in msg


def test_unknown_optimizer_has_a_did_you_mean_and_the_choices():
    [msg] = problems(GOOD.replace('type = "sgd"', 'type = "adamm"'))
    assert msg == (
        'mine.toml:13: optimizer.type: unknown optimizer "adamm"; did you mean "adam"? '
        "(choose one of: sgd, adagrad, rmsprop, adam, adamw, nadam)"
    )


def test_unknown_loss_and_schedule():
    [msg] = problems(GOOD.replace('type = "quadratic"', 'type = "rosenbrok"'))
    assert 'unknown loss "rosenbrok"; did you mean "rosenbrock"?' in msg
    [msg] = problems(GOOD.replace('type = "step"', 'type = "cosin"'))
    assert 'schedule.type: unknown schedule "cosin"; did you mean "cosine"?' in msg


def test_unknown_keys_are_errors_with_suggestions():
    [msg] = problems(GOOD.replace("momentum = 0.0", "momentun = 0.0"))
    assert msg.startswith("mine.toml:15: optimizer.momentun: unknown key") and 'did you mean "momentum"' in msg
    [msg] = problems("stpes = 3\n" + GOOD)
    assert msg.startswith("mine.toml:1: stpes: unknown key; did you mean \"steps\"?")


def test_bad_expression_is_reported_at_its_key():
    text = GOOD.replace('type = "quadratic"\neigenvalues = [1.0, 50.0]', 'type = "expression"\nexpr = "x**2 + sinn(y)"\nvars = ["x", "y"]')
    [msg] = problems(text)
    assert "loss.expr" in msg and "sinn" in msg and 'did you mean "sin"' in msg


def test_caps_on_steps_and_runs():
    [msg] = problems(GOOD.replace("steps = 50", "steps = 100000000"))
    assert "steps: must be between 1 and 10,000,000" in msg
    big = GOOD + '\n[sweep]\n"optimizer.lr" = [' + ", ".join(["0.01"] * 5000) + "]\n"
    [msg] = problems(big)
    assert "makes 5,000 runs; at most 4,096" in msg


def test_files_that_are_missing_directories_binary_or_not_utf8(tmp_path):
    cases = {
        tmp_path / "nope.toml": "no such file",
        tmp_path: "this is a directory",
    }
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\x00\x01\x02 name")
    cases[binary] = "binary file"
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    cases[latin] = "not valid UTF-8"
    for path, expected in cases.items():
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert expected in str(info.value) and str(path) in str(info.value)


def test_oversized_file(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1_100_000)
    with pytest.raises(ScenarioError, match="limited to 1,000,000 bytes"):
        load_scenario(big)


def test_core_complaints_are_moved_to_the_key_they_are_about():
    [msg] = problems(GOOD.replace("eigenvalues = [1.0, 50.0]", 'eigenvalues = "big"'))
    assert msg == "mine.toml:9: loss.eigenvalues: must be a list of numbers such as [1.0, 50.0], got 'big'"
    data_model = 'name = "x"\n[loss]\ntype = "mlp"\ndataset = "digitz"\n[optimizer]\ntype = "sgd"\n'
    [msg] = problems(data_model)
    assert msg.startswith('mine.toml:4: loss.dataset: unknown dataset "digitz"; did you mean "digits"?')


def test_cycling_momentum_on_adagrad_is_refused_with_the_fix():
    text = ('name = "x"\nsteps = 50\n[loss]\ntype = "rosenbrock"\n[optimizer]\ntype = "adagrad"\n'
            '[schedule]\ntype = "onecycle"\nmax_lr = 0.1\ntotal_steps = 50\n')
    [msg] = problems(text)
    assert "schedule.cycle_momentum" in msg and "set schedule.cycle_momentum = false" in msg
    parse_scenario(text.replace("total_steps = 50", "total_steps = 50\ncycle_momentum = false"), "ok.toml")


def test_onecycle_shorter_than_the_budget_is_refused():
    text = ('name = "x"\nsteps = 80\n[loss]\ntype = "rosenbrock"\n[optimizer]\ntype = "sgd"\n'
            '[schedule]\ntype = "onecycle"\nmax_lr = 0.1\ntotal_steps = 50\n')
    [msg] = problems(text)
    assert "schedule.total_steps" in msg and "at least 80" in msg


def test_a_problem_in_a_run_override_points_at_the_run():
    text = GOOD + '\n[[runs]]\nlabel = "a"\n\n[[runs]]\nlabel = "b"\noptimizer.momentum = -1.0\n'
    [msg] = problems(text)
    assert msg.startswith("mine.toml:27: runs[1].optimizer.momentum: must be >= 0")


def test_injection_through_a_scenario_file_runs_nothing(tmp_path):
    marker = tmp_path / "MARKER"
    for expr in (f"__import__('os').system('touch {marker}')", f"open('{marker}', 'w')", "x.__class__",
                 "[x for x in (1,)]", "lambda: 1", "9**9**9"):
        text = f'name = "x"\n[loss]\ntype = "expression"\nexpr = "{expr}"\nvars = ["x"]\n[optimizer]\ntype = "sgd"\n'
        [msg] = problems(text.replace("\\'", "'"))
        assert msg.startswith("mine.toml:4: loss.expr: "), msg
    assert not marker.exists()
