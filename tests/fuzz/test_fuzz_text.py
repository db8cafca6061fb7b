"""Generated names, labels, descriptions and file names full of control and bidi characters (issue 15).

Each case ends as a valid run or a clean one-line refusal (the harness's contract), and in both, nothing
that reaches stdout or stderr, CSV included, holds a character a terminal would act on.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrtui.text import BIDI_CONTROLS, is_unsafe, unsafe_character
from tests.fuzz.harness import assert_clean, fuzz_settings, run_cli
from tests.fuzz.toml_writer import document

# Mostly ordinary text, with escape-sequence starters, C0, DEL, C1, bidi controls and line separators mixed in.
HOSTILE_CHARS = (["\x1b", "\x07", "\x00", "\x08", "\r", "\n", "\t", "\x7f", "\x85", "\x9b", "\x9c", "\x9d",
                  "\u2028", "\u2029", "\ufeff", "\u200b"] + sorted(BIDI_CONTROLS))
SEQUENCES = ["\x1b]0;PWNED\x07", "\x1b]52;c;Y3VybA==\x07", "\x1b[2J", "\x1b]8;;http://evil.example\x1b\\",
             "\x9b31m", "=HYPERLINK(\"http://evil.example\")", "+1", "-2", "@SUM(A1)"]
pieces = st.one_of(st.text(max_size=6), st.sampled_from(HOSTILE_CHARS), st.sampled_from(SEQUENCES),
                   st.integers(90, 260).map(lambda n: "w" * n))
hostile_text = st.lists(pieces, max_size=6).map("".join)
FORMATS = st.sampled_from(["table", "csv", "json"])


def scenario(name: str, description: str, labels: list[str], sweep: bool) -> dict:
    data = {"name": name, "description": description, "steps": 3,
            "loss": {"type": "quadratic", "eigenvalues": [1.0, 10.0]},
            "optimizer": {"type": "sgd", "lr": 0.05},
            "runs": [{"label": label, "optimizer": {"lr": 0.01 * (i + 1)}} for i, label in enumerate(labels)]}
    if sweep:
        data["sweep"] = {"optimizer.momentum": [0.0, 0.9]}
    return data


def assert_nothing_acts_on_the_terminal(text: str, detail: str) -> None:
    assert not any(is_unsafe(ch) for ch in text.replace("\n", "")), detail


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-text")


@fuzz_settings(60)
@given(name=hostile_text, description=hostile_text, labels=st.lists(hostile_text, min_size=1, max_size=3),
       sweep=st.booleans(), output_format=FORMATS)
def test_hostile_names_labels_and_descriptions(folder, name, description, labels, sweep, output_format):
    path = folder / "text.toml"
    path.write_text(document(scenario(name, description, labels, sweep)), encoding="utf-8")
    for argv in (["check", str(path)], ["run", str(path), "--format", output_format]):
        outcome = run_cli(argv, "hostile text")
        assert_clean(outcome, (str(path),))
        assert_nothing_acts_on_the_terminal(outcome.out + outcome.err, outcome.describe())
        clean = (unsafe_character(name) is None and unsafe_character(description, "\n\t") is None
                 and not any(unsafe_character(label) for label in labels))
        short = len(name) <= 200 and all(len(label) <= 100 for label in labels)
        assert (outcome.code == 0) == (clean and short), outcome.describe()


@fuzz_settings(30)
@given(stem=hostile_text.map(lambda s: s.replace("/", "_").replace("\x00", "_")[:120]))
def test_hostile_file_names(folder, stem):
    path = folder / f"f-{stem}.toml"
    path.write_text(document(scenario("fine", "", ["fine"], False)), encoding="utf-8")
    try:
        for argv in (["check", str(path)], ["run", str(path), "--format", "csv"], ["run", str(path) + ".missing"]):
            outcome = run_cli(argv, "hostile file name")
            assert "Traceback" not in outcome.err and outcome.code in (0, 2), outcome.describe()
            assert_nothing_acts_on_the_terminal(outcome.out + outcome.err, outcome.describe())
    finally:
        path.unlink()
