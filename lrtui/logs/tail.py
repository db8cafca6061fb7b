"""Following one file as it grows: only the bytes appended since the last look are read.

    tail = FileTail("train.log")
    for change in tail.poll():       # every so often
        if change.kind == "restart":  # truncated, or a new file under the same name: read from its start
            ...
        elif change.kind == "data":   # what the file grew by
            ...

The file may not exist yet (nothing happens until it does), may be truncated (it got smaller: read again from
its start), rewritten in place (its first bytes changed, as Lightning does when a new metric adds a column to
the header: read again from its start) or replaced by a new file under the same name (rotation, `os.replace`:
the name now points at another inode: read the new file from its start). A file that disappears is kept open
until a file appears under its name again. Only regular files are followed: a FIFO or a device has no end to
read to.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass

HEAD_BYTES = 512  # the first bytes, compared on every growth to notice a file rewritten in place
TAIL_BYTES = 64  # and the last bytes read before the offset
READ_BYTES = 1 << 20  # at most this much per read call


@dataclass(frozen=True)
class Change:
    kind: str  # "appeared" | "data" | "restart" | "gone"
    data: bytes = b""
    reason: str = ""  # for restart and gone: what happened, in words


class NotAFile(OSError):
    """The path names something other than a regular file (a folder, a FIFO, a device)."""


class FileTail:
    """A file followed by name (see the module's docstring). `offset` is how far it has been read."""

    def __init__(self, path, clock=time.monotonic):
        self.path = os.fspath(path)
        self.clock = clock
        self.fd: int | None = None
        self.identity: tuple[int, int] | None = None  # (device, inode) of the open file
        self.offset = 0  # bytes read from the open file
        self.head = b""  # its first bytes, as read
        self.last = b""  # the last bytes read (up to TAIL_BYTES), checked again with the head
        self.size = 0  # its size at the last look
        self.mtime_ns = 0
        self.gone = False  # the name no longer points at a file (moved or deleted); the old one is still open
        self.grew_at: float | None = None  # when data last arrived (clock time)
        self.restarts = 0

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def start_at(self, offset: int) -> None:
        """Go on reading from `offset` (a line boundary the caller chose; the head is kept)."""
        self.offset = offset
        self.last = self.pread(max(0, offset - TAIL_BYTES), min(offset, TAIL_BYTES))

    def pread(self, offset: int, count: int) -> bytes:
        """Bytes of the open file at `offset`, without moving the read position."""
        if self.fd is None:
            return b""
        return os.pread(self.fd, count, offset)

    def poll(self, budget: int = READ_BYTES) -> list[Change]:
        """What happened since the last poll: at most `budget` bytes of data are read (call again for more)."""
        changes: list[Change] = []
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self.fd is not None:
                if not self.gone:
                    self.gone = True
                    changes.append(Change("gone", reason="moved or deleted"))
                changes += self._data(budget)  # a writer may still be writing to the moved file
            return changes
        except OSError as exc:
            raise NotAFile(exc.errno, f"cannot look at it ({exc.strerror or exc})") from None
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(0, "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a FIFO or a device)")
        identity = (st.st_dev, st.st_ino)
        if self.fd is None:
            self._open(identity)
            changes.append(Change("appeared"))
        elif identity != self.identity:
            self.close()
            self._open(identity)
            changes.append(self._restart("a new file replaced it (rotated or re-created)"))
        elif st.st_size < self.offset:
            self._reset()
            changes.append(self._restart("it was truncated"))
        elif (st.st_size, st.st_mtime_ns) != (self.size, self.mtime_ns) and self.head and self._rewritten():
            self._reset()
            changes.append(self._restart("it was rewritten from its start"))
        self.gone = False
        self.size, self.mtime_ns = st.st_size, st.st_mtime_ns
        return changes + self._data(budget)

    @property
    def behind(self) -> int:
        """Bytes known to be in the file and not read yet."""
        return max(0, self.size - self.offset)

    # -- internals ---------------------------------------------------------------------------------------------

    def _open(self, identity) -> None:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the stat never blocks us
        self.fd = os.open(self.path, flags)
        st = os.fstat(self.fd)
        if not stat.S_ISREG(st.st_mode):
            self.close()
            raise NotAFile(0, "not a regular file (a FIFO or a device)")
        self.identity = (st.st_dev, st.st_ino)
        self._reset()

    def _reset(self) -> None:
        self.offset, self.head, self.last, self.size, self.mtime_ns = 0, b"", b"", 0, 0

    def _restart(self, reason: str) -> Change:
        self.restarts += 1
        return Change("restart", reason=reason)

    def _rewritten(self) -> bool:
        """The first bytes, or the last ones read, are no longer what they were."""
        if self.pread(0, len(self.head)) != self.head:
            return True
        return bool(self.last) and self.pread(self.offset - len(self.last), len(self.last)) != self.last

    def _data(self, budget: int) -> list[Change]:
        data = self._read(budget)
        if not data:
            return []
        self.grew_at = self.clock()
        return [Change("data", data)]

    def _read(self, budget: int) -> bytes:
        assert self.fd is not None
        parts, total = [], 0
        while total < budget:
            chunk = os.pread(self.fd, min(READ_BYTES, budget - total), self.offset)
            if not chunk:
                break
            parts.append(chunk)
            self.offset += len(chunk)
            total += len(chunk)
        data = b"".join(parts)
        if data:
            self.last = (self.last + data)[-TAIL_BYTES:]
        if len(self.head) < HEAD_BYTES and data:
            self.head = self.pread(0, HEAD_BYTES)  # what the file starts with, up to what is there now
        return data
