"""Issue 15, finding 1, in the real app: a hostile file name and a file that turns hostile reach the
terminal only as visible escapes (read from the pseudo-terminal the app draws on, as a user's terminal would)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import time

from tests.test_hostile_text import HOSTILE_FILE, scenario_text
from tests.tui.test_real_terminal import drain_until_exit, read_until

# Sequences a terminal would act on: the title, the clipboard, a link, C1 CSI and OSC, and the bidi controls.
ACTING = [b"\x1b]0;PWNED", b"\x1b]52;", b"\x1b]8;;http://evil", "\u009b".encode(), "\u009d".encode(),
          "\u202e".encode(), "\u2067".encode()]
HOSTILE_NAME = ('"opened \\u001b]0;PWNED\\u0007 \\u001b]52;c;Y3VybCBldmlsIHwgc2g=\\u0007 '
                '\\u001b]8;;http://evil.example\\u001b\\\\link \\u009b2J \\u009d0;PWNED \\u202etxt.exe \\u2067x"')


def _start(args, cwd, columns: int = 100):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "30"}
    proc = subprocess.Popen([sys.executable, "-m", "lrtui", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True, start_new_session=True, cwd=cwd)
    os.close(slave)
    return master, proc


def _assert_inert(screen: bytes) -> None:
    for needle in ACTING:
        assert needle not in screen, (needle, screen[-2000:])


def test_a_hostile_file_name_and_a_file_turned_hostile_reach_the_app_screen_only_escaped(tmp_path):
    path = tmp_path / HOSTILE_FILE
    path.write_text(scenario_text(name='"calm"'))
    master, proc = _start([path.name], tmp_path, columns=240)  # room for the escaped name and the summary
    screen = b""
    try:
        screen += read_until(master, b"step 0/5", 20)
        assert b"step 0/5" in screen
        path.write_text(scenario_text(name=HOSTILE_NAME))  # the shared file changes while the app is open
        os.write(master, b"b")
        screen += read_until(master, b"enter opens", 10)
        time.sleep(0.5)
        screen += read_until(master, b"\0never", 0.5)
        # The browser lists the file under its name, escaped, with the summary of what it holds now.
        assert b"evil\\x1b]0;PWNED\\x07" in screen
        assert b"opened \\x1b]0;PWNED\\x07" in screen
        os.write(master, b"\r")  # open it: refused, and the reason shown
        screen += read_until(master, b"name: holds U+001B (ESCAPE)", 10)
        assert b"name: holds U+001B (ESCAPE)" in screen
        os.write(master, b"\x1b")
        time.sleep(0.3)
        os.write(master, b"n")  # the app goes on with what it had
        screen += read_until(master, b"step 1/5", 10)
        assert b"step 1/5" in screen
        os.write(master, b"q")
        code = drain_until_exit(master, proc, 15)
        assert code == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        screen += read_until(master, b"\0never", 0.2)
        os.close(master)
    _assert_inert(screen)


def test_the_app_refuses_a_hostile_file_with_one_inert_line(tmp_path):
    path = tmp_path / "shared.toml"
    path.write_text(scenario_text(name=HOSTILE_NAME, label='"\\u001b]52;c;Y3VybA==\\u0007"'))
    master, proc = _start([path.name], tmp_path)
    try:
        screen = read_until(master, b"remove it", 20)
        code = drain_until_exit(master, proc, 15)
        screen += read_until(master, b"\0never", 0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert code == 2
    assert b"shared.toml:1: name: holds U+001B (ESCAPE) at character 8" in screen
    _assert_inert(screen)
