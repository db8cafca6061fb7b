"""Peak memory of the cases that blew up in issue 15 (finding 4), each `lrtui` command in its own process.

    python -m benchmarks.memory                 # every case (about 20 minutes on 2 shared cores)
    python -m benchmarks.memory q16 verify      # some of them
    python -m benchmarks.memory --limit-gb 8    # each process capped at 8 GB of address space (the default)

Each case prints its exit code, the process's peak resident set size (from wait4), its time, and the last
line it wrote to stderr. The address-space cap makes a regression fail with a MemoryError instead of
swapping the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 4096


def sweep(name: str, loss: str, steps: int, key: str = "optimizer.lr", values=None, label: str = "") -> str:
    values = values if values is not None else [round(1e-4 * (1 + i / 100), 8) for i in range(RUNS)]
    runs = f"\n[[runs]]\nlabel = {json.dumps(label)}\n" if label else ""
    return (f'name = "{name}"\nsteps = {steps}\n\n[loss]\n{loss}\n\n[optimizer]\ntype = "sgd"\nlr = 0.001\n{runs}'
            f'\n[sweep]\n"{key}" = {json.dumps(values)}\n')


QUADRATIC_16 = 'type = "quadratic"\neigenvalues = ' + json.dumps([1.0 + i for i in range(16)])
FILES = {
    "q16.toml": sweep("q16", QUADRATIC_16, 8000),
    "rosen.toml": sweep("rosen", 'type = "rosenbrock"', 20000),
    "label.toml": sweep("label", 'type = "rosenbrock"', 200, label="L" * 240_000),
    "losses.toml": sweep("losses", 'type = "quadratic"\neigenvalues = [1.0, 10.0]', 200, "loss.eigenvalues",
                         [[1.0, 1.0 + i / 100] for i in range(RUNS)]),
    "wide.toml": 'name = "wide"\nsteps = 50\n[loss]\ntype = "mlp"\ndataset = "digits"\nhidden = [512, 512]\n'
                 '[optimizer]\ntype = "sgd"\nlr = 0.1\n',
}
CASES = {
    "q16": ("4,096 runs of a 16-D quadratic x 8,000 steps, table", ["run", "q16.toml"]),
    "json": ("4,096 runs of Rosenbrock x 20,000 steps, --format json to stdout", ["run", "rosen.toml", "--format",
                                                                               "json"]),
    "csv": ("the same, --format csv -o FILE", ["run", "rosen.toml", "--format", "csv", "-o", "out.csv", "--force"]),
    "verify": ("find --verify --grid-points 1000, MLP [512, 512]", ["find", "wide.toml", "--verify",
                                                                    "--grid-points", "1000"]),
    "label-check": ("a 240 KB label swept 4,096 times: check", ["check", "label.toml"]),
    "label-run": ("the same: run", ["run", "label.toml"]),
    "losses": ("4,096 loss.eigenvalues values x 200 steps: run", ["run", "losses.toml"]),
    "losses-long": ("the same at 200,000 steps: run", ["run", "losses.toml", "--steps", "200000"]),
}


def measure(argv: list[str], folder: Path, limit: int) -> tuple[int, float, float, str]:
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.perf_counter()
    with open(folder / "stderr.txt", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "lrtui", *argv], cwd=folder, stdout=subprocess.DEVNULL,
                                stderr=err, preexec_fn=cap)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    lines = (folder / "stderr.txt").read_text().strip().splitlines()
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, seconds, (lines[-1] if lines else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", choices=[*CASES, []], metavar="CASE", help=", ".join(CASES))
    parser.add_argument("--limit-gb", type=float, default=8.0, help="address space of each process (default 8)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lrtui-memory-") as tmp:
        folder = Path(tmp)
        for name, text in FILES.items():
            (folder / name).write_text(text)
        print(f"{'case':<12} {'exit':>4} {'peak RSS':>10} {'time':>8}  what / last stderr line")
        for case in args.cases or CASES:
            what, argv = CASES[case]
            code, peak, seconds, last = measure(argv, folder, int(args.limit_gb * 2**30))
            size = ""
            if (folder / "out.csv").exists():
                size = f"; out.csv {(folder / 'out.csv').stat().st_size / 2**20:.0f} MB"
                (folder / "out.csv").unlink()
            print(f"{case:<12} {code:>4} {peak:>7.0f} MB {seconds:>6.1f} s  {what}{size}", flush=True)
            if last:
                print(f"{'':<40}{last[:160]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
