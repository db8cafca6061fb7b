"""From a path to a log's runs: a file of any format, or a folder that a training tool writes.

Folders: a TensorBoard run folder (event files in it, or in `train/` and `validation/` beside each other) or a
folder of such runs; a Hugging Face output or checkpoint folder (`trainer_state.json`, the latest
`checkpoint-N`); an MLflow run (`mlruns/<experiment>/<run>`, its `metrics` folder, or one metric file) or an
experiment (each run a run); a Lightning version folder (`metrics.csv`) or `lightning_logs` (each version a run).
"""

from __future__ import annotations

import re
from pathlib import Path

from lrtui.logs.assemble import LogFile, TrainingLog, assemble
from lrtui.logs.errors import MAX_BYTES, MAX_FILES, LogError
from lrtui.logs.formats import MlflowMetricParser, fill_mlflow
from lrtui.logs.reader import LineSplitter, LogReader
from lrtui.logs.table import Table
from lrtui.logs.tensorboard_format import read_event_files

CHUNK = 1 << 20
EVENT_PREFIX = "events.out.tfevents"
PART_FOLDERS = ("train", "training", "validation", "val", "valid", "eval", "evaluation", "test")


def read_runs(path, column: str | None = None) -> LogFile:
    """Every run of the log at `path` (a file or a folder)."""
    path = Path(path)
    name = path.name or str(path)
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:  # a folder on the way that we may not enter
        raise LogError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not path.exists():
        raise LogError(f"{path}: no such file; give a training log: a CSV, JSON Lines or text log, a TensorBoard "
                       "event file or folder, a trainer_state.json, or an MLflow run folder")
    if path.is_dir():
        return _folder(path, name, column)
    if name.startswith(EVENT_PREFIX):
        return assemble([read_event_files([(path, "")], name)], str(path), column)
    metrics = next((a for a in list(path.parents)[:3] if a.name == "metrics"), None)
    if metrics is not None and not path.suffix:
        return _mlflow_run(metrics, str(path), column or _metric_name(metrics, path), shown_from=path.parent)
    return read_file(path, name, column)


def read_log(path, column: str | None = None, run: int | None = None) -> TrainingLog:
    """One run of the log at `path`: the last unless `run` says which."""
    return read_runs(path, column).pick(run)


def read_file(path: Path, name: str, column: str | None = None, kind: str | None = None) -> LogFile:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LogError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if size > MAX_BYTES:
        raise LogError(f"{name}: {size / 2**20:.0f} MB is more than lrtui reads ({MAX_BYTES // 2**20} MB); keep every "
                       "k-th row first")
    reader = LogReader(name, str(path), kind=kind, column=column)
    try:
        # At most one chunk past the limit: a device (/dev/zero) or a pipe (<(...)) reports no size.
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                reader.feed(chunk)
    except OSError as exc:
        raise LogError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    reader.end()
    return reader.log()


# -- folders -------------------------------------------------------------------------------------------------

def _folder(path: Path, name: str, column: str | None) -> LogFile:
    entries = _listing(path)
    names = {p.name for p in entries}
    events = [p for p in entries if p.name.startswith(EVENT_PREFIX) and p.is_file()]
    subdirs = [p for p in entries if p.is_dir()]
    if "trainer_state.json" in names:
        return read_file(path / "trainer_state.json", "trainer_state.json", column)
    checkpoints = [p for p in subdirs if re.fullmatch(r"checkpoint-\d+", p.name) and (p / "trainer_state.json").is_file()]
    if checkpoints:
        latest = max(checkpoints, key=lambda p: int(p.name.split("-")[1]))
        return read_file(latest / "trainer_state.json", f"{latest.name}/trainer_state.json", column)
    if events:
        return assemble([_tensorboard_run(path, name, events, subdirs)], str(path), column)
    if path.name == "metrics" or (path / "metrics").is_dir():
        return _mlflow_run(path if path.name == "metrics" else path / "metrics", str(path), column,
                           shown_from=path.parent)
    if "metrics.csv" in names:
        return read_file(path / "metrics.csv", f"{name}/metrics.csv", column)
    tb_parts = [p for p in subdirs if p.name.lower() in PART_FOLDERS and _events_in(p)]
    if tb_parts:
        return assemble([_tensorboard_run(path, name, [], subdirs)], str(path), column)
    runs = [p for p in sorted(subdirs) if _events_in(p) or any(_events_in(q) for q in _subfolders(p))]
    if runs:
        tables = [_tensorboard_run(p, f"{name}/{p.name}", [f for f in _listing(p) if _is_event(f)],
                                   _subfolders(p), label=p.name) for p in runs]
        return assemble(tables, str(path), column)
    mlflow_runs = [p for p in sorted(subdirs) if (p / "metrics").is_dir()]
    if mlflow_runs:
        tables = [_mlflow_table(p / "metrics", f"{name}/{p.name}", _run_name(p), shown_from=path.parent)
                  for p in mlflow_runs]
        return assemble(tables, str(path), column)
    versions = sorted((p for p in subdirs if (p / "metrics.csv").is_file()), key=_version_key)
    if versions:
        tables = []
        for p in versions:
            tables += _tables_of(read_file_tables(p / "metrics.csv", f"{name}/{p.name}/metrics.csv"), p.name)
        return assemble(tables, str(path), column)
    raise LogError(f"{path} is a folder without a log lrtui reads; give a log file, or a folder with TensorBoard "
                   "event files, a trainer_state.json, MLflow metrics or a Lightning metrics.csv")


def _listing(path: Path) -> list[Path]:
    try:
        entries = []
        for entry in path.iterdir():
            entries.append(entry)
            if len(entries) > MAX_FILES:
                raise LogError(f"{path}: more than {MAX_FILES:,} entries; point at one run's folder or file")
        return sorted(entries)
    except OSError as exc:
        raise LogError(f"{path}: cannot list it ({exc.strerror or exc})") from None


def _subfolders(path: Path) -> list[Path]:
    return [p for p in _listing(path) if p.is_dir()]


def _is_event(path: Path) -> bool:
    return path.name.startswith(EVENT_PREFIX) and path.is_file()


def _events_in(path: Path) -> bool:
    return any(_is_event(p) for p in _listing(path))


def _tensorboard_run(path: Path, name: str, events: list[Path], subdirs: list[Path], label: str = "") -> Table:
    files = [(p, "") for p in events]
    for sub in subdirs:
        if sub.name.lower() in PART_FOLDERS:
            files += [(p, f"{sub.name}/") for p in _listing(sub) if _is_event(p)]
    if not files:
        raise LogError(f"{path}: no TensorBoard event files in it")
    return read_event_files(files, name, label)


def _version_key(path: Path):
    m = re.search(r"(\d+)$", path.name)
    return (int(m.group(1)) if m else -1, path.name)


def read_file_tables(path: Path, name: str) -> list[Table]:
    reader = LogReader(name, str(path))
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise LogError(f"{name}: {size / 2**20:.0f} MB is more than lrtui reads ({MAX_BYTES // 2**20} MB)")
    reader.feed(path.read_bytes())
    reader.end()
    return reader.tables()


def _tables_of(tables: list[Table], label: str) -> list[Table]:
    for t in tables:
        t.label = t.label or label
    return tables


# -- MLflow ----------------------------------------------------------------------------------------------------

def _metric_name(metrics: Path, path: Path) -> str:
    return path.relative_to(metrics).as_posix()


def _metric_files(metrics: Path) -> list[Path]:
    found, stack = [], [metrics]
    while stack:  # metric names with "/" are sub-folders
        for p in _listing(stack.pop()):
            if p.is_dir():
                stack.append(p)
            elif p.is_file():
                found.append(p)
            if len(found) > MAX_FILES:
                raise LogError(f"{metrics}: more than {MAX_FILES:,} metric files")
    return sorted(found)


def _run_name(run: Path) -> str:
    tag = run / "tags" / "mlflow.runName"
    try:
        if tag.is_file() and tag.stat().st_size < 1000:
            return tag.read_text(encoding="utf-8", errors="replace").strip() or run.name
    except OSError:
        pass
    return run.name


def _mlflow_table(metrics: Path, name: str, label: str = "", shown_from: Path | None = None) -> Table:
    files = _metric_files(metrics)
    if not files:
        raise LogError(f"{metrics}: no metric files in it")
    if sum(p.stat().st_size for p in files) > MAX_BYTES:
        raise LogError(f"{name}: its metric files hold more than lrtui reads ({MAX_BYTES // 2**20} MB)")
    parsed = []
    for p in files:
        metric = _metric_name(metrics, p)
        shown = p.relative_to(shown_from).as_posix() if shown_from is not None else f"{metrics.name}/{metric}"
        parser = MlflowMetricParser(shown, metric)
        splitter = LineSplitter(parser.name)
        data = p.read_bytes()
        if b"\x00" in data[:65536]:
            raise LogError(f"{parser.name} is a binary file, not an MLflow metric file")
        for number, text in splitter.feed(data) + splitter.end():
            parser.line(number, text)
        parsed.append((metric, parser))
    table = Table(name, "mlflow")
    table.label = label
    table.empty_message = f"{name}: its MLflow metric files are empty"
    fill_mlflow(table, parsed)
    return table


def _mlflow_run(metrics: Path, path: str, column: str | None, shown_from: Path | None = None) -> LogFile:
    run = metrics.parent
    name = Path(path).relative_to(shown_from).as_posix() if shown_from is not None else f"{run.name}/metrics"
    return assemble([_mlflow_table(metrics, name, _run_name(run), shown_from)], path, column)
