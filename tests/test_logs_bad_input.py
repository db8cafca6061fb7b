"""Logs that are not logs get one line and exit status 2, within the documented caps, quickly and in bounded
memory; and nothing from a log (headers, labels, values, file names) reaches the terminal as a control sequence."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrtui.cli import main
from lrtui.logs import MAX_COLUMNS, MAX_LINE_BYTES, LogError, read_runs

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"
ESCAPES = ("\x1b", "\x9b", "\x07", "\u202e")
# The child's own peak (VmHWM): ru_maxrss would carry over the test process's peak across exec.
PEAK = ("def peak_mb():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1]) // 1024\n"
        "    return 0\n")


def diagnose(args, capsys):
    code = main(["diagnose", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_refusal(path, capsys, fragment):
    started = time.perf_counter()
    code, out, err = diagnose([path], capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err[:500]
    assert fragment in err, err
    assert time.perf_counter() - started < 10
    return err


def test_a_web_page_and_a_binary_file(capsys):
    one_line_refusal(FIXTURES / "bad_page.html", capsys, "bad_page.html is an HTML or XML page, not a training log")
    one_line_refusal(FIXTURES / "bad_binary.bin", capsys, "bad_binary.bin is a binary file")


def test_one_line_of_200_mb_is_refused_at_the_size_cap(tmp_path, capsys):
    path = tmp_path / "one_line.csv"
    with path.open("wb") as handle:
        handle.write(b"step,loss,")
        handle.truncate(201 * 2**20)  # a sparse file: 201 MB without writing them
    one_line_refusal(path, capsys, "one_line.csv: 201 MB is more than lrtui reads (200 MB)")


def test_a_line_past_the_line_cap(tmp_path, capsys):
    path = tmp_path / "long.log"
    path.write_bytes(b"loss=1\n" + b"x" * (MAX_LINE_BYTES + 10) + b"\nloss=2\n")
    err = one_line_refusal(path, capsys, "long.log line 2: longer than 1,024 KB")
    assert len(err) < 400


def test_a_million_columns(tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + ",".join("1" for _ in range(10)) + "\n")
    one_line_refusal(wide, capsys, "wide.csv line 1: longer than 1,024 KB")
    narrow = tmp_path / "many.csv"  # under the line cap, over the column cap
    narrow.write_text("loss," + ",".join("a" for _ in range(MAX_COLUMNS + 5)) + "\n1\n")
    one_line_refusal(narrow, capsys, f"a header of {MAX_COLUMNS + 6:,} columns, more than lrtui reads")
    keys = tmp_path / "keys.jsonl"  # JSON Lines whose keys change on every line
    keys.write_text("\n".join(json.dumps({f"k{i}": 1, "loss": 1.0}) for i in range(MAX_COLUMNS + 5)) + "\n")
    one_line_refusal(keys, capsys, f"more than {MAX_COLUMNS:,} different columns or keys")


def test_a_stream_past_the_cap(tmp_path, monkeypatch, capsys):
    import lrtui.logs.reader as reader

    monkeypatch.setattr(reader, "MAX_BYTES", 64)
    code, out, err = diagnose(["/dev/zero"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and ("binary" in err or "more than lrtui reads" in err)


def test_steps_that_go_back_on_every_row_are_bounded(tmp_path, capsys):
    path = tmp_path / "zigzag.csv"
    path.write_text("step,loss\n" + "".join(f"{(i % 2) * 5},{1.0}\n" for i in range(20_000)))
    err = one_line_refusal(path, capsys, "more than 4,096 runs")
    assert "steps went back" in err


def test_peak_memory_of_a_refused_hostile_log_stays_small(tmp_path):
    path = tmp_path / "huge_line.txt"
    path.write_bytes(b"loss: 1\n" + b"9" * (150 * 2**20))
    code = ("from lrtui.cli import main\n"
            f"status = main(['diagnose', {str(path)!r}])\n"
            f"{PEAK}print(status, peak_mb())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    status, peak_mb = done.stdout.split()
    assert status == "2" and int(peak_mb) < 200, (done.stdout, done.stderr)  # far less than the 150 MB file
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("args", [
    [FIXTURES / "escapes.csv"], [FIXTURES / "escapes.csv", "--format", "json"], [FIXTURES / "escapes.csv", "--plot"],
    [FIXTURES / "escapes_bad.csv"]])
def test_no_escape_sequence_from_a_log_reaches_the_terminal(args, capsys):
    code, out, err = diagnose(args, capsys)
    assert code in (0, 2)
    assert not any(ch in out + err for ch in ESCAPES if ch != "\x1b" or "--plot" not in map(str, args))
    text = out + err
    assert "\\x1b" in text or "\\u001b" in text  # shown, visibly escaped


def test_a_hostile_file_name_and_labels_are_shown_escaped(tmp_path, capsys):
    name = tmp_path / "run\x1b]52;c;Y3VybA==\x07\u202e.csv"
    name.write_text("run,label,step,lr,loss,grad_norm\n" + "".join(
        f"{r},\x1b[2Jlabel {r}\u202e,{s},0.1,{2.0 / (s + 1)!r},1.0\n" for r in range(2) for s in range(20)))
    code, out, err = diagnose([name], capsys)
    assert code == 0 and not any(ch in out for ch in ESCAPES)
    assert "\\x1b[2Jlabel 1\\u202e" in out and "\\x1b]52;c;Y3VybA==\\x07" in out
    code, out, err = diagnose([tmp_path / "nope\x1b[31m.csv"], capsys)
    assert code == 2 and "\x1b" not in err and "\\x1b[31m" in err


def test_log_errors_are_values_errors_with_one_line():
    with pytest.raises(LogError) as info:
        read_runs(FIXTURES / "escapes_bad.csv")
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value) and "\x1b" not in str(info.value)


def test_memory_limit_is_respected_for_a_big_valid_log(tmp_path):
    rows = "".join(f"{i},{1.0 / (i + 1)!r}\n" for i in range(300_000))
    path = tmp_path / "big.csv"
    path.write_text("step,loss\n" + rows)
    code = ("import sys\nfrom lrtui.cli import main\n"
            f"status = main(['diagnose', {str(path)!r}, '--format', 'json'])\n"
            f"{PEAK}print(status, peak_mb(), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    status, peak_mb = done.stderr.split()[-2:]
    assert status == "0" and int(peak_mb) < 400
