"""Plain logging text: the lines people print while training, read as `key=value`, `key: value` or `key value`.

    2023-05-15 22:50:17,398 INFO:Epoch 1: Train Loss=0.0717, Val Loss=0.0766
    Epoch [1/5], Step [100/600], Loss: 0.2345
    iter 100: loss 4.2011, time 12.34ms, mfu 33.23%
    Epoch 3/10 ... 1875/1875 - 3s - loss: 0.2996 - accuracy: 0.9134 - val_loss: 0.1437
    Train Epoch: 1 [640/60000 (1%)]	Loss: 1.213900
    Test set: Average loss: 0.0488, Accuracy: 9841/10000 (98%)

A key is one to four words; a value is a number (`nan` and `inf` included, `tensor(2.31)` and `[1/5]` read as
2.31 and 1). Keys separated from their value by a space only count when they name a role (loss, step, LR...),
so prose does not become columns. A step, iteration or epoch that a line does not give is carried from the
line before (Keras prints "Epoch 3/10" on a line of its own). A line whose text before its first value says
validation or test ("Test set: Average loss: ...") has its losses read as validation losses. Progress-bar
updates (lines with "ETA") and terminal colour codes are skipped.
"""

from __future__ import annotations

import re

from lrtui.logs.columns import VAL_WORDS, classify, tokens
from lrtui.logs.table import Table

_WORD = r"[A-Za-z_][\w./\-]*"
_KEY = rf"{_WORD}(?: {_WORD}){{0,3}}"
_NUM = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|(?i:nan|inf(?:inity)?))"
PAIR = re.compile(rf"(?<![\w./\-])({_KEY})(\s*[=:]\s*|\s+)(?:tensor\(\s*)?\[?\s*({_NUM})(?:\s*/\s*\d+)?\s*\]?"
                  r"(?![\w.])")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CARRIED = ("step", "epoch")  # roles a line inherits from the lines before it
MAX_PAIRS = 200  # pairs read from one line


def pairs(text: str) -> list[tuple[str, str, str]]:
    """(key, separator, value) found in a line, the key's leading words trimmed when only its last words name a
    role ("INFO root step 100" -> step)."""
    out: list[tuple[str, str, str]] = []
    for m in PAIR.finditer(text):
        key, sep, value = m.group(1), m.group(2), m.group(3)
        if len(out) >= MAX_PAIRS:
            break
        if not sep.strip():  # "loss 0.5": only a role name may stand before a bare number
            key = _role_suffix(key)
            if key is None:
                continue
        out.append((key, sep.strip() or " ", value))
    return out


def _role_suffix(key: str) -> str | None:
    words = key.split(" ")
    for i in range(len(words)):
        candidate = " ".join(words[i:])
        if classify(candidate) is not None:
            return candidate
    return None


def strong_pairs(text: str) -> int:
    """How many `key=value` / `key: value` pairs a line has (the mark of a text log, not a CSV header)."""
    return sum(1 for _, sep, _ in pairs(text) if sep in "=:")


class TextParser:
    def __init__(self, name: str):
        self.table = Table(name, "text")
        self.table.empty_message = (f"{name}: no line has a value such as loss=0.52 or 'loss: 0.52'; lrtui reads "
                                    "CSV, JSON Lines, TensorBoard, MLflow, W&B exports and logging text")
        self.carried: dict[str, str] = {}  # step/epoch keys from earlier lines: key -> value
        self.names: dict[str, str] = {}  # normalised key -> the spelling first seen

    def line(self, number: int, text: str) -> None:
        if "\x1b" in text:
            text = _ANSI.sub("", text)
        if "ETA" in text and re.search(r"\bETA\b", text):
            return
        found = pairs(text)
        if not found:
            return
        first = PAIR.search(text)
        val_line = any(w in VAL_WORDS for w in tokens(text[: first.start()])[-3:]) if first else False
        cells: dict[str, str] = {}
        for key, _, value in found:
            if val_line and _role(key) == "loss":
                key = f"val {key}"
            cells.setdefault(self._spelling(key), value)
        roles = {_role(k) for k in cells}
        if roles & {"loss", "val_loss", "lr", "grad_norm"}:
            for key, value in self.carried.items():
                if _role(key) not in roles:
                    cells.setdefault(key, value)
            self.table.add(number, cells)
        self.carried.update({k: v for k, v in cells.items() if _role(k) in _CARRIED})

    def _spelling(self, key: str) -> str:
        """One spelling per column: "Train Loss" and "train loss" are the same key."""
        norm = "_".join(tokens(key))
        return self.names.setdefault(norm, key)

    def end(self) -> None:
        pass

    def tables(self) -> list[Table]:
        return [self.table]


def _role(key: str) -> str:
    kind = classify(key)
    return kind.role if kind is not None else ""
