"""TensorBoard event files, read with TensorBoard's own reader (an optional extra: pip install 'lrtui[tensorboard]').

Scalars only (TF1 `simple_value` and TF2 / PyTorch `scalars` tensors alike). The events of every file given are
merged in the order they were written (wall time), so a folder written by two attempts, or Keras's `train/` and
`validation/` sub-folders, reads as one timeline; steps that go back then start a new run, as in any log.
"""

from __future__ import annotations

import math
from pathlib import Path

from lrtui.logs.errors import MAX_BYTES, LogError
from lrtui.logs.table import Table

INSTALL_HINT = "pip install 'lrtui[tensorboard]'"
MAX_EVENTS = 20_000_000  # scalar values read from one log (about 50 bytes each on disk, so the byte cap binds first)


def loader_class():
    """TensorBoard's event file loader, or a LogError with the one-line install hint."""
    try:
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    except ImportError:
        return None
    return EventFileLoader


def missing(name: str) -> LogError:
    return LogError(f"{name}: reading TensorBoard event files needs TensorBoard: {INSTALL_HINT} (or, in "
                    "TensorBoard, download the loss scalar as CSV and give that)")


def scalar_events(path: Path, loader_cls):
    """(wall time, step, tag, value) of each scalar in one event file, in file order."""
    from tensorboard.util import tensor_util

    loader = loader_cls(str(path))
    for event in loader.Load():
        if not event.HasField("summary"):
            continue
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number = float(value.simple_value)
            elif kind == "tensor" and value.metadata.plugin_data.plugin_name in ("scalars", ""):
                try:
                    array = tensor_util.make_ndarray(value.tensor)
                except Exception:  # a tensor TensorBoard itself cannot decode: not a scalar we can use
                    continue
                if array.size != 1 or array.dtype.kind not in "fiub":
                    continue
                number = float(array.reshape(()))
            else:
                continue
            yield float(event.wall_time), float(event.step), value.tag, number


def read_event_files(files: list[tuple[Path, str]], name: str, label: str = "") -> Table:
    """One table from event files, each with a prefix for its tags ("validation/" for Keras's sub-folder)."""
    loader_cls = loader_class()
    if loader_cls is None:
        raise missing(name)
    total = sum(p.stat().st_size for p, _ in files)
    if total > MAX_BYTES:
        raise LogError(f"{name}: {total / 2**20:.0f} MB of event files, more than lrtui reads "
                       f"({MAX_BYTES // 2**20} MB)")
    events = []
    for k, (path, prefix) in enumerate(files):
        try:
            for seq, (wall, step, tag, value) in enumerate(scalar_events(path, loader_cls)):
                events.append((wall if math.isfinite(wall) else 0.0, k, seq, step, prefix + tag, value))
                if len(events) > MAX_EVENTS:
                    raise LogError(f"{name}: more than {MAX_EVENTS:,} scalar values; more than lrtui reads")
        except LogError:
            raise
        except Exception as exc:  # a corrupt record: TensorBoard's reader gives up on the file
            raise LogError(f"{path.name}: not a readable TensorBoard event file ({type(exc).__name__}); is it "
                           "complete?") from None
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    table = Table(name, "tensorboard-events")
    table.label = label
    table.line_word = "event"
    table.empty_message = f"{name}: no scalar values in its TensorBoard events; log the loss with add_scalar"
    for number, (_, _, _, step, tag, value) in enumerate(events, start=1):
        table.note_names([tag])
        record = table.start_record(number)
        table.put(record, "step", step)
        if table.is_wanted(tag):
            table.put(record, tag, value)
    if table.records:
        table.note_names(["step"])
    return table
