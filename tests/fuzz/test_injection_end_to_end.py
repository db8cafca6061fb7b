"""The injection corpus end to end: each attempt in a scenario file through `lrtui check`, as a download arrives.

tests/core/test_expression.py holds the corpus checks on the parser itself.
"""

from __future__ import annotations

from lrtui.cli import main
from tests.core.test_expression import corpus_lines
from tests.fuzz.toml_writer import document


def test_every_corpus_line_in_a_scenario_file_is_a_one_line_error_and_nothing_runs(tmp_path, monkeypatch, capsys):
    marker = tmp_path / "MARKER"
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "downloaded.toml"
    for line in corpus_lines():
        loss = {"type": "expression", "expr": line.replace("MARKER", str(marker)), "vars": ["x", "y"]}
        scenario.write_text(document({"name": "attempt", "loss": loss, "optimizer": {"type": "sgd", "lr": 0.1}}),
                            encoding="utf-8")
        assert main(["check", str(scenario)]) == 2, line
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"{scenario}:") and "loss.expr" in err, (line, err)
    assert not marker.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["downloaded.toml"]
