"""Writing an output file safely: `lrtui run -o`, and the app's exports and saved scenarios.

- A regular file is written to a temporary file beside it and then given its name, so that a reader never
  sees half a file. Without `force` an existing name is never replaced, not even one that appears while
  the text is written; with it, the new file keeps the old one's mode (a private 0600 file stays private)
  and, where the user may, its owner.
- A symbolic link is followed: the file it points to is replaced and the link stays a link.
- A character device (/dev/null, a terminal), a FIFO, a socket, or the command's own stdout or stderr
  (/dev/stdout, /proc/self/fd/1) is written directly: there is no file to replace, and replacing the name
  with a regular file would break the device for everyone.
- A temporary file left by a writer that was killed (SIGKILL gives no chance to clean up) is removed by the
  next write of the same name.

`unwritable` says before any work whether a path can be written, so that `lrtui run` does not train for
minutes and then report a folder it may not write into.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable

from lrtui.text import visible

OLD_TEMPORARY_SECONDS = 3600  # a temporary file of the older pattern (no writer pid) this old is abandoned


class Output:
    """Where a path's text goes, worked out once: a regular file to place, or a stream to write."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None  # our own stdout or stderr, when the path names it
        self.stream = False  # a device, FIFO or socket: written directly
        self.exists = os.path.lexists(self.path)
        try:
            info = os.stat(self.path)  # follows links
        except OSError:
            info = None
        self.info = info
        if info is not None:
            self.fd = _own_stream(info)
            self.stream = self.fd is not None or not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode))
        # The file the name stands for: through a symbolic link (and a chain of them) to its target.
        self.real = Path(os.path.realpath(self.path)) if os.path.islink(self.path) else self.path

    @property
    def is_dir(self) -> bool:
        return self.info is not None and stat.S_ISDIR(self.info.st_mode)


def _own_stream(info: os.stat_result) -> int | None:
    for fd in (1, 2):
        try:
            mine = os.fstat(fd)
        except OSError:
            continue
        if (mine.st_dev, mine.st_ino) == (info.st_dev, info.st_ino):
            return fd
    return None


def write_atomically(path: Path, text: str | Iterable[str], force: bool = False) -> None:
    """Write `text` (a string, or strings in order, so that a large export is never held whole) to `path`.

    See the module's notes: via a temporary file for a regular file, directly for a device or a stream.
    """
    target = Output(path)
    chunks = [text] if isinstance(text, str) else text
    if target.stream:
        _write_stream(target, chunks)
        return
    if target.exists and not force:
        raise FileExistsError(f"{target.path} exists; use --force to overwrite it")
    real = target.real
    remove_stale_temporaries(real)
    fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(real), suffix=".tmp", dir=real.parent)
    try:
        _keep_mode_and_owner(fd, target.info if force else None)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, real)
        else:
            _place_new(Path(tmp), real, target.path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_stream(target: Output, chunks: Iterable[str]) -> None:
    if target.fd is not None:  # our own stdout or stderr: through Python's stream, in order with the rest
        out = sys.stdout if target.fd == 1 else sys.stderr
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        return
    # A FIFO waits here for its reader, as a shell's `> fifo` does.
    with open(target.path, "w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)


def _keep_mode_and_owner(fd: int, old: os.stat_result | None) -> None:
    """A new file gets a new file's usual mode; a replaced one keeps its mode, and its owner where we may."""
    if old is None or not stat.S_ISREG(old.st_mode):
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes the file private; give it a new file's usual mode
        return
    mine = os.fstat(fd)
    if hasattr(os, "fchown") and (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
        for uid, gid in ((old.st_uid, old.st_gid), (-1, old.st_gid)):
            try:
                os.fchown(fd, uid, gid)  # root may give the file back to its owner; a member keeps its group
                break
            except OSError:
                continue
    os.fchmod(fd, stat.S_IMODE(old.st_mode) & 0o777)  # after chown; a data file gets no set-id bits back


def _place_new(tmp: Path, real: Path, shown: Path) -> None:
    """Give the finished file its name unless that name is taken: a hard link fails on an existing name."""
    try:
        os.link(tmp, real)
    except FileExistsError:
        raise FileExistsError(f"{shown} exists; use --force to overwrite it") from None
    except OSError:  # a file system without hard links (FAT, some network shares): check, then rename
        if os.path.lexists(real):
            raise FileExistsError(f"{shown} exists; use --force to overwrite it") from None
        os.replace(tmp, real)
        return
    tmp.unlink()


def _temporary_prefix(real: Path) -> str:
    return f".{real.name}.{os.getpid()}."


def remove_stale_temporaries(real: Path) -> list[Path]:
    """Remove temporary files of `real`'s name that a killed writer left behind; returns those removed.

    Only our own pattern (".NAME.PID.XXXXXXXX.tmp"), only regular files we own, and only when the process
    that wrote one is gone (or, for the older pattern without a pid, when it is an hour old).
    """
    pattern = re.compile(rf"^\.{re.escape(real.name)}\.(?:(\d+)\.)?[A-Za-z0-9_]{{8}}\.tmp$")
    removed: list[Path] = []
    try:
        names = [entry.name for entry in os.scandir(real.parent) if entry.name.startswith(f".{real.name}.")]
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match is None:
            continue
        candidate = real.parent / name
        try:
            info = candidate.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != getattr(os, "geteuid", lambda: info.st_uid)():
            continue
        pid = match.group(1)
        stale = (not _running(int(pid))) if pid else time.time() - info.st_mtime > OLD_TEMPORARY_SECONDS
        if stale:
            try:
                candidate.unlink()
                removed.append(candidate)
            except OSError:
                pass
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process: leave its file alone
    return True


# What to do about each way a file cannot be written, after "PATH: cannot write it (reason)".
WRITE_FIXES = {errno.ENOENT: "check that the folder exists", errno.ENOTDIR: "part of the path is a file, not a folder",
               errno.EISDIR: "it is a folder: give a file name", errno.EACCES: "check that you may write there",
               errno.EPERM: "check that you may write there", errno.EROFS: "the disk is read-only: write elsewhere",
               errno.ENOSPC: "the disk is full: free some space or write elsewhere",
               errno.EDQUOT: "the disk quota is full: free some space or write elsewhere",
               errno.ENAMETOOLONG: "choose a shorter name", errno.EPIPE: "the program reading it went away",
               errno.ENXIO: "nothing is reading it (a FIFO needs a reader)"}


def cannot_write(path: Path, exc: OSError) -> str:
    """One line for a file that could not be written: the path, why, and what to do."""
    if isinstance(exc, FileExistsError):
        return f"{visible(str(path))} exists; use --force to overwrite it, or choose another name"
    reason = exc.strerror or str(exc)
    fix = "check the path" if exc.errno is None else WRITE_FIXES.get(exc.errno, "check the path")
    return f"{visible(str(path))}: cannot write it ({reason}); {fix}"


def unwritable(path: Path, force: bool = False) -> OSError | None:
    """Why `path` cannot be written, as far as can be told before the work that makes its text.

    For a regular file this tries the very step the write takes: a temporary file in the target's folder.
    """
    target = Output(Path(path))
    if target.is_dir:
        return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    if target.stream:
        if target.fd is None and not os.access(target.path, os.W_OK):
            return PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return None
    if target.exists and not force:
        return FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))
    parent = target.real.parent
    try:
        if not stat.S_ISDIR(os.stat(parent).st_mode):
            return NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    except OSError as exc:  # missing, or a folder on the way that we may not enter
        return exc
    try:
        fd, probe = tempfile.mkstemp(prefix=_temporary_prefix(target.real), suffix=".tmp", dir=parent)
    except OSError as exc:
        return exc
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
    return None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
