"""How a command meets its terminal: output that may fail, hang-ups, and terminals that vanish.

Kept apart from cli.py, which is about commands and their arguments.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time


class OutputError(Exception):
    """Standard output could not take the text (a full disk, say): one line for the user, exit 2."""


def write_out(text: str, out=None) -> None:
    """Write and flush, so that a failing stdout shows here, not as a traceback while Python exits."""
    out = sys.stdout if out is None else out
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        raise  # the reader went away (| head): not an error
    except OSError as exc:
        raise OutputError(f"cannot write the output ({exc.strerror or exc}); check where it goes "
                          "(a full disk, a closed terminal)") from None


@contextlib.contextmanager
def exit_on_hangup_or_term():
    """SIGHUP (the SSH link dropped) and SIGTERM end a command as SystemExit(128 + signal), not by the signal
    itself, so that a half-written -o file is removed on the way out, as Ctrl+C's is."""
    import signal

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    wanted = [getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        wanted = []
    previous = {signum: signal.signal(signum, stop) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def detach_stdout() -> None:
    """Point stdout at /dev/null: Python flushes it once more at exit, which would fail the same way."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's StringIO): nothing to flush at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def terminal_gone(error: BaseException, terminal=None) -> bool:
    """Whether `error` is a write to a terminal whose other side has closed (EIO, EPIPE, ENXIO) and the terminal
    is indeed gone: the hangup watcher below polls twice a second, and a frame drawn in between fails this way."""
    import errno
    import termios

    if not (isinstance(error, OSError) and error.errno in (errno.EIO, errno.EPIPE, errno.ENXIO)):
        return False
    try:
        termios.tcgetattr((terminal or sys.stdin).fileno())
    except termios.error:
        return True
    except (AttributeError, OSError, ValueError):
        return False
    return False


def end_on_hangup(terminal) -> None:
    """End the process as SIGHUP would when its terminal goes away without sending one (no controlling
    terminal, SIGHUP ignored): Textual's input thread would spin forever on a terminal that reads as EOF."""
    try:
        fd = terminal.fileno()
    except (AttributeError, OSError, ValueError):
        return
    if not os.isatty(fd):
        return

    def watch():
        import signal
        import termios

        while True:
            time.sleep(0.5)
            try:
                termios.tcgetattr(fd)
            except termios.error:  # EIO: the other side of the terminal is closed
                os.kill(os.getpid(), signal.SIGHUP)
                time.sleep(1.0)
                os._exit(128 + signal.SIGHUP)  # SIGHUP was ignored (nohup): nothing is left to draw on

    threading.Thread(target=watch, name="lrtui-hangup", daemon=True).start()
