"""Reading a scenario file safely, and finding which line a key is on.

tomllib reports no positions for keys, so a small scanner over the text maps
dotted key paths to line numbers for error messages.
"""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

from lrtui.scenario.errors import Problem, ScenarioError

MAX_FILE_BYTES = 1_000_000

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _clean_key(dotted: str) -> str:
    parts = re.findall(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""", dotted)
    return ".".join(p.strip("\"'") for p in parts)


def key_lines(text: str) -> dict[str, int]:
    """Map each key path ("optimizer.lr", "runs[0].label") to its 1-based line."""
    lines: dict[str, int] = {}
    prefix = ""
    counts: dict[str, int] = {}
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        if m := _ARRAY_TABLE.match(line):
            name = _clean_key(m.group(1))
            index = counts.get(name, 0)
            counts[name] = index + 1
            prefix = f"{name}[{index}]"
            lines.setdefault(prefix, number)
            lines.setdefault(name, number)
            continue
        if m := _TABLE.match(line):
            prefix = _clean_key(m.group(1))
            lines.setdefault(prefix, number)
            continue
        if m := _KEY.match(line):
            key = _clean_key(m.group(1))
            full = f"{prefix}.{key}" if prefix else key
            lines.setdefault(full, number)
            rest = line[m.end():]
            if rest.count('"""') == 1 or rest.count("'''") == 1:
                in_multiline = True
    return lines


def read_text(path: Path) -> str:
    """The file's text, or a ScenarioError that says plainly what is wrong with it."""
    name = str(path)

    def fail(message: str):
        raise ScenarioError([Problem(name, "", message)])

    try:
        info = path.stat()
    except FileNotFoundError:
        fail("no such file; check the path, or run `lrtui list` for the built-in scenarios")
    except OSError as exc:  # a folder on the way that we may not enter, a loop of links...
        fail(f"cannot read the file: {exc.strerror or exc}")
    if stat.S_ISDIR(info.st_mode):
        fail("this is a directory; give a scenario file (.toml) inside it")
    try:
        size = info.st_size
        if size > MAX_FILE_BYTES:
            fail(f"file is {size:,} bytes; scenario files are limited to {MAX_FILE_BYTES:,} bytes")
        # A device or a pipe reports no size: read one byte past the limit to know it is over.
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            fail(f"the stream is more than {MAX_FILE_BYTES:,} bytes; scenario files are limited to "
                 f"{MAX_FILE_BYTES:,} bytes")
    except OSError as exc:
        fail(f"cannot read the file: {exc.strerror or exc}")
    if b"\x00" in data:
        fail("this is a binary file, not a TOML scenario; `lrtui show NAME` prints an example to start from")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [Problem(name, "", f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8", line)]
        ) from None


def parse_toml(text: str, name: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = None
        if m := re.search(r"\(at line (\d+), column (\d+)\)", message):
            line = int(m.group(1))
            message = message[: m.start()].strip()
        elif m := re.search(r"\(at end of document\)", message):
            line = text.count("\n") + 1
            message = message[: m.start()].strip()
        raise ScenarioError([Problem(name, "", f"invalid TOML: {message}", line)]) from None
    except RecursionError:
        raise ScenarioError([Problem(name, "", "invalid TOML: nested too deeply")]) from None
