"""Turning an experiment's history into CSV, JSON or a summary table, and writing files safely."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import TYPE_CHECKING, Iterator

import numpy as np

from lrtui.core.diagnostics.types import in_words
from lrtui.core.history import MAX_RECORDED_PARAMS
from lrtui.text import visible
from lrtui.writing import cannot_write, unwritable, write_atomically  # noqa: F401 (the callers' names)

if TYPE_CHECKING:  # only for annotations: `lrtui diagnose` imports json_safe without the engine
    from lrtui.core.experiment import Experiment


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def printable(text: str) -> str:
    """`text` with control characters (an escape sequence from a hostile file, a stray \\r) shown as escapes,
    so that a message quoting a file cannot move the cursor, recolour or clear the user's terminal."""
    return visible(text)


def shortened(text: str, limit: int = 400) -> str:
    """`text`, or its start and end around " ... " when a quoted value (a list of thousands) makes it long."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 150]} ... {text[-120:]}"


def json_safe(value):
    """`value` with every nan and inf turned into None: JSON has no such numbers, and jq or a browser refuse them."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def run_rows(exp: Experiment, run: int) -> dict[str, np.ndarray]:
    """Aligned columns for one run: step, lr, loss, grad_norm, x0.., test metrics."""
    steps, loss = exp.series(run, "loss")
    columns = {"step": steps, "lr": exp.series(run, "lr")[1], "loss": loss, "grad_norm": exp.series(run, "grad_norm")[1]}
    sim, local = exp.locate(run)
    if sim.history.records_params:
        _, params = sim.history.params_series(local)
        for j in range(params.shape[1]):
            columns[f"x{j}"] = params[:, j]
    if sim.loss.is_model:
        for name in ("test_loss", "test_accuracy"):
            columns[name] = exp.series(run, name)[1]
    return columns


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) sends data away):
# OWASP's rule for CSV injection is to prefix such a text cell with a quote, which makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """A text cell (a run's label) for CSV: control characters shown as escapes, and a quote before a
    leading =, +, -, @, tab or CR, so that neither a terminal nor a spreadsheet acts on the file's text."""
    text = visible(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_header(exp: Experiment) -> list[str]:
    n_x = max(
        (exp.loss_of(r).n_params for r in range(exp.n_runs) if exp.loss_of(r).n_params <= MAX_RECORDED_PARAMS),
        default=0,
    )
    any_model = any(exp.loss_of(r).is_model for r in range(exp.n_runs))
    header = ["run", "label", "step", "lr", "loss", "grad_norm"] + [f"x{j}" for j in range(n_x)]
    if any_model:
        header += ["test_loss", "test_accuracy"]
    return header


def csv_chunks(exp: Experiment) -> Iterator[str]:
    """The CSV export: the header, then one string per run, so that a large export is never held whole."""
    header = csv_header(exp)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    yield out.getvalue()
    names = header[2:]
    for run in range(exp.n_runs):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = run_rows(exp, run)
        label = text_cell(exp.spec(run).label)
        data = [columns.get(name) for name in names]
        for i in range(len(columns["step"])):
            cells = [run, label]
            for name, col in zip(names, data):
                if col is None:
                    cells.append("")
                elif name == "step":
                    cells.append(int(col[i]))
                else:
                    cells.append(repr(float(col[i])))
            writer.writerow(cells)
        yield out.getvalue()


def to_csv(exp: Experiment) -> str:
    return "".join(csv_chunks(exp))


def run_summary(exp: Experiment, run: int, with_summary: bool = True) -> dict:
    steps, loss = exp.series(run, "loss")
    finite = loss[np.isfinite(loss)]
    summary = {
        "label": exp.spec(run).label,
        "status": "diverged" if exp.diverged_at(run) >= 0 else "ok",
        "diverged_at": exp.diverged_at(run) if exp.diverged_at(run) >= 0 else None,
        "final_loss": _number(loss[-1]) if loss.size else None,
        "best_loss": _number(finite.min()) if finite.size else None,
        "steps": int(steps[-1]) if steps.size else 0,
        "verdict": exp.verdict(run),
        "summary": exp.summary(run).as_dict() if with_summary else None,
        "diagnoses": [d.as_dict() for d in exp.diagnoses(run)],
    }
    if exp.loss_of(run).is_model:
        # The loss column of a mini-batch run is its last batch's loss; these are on whole splits.
        for name in ("train_loss", "test_loss", "test_accuracy"):
            summary[name] = _number(exp.series(run, name)[1][-1])
    return summary


def json_chunks(exp: Experiment, scenario_name: str, configs: list[dict]) -> Iterator[str]:
    """The JSON export, one string per run: the same text as json.dumps(..., indent=1) of the whole,
    without ever holding the whole (4,096 runs of long histories made gigabytes of Python floats)."""
    yield "{\n \"scenario\": " + json.dumps(scenario_name) + ",\n \"runs\": ["
    for run in range(exp.n_runs):
        entry = run_summary(exp, run)
        entry["config"] = configs[run] if run < len(configs) else {}
        entry["history"] = {
            name: [int(v) for v in col] if name == "step" else [_number(v) for v in col]
            for name, col in run_rows(exp, run).items()
        }
        text = json.dumps(json_safe(entry), indent=1, allow_nan=False)
        yield ("," if run else "") + "\n" + text.replace("\n", "\n  ").join(("  ", ""))
    yield "\n ]\n}\n" if exp.n_runs else "]\n}\n"


def to_json(exp: Experiment, scenario_name: str, configs: list[dict]) -> str:
    return "".join(json_chunks(exp, scenario_name, configs))


def to_table(exp: Experiment, scenario_name: str) -> str:
    """`lrtui run`'s summary: a row per run, then each run's finding. The final and best losses of every run are
    read from the history in one pass (a sweep of a thousand runs is not walked run by run), and no verdict's
    explanation is made (only its one-line message is shown)."""
    final, best, held = exp.final_and_best("loss")
    has_acc = any(sim.loss.is_model for sim in exp.simulations)
    head = ["run", "label", "status", "verdict", "final loss", "best loss"] + (
        ["train loss", "test acc"] if has_acc else [])
    body = []
    for i in range(exp.n_runs):
        diverged = exp.diverged_at(i)
        status = "ok" if diverged < 0 else f"diverged at step {diverged}"
        cells = [str(i), printable(exp.spec(i).label), status, in_words(exp.verdict(i)),
                 _fmt(_number(final[i]) if held[i] else None), _fmt(_number(best[i]))]
        if has_acc:
            cells += _model_cells(exp, i)
        body.append(cells)
    widths = [max(len(h), *(len(row[c]) for row in body)) for c, h in enumerate(head)]
    lines = [f"{scenario_name}  ({exp.step_count} steps)", "  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in body]
    # Each verdict as it stands at the end, as the app's `enter` explains it (its try dated where it was made).
    findings = [d for r in range(exp.n_runs) if (d := exp.summary(r)).code != "improving"]
    if findings:
        lines.append("")
        for d in findings:
            lines.append(f"run {d.run}: {d.message}")
    # Labels and the name come from the scenario file: keep its control characters off the terminal.
    return "\n".join(printable(line) for line in lines) + "\n"


def _model_cells(exp: Experiment, run: int) -> list[str]:
    """The train loss and test accuracy cells of a run on a data model (blank for a 2-D loss beside one)."""
    if not exp.loss_of(run).is_model:
        return ["", ""]
    train, acc = (_number(exp.series(run, name)[1][-1]) for name in ("train_loss", "test_accuracy"))
    return [_fmt(train), "" if acc is None else f"{100 * acc:.1f}%"]


def _fmt(value) -> str:
    return "nan/inf" if value is None else f"{value:.6g}"
