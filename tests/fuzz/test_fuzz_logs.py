"""Fuzzed training logs through `lrtui diagnose`: a report or a clean error, in every format it reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import assert_clean, fuzz_settings, run_cli

# Loss values a real log holds (a falling curve, noise, spikes) and ones it should not (nan, inf, 1e308, -0.0).
losses = st.one_of(
    st.floats(0, 10),
    st.floats(-1e308, 1e308),
    st.sampled_from([0.0, -0.0, 5e-324, 1e-300, 1e300, 1.7976931348623157e308, float("nan"), float("inf"),
                     float("-inf"), -1.0]),
)
steps = st.one_of(st.integers(0, 10_000), st.sampled_from([0, -1, 2**53, 2**63, 10**30, 10**400]),
                  st.floats(-1e6, 1e6), st.sampled_from([float("nan"), float("inf")]))
lengths = st.integers(0, 400)


def _cell(value) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


@st.composite
def curves(draw):
    """A falling loss with noise and now and then a hostile value; steps mostly increasing."""
    n = draw(lengths)
    base = draw(st.floats(1e-3, 10))
    decay = draw(st.floats(0.9, 1.05))
    hostile_steps = draw(st.booleans())  # half the logs keep clean steps, so that they get judged
    rows = []
    counter = draw(st.integers(0, 5))
    for i in range(n):
        loss = base * decay**i
        if draw(st.integers(0, 9)) == 0:
            loss = draw(losses)
        counter += draw(st.integers(0, 3))
        step = draw(steps) if hostile_steps and draw(st.integers(0, 49)) == 0 else counter
        rows.append((step, loss, draw(st.sampled_from([0.1, 1e-3, 0.0, None, float("nan"), 1e300]))))
    return rows


@st.composite
def logs(draw) -> tuple[str, str]:
    """(file name, text) of a log in one of the formats diagnose reads."""
    rows = draw(curves())
    kind = draw(st.sampled_from(["keras", "lightning", "tensorboard", "lrtui", "csv", "jsonl", "tsv", "huggingface",
                                 "wandb", "text", "mlflow", "appended"]))
    if kind == "huggingface":
        history = [{"loss": loss, "learning_rate": lr, "step": step, "grad_norm": 1.0} if i % 4 else
                   {"eval_loss": loss, "step": step} for i, (step, loss, lr) in enumerate(rows)]
        history.append({"train_loss": 0.5, "step": 10, "train_runtime": 1.0})
        return "trainer_state.json", json.dumps({"global_step": len(rows), "log_history": history}, indent=1)
    if kind == "wandb":
        runs = draw(st.lists(st.text(alphabet="ab-\x1b\u202e ", min_size=1, max_size=6), min_size=1, max_size=3))
        head = ['"Step"'] + [f'"{r} - train/loss{b}"' for r in runs for b in ("", "__MIN", "__MAX")]
        lines = [",".join(head)] + [",".join([f'"{_cell(step)}"'] + [f'"{_cell(loss)}"'] * 3 * len(runs))
                                     for step, loss, _ in rows]
        return "wandb_export.csv", "\n".join(lines) + "\n"
    if kind == "text":
        template = draw(st.sampled_from(["2023-05-15 22:50:17,398 INFO:Epoch {s}: Train Loss={l}, Val Loss={l}",
                                         "Epoch [{s}/9], Step [{s}/600], Loss: {l}", "iter {s}: loss {l}, time 3ms",
                                         "step={s} loss={l} lr: {r}", "Train Epoch: {s} [0/6 (0%)]\tLoss: {l}"]))
        lines = [template.format(s=_cell(step), l=_cell(loss), r=_cell(lr)) for step, loss, lr in rows]
        return "train.log", "\n".join(lines) + "\n"
    if kind == "mlflow":
        lines = [f"{1714478400000 + i} {_cell(loss) or 'nan'} {_cell(step)}" for i, (step, loss, _) in enumerate(rows)]
        return "mlruns/0/abc/metrics/loss", "\n".join(lines) + "\n"
    if kind == "appended":  # two runs one after another, a header repeated between them or not
        lines = ["epoch,loss"] + [f"{i},{_cell(loss)}" for i, (_, loss, _) in enumerate(rows)]
        if draw(st.booleans()):
            lines.append("epoch,loss")
        lines += [f"{i},{_cell(loss)}" for i, (_, loss, _) in enumerate(rows[: len(rows) // 2])]
        return "training.log", "\n".join(lines) + "\n"
    if kind == "keras":
        lines = ["epoch,learning_rate,loss,val_loss"]
        lines += [f"{i},{_cell(lr)},{_cell(loss)},{_cell(loss * 1.1 if i % 3 == 0 else None)}"
                  for i, (_, loss, lr) in enumerate(rows)]
        return "training.log.csv", "\n".join(lines) + "\n"
    if kind == "lightning":
        lines = ["epoch,lr-Adam,step,train_loss_step,val_loss"]
        for step, loss, lr in rows:
            lines.append(f",{_cell(lr)},{step},,")
            lines.append(f"0,,{step},{_cell(loss)},")
            if draw(st.integers(0, 9)) == 0:
                lines.append(f"0,,{step},,{_cell(loss)}")
        return "metrics.csv", "\n".join(lines) + "\n"
    if kind == "tensorboard":
        lines = ["Wall time,Step,Value"] + [f"1714478401.5,{step},{_cell(loss)}" for step, loss, _ in rows]
        return "run-train-tag-loss.csv", "\n".join(lines) + "\n"
    if kind == "lrtui":
        lines = ["run,label,step,lr,loss,grad_norm,x0,x1"]
        run = draw(st.sampled_from([[0], [0, 1]]))
        lines += [f"{run[i % len(run)]},sgd lr=0.1,{step},{_cell(lr)},{_cell(loss)},1.0,0.5,0.5"
                  for i, (step, loss, lr) in enumerate(rows)]
        return "out.csv", "\n".join(lines) + "\n"
    if kind in ("csv", "tsv"):
        sep = "," if kind == "csv" else "\t"
        header = draw(st.sampled_from([["step", "loss"], ["iteration", "train_loss", "lr"],
                                       ["global_step", "Loss", "Learning Rate"], ["epoch", "loss_epoch"]]))
        lines = [sep.join(header)]
        for step, loss, lr in rows:
            cells = [_cell(step), _cell(loss), _cell(lr)][: len(header)]
            lines.append(sep.join(cells))
        return f"log.{kind}", "\n".join(lines) + "\n"
    records = []
    for step, loss, lr in rows:
        record = {"step": step, "loss": loss}
        if lr is not None:
            record["lr"] = lr
        records.append(json.dumps(record))  # nan and inf as JSON's NaN and Infinity, as Python writes them
    return "run.jsonl", "\n".join(records) + "\n"


def _garble(text: str, draw) -> str:
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["cut", "insert", "delete"]))
        if action == "cut":
            text = text[:at]
        elif action == "insert":
            junk = draw(st.sampled_from([",", '"', "\n", "{", "}", "\t", ";", "nan", "tensor(0.5)", "\x00", "é",
                                         "\r", ",,,,,,,", "[1, 2]", "true", "null", '"loss": "x"', "[" * 3000,
                                         "9" * 5000, "1e999", "\x1b[2J", "\u2028"]))
            text = text[:at] + junk + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
    return text


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-logs")


def _not_json(token):
    raise AssertionError(f"the JSON report holds {token}, which is not JSON")


def _diagnose(folder, name: str, data: bytes, extra: list[str], kind: str):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    outcome = run_cli(["diagnose", str(path), *extra], kind)
    assert_clean(outcome, (str(path), path.name))  # messages start with the file's name, as the user gave it
    if outcome.code == 0 and "--format" in extra:
        report = json.loads(outcome.out, parse_constant=_not_json)  # strict JSON: jq refuses NaN and Infinity
        assert report["verdict"] and report["log"]["points"] > 0
        assert all(r["verdict"] for r in report["runs"])
    for ch in ("\x1b", "\x9b", "\u202e", "\x07"):  # nothing from a log reaches the terminal raw
        assert ch not in outcome.out and ch not in outcome.err, (ch, outcome.describe())
    return outcome


OPTIONS = st.sampled_from([[], ["--format", "json"], ["--no-plot"], ["--run", "0"], ["--run", "-1", "--format", "json"],
                           ["--column", "loss"], ["--plot"]])


@fuzz_settings(120)
@given(log=logs(), extra=OPTIONS)
def test_generated_logs_in_every_format(folder, log, extra):
    name, text = log
    _diagnose(folder, name, text.encode(), extra, "training log")


@fuzz_settings(80)
@given(log=logs(), extra=OPTIONS, data=st.data())
def test_garbled_logs(folder, log, extra, data):
    name, text = log
    _diagnose(folder, name, _garble(text, data.draw).encode("utf-8", "surrogatepass"), extra, "garbled log")


@fuzz_settings(40)
@given(raw=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8", "replace"))),
       name=st.sampled_from(["log.csv", "log.jsonl", "log.json", "metrics.csv", "log.txt", "trainer_state.json",
                             "metrics/loss", "events.out.tfevents.1.x"]), extra=OPTIONS)
def test_garbage_files(folder, raw, name, extra):
    _diagnose(folder, name, raw, extra, "garbage log")
