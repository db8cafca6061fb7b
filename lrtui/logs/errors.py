"""The one error every log reader raises, and the caps that keep a hostile file cheap to refuse."""

from __future__ import annotations

from lrtui.export import printable, shortened

MAX_BYTES = 200 * 1024 * 1024  # a log (or all the files of a log folder) past this is refused: keep every k-th row
MAX_LINE_BYTES = 1024 * 1024  # one line past this is not a log line (a minified page, a dump, a missing newline)
MAX_COLUMNS = 10_000  # a header (or the keys seen) past this many columns is not a training log
MAX_RUNS = 4_096  # runs in one log (appended runs, lrtui run's sweeps, W&B exports, folders of runs)
MAX_FILES = 1_024  # event files, metric files or run folders looked at inside a folder
SNIFF_BYTES = 64 * 1024  # the format is decided from the file's name and its first bytes


class LogError(ValueError):
    """A training log that cannot be read; the message is one line, for the user."""

    def __init__(self, message: str):
        # It may quote the file (names, cells, headers): escape control characters, cut huge values.
        super().__init__(printable(shortened(message)))
