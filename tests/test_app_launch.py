"""What `lrtui` sets up before the app starts."""

import os
import subprocess
import sys

# Records OPENBLAS_NUM_THREADS at the moment NumPy is first imported, then opens the app with its run
# replaced, so nothing is drawn.
PROBE = """
import os, sys
import textual.app
seen = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and not seen:
            seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
        return None

sys.meta_path.insert(0, Watch())
textual.app.App.run = lambda self, *args, **kwargs: None
from lrtui import cli
cli.end_on_hangup = lambda terminal: None
code = cli.main(["too-low-slow"])
print(code, seen)
"""


def run_probe(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env={**clean, **env},
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_app_loads_numpy_with_one_blas_thread_so_stepping_never_waits_for_the_ui_core():
    assert run_probe() == "0 ['1']"


def test_a_users_own_blas_setting_wins():
    assert run_probe(OPENBLAS_NUM_THREADS="2") == "0 ['2']"
