"""Test-session settings shared by every test directory.

One BLAS thread: the engine's matrices are small, and a second OpenBLAS thread on a 2-core machine that is
also running the test's own process (and the app's worker) makes them several times slower, not faster (the
45-case diagnostics suite: 3 s against 23 s for its slowest case under load). Set before NumPy is imported;
`make test` sets the same variables, so that subprocesses started by the tests get them too.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
