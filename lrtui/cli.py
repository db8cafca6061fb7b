"""The `lrtui` command line. Headless commands never import Textual."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lrtui import __version__

SUBCOMMANDS = ("run", "check", "list", "show")

MAIN_EPILOG = """\
commands:
  lrtui                      open the app on the default scenario
  lrtui NAME_OR_FILE ...     open the app on these scenarios
  lrtui list                 the built-in scenarios, one per line
  lrtui show NAME            print a built-in scenario's file
  lrtui check FILE ...       validate scenario files
  lrtui run NAME_OR_FILE     train without the app and print the results

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
    elif name == "list":
        p = _Parser(prog="lrtui list", description="List the built-in scenarios with a short summary.")
    else:
        p = _Parser(prog="lrtui show", formatter_class=fmt, description="Print a built-in scenario's TOML file.",
                    epilog="example:\n  lrtui show too-high-divergence > mine.toml\n")
        p.add_argument("name", metavar="NAME")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            args = _command_parser(argv[0]).parse_args(argv[1:])
            return COMMANDS[argv[0]](args)
        return _open_app(_app_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _cmd_list(args) -> int:
    from lrtui.scenario.library import builtin_scenarios

    entries = builtin_scenarios()
    width = max(len(e.name) for e in entries)
    for entry in entries:
        from lrtui.scenario.summary import summary_line

        print(f"{entry.name.ljust(width)}  {summary_line(entry.text())}")
    return 0


def _cmd_show(args) -> int:
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.library import find_builtin

    try:
        sys.stdout.write(find_builtin(args.name).text())
    except ScenarioError as exc:
        return _fail(str(exc))
    return 0


def _cmd_check(args) -> int:
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.loader import load_scenario

    status = 0
    for name in args.files:
        try:
            load_scenario(name)
            print(f"{name}: ok")
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
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
    if args.output is not None and args.output.exists() and not args.force:
        return _fail(f"{args.output} exists; use --force to overwrite it, or choose another name")
    exp = scenario.build()
    _train(exp, scenario.steps)
    if args.format == "csv":
        text = export.to_csv(exp)
    elif args.format == "json":
        text = export.to_json(exp, scenario.name, [run.as_dict() for run in scenario.runs])
    else:
        text = export.to_table(exp, scenario.name)
    if args.output is None:
        sys.stdout.write(text)
    else:
        export.write_atomically(args.output, text, force=args.force)
    return 0


def _train(exp, steps: int) -> None:
    """Step in chunks; after a second, show progress on stderr if it is a terminal."""
    started = time.monotonic()
    show = sys.stderr.isatty()
    chunk = 1
    while exp.step_count < steps:
        t0 = time.monotonic()
        exp.step(min(chunk, steps - exp.step_count))
        elapsed = time.monotonic() - t0
        chunk = max(1, min(chunk * 2, int(chunk * 0.1 / max(elapsed, 1e-6)) or 1))
        if show and time.monotonic() - started > 1.0:
            done = exp.step_count / steps
            bar = "#" * int(30 * done)
            sys.stderr.write(f"\r[{bar:<30}] {exp.step_count}/{steps} steps")
            sys.stderr.flush()
    if show and time.monotonic() - started > 1.0:
        sys.stderr.write("\r" + " " * 60 + "\r")


def _open_app(args) -> int:
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.library import DEFAULT_SCENARIO, resolve

    names = args.scenarios or [DEFAULT_SCENARIO]
    try:
        scenarios = [resolve(name) for name in names]
    except ScenarioError as exc:
        return _fail(str(exc))
    from lrtui.tui.app import LrtuiApp

    LrtuiApp(scenarios, fps=args.fps, ascii_only=args.ascii).run()
    return 0


COMMANDS = {"run": _cmd_run, "check": _cmd_check, "list": _cmd_list, "show": _cmd_show}
