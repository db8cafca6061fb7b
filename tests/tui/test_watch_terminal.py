"""The real `lrtui watch` in tmux, as a person runs it beside a training: a writer process appends to the log,
the pane shows the step, loss and verdict change, survives truncation, and q quits with status 0."""

import os
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

WRITER = textwrap.dedent("""
    import math, sys, time
    path, start, stop, calm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(path, "a") as f:
        if f.tell() == 0:
            f.write("step,loss,lr\\n")
        for i in range(start, stop):
            lr, loss = (0.1, 2.3 * math.exp(-i / 40) + 0.1) if i < calm else (3.0, 0.2 * 1.15 ** (i - calm))
            f.write(f"{i},{loss:.6g},{lr}\\n")
            f.flush()
            time.sleep(0.01)
""")


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, needle: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        if needle in screen:
            return screen
        time.sleep(0.25)
    raise AssertionError(f"{needle!r} never showed; the pane:\n{screen}")


def test_the_real_command_follows_a_writer_process_and_quits_on_q(tmp_path):
    log = tmp_path / "train.csv"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    session = f"lrtui-watch-{uuid.uuid4().hex[:8]}"
    command = (f"{shlex.quote(sys.executable)} -m lrtui watch {shlex.quote(str(log))} --fps 2; "
               "echo EXIT=$?; sleep 60")
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True, env=env)
    writers = []
    try:
        wait_for(session, "does not exist yet")
        writers.append(subprocess.Popen([sys.executable, str(script), str(log), "0", "150", "1000"]))
        wait_for(session, "improving")
        screen = wait_for(session, "step 149 ")
        assert "CSV" in screen and "lr 0.1" in screen and "learning rate" in screen
        writers.append(subprocess.Popen([sys.executable, str(script), str(log), "150", "300", "150"]))
        wait_for(session, "diverged")
        screen = wait_for(session, "step 299 ")
        assert "points  diverged" in screen and "lr 3 " in screen
        log.write_text("step,loss,lr\n")  # truncated: a new training starts
        wait_for(session, "truncated")
        with log.open("a") as f:
            f.write("".join(f"{i},{1 / (i + 1):.5f},0.02\n" for i in range(40)))
        assert "lr 0.02" in wait_for(session, "step 39 ")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        wait_for(session, "EXIT=0", timeout=15)
    finally:
        for w in writers:
            w.kill()
            w.wait()
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_watch_refuses_a_file_that_is_not_a_log_with_one_line(tmp_path):
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"PK\x03\x04\x00\x00" * 50)
    out = subprocess.run([sys.executable, "-m", "lrtui", "watch", str(binary)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "binary file" in out.stderr
