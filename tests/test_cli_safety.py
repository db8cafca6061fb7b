"""Nothing lost, nothing clobbered (issue 8, item 6): atomic writes, --force, and Ctrl+C during `lrtui run -o`."""

from __future__ import annotations

import csv
import errno
import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrtui import export, writing
from lrtui.cli import main

SCENARIO = """\
name = "tiny"
steps = {steps}

[loss]
type = "quadratic"
eigenvalues = [1.0, 10.0]

[optimizer]
type = "sgd"
lr = 0.05

[sweep]
"optimizer.lr" = [0.01, 0.02, 0.05, 0.1]
"""
# Runs main() as `python -m lrtui` does, after saying on stderr that the imports are done, so that a
# test sends SIGINT to the command itself rather than to an interpreter still starting up.
# The child takes ^C as a terminal gives it (a shell without job control starts background jobs with SIGINT
# ignored, and Python keeps it ignored). An interrupt that lands in this harness itself, between "ready" and
# main()'s first line, is not lrtui's: it exits as main() would. One raised out of main() (a frame of lrtui.cli in its traceback) is a real failure.
READY_THEN_MAIN = """
import signal, sys, traceback
from lrtui.cli import main
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, even if this shell ignores ^C
try:
    print('ready', file=sys.stderr, flush=True)
    code = main(sys.argv[1:])
except KeyboardInterrupt as exc:
    if any(frame.filename.endswith('cli.py') for frame in traceback.extract_tb(exc.__traceback__)):
        raise
    print('interrupted', file=sys.stderr)
    code = 130
raise SystemExit(code)
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(SCENARIO.format(steps=20))
    return path


def complete_csv(path: Path, runs: int, steps: int) -> bool:
    text = path.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    return text.endswith("\n") and len(rows) == runs * (steps + 1) and rows[-1]["step"] == str(steps)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_run_output_is_complete_and_leaves_no_temporary_file(tiny, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out)]) == 0
    assert complete_csv(out, runs=4, steps=20) and leftovers(tmp_path) == []


def test_an_existing_file_is_left_byte_for_byte_without_force(tiny, tmp_path, capsys):
    out = tmp_path / "out.csv"
    out.write_bytes(b"precious\x00data")
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"{out} exists; use --force to overwrite it, or choose another name\n"
    assert out.read_bytes() == b"precious\x00data" and leftovers(tmp_path) == []
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out), "--force"]) == 0
    assert complete_csv(out, runs=4, steps=20)


def test_the_written_file_has_the_usual_mode_not_a_private_temporary_one(tiny, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "out.csv"
        assert main(["run", str(tiny), "--format", "csv", "-o", str(out)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


@pytest.mark.parametrize("force", [False, True])
def test_an_interrupted_write_leaves_no_file_or_the_old_one(tiny, tmp_path, monkeypatch, capsys, force):
    out = tmp_path / "out.csv"
    if force:
        out.write_text("the old export\n")

    def interrupted(fd):
        raise KeyboardInterrupt  # Ctrl+C while the text is on its way to the disk

    monkeypatch.setattr(writing.os, "fsync", interrupted)
    args = ["run", str(tiny), "--format", "csv", "-o", str(out)] + (["--force"] if force else [])
    assert main(args) == 130
    assert capsys.readouterr().err == "interrupted\n"
    assert leftovers(tmp_path) == []
    if force:
        assert out.read_text() == "the old export\n"
    else:
        assert not out.exists()


def another_program_writes_while_we_sync(monkeypatch, out: Path, text: str) -> None:
    """`out` appears between our temporary file's fsync and its placement."""
    real_fsync = os.fsync

    def someone_else_writes(fd):
        real_fsync(fd)
        out.write_text(text)

    monkeypatch.setattr(writing.os, "fsync", someone_else_writes)


def test_a_file_that_appears_while_writing_is_not_replaced(tmp_path, monkeypatch):
    out = tmp_path / "export.csv"
    another_program_writes_while_we_sync(monkeypatch, out, "written by another program meanwhile\n")
    with pytest.raises(FileExistsError, match="use --force"):
        export.write_atomically(out, "ours\n")
    assert out.read_text() == "written by another program meanwhile\n" and leftovers(tmp_path) == []


def test_without_hard_links_the_file_is_still_placed_and_still_not_clobbered(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")  # FAT and some network file systems

    monkeypatch.setattr(writing.os, "link", no_links)
    out = tmp_path / "saved.toml"
    export.write_atomically(out, "name = 'x'\n")
    assert out.read_text() == "name = 'x'\n" and leftovers(tmp_path) == []
    with pytest.raises(FileExistsError):
        export.write_atomically(out, "other\n")
    assert out.read_text() == "name = 'x'\n"


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", READY_THEN_MAIN, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_ready(process: subprocess.Popen) -> None:
    assert process.stderr.readline() == "ready\n"


def test_ctrl_c_during_training_exits_130_and_writes_nothing(tmp_path):
    scenario = tmp_path / "long.toml"
    scenario.write_text(SCENARIO.format(steps=10_000_000))
    process = _start(["run", str(scenario), "--format", "csv", "-o", "out.csv"], tmp_path)
    _wait_ready(process)
    time.sleep(0.8)  # well into training: ten million steps take far longer
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err == "interrupted\n" and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.toml"]


def test_ctrl_c_at_any_moment_leaves_a_complete_file_or_none(tmp_path):
    steps = 3000  # about a megabyte of CSV: the interrupts land in training, in writing, or after
    scenario = tmp_path / "mid.toml"
    scenario.write_text(SCENARIO.format(steps=steps))
    outcomes = set()
    for delay in (0.0, 0.25, 0.5, 1.0):
        out = tmp_path / f"out-{delay}.csv"
        process = _start(["run", str(scenario), "--format", "csv", "-o", out.name], tmp_path)
        _wait_ready(process)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        # A SIGINT landing after main() returned, while the interpreter shuts down, kills it by the signal
        # (-2): the shell reports that as 130 too, and by then the file is complete.
        assert process.returncode in (0, 130, -signal.SIGINT) and "Traceback" not in err, err
        if process.returncode == -signal.SIGINT:
            assert complete_csv(out, runs=4, steps=steps)
        elif process.returncode == 0:
            assert complete_csv(out, runs=4, steps=steps)
        else:
            assert err == "interrupted\n"
            assert not out.exists() or complete_csv(out, runs=4, steps=steps)
        outcomes.add(process.returncode)
        assert leftovers(tmp_path) == []
    assert 130 in outcomes  # at least one interrupt landed before the end


@pytest.mark.parametrize("target, force, reason, fix", [
    ("missing/out.csv", False, "No such file or directory", "check that the folder exists"),
    ("missing/out.csv", True, "No such file or directory", "check that the folder exists"),
    ("folder", True, "Is a directory", "it is a folder: give a file name"),
    ("folder", False, "Is a directory", "it is a folder: give a file name"),
    ("plain.txt/out.csv", True, "Not a directory", "part of the path is a file, not a folder"),
])
def test_an_output_path_that_cannot_be_written_is_a_one_line_error_before_training(
        tiny, tmp_path, capsys, monkeypatch, target, force, reason, fix):
    (tmp_path / "folder").mkdir()
    (tmp_path / "plain.txt").write_text("a file\n")
    out = tmp_path / target

    def trained(*args):
        raise AssertionError("trained before finding that the output cannot be written")

    monkeypatch.setattr("lrtui.cli._train", trained)
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out)] + (["--force"] if force else [])) == 2
    assert capsys.readouterr().err == f"{out}: cannot write it ({reason}); {fix}\n"
    assert (tmp_path / "folder").is_dir() and list((tmp_path / "folder").iterdir()) == []
    assert (tmp_path / "plain.txt").read_text() == "a file\n" and leftovers(tmp_path) == []


@pytest.mark.parametrize("failure, expected", [
    (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), "the disk is full: free some space or write elsewhere"),
    (PermissionError(errno.EACCES, os.strerror(errno.EACCES)), "check that you may write there"),
    (FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)), "check that the folder exists"),
])
def test_a_write_that_fails_after_training_is_a_one_line_error(tiny, tmp_path, capsys, monkeypatch, failure,
                                                                expected):
    out = tmp_path / "out.csv"
    real_fsync = os.fsync

    def fails(fd):
        real_fsync(fd)
        raise failure  # the disk filled up, or the folder's permissions changed, while training

    monkeypatch.setattr(writing.os, "fsync", fails)
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out)]) == 2
    assert capsys.readouterr().err == f"{out}: cannot write it ({failure.strerror}); {expected}\n"
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_file_that_appears_during_the_run_is_named_in_a_one_line_error(tiny, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out.csv"
    another_program_writes_while_we_sync(monkeypatch, out, "theirs\n")
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out)]) == 2
    assert capsys.readouterr().err == f"{out} exists; use --force to overwrite it, or choose another name\n"
    assert out.read_text() == "theirs\n" and leftovers(tmp_path) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device that is always full")
@pytest.mark.parametrize("args", [["run", "{tiny}"], ["run", "{tiny}", "--format", "json"], ["list"],
                                  ["show", "too-low-slow"], ["check", "{tiny}"], ["find", "{tiny}", "--num-it", "20"],
                                  ["diagnose", "{log}"]])
def test_a_full_stdout_is_a_one_line_error_not_a_traceback(tiny, tmp_path, args):
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(50)))
    argv = [a.format(tiny=tiny, log=log) for a in args]
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "lrtui", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    assert done.returncode == 2 and done.stderr == (
        "cannot write the output (No space left on device); check where it goes (a full disk, a closed terminal)\n")


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_hangup_while_writing_removes_the_half_written_file(tiny, tmp_path, monkeypatch, signum):
    out = tmp_path / "out.csv"
    real_fsync = os.fsync

    def link_drops(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signum)  # the SSH link drops (or the system shuts down) mid-write

    monkeypatch.setattr(writing.os, "fsync", link_drops)
    before = signal.getsignal(signum)
    with pytest.raises(SystemExit) as stopped:
        main(["run", str(tiny), "--format", "csv", "-o", str(out)])
    assert stopped.value.code == 128 + signum
    assert not out.exists() and leftovers(tmp_path) == []
    assert signal.getsignal(signum) == before  # the command's handler does not outlive it


def test_sighup_during_training_exits_129_quietly_and_writes_nothing(tmp_path):
    scenario = tmp_path / "long.toml"
    scenario.write_text(SCENARIO.format(steps=10_000_000))
    process = _start(["run", str(scenario), "--format", "csv", "-o", "out.csv"], tmp_path)
    _wait_ready(process)
    time.sleep(0.8)
    process.send_signal(signal.SIGHUP)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGHUP  # as a shell reports a hangup
    assert out == "" and err == "" and sorted(p.name for p in tmp_path.iterdir()) == ["long.toml"]
