"""The `lrtui` command line. Headless commands never import Textual."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from lrtui import __version__
from lrtui.process import OutputError, detach_stdout, end_on_hangup, exit_on_hangup_or_term, write_out
from lrtui.text import visible, visible_lines

SUBCOMMANDS = ("run", "check", "list", "show", "serve", "diagnose", "watch", "find")

MAIN_EPILOG = """\
commands:
  lrtui                      open the app on the default scenario
  lrtui NAME_OR_FILE ...     open the app on these scenarios
  lrtui list                 the built-in scenarios, one per line
  lrtui show NAME            print a built-in scenario's file (--torch: a run as a PyTorch script)
  lrtui check FILE ...       validate scenario files
  lrtui run NAME_OR_FILE     train without the app and print the results
  lrtui diagnose LOG         judge your own training log (CSV, JSON, text, TensorBoard, MLflow, W&B)
  lrtui watch LOG_OR_DIR     follow a training log as it grows: loss, LR and verdict, live
  lrtui find NAME_OR_FILE    LR range test: every rule's pick (--verify trains at each)
  lrtui serve [NAME ...]     serve the app to a web browser (pip install 'lrtui[web]')

examples:
  lrtui rosenbrock-sgd-vs-adam
  lrtui show too-high-divergence > mine.toml
  lrtui run mine.toml --set optimizer.lr=0.3 --format csv -o out.csv

Run `lrtui COMMAND --help` for a command's options.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits with 2 as we do; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _app_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lrtui", description="See what the learning rate does to training, live in your terminal.",
                epilog=MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="*", metavar="NAME_OR_FILE", help="built-in scenario names or .toml files")
    p.add_argument("--fps", type=float, default=15.0, help="redraws per second while playing (default 15)")
    p.add_argument("--ascii", action="store_true", help="draw without braille or box glyphs")
    p.add_argument("--version", action="version", version=f"lrtui {__version__}")
    return p


def _command_parser(name: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if name == "run":
        p = _Parser(prog="lrtui run", formatter_class=fmt, description="Train a scenario without the app.",
                    epilog="examples:\n  lrtui run too-low-slow\n  lrtui run mine.toml --steps 500 --format json\n"
                    "  lrtui run lr-sweep --set optimizer.momentum=0.9 --format csv -o sweep.csv\n")
        p.add_argument("scenario", metavar="NAME_OR_FILE")
        p.add_argument("--steps", type=int, help="override the scenario's step budget")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override any key, e.g. optimizer.lr=0.3 or loss.eigenvalues=[1,100] (repeatable)")
        p.add_argument("--format", choices=("table", "csv", "json"), default="table")
        p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
        p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    elif name == "check":
        p = _Parser(prog="lrtui check", formatter_class=fmt, description="Validate scenario files.",
                    epilog="example:\n  lrtui check mine.toml scenarios/*.toml\n")
        p.add_argument("files", nargs="+", metavar="FILE")
    elif name == "diagnose":
        p = _Parser(prog="lrtui diagnose", formatter_class=fmt,
                    description="Judge a training log from its loss curve alone (curve-only rules): the verdict, "
                    "the findings with their steps and evidence, and a plot. Reads Keras CSVLogger files, Lightning "
                    "metrics.csv, TensorBoard event files and folders (pip install 'lrtui[tensorboard]') and scalar "
                    "CSV downloads, Hugging Face trainer_state.json, MLflow metric files and run folders, W&B CSV "
                    "exports, lrtui's CSV export, JSON Lines and plain logging text (loss=0.52, 'loss: 0.52'). "
                    "Runs appended to one file are split, never blended; each is judged, the last is shown.",
                    epilog="examples:\n  lrtui diagnose lightning_logs/version_0/metrics.csv\n"
                    "  lrtui diagnose runs/exp1                       # a TensorBoard run folder\n"
                    "  lrtui diagnose output/checkpoint-500/trainer_state.json --format json\n"
                    "  lrtui diagnose train.log --column val_loss     # judge another column\n"
                    "  lrtui diagnose training.log.csv --run 0        # the first of several appended runs\n"
                    "  lrtui diagnose run.jsonl --plot > report.txt\n"
                    "\nexit status: 0 when the log was judged (whatever the verdict), 2 when it cannot be read\n")
        p.add_argument("log", metavar="LOG", help="a training log file, or a folder a training tool wrote")
        p.add_argument("--format", choices=("text", "json"), default="text")
        p.add_argument("--plot", action=argparse.BooleanOptionalAction, default=None,
                       help="draw the curve (default: only when stdout is a terminal)")
        p.add_argument("--column", metavar="NAME", help="the loss column to judge (default: chosen by a documented "
                       "rule, and the report says which)")
        p.add_argument("--run", type=int, metavar="N", help="which run to show when the log holds several "
                       "(0 is the first, -1 the last; default: the last)")
    elif name == "watch":
        p = _Parser(prog="lrtui watch", formatter_class=fmt,
                    description="Follow a training log as it grows, in the app's panels: the loss, the LR, the "
                    "verdict and the findings (curve-only rules, as lrtui diagnose), updated as lines arrive. Reads "
                    "only what was appended; waits for a file that does not exist yet; starts over on a file "
                    "truncated or replaced (rotation); says when the writer has stopped. Folders: a TensorBoard "
                    "run, an MLflow run, a Hugging Face output folder, lightning_logs (the newest run is "
                    "followed). Keys: q quits, l log/linear axis, p pauses the drawing. Details: docs/diagnostics.md",
                    epilog="examples:\n  lrtui watch train.log                        # in a tmux pane beside training\n"
                    "  lrtui watch runs/exp1 --fps 1               # a TensorBoard run, over a slow link\n"
                    "  lrtui watch lightning_logs --ascii          # the newest version's metrics.csv\n"
                    "\nexit status: 0 after q, 2 when the path is not a log lrtui reads\n")
        p.add_argument("log", metavar="LOG_OR_DIR", help="a training log file or a folder a training tool writes "
                       "(it may not exist yet)")
        p.add_argument("--fps", type=float, default=2.0, help="looks at the log and redraws this often per second "
                       "(default 2)")
        p.add_argument("--ascii", action="store_true", help="draw without braille or box glyphs")
        p.add_argument("--column", metavar="NAME", help="the loss column to judge (default: chosen by the rule "
                       "lrtui diagnose uses)")
        p.add_argument("--run", type=int, metavar="N", help="which run to show when the log holds several "
                       "(default: the last, so a new training appended to the log is followed)")
        p.add_argument("--window", type=float, metavar="MB", help="the most of the log's text held at once, in MB "
                       "(default 8); older rows are kept thinned")
    elif name == "find":
        p = _Parser(prog="lrtui find", formatter_class=fmt,
                    description="LR range test (Smith, 2015) on one run of a scenario: ramp the LR from --start-lr "
                    "to --end-lr over --num-it steps with the run's optimizer, smooth the loss (EMA, beta 0.98), "
                    "stop once it exceeds 4x its best, and show what the valley, slide, steep, minimum and "
                    "gradient rules pick. --verify trains the scenario's budget at each pick and on a log grid "
                    "to show which LR really trains best. Details: docs/finder.md",
                    epilog="examples:\n  lrtui find digits-lr-classic\n  lrtui find digits-lr-classic --verify\n"
                    "  lrtui find mine.toml --run 1 --end-lr 1 --num-it 300 --format json\n"
                    "\nexit status: 0 when the test ran (whatever it found), 2 on bad input\n")
        p.add_argument("scenario", metavar="NAME_OR_FILE")
        p.add_argument("--run", type=int, default=0, metavar="K", help="which run of the scenario (default 0)")
        p.add_argument("--start-lr", type=float, default=1e-7, help="first LR of the ramp (default 1e-7)")
        p.add_argument("--end-lr", type=float, default=10.0, help="last LR of the ramp (default 10)")
        p.add_argument("--num-it", type=int, default=100, help="steps of the ramp (default 100)")
        p.add_argument("--mode", choices=("exp", "linear"), default="exp", help="how the LR ramps (default exp)")
        p.add_argument("--verify", action="store_true",
                       help="train the scenario's budget at each pick and on a log grid of LRs")
        p.add_argument("--grid-points", type=int, default=13, help="LRs on the --verify grid (default 13)")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override any key of the scenario, e.g. optimizer.momentum=0.9 (repeatable)")
        p.add_argument("--format", choices=("table", "json"), default="table")
        p.add_argument("--plot", action=argparse.BooleanOptionalAction, default=None,
                       help="draw the curve (default: only when stdout is a terminal)")
    elif name == "list":
        p = _Parser(prog="lrtui list", description="List the built-in scenarios with a short summary.")
    elif name == "serve":
        p = _Parser(prog="lrtui serve", formatter_class=fmt,
                    description="Serve the app to a web browser through textual-serve; each browser tab runs\n"
                    "its own copy of the app. Needs the optional web extra: pip install 'lrtui[web]'",
                    epilog="examples:\n  lrtui serve                      then open http://127.0.0.1:8000\n"
                    "  lrtui serve lr-sweep mine.toml --port 8080\n"
                    "  lrtui serve --host 0.0.0.0       reachable from other machines: only on a network you trust\n"
                    "\nOnly pages this server made may connect (the WebSocket's Origin is checked), and at most\n"
                    "--max-sessions tabs run at once.\n")
        from lrtui.serve_command import add_arguments

        add_arguments(p, _port)
    else:
        p = _Parser(prog="lrtui show", formatter_class=fmt, description="Print a built-in scenario's TOML file, "
                    "or with --torch one of its runs as a runnable PyTorch script.",
                    epilog="examples:\n  lrtui show too-high-divergence > mine.toml\n"
                    "  lrtui show --torch too-high-oscillation > run.py && python run.py > loss.csv\n")
        p.add_argument("name", metavar="NAME_OR_FILE")
        p.add_argument("--torch", action="store_true",
                       help="print the run as a PyTorch script (torch.optim optimizer and lr_scheduler; the loss "
                       "itself in torch for 2-D functions, quadratics and formulas)")
        p.add_argument("--run", type=int, default=0, metavar="K", help="with --torch: which run (default 0)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:  # first: an interrupt at any moment of main() exits 130 with one line
        argv = list(sys.argv[1:] if argv is None else argv)
        if argv and argv[0] in SUBCOMMANDS:
            args = _command_parser(argv[0]).parse_args(argv[1:])
            with exit_on_hangup_or_term():
                code = COMMANDS[argv[0]](args)
                write_out("")
            return code
        return _open_app(_app_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        detach_stdout()
        return 0
    except OutputError as exc:
        detach_stdout()
        return _fail(str(exc))


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 1 to 65535, got {port}")
    return port


def _fail(message: str) -> int:
    # Messages quote files, paths and --set values: nothing in them may act on the terminal.
    print(visible_lines(message), file=sys.stderr)
    return 2


def _cmd_list(args) -> int:
    from lrtui.scenario.library import builtin_scenarios
    from lrtui.scenario.summary import summary_line

    entries = builtin_scenarios()
    width = max(len(e.name) for e in entries)
    lines, chapter = [], None
    for entry in entries:  # the course, chapter by chapter, each lesson numbered
        if entry.chapter != chapter:
            chapter = entry.chapter
            lines.append(f"{chapter or 'More'}:\n")
        number = f"{entry.number:>2}." if entry.number else "   "
        lines.append(f"{number} {entry.name.ljust(width)}  {summary_line(entry.text())}\n")
    write_out("".join(lines))
    return 0


def _cmd_show(args) -> int:
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.library import find_builtin, resolve

    if getattr(args, "torch", False):
        from lrtui.export import printable
        from lrtui.torch_script import NoTorchScript, run_parts, torch_script

        try:
            scenario = resolve(args.name)
            loss, spec = run_parts(scenario, args.run)
            text = torch_script(scenario.name, scenario.steps, loss, spec, args.run, source=args.name)
        except ScenarioError as exc:
            return _fail(str(exc))
        except (NoTorchScript, ValueError) as exc:
            return _fail(printable(f"{args.name}: no PyTorch script for this run: {exc}"))
        write_out(text)
        return 0
    try:
        text = find_builtin(args.name).text()
    except ScenarioError as exc:
        return _fail(str(exc))
    write_out(text)
    return 0


def _cmd_check(args) -> int:
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.loader import load_scenario

    status = 0
    for name in args.files:
        try:
            load_scenario(name)
            write_out(f"{visible(name)}: ok\n")
        except ScenarioError as exc:
            print(visible_lines(str(exc)), file=sys.stderr)
            status = 2
    return status


def _cmd_run(args) -> int:
    from lrtui import export
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.library import resolve
    from lrtui.scenario.overrides import OverrideError, parse_overrides

    try:
        overrides = parse_overrides(args.set)
        if args.steps is not None:
            overrides.append(("steps", args.steps))
        scenario = resolve(args.scenario, overrides)
    except (ScenarioError, OverrideError) as exc:
        return _fail(str(exc))
    if args.output is not None:
        # Before training, which can take minutes: a missing folder, or one we may not write into, is known now.
        problem = export.unwritable(args.output, force=args.force)
        if problem is not None:
            return _fail(export.cannot_write(args.output, problem))
    exp = scenario.build()
    _train(exp, scenario.steps)
    # CSV and JSON are made run by run and written as they come: a large sweep is never held whole.
    if args.format == "csv":
        chunks = export.csv_chunks(exp)
    elif args.format == "json":
        chunks = export.json_chunks(exp, scenario.name, [run.as_dict() for run in scenario.runs])
    else:
        chunks = iter([export.to_table(exp, scenario.name)])
    if args.output is None:
        for chunk in chunks:
            write_out(chunk)
        return 0
    try:
        export.write_atomically(args.output, chunks, force=args.force)
    except OSError as exc:  # the folder went away while training, a full disk, no permission...
        return _fail(export.cannot_write(args.output, exc))
    return 0


def _cmd_diagnose(args) -> int:
    from lrtui.diagnose_command import run

    return run(args.log, args.format, args.plot, column=args.column, run_index=args.run)


def _cmd_watch(args) -> int:
    from lrtui.watch_command import run

    return run(args)


def _cmd_find(args) -> int:
    from lrtui.find_command import run

    return run(args)


def _train(exp, steps: int) -> None:
    """Step in chunks; after a second, show progress on stderr if it is a terminal."""
    started = time.monotonic()
    show = sys.stderr.isatty()
    while exp.step_count < steps:
        exp.step_within(steps - exp.step_count, 0.1)
        if show and time.monotonic() - started > 1.0:
            done = exp.step_count / steps
            bar = "#" * int(30 * done)
            sys.stderr.write(f"\r[{bar:<30}] {exp.step_count}/{steps} steps")
            sys.stderr.flush()
    if show and time.monotonic() - started > 1.0:
        sys.stderr.write("\r" + " " * 60 + "\r")


def _open_app(args) -> int:
    # The app steps in a worker thread while the UI thread draws. A BLAS that splits a product over
    # every core then waits for the one the UI holds: an MLP step went from 20 ms to 300 ms that way.
    # Set before NumPy loads (nothing above has imported it); a user's own setting wins.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.library import DEFAULT_SCENARIO, resolve

    names = args.scenarios or [DEFAULT_SCENARIO]
    try:
        scenarios = [resolve(name) for name in names]
    except ScenarioError as exc:
        return _fail(str(exc))
    from lrtui.tui.app import LrtuiApp

    end_on_hangup(sys.stdin)
    app = LrtuiApp(scenarios, fps=args.fps, ascii_only=args.ascii)
    app.run()
    return app.return_code or 0  # 1 when the app stopped on an error


def _cmd_serve(args) -> int:
    from lrtui.serve_command import run

    return run(args)


COMMANDS = {"run": _cmd_run, "check": _cmd_check, "list": _cmd_list, "show": _cmd_show, "serve": _cmd_serve,
            "diagnose": _cmd_diagnose, "watch": _cmd_watch, "find": _cmd_find}
