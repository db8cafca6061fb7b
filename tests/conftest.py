"""Test-session settings shared by every test directory.

One BLAS thread: the engine's matrices are small, and a second OpenBLAS thread on a 2-core machine that is
also running the test's own process (and the app's worker) makes them several times slower, not faster (the
45-case diagnostics suite: 3 s against 23 s for its slowest case under load). Set before NumPy is imported;
`make test` sets the same variables, so that subprocesses started by the tests get them too.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pytest  # noqa: E402

# Tests that time themselves against the wall clock (key latency, frame rate, a step's cost, the app in a real
# terminal, a server's timings) or that deliver signals to a process. `make test` runs these alone, one at a time,
# and the rest on both cores (pytest-xdist): a second worker's load would make a 50 ms key budget a coin toss.
SERIAL_FILES = {
    "tests/tui/test_app_keys_latency.py", "tests/tui/test_drawing_cost.py", "tests/tui/test_real_terminal.py",
    "tests/tui/test_resize_and_hangup.py", "tests/tui/test_watch_terminal.py", "tests/tui/test_hostile_text_pty.py",
    "tests/tui/test_watch_screen.py", "tests/core/test_sharpness_step_time.py", "tests/core/test_schedule_event_cap.py",
    "tests/core/test_expression.py", "tests/test_serve.py", "tests/test_cli_safety.py", "tests/test_memory_budgets.py",
    "tests/test_logs.py", "tests/test_logs_bad_input.py", "tests/test_output_files.py",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "serial: timed against the wall clock; `make test` runs these one at a time")


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        if item.path.relative_to(root).as_posix() in SERIAL_FILES:
            item.add_marker(pytest.mark.serial)
