"""No step of a model stalls for its sharpness estimate: the worst step stays within a bounded multiple of the
median (an estimate made all at once made every 25th digits step 60-130x the median)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

WORST_OVER_MEDIAN = 20.0
ATTEMPTS = 3  # a measurement spoiled by load elsewhere on the machine is taken again

# Each step's time is the least over REPEATS fresh runs of the same steps, which drops spikes caused by other
# processes. BLAS is held to one thread: on a shared 2-core machine a threaded product waits for a core that
# another process holds, which times the machine, not lrtui.
MEASURE = """
import json, time
from lrtui.scenario.library import find_builtin
REPEATS, WARM, STEPS = 3, 10, 160
times = []
for _ in range(REPEATS):
    exp = find_builtin("digits-lr-classic").load().build()
    exp.step(WARM)
    row = []
    for _ in range(STEPS):
        started = time.perf_counter()
        exp.step(1)
        row.append(time.perf_counter() - started)
    times.append(row)
print(json.dumps(times))
"""


def step_times() -> np.ndarray:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", MEASURE], env=env, capture_output=True, text=True, timeout=300,
                         check=True)
    return np.min(np.array(json.loads(out.stdout)), axis=0)


def test_the_worst_digits_step_is_a_bounded_multiple_of_the_median():
    ratios = []
    for _ in range(ATTEMPTS):
        times = step_times()
        # The measured steps include several sharpness samples (every 25 steps) and their estimates.
        assert times.size >= 150
        ratios.append(float(times.max() / np.median(times)))
        if ratios[-1] <= WORST_OVER_MEDIAN:
            return
    raise AssertionError(f"worst step / median step = {ratios}, above {WORST_OVER_MEDIAN} every time")
