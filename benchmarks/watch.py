"""What `lrtui watch` costs: CPU while idle-watching at --fps 2, and memory over a long watch of a fast log.

The real command runs in a pseudo-terminal (its screen read and thrown away); its CPU time and resident
memory are read from /proc. Linux only.

    python -m benchmarks.watch                 # idle 30 s, then a writer at 20,000 rows/s for 120 s
    python -m benchmarks.watch --idle 60 --long 600 --rate 50000
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Screen(threading.Thread):
    """Reads the pty so the app never blocks on a full terminal; keeps the last bytes."""

    def __init__(self, fd: int):
        super().__init__(daemon=True)
        self.fd, self.tail, self.stop = fd, b"", False

    def run(self):
        while not self.stop:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.tail = (self.tail + os.read(self.fd, 65536))[-200_000:]
                except OSError:
                    return


def start(log: Path, fps: float):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "lrtui", "watch", str(log), "--fps", str(fps)], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    screen = Screen(master)
    screen.start()
    return proc, master, screen


def wait_for(screen: Screen, needle: bytes, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in screen.tail:
        if time.monotonic() > deadline:
            raise SystemExit(f"the watch never showed {needle!r}")
        time.sleep(0.2)


def quit_app(proc, master, screen) -> None:
    os.write(master, b"q")
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    screen.stop = True
    os.close(master)


def rows(start: int, count: int) -> str:
    return "".join(f"{i},{2.3 / (1 + i / 5000) + 0.05 * ((i * 7919) % 13) / 13:.6g},0.001\n"
                   for i in range(start, start + count))


def judging_seconds(folder: Path) -> float:
    """What the Follower takes to assemble and judge a 100,000-row log (the best of three)."""
    from lrtui.logs.live import LiveLog
    from lrtui.watch_command import Follower

    log = folder / "judge.csv"
    log.write_text("step,loss,lr\n" + rows(0, 100_000))
    live = LiveLog(log)
    while live.poll(5.0) and live.status().behind:
        pass
    follower = Follower(live)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        follower.judged()
        best = min(best, time.perf_counter() - started)
    live.close()
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle watching measured (default 30)")
    parser.add_argument("--long", type=float, default=120.0, help="seconds of the long watch (default 120)")
    parser.add_argument("--rate", type=int, default=20_000, help="rows per second the writer appends (default 20000)")
    parser.add_argument("--fps", type=float, default=2.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"assembling and judging a 100,000-row log: {judging_seconds(Path(tmp)):.2f} s")
        log = Path(tmp) / "train.csv"
        log.write_text("step,loss,lr\n" + rows(0, 10_000))
        proc, master, screen = start(log, args.fps)
        wait_for(screen, b"10,000 points")
        time.sleep(2.0)
        before = cpu_seconds(proc.pid)
        time.sleep(args.idle)
        idle = (cpu_seconds(proc.pid) - before) / args.idle
        idle_rss = rss_mb(proc.pid)
        print(f"idle watch of a 10,000-row log at --fps {args.fps:g}: {100 * idle:.1f}% of one core "
              f"over {args.idle:.0f} s, {idle_rss:.0f} MB resident")
        step, samples = 10_000, []
        started = time.monotonic()
        cpu_start = cpu_seconds(proc.pid)
        next_sample = started
        with log.open("a") as f:
            while time.monotonic() - started < args.long:
                tick = time.monotonic()
                count = args.rate // 10
                f.write(rows(step, count))
                f.flush()
                step += count
                if tick >= next_sample:
                    samples.append((tick - started, step, rss_mb(proc.pid)))
                    next_sample += args.long / 12
                time.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
        busy = (cpu_seconds(proc.pid) - cpu_start) / (time.monotonic() - started)
        samples.append((time.monotonic() - started, step, rss_mb(proc.pid)))
        size = log.stat().st_size / 2**20
        print(f"long watch: a writer appended {step - 10_000:,} rows ({size:.0f} MB) at {args.rate:,} rows/s for "
              f"{args.long:.0f} s; the watch used {100 * busy:.0f}% of one core")
        print("  resident memory (MB) at " + ", ".join(f"{t:.0f} s ({s:,} rows): {m:.0f}" for t, s, m in samples))
        stopped = time.monotonic()
        wait_for(screen, f"step {step - 1:,}".encode(), timeout=120)
        print(f"  the last row (step {step - 1:,}) was on screen {time.monotonic() - stopped:.1f} s after it was "
              "written")
        quit_app(proc, master, screen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
