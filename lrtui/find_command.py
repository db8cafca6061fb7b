"""`lrtui find NAME_OR_FILE`: an LR range test on one run of a scenario, every rule's pick, and a check.

Plain text to stdout (plotext's `build()` for the chart); never imports Textual.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import textwrap

import numpy as np

from lrtui.core.finder import RULES, RangeTest, range_test, verify_suggestions
from lrtui.export import json_safe, printable
from lrtui.text import visible_lines

RULE_COLORS = {"valley": "green", "slide": "magenta", "steep": "orange", "minimum": "blue", "gradient": "red"}
LOG_Y_SPAN = 100.0  # as in `lrtui diagnose`: more than two decades gets a log10 axis
CLI_NAMES = ("start_lr", "end_lr", "num_it", "grid_points")


def run(args, out=None, err=None) -> int:
    """The whole command: 0 when the test ran (whatever it found), 2 on bad input."""
    from lrtui.process import write_out
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.library import resolve
    from lrtui.scenario.overrides import OverrideError, parse_overrides

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        scenario = resolve(args.scenario, parse_overrides(args.set))
    except (ScenarioError, OverrideError) as exc:
        return _fail(str(exc), err)
    if not 0 <= args.run < len(scenario.runs):
        return _fail(printable(f"--run must be from 0 to {len(scenario.runs) - 1} (the runs of {scenario.name}), "
                               f"got {args.run}"), err)
    loss, spec = _loss_and_spec(scenario, args.run)
    if args.verify and (problem := _verify_problem(args.grid_points, loss, scenario.steps)):
        return _fail(problem, err)  # before the range test: --verify would be refused after it
    try:
        result = range_test(loss, spec, seed=scenario.seed, start_lr=args.start_lr, end_lr=args.end_lr,
                            num_it=args.num_it, mode=args.mode)
        verify = None
        if args.verify:
            verify = verify_suggestions(loss, spec, result, steps=scenario.steps, seed=scenario.seed,
                                        grid_points=args.grid_points)
    except ValueError as exc:
        return _fail(_cli_message(str(exc)), err)
    if args.format == "json":
        write_out(json.dumps(json_report(result, verify), indent=1) + "\n", out)
        return 0
    # The scenario's name and labels come from its file: keep their control characters off the terminal.
    header = [printable(line) for line in _header(scenario, args.run, spec, loss, result)]
    tty = bool(getattr(out, "isatty", lambda: False)())
    chart = ""
    if args.plot if args.plot is not None else tty:
        size = shutil.get_terminal_size((100, 30))
        chart = render_plot(result, max(40, min(size.columns, 140)), max(12, min(size.lines - 4, 24)), color=tty)
    write_out(text_report(result, verify, header, chart, printable(_try_line(args, result))), out)
    return 0


def _loss_and_spec(scenario, run: int):
    """The run's loss and spec, built alone: a whole experiment would also measure sharpness for every run."""
    from lrtui.core.losses import build_loss
    from lrtui.core.optimizers import OPTIMIZERS

    config = scenario.runs[run]
    loss = build_loss(config.loss["type"], **{k: v for k, v in config.loss.items() if k != "type"})
    spec = config.run_spec()
    if not spec.label:
        spec.label = spec.default_label(spec.optimizer_params.get("lr", OPTIMIZERS[spec.optimizer].defaults["lr"]))
    return loss, spec


def _verify_problem(grid_points, loss, steps: int) -> str | None:
    """Why --verify cannot train its grid: the runs x parameters cap, or the memory budget (one line)."""
    from lrtui.core.finder.verify import MAX_GRID_POINTS
    from lrtui.scenario.budget import BudgetError, memory_problem
    from lrtui.scenario.model import MAX_RUN_PARAMS

    if not isinstance(grid_points, int) or not 2 <= grid_points <= MAX_GRID_POINTS:
        return f"--grid-points must be a whole number from 2 to {MAX_GRID_POINTS:,}, got {grid_points}"
    runs = grid_points + len(RULES)  # the grid and each rule's pick
    if runs * loss.n_params > MAX_RUN_PARAMS:
        most = MAX_RUN_PARAMS // loss.n_params - len(RULES)
        fix = f"use --grid-points {most} or fewer" if most >= 2 else "this model is too large to verify"
        return (f"--verify trains {runs:,} runs (--grid-points {grid_points} and up to {len(RULES)} picks) of "
                f"{loss.n_params:,} parameters, {runs * loss.n_params:,} in all; at most {MAX_RUN_PARAMS:,} are "
                f"allowed: {fix}")
    try:
        problem = memory_problem([(runs, loss.n_params, loss.is_model)], steps)
    except BudgetError as exc:
        return str(exc)
    return f"--verify: {problem} (or use fewer --grid-points)" if problem else None


def _fail(message: str, err) -> int:
    print(visible_lines(message), file=err)
    return 2


def _cli_message(message: str) -> str:
    """The core names its parameters; on the command line they are the options."""
    for name in CLI_NAMES:
        if message.startswith(name + " "):
            return "--" + name.replace("_", "-") + message[len(name):]
    return message


def json_report(result: RangeTest, verify: dict | None) -> dict:
    """The curve (non-finite values as null), the picks, the recommendation, why rules abstained, the check."""
    return json_safe({
        "curve": {"lr": result.lr.tolist(), "loss": result.loss.tolist(), "smoothed": result.smoothed.tolist(),
                  "stop_reason": result.stop_reason},
        "suggestions": result.suggestions,
        "recommended": {"rule": result.recommended, "lr": result.recommended_lr},
        "notes": result.notes,
        "verify": verify,
    })


def _header(scenario, run: int, spec, loss, result: RangeTest) -> list[str]:
    s = result.settings
    batches = f", mini-batches of {loss.batch_size}" if loss.batch_size else ""
    return [
        f"LR range test: {scenario.name}, run {run} ({spec.label}): {spec.optimizer} on {loss.describe()}{batches}",
        f"ramp: {s['mode']} from {s['start_lr']:g} to {s['end_lr']:g} over {s['num_it']} steps, EMA beta "
        f"{s['beta']:g}; {result.stop_reason} after {result.lr.size} step{'s' * (result.lr.size != 1)} "
        f"(lr {result.lr[-1]:.3g})",
    ]


def _try_line(args, result: RangeTest) -> str:
    if result.recommended_lr is None:
        return "no rule could pick an LR: widen the range (--start-lr, --end-lr) or take more steps (--num-it)"
    return (f"try: lrtui run {args.scenario} --set optimizer.lr={result.recommended_lr:.3g}"
            f"   ({result.recommended}, recommended)")


def text_report(result: RangeTest, verify: dict | None, header: list[str], chart: str, try_line: str) -> str:
    lines = list(header)
    if chart:
        lines += ["", chart]
    lines += ["", f"{'rule':<9} {'lr':<10} note"]
    for name in RULES:
        pick = result.picks[name]
        note = "recommended" if name == result.recommended and pick.lr is not None else pick.reason
        lines += textwrap.wrap(f"{name:<9} {_lr(pick.lr):<10} {note}", width=100, subsequent_indent=" " * 21) or [""]
    if verify is not None:
        lines += [""] + verify_lines(verify)
    lines += ["", try_line]
    return "\n".join(lines) + "\n"


def _lr(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _loss(value) -> str:
    return "diverged" if value is None else f"{value:.4g}"


def _accuracy(entry: dict) -> str:
    value = entry.get("test_accuracy")
    return "" if value is None else f"{100 * value:.1f}%"


def verify_lines(verify: dict) -> list[str]:
    """The grid, its best, and each rule's final loss as a multiple of the best."""
    model = verify["measure"] != "loss"
    acc_head = "  test acc" if model else ""
    lines = [f"verify: {verify['steps']} steps at each constant LR, seed {verify['seed']}; final {verify['measure']}",
             f"{'lr':<10} {'final loss':>10}{acc_head}"]
    best = verify["best"]
    for row in verify["grid"]:
        mark = "  <- best on the grid" if best is not None and row["lr"] == best["lr"] else ""
        acc = f"{_accuracy(row):>10}" if model else ""
        lines.append(f"{_lr(row['lr']):<10} {_loss(row['final_loss']):>10}{acc}{mark}")
    lines += ["", f"{'rule':<9} {'lr':<10} {'final loss':>10} {'x best':>8}{acc_head}"]
    for name in RULES:
        entry = verify["rules"][name]
        if entry is None:
            lines.append(f"{name:<9} {'-':<10}")
            continue
        ratio = "-" if entry["ratio"] is None else f"{entry['ratio']:.3g}"
        acc = f"{_accuracy(entry):>10}" if model else ""
        lines.append(f"{name:<9} {_lr(entry['lr']):<10} {_loss(entry['final_loss']):>10} {ratio:>8}{acc}")
    return lines


def render_plot(result: RangeTest, width: int, height: int, color: bool = True) -> str:
    """Loss against log10(lr): the raw points, the smoothed curve, and a vertical line at each rule's pick."""
    from lrtui.plotting import Line, Picture, draw  # only when a chart is asked for

    x = np.log10(result.lr)
    smoothed_ok = np.isfinite(result.smoothed)
    if smoothed_ok.sum() < 2:
        return ""
    # The raw loss can blow up by many decades before the smoothed one crosses the stop line; the
    # chart keeps to the smoothed curve's range so that the interesting part stays readable.
    smooth = result.smoothed[smoothed_ok]
    stop_line = result.settings["diverge_factor"] * float(smooth.min())
    top = float(min(smooth.max(), max(smooth[0], stop_line))) if smooth.min() > 0 else float(smooth.max())
    smoothed_ok &= result.smoothed <= top
    raw_ok = np.isfinite(result.loss) & (result.loss <= top)
    shown = np.concatenate([result.smoothed[smoothed_ok], result.loss[raw_ok]])
    log_y = bool(shown.min() > 0 and shown.max() / shown.min() > LOG_Y_SPAN)

    def scale(y):
        return np.log10(y) if log_y else y

    low, high = float(scale(shown).min()), float(scale(shown).max())
    if not math.isfinite(high - low):
        return ""  # values near the float limit: no axis can be laid out for them
    picked = [(name, p.lr) for name, p in result.picks.items() if p.lr is not None]
    x_low = min([float(x[0])] + [math.log10(lr) for _, lr in picked])
    picture = Picture(log_y=log_y, log_x=True, x_range=(x_low, float(x[-1])), x_label="lr",
                      title=f"loss against lr (log scale{', loss too' if log_y else ''}); lines mark each rule's pick")
    picture.lines.append(Line(x[raw_ok], result.loss[raw_ok], "gray", "loss", "braille" if color else "dot"))
    picture.lines.append(Line(x[smoothed_ok], result.smoothed[smoothed_ok], "cyan", "smoothed", "braille"))
    for i, (name, lr) in enumerate(picked):
        at = math.log10(lr)
        picture.vlines.append((at, RULE_COLORS[name]))
        # Staggered heights keep the labels of nearby picks apart.
        picture.texts.append((name, at, high - (high - low) * (0.05 + 0.12 * i), RULE_COLORS[name]))
    canvas = draw(picture, width, height, theme="clear")
    return canvas.ansi() if color else canvas.plain()
