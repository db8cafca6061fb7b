"""Issue 15, finding 2 and part of 7: `-o FILE --force` writes to devices, FIFOs and stdout instead of
replacing them, keeps a replaced file's mode and owner, follows symbolic links, finds an unwritable folder
before training, and cleans up after a writer that was killed. Tests run as root here, as CI does, so the
special files are real."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from lrtui import writing
from lrtui.cli import main
from lrtui.tui.saving import free_stem

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
"optimizer.lr" = [0.01, 0.02]
"""
ROOT = os.geteuid() == 0
UNPRIVILEGED = 65534  # nobody


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(SCENARIO.format(steps=20))
    return path


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("force", [False, True])
def test_dev_null_stays_a_device(tiny, force):
    before = os.stat("/dev/null")
    assert main(["run", str(tiny), "--format", "csv", "-o", "/dev/null"] + (["--force"] if force else [])) == 0
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


@pytest.mark.parametrize("force", [False, True])
def test_a_fifo_is_written_to_and_stays_a_fifo(tiny, tmp_path, force):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    assert main(["run", str(tiny), "--format", "csv", "-o", str(fifo)] + (["--force"] if force else [])) == 0
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert len(rows(got[0])) == 2 * 21 and no_temporaries(tmp_path)


def _run_to(target: str, cwd: Path, tiny: Path, user: int | None = None) -> subprocess.CompletedProcess:
    as_user = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user is not None else []
    return subprocess.run([*as_user, sys.executable, "-m", "lrtui", "run", str(tiny), "--format", "csv", "-o",
                           target, "--force"], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_dev_stdout_writes_to_stdout_and_stays_a_link(tiny, tmp_path):
    # A link of our own to /proc/self/fd/1 first: the same path /dev/stdout takes, in a folder we own.
    own = tmp_path / "stdout-link"
    own.symlink_to("/proc/self/fd/1")
    done = _run_to(str(own), tmp_path, tiny)
    assert done.returncode == 0 and done.stderr == "" and len(rows(done.stdout)) == 42
    assert os.readlink(own) == "/proc/self/fd/1"
    link = os.readlink("/dev/stdout")
    done = _run_to("/dev/stdout", tmp_path, tiny)
    assert done.returncode == 0 and done.stderr == "" and len(rows(done.stdout)) == 42
    assert os.path.islink("/dev/stdout") and os.readlink("/dev/stdout") == link


def test_dev_stdout_redirected_to_a_file_fills_that_file(tiny, tmp_path):
    out = tmp_path / "shell-redirect.csv"
    with open(out, "w") as handle:
        done = subprocess.run([sys.executable, "-m", "lrtui", "run", str(tiny), "--format", "csv", "-o",
                               "/dev/stdout"], stdout=handle, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "" and len(rows(out.read_text())) == 42


needs_setpriv = pytest.mark.skipif(not ROOT or not shutil.which("setpriv"),
                                   reason="drops to an unprivileged user: needs root and setpriv")


@pytest.fixture
def shared_folder():
    """A folder every user may enter and read (pytest's own is private to root), but only root may write."""
    folder = Path(tempfile.mkdtemp(prefix="lrtui-shared-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@needs_setpriv
def test_unprivileged_dev_stdout_works_and_an_unwritable_folder_is_found_before_training(shared_folder):
    scenario = shared_folder / "tiny.toml"
    scenario.write_text(SCENARIO.format(steps=20))
    scenario.chmod(0o644)
    done = _run_to("/dev/stdout", shared_folder, scenario, user=UNPRIVILEGED)
    assert done.returncode == 0 and done.stderr == "" and len(rows(done.stdout)) == 42
    # A folder the user may not write into: refused at once, not after ten million steps of training.
    long = shared_folder / "long.toml"
    long.write_text(SCENARIO.format(steps=10_000_000))
    long.chmod(0o644)
    out = shared_folder / "out.csv"
    started = time.monotonic()
    done = _run_to(str(out), shared_folder, long, user=UNPRIVILEGED)
    assert time.monotonic() - started < 20
    assert done.returncode == 2
    assert done.stderr == f"{out}: cannot write it (Permission denied); check that you may write there\n"
    assert not out.exists() and no_temporaries(shared_folder)


@needs_setpriv
@pytest.mark.parametrize("args, expected", [
    (["run", "{locked}/a.toml"], "{locked}/a.toml: cannot read the file: Permission denied"),
    (["check", "{locked}/a.toml"], "{locked}/a.toml: cannot read the file: Permission denied"),
    (["{locked}/a.toml"], "{locked}/a.toml: cannot read the file: Permission denied"),
    (["diagnose", "{locked}/a.csv"], "{locked}/a.csv: cannot read it (Permission denied)"),
    (["run", "too-low-slow", "-o", "{locked}/a.csv"],
     "{locked}/a.csv: cannot write it (Permission denied); check that you may write there"),
])
def test_a_folder_the_user_may_not_enter_is_one_line_not_a_traceback(shared_folder, args, expected):
    locked = shared_folder / "locked"
    locked.mkdir(mode=0o700)
    as_user = ["setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups"]
    done = subprocess.run([*as_user, sys.executable, "-m", "lrtui", *[a.format(locked=locked) for a in args]],
                          cwd=shared_folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr == expected.format(locked=locked) + "\n"


def test_force_keeps_a_private_file_private_and_its_owner(tiny, tmp_path):
    out = tmp_path / "private.csv"
    out.write_text("secret results\n")
    out.chmod(0o600)
    if ROOT:
        os.chown(out, 12345, 23456)
    old = os.umask(0o022)
    try:
        assert main(["run", str(tiny), "--format", "csv", "-o", str(out), "--force"]) == 0
    finally:
        os.umask(old)
    info = out.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and len(rows(out.read_text())) == 42
    if ROOT:
        assert (info.st_uid, info.st_gid) == (12345, 23456)
    out.chmod(0o640)
    assert main(["run", str(tiny), "--format", "csv", "-o", str(out), "--force"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_force_through_a_symlink_replaces_the_target_and_keeps_the_link(tiny, tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "results.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    assert main(["run", str(tiny), "--format", "csv", "-o", str(link)]) == 2  # exists, no --force
    assert target.read_text() == "old\n"
    assert main(["run", str(tiny), "--format", "csv", "-o", str(link), "--force"]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(rows(target.read_text())) == 42 and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert no_temporaries(tmp_path) and no_temporaries(tmp_path / "data")


def test_a_dangling_symlink_needs_force_and_then_creates_its_target(tiny, tmp_path, capsys):
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "made.csv")
    assert main(["run", str(tiny), "--format", "csv", "-o", str(link)]) == 2
    assert capsys.readouterr().err == f"{link} exists; use --force to overwrite it, or choose another name\n"
    assert main(["run", str(tiny), "--format", "csv", "-o", str(link), "--force"]) == 0
    assert link.is_symlink() and len(rows((tmp_path / "made.csv").read_text())) == 42


def test_the_app_picks_a_new_name_past_a_dangling_symlink(tmp_path):
    (tmp_path / "lrtui-tiny.toml").symlink_to(tmp_path / "nowhere.toml")
    assert free_stem(tmp_path, "lrtui-tiny", (".toml",)) == "lrtui-tiny-1"


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    out = tmp_path / "out.csv"
    # A writer killed with SIGKILL half-way: nothing of ours runs, and its temporary file stays behind.
    code = ("import os, signal, sys; from pathlib import Path; from lrtui.writing import write_atomically\n"
            "def chunks():\n    yield 'half of it\\n'\n    os.kill(os.getpid(), signal.SIGKILL)\n"
            "write_atomically(Path(sys.argv[1]), chunks())\n")
    done = subprocess.run([sys.executable, "-c", code, str(out)], timeout=60)
    assert done.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".out.csv.") and left[0].endswith(".tmp")
    # Others that must stay: a live writer's (our own pid), another name's, and a recent one of the old pattern.
    alive = tmp_path / f".out.csv.{os.getpid()}.abcdefgh.tmp"
    recent_old = tmp_path / ".out.csv.abcdefgh.tmp"
    other = tmp_path / ".other.csv.1.abcdefgh.tmp"
    stale_old = tmp_path / ".out.csv.zyxwvuts.tmp"
    for path in (alive, recent_old, other, stale_old):
        path.write_text("x")
    hours_ago = time.time() - 2 * 3600
    os.utime(stale_old, (hours_ago, hours_ago))
    writing.write_atomically(out, "complete\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["out.csv", alive.name, recent_old.name, other.name])
    assert out.read_text() == "complete\n"


def test_a_full_device_gets_advice_that_fits_and_stays_a_device(tiny):
    # /dev/full: a device that is always full; the advice is about space, not permission.
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    done = subprocess.run([sys.executable, "-m", "lrtui", "run", str(tiny), "--format", "csv", "-o", "/dev/full"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("/dev/full: cannot write it (No space left on device); the disk is full: free some space or "
                           "write elsewhere\n")
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)
