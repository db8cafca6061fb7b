"""Text from files and command lines, made inert before it is shown.

Scenario names, labels and descriptions, log headers and cells, and file names are written by whoever shared
the file. A terminal acts on some characters instead of showing them: ESC and the C1 controls start escape
sequences (set the window title, write the clipboard with OSC 52, hide a link with OSC 8, clear the screen),
and the bidi controls reorder what follows so that a line reads differently from what it holds. Rich and
Textual drop BEL and a few others but pass ESC. So:

- the scenario loader refuses these characters in names, labels and descriptions (`unsafe_character`);
- everything else that quotes a file, or a path, goes through `visible`, which shows each such character as
  its escape (`\\x1b`, `\\u202e`), so the user sees it and the terminal does not act on it.
"""

from __future__ import annotations

import unicodedata

# Characters that reorder the text around them (Unicode's bidi controls): a line that holds one can show
# `txt.exe` as `exe.txt`. Python counts them as unprintable too; they are listed to name them in messages.
BIDI_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_unsafe(ch: str) -> bool:
    """True for a character a terminal may act on or that reorders text: C0, DEL, C1, the bidi controls,
    and the line and paragraph separators."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or ch in BIDI_CONTROLS or ch in "\u2028\u2029"


def unsafe_character(text: str, allowed: str = "") -> tuple[int, str] | None:
    """(index, character) of the first unsafe character of `text` that is not in `allowed`, or None."""
    if text.isprintable():  # the common case, done in C
        return None
    for index, ch in enumerate(text):
        if ch not in allowed and is_unsafe(ch):
            return index, ch
    return None


def character_name(ch: str) -> str:
    """'U+001B (ESCAPE)', 'U+202E (RIGHT-TO-LEFT OVERRIDE)': a character named without showing it."""
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ord(ch), "a control character")
    return f"U+{ord(ch):04X} ({name})"


_CONTROL_NAMES = {0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x09: "TAB", 0x0A: "LINE FEED",
                  0x0D: "CARRIAGE RETURN", 0x1B: "ESCAPE", 0x7F: "DELETE", 0x9B: "CONTROL SEQUENCE INTRODUCER",
                  0x9D: "OPERATING SYSTEM COMMAND"}


def visible(text: str, keep: str = "") -> str:
    """`text` with every character that is not printable shown as its escape (ESC as \\x1b, U+202E as
    \\u202e), except those in `keep` (say "\\n" for a text of several lines). Printable text is returned
    unchanged, so this costs nothing on ordinary text.

    Python's notion of printable excludes all control, format (bidi included), separator (other than the
    space), private-use and unassigned characters: more than a terminal acts on, which is the safe side.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in text)


def visible_lines(text: str) -> str:
    """`visible` for a text of several lines (an error that lists problems one per line)."""
    return visible(text, keep="\n")


_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def short_title(name: str, room: int, cut: str = "…") -> str:
    """A lesson's name in `room` characters: whole where it fits, else the part before its colon ("Too high:
    bouncing around a minimum" -> "Too high"), else whole words with `cut` after them. A title cut in the middle
    of a word, "Too high: bouncing a…", read as a fault (walkthroughs 13a A9, 13b B3); the whole name is shown
    elsewhere on the screen."""
    if len(name) <= room:
        return name
    head = name.split(":", 1)[0].strip()
    if head != name and 0 < len(head) <= room:
        return head
    words = name[:max(0, room - len(cut)) + 1].split(" ")[:-1]  # the words that end before the cut
    kept = " ".join(words).rstrip(" ,:;-")
    return kept + cut if kept else name[:max(0, room - len(cut))] + cut


def short_label(label: str) -> str:
    """A label followed by what the run uses now, shorter: its name before the first colon and the "now" part
    ("too high: lr=0.003, now lr 0.00203" -> "too high, now lr 0.00203"); others as they are."""
    head, sep, now = label.partition(", now ")
    name = head.partition(":")[0] if ":" in head else head
    return f"{name}, now {now}" if sep and len(name) < len(head) else label


def arrow_label(label: str, ascii_only: bool = False) -> str:
    """The shortest: "lr=0.0001, now lr 0.1" -> "lr=0.0001→0.1", so that a narrow line keeps its verdict
    (walkthroughs 16b K13, 17b M6: at 80x24 digits' fixed run lost "improving" to its label). A multiple under a
    schedule keeps its "lr": "every 20, now lr x5.62" -> "every 20, lr x5.62" ("every 20→x5.62" read as the 20
    become 5.62: walkthrough 24b, B8)."""
    if ", now lr x" in label:
        return label.replace(", now lr x", ", lr x")
    return label.replace(", now lr ", "->" if ascii_only else "→")
