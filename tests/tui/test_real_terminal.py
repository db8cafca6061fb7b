"""Start the real `lrtui` command in a pseudo-terminal, type keys, read the screen, quit with q."""

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time


def read_until(fd, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if needle in seen:
                return seen
    return seen


def drain_until_exit(fd, proc: subprocess.Popen, timeout: float) -> int | None:
    """Keep reading the screen while the app quits: a full pty would block its last writes."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        read_until(fd, b"\0never", 0.2)
    return proc.poll()


def test_the_real_command_steps_on_a_key_and_quits_cleanly_on_q():
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    proc = subprocess.Popen([sys.executable, "-m", "lrtui", "too-low-slow"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    try:
        assert b"step 0/200" in read_until(master, b"step 0/200", 20)
        os.write(master, b"n")
        assert b"step 1/200" in read_until(master, b"step 1/200", 10)
        os.write(master, b"q")
        assert drain_until_exit(master, proc, 15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
