import csv
import io
import json
import subprocess
import sys

import pytest

from lrtui.cli import main

SCENARIO = """\
name = "tiny"
steps = 20

[loss]
type = "quadratic"
eigenvalues = [1.0, 10.0]

[optimizer]
type = "sgd"
lr = 0.05

[[runs]]
label = "a"

[[runs]]
label = "b"
optimizer.lr = 0.3
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(SCENARIO)
    return path


def test_list_shows_every_builtin_with_a_summary(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    lessons = [line for line in lines if not line.endswith(":")]  # the rest are the course's chapters
    assert len(lessons) >= 20 and lines[0] == "Too high:"
    assert all("  " in line for line in lessons)
    assert [line.split(".")[0].strip() for line in lessons] == [str(n) for n in range(1, len(lessons) + 1)]


def test_show_prints_a_file_that_checks_ok(capsys, tmp_path):
    assert main(["show", "too-high-oscillation"]) == 0
    text = capsys.readouterr().out
    mine = tmp_path / "mine.toml"
    mine.write_text(text)
    assert main(["check", str(mine)]) == 0
    assert capsys.readouterr().out.strip() == f"{mine}: ok"


def test_show_unknown_name_suggests(capsys):
    assert main(["show", "too-high-oscilation"]) == 2
    assert 'did you mean "too-high-oscillation"' in capsys.readouterr().err


def test_check_exits_2_if_any_file_is_bad(capsys, tiny, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.replace('type = "sgd"', 'type = "adamm"'))
    assert main(["check", str(tiny), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert f"{tiny}: ok" in out
    assert 'unknown optimizer "adamm"; did you mean "adam"?' in err and "Traceback" not in err


def test_run_csv_rows_follow_torch_conventions(capsys, tiny):
    assert main(["run", str(tiny), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["run", "label", "step", "lr", "loss", "grad_norm", "x0", "x1"]
    run_a = [r for r in rows if r["run"] == "0"]
    assert [int(r["step"]) for r in run_a] == list(range(21))
    # Row t holds parameters after t updates; x_{t+1} = x_t - lr * A x_t on this diagonal quadratic.
    x0, x1 = float(run_a[0]["x0"]), float(run_a[1]["x0"])
    assert x1 == pytest.approx(x0 * (1 - 0.05 * 1.0))
    assert float(run_a[3]["lr"]) == 0.05


def test_run_stops_a_diverged_run_at_its_step(capsys, tiny):
    assert main(["run", str(tiny), "--format", "csv", "--set", "optimizer.lr=5.0", "--steps", "2000"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    steps = [int(r["step"]) for r in rows if r["run"] == "0"]
    assert 50 < steps[-1] < 2000
    assert rows[[r["run"] for r in rows].index("0") + len(steps) - 1]["loss"] in ("inf", "nan")


def test_run_json_and_table(capsys, tiny):
    assert main(["run", str(tiny), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"] == "tiny" and [r["label"] for r in data["runs"]] == ["a", "b"]
    run = data["runs"][0]
    assert run["status"] == "ok" and run["steps"] == 20 and len(run["history"]["loss"]) == 21
    assert run["config"]["optimizer"]["lr"] == 0.05
    assert main(["run", str(tiny)]) == 0
    table = capsys.readouterr().out
    assert "final loss" in table and "a" in table


def test_run_output_file_is_not_clobbered_without_force(capsys, tiny, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out)]) == 0
    first = out.read_text()
    assert first.startswith("run,label,step")
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["run", str(tiny), "--format", "json", "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("{")


def test_bad_set_and_bad_file_are_one_line_errors(capsys, tiny):
    assert main(["run", str(tiny), "--set", "optimizer.lr"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert main(["run", str(tiny), "--set", "optimizer.lrr=0.1"]) == 2
    err = capsys.readouterr().err
    assert "optimizer.lrr: unknown key" in err and 'did you mean "lr"' in err


def test_help_for_every_command_has_examples():
    for args in (["--help"], ["run", "--help"], ["check", "--help"], ["show", "--help"], ["find", "--help"]):
        out = subprocess.run([sys.executable, "-m", "lrtui", *args], capture_output=True, text=True)
        assert out.returncode == 0 and "example" in out.stdout


def test_headless_commands_never_import_textual(tiny):
    code = (
        "import sys; from lrtui.cli import main; "
        f"main(['run', {str(tiny)!r}]); main(['list']); main(['check', {str(tiny)!r}]); "
        "print('TEXTUAL' if any(m.startswith('textual') for m in sys.modules) else 'CLEAN', file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip().endswith("CLEAN"), out.stderr


def test_serve_parser_binds_loopback_by_default_and_checks_the_port(capsys):
    from lrtui.cli import _command_parser

    args = _command_parser("serve").parse_args([])
    assert (args.host, args.port, args.scenarios) == ("127.0.0.1", 8000, [])
    args = _command_parser("serve").parse_args(["lr-sweep", "--host", "0.0.0.0", "--port", "8080", "--ascii"])
    assert (args.host, args.port, args.scenarios, args.ascii) == ("0.0.0.0", 8080, ["lr-sweep"], True)
    with pytest.raises(SystemExit) as exit_info:
        _command_parser("serve").parse_args(["--port", "70000"])
    assert exit_info.value.code == 2 and "--port: must be from 1 to 65535" in capsys.readouterr().err


def test_serve_without_the_web_extra_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # makes the import fail as if not installed
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "lrtui serve needs the optional web extra: pip install 'lrtui[web]'"


def test_serve_hands_textual_serve_a_quoted_command_for_this_python(capsys, monkeypatch, tiny):
    import shlex
    import types

    from lrtui import serve_command

    started = {}

    class FakeServer:
        def serve(self):
            started["served"] = True

    def fake_server(command, guard):
        started.update(command=command, host=guard.host, port=guard.port)
        return FakeServer()

    monkeypatch.setattr(serve_command, "make_server", fake_server)
    monkeypatch.setitem(sys.modules, "textual_serve", types.ModuleType("textual_serve"))
    monkeypatch.setitem(sys.modules, "textual_serve.server", types.ModuleType("textual_serve.server"))
    spaced = tiny.parent / "my scenario.toml"
    spaced.write_text(SCENARIO)
    assert main(["serve", "lr-sweep", str(spaced), "--port", "8123", "--fps", "5"]) == 0
    assert started["host"] == "127.0.0.1" and started["port"] == 8123 and started["served"]
    assert shlex.split(started["command"]) == [sys.executable, "-m", "lrtui", "lr-sweep", str(spaced), "--fps", "5"]
    # A bad scenario is reported here, before any server starts.
    started.clear()
    assert main(["serve", "no-such-scenario"]) == 2 and not started
    assert "no built-in scenario" in capsys.readouterr().err


def test_serve_help_has_examples():
    out = subprocess.run([sys.executable, "-m", "lrtui", "serve", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "example" in out.stdout and "127.0.0.1" in out.stdout
