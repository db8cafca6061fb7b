"""Target 6: start-up. `lrtui --help` under 0.25 s; `lrtui run` of a 200-step scenario under 0.6 s without
importing Textual; the app's first paint under 1.5 s.

Each is the installed `lrtui` command as a user runs it, in a fresh process,
timed by the wall clock from start to finish (best of several runs). First
paint is timed in a pseudo-terminal of 160x50: from starting `lrtui
too-low-slow` until the status line ("step 0/200") has been written to the
terminal; then q quits it.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from benchmarks.common import Result, verdict

HELP_LIMIT, RUN_LIMIT, PAINT_LIMIT = 0.25, 0.6, 1.5
SCENARIO = "too-low-slow"  # 200 steps
PAINTED = b"step 0/200"


def lrtui_command() -> list[str]:
    """The installed console script beside this interpreter, else `python -m lrtui`."""
    script = Path(sys.executable).with_name("lrtui")
    if script.exists():
        return [str(script)]
    found = shutil.which("lrtui")
    return [found] if found else [sys.executable, "-m", "lrtui"]


def timed(command: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def imports_textual() -> bool:
    """Whether `lrtui run` imports Textual (read from Python's -X importtime report)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "lrtui", "run", SCENARIO],
                          capture_output=True, text=True, check=True)
    return any(line.rsplit("|", 1)[-1].strip().split(".")[0] == "textual" for line in done.stderr.splitlines())


def first_paint(timeout: float = 30.0) -> float:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "50"}
    started = time.perf_counter()
    proc = subprocess.Popen([*lrtui_command(), SCENARIO], stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True, start_new_session=True)
    os.close(slave)
    seen, painted = b"", float("nan")
    try:
        while time.perf_counter() - started < timeout:
            if select.select([master], [], [], 0.05)[0]:
                seen += os.read(master, 65536)
                if PAINTED in seen:
                    painted = time.perf_counter() - started
                    break
        os.write(master, b"q")
        quit_by = time.perf_counter() + 10
        while proc.poll() is None and time.perf_counter() < quit_by:  # keep reading, or its writes block
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return painted


def measure(repeats: int = 5) -> dict:
    command = lrtui_command()
    return {
        "help": timed([*command, "--help"], repeats),
        "run": timed([*command, "run", SCENARIO], repeats),
        "run_imports_textual": imports_textual(),
        "first_paint": min(first_paint() for _ in range(max(1, repeats // 2))),
    }


def results(repeats: int = 5) -> list[Result]:
    m = measure(repeats)
    run_ok = m["run"] < RUN_LIMIT and not m["run_imports_textual"]
    return [
        Result("start-up: lrtui --help (s)", f"{m['help']:.3f}", f"< {HELP_LIMIT}", verdict(m["help"] < HELP_LIMIT),
               f"best of {repeats}, wall clock"),
        Result(f"start-up: lrtui run {SCENARIO} (200 steps) (s)", f"{m['run']:.3f}", f"< {RUN_LIMIT}, no Textual",
               verdict(run_ok), "imports Textual!" if m["run_imports_textual"] else "Textual not imported"),
        Result("start-up: app's first paint at 160x50 (s)", f"{m['first_paint']:.3f}", f"< {PAINT_LIMIT}",
               verdict(m["first_paint"] < PAINT_LIMIT), f"pseudo-terminal, until {PAINTED.decode()!r} is drawn"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    print(json.dumps(measure(parser.parse_args().repeats)))
