"""A run of lrtui as a runnable PyTorch script: the way back to your own training code.

`lrtui show --torch NAME_OR_FILE` prints it, and the app's `t` key writes one for the focused
run. The optimizer and scheduler are torch.optim's, with the run's exact hyperparameters.
For the 2-D functions, quadratics and formulas the loss itself is written in torch (a formula's
expression tree is translated node by node), so the script runs on its own and prints
`step,loss` as CSV, row t being the loss after t updates, as `lrtui run --format csv` does.
For models it gives the optimizer and scheduler lines, with the network and the data
described in comments.

LR changes made during a run go in LR_CHANGES ({step: lr}): before update step + 1 every param
group's lr is set to that value, as `param_groups` edits. Headless: no Textual, no torch needed
to write the script.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.run_spec import RunSpec

MAX_MATRIX_DIMS = 100  # a quadratic's matrix is written out in full, number by number
TORCH_OPTIMIZERS = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
                    "nadam": "NAdam"}
TORCH_SCHEDULES = {
    "constant_factor": "ConstantLR", "step": "StepLR", "multistep": "MultiStepLR", "exponential": "ExponentialLR",
    "cosine": "CosineAnnealingLR", "cosine_warm_restarts": "CosineAnnealingWarmRestarts", "linear": "LinearLR",
    "polynomial": "PolynomialLR", "onecycle": "OneCycleLR", "cyclic": "CyclicLR", "plateau": "ReduceLROnPlateau",
    "sequential": "SequentialLR",
}
UNARY_TORCH = {"sin": "torch.sin", "cos": "torch.cos", "tan": "torch.tan", "exp": "torch.exp", "log": "torch.log",
               "sqrt": "torch.sqrt", "abs": "torch.abs", "tanh": "torch.tanh", "sinh": "torch.sinh",
               "cosh": "torch.cosh", "arctan": "torch.atan", "sign": "torch.sign"}
BINARY_TORCH = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


class NoTorchScript(ValueError):
    """The run cannot be written as a script (one line says why)."""


# The training loop's head, shared by both scripts: print the loss after t updates, stop at the budget or
# where the run diverges (as lrtui does), then backpropagate.
LOOP_HEAD = [
    'print("step,loss")',
    "for step in range(STEPS + 1):",
    "    optimizer.zero_grad()",
    "    loss = loss_fn(w)",
    '    print(f"{step},{loss.item()!r}")',
    "    if step == STEPS or not torch.isfinite(loss):",
    "        break  # lrtui stops a run where it diverges",
    "    loss.backward()",
]


def _number(value) -> str:
    """A Python literal that reads back as exactly this float64 (or int, bool, str, list); a value that carries
    its own `code` (an LR times the run's LR scale, say) is written as that expression."""
    if hasattr(value, "code"):
        return value.code
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (list, tuple, np.ndarray)):
        items = ", ".join(_number(v) for v in value)
        return f"({items},)" if isinstance(value, tuple) and len(value) == 1 else (
            f"({items})" if isinstance(value, tuple) else f"[{items}]")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_number(v)}" for k, v in value.items()) + "}"
    value = float(value)
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else 'float("-inf")'
    return repr(value)


def _kwargs(params: dict) -> str:
    return ", ".join(f"{key}={_number(value)}" for key, value in params.items())


# -- the loss, in torch -------------------------------------------------------------------
def loss_source(loss) -> list[str]:
    """`def loss_fn(w):` for an analytic loss, as lines; NoTorchScript for a model."""
    name = loss.name
    if loss.is_model:
        raise NoTorchScript("a model")
    head = ["def loss_fn(w):"]
    if name == "quadratic":
        return head + ["    d = w - CENTER", "    return 0.5 * (d @ (A @ d))"]
    if name == "expression":
        return head + ["    " + line for line in expression_lines(loss)]
    if name == "rastrigin":
        return head + [f"    return {_number(loss.A)} * w.numel() + torch.sum(w * w - {_number(loss.A)} * "
                       f"torch.cos(2.0 * math.pi * w))"]
    body = {
        "rosenbrock": lambda: [f"return ({_number(loss.a)} - x) ** 2 + {_number(loss.b)} * (y - x * x) * (y - x * x)"],
        "beale": lambda: ["f = 0.0", "for i, c in enumerate((1.5, 2.25, 2.625), start=1):",
                  "    u = c - x + x * y ** i", "    f = f + u * u", "return f"],
        "himmelblau": lambda: ["u = x * x + y - 11.0", "v = x + y * y - 7.0", "return u * u + v * v"],
        "six_hump_camel": lambda: ["x2, y2 = x * x, y * y",
                           "return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2"],
        "saddle": lambda: ["y2 = y * y", f"return 0.5 * {_number(loss.a)} * x * x + {_number(loss.b)} * "
                                "(0.25 * y2 * y2 - 0.5 * y2)"],
        "ackley": lambda: ["radius = torch.sqrt(0.5 * (x * x + y * y))",
                   "ripple = torch.exp(0.5 * (torch.cos(2.0 * math.pi * x) + torch.cos(2.0 * math.pi * y)))",
                   f"return -{_number(loss.a)} * torch.exp(-{_number(loss.b)} * radius) - ripple + math.e + "
                   f"{_number(loss.a)}"],
    }.get(name)
    if body is None:
        raise NoTorchScript(f"the loss {name!r} has no torch translation yet")
    return head + ["    x, y = w[0], w[1]"] + ["    " + line for line in body()]


def expression_lines(loss) -> list[str]:
    """The formula's expression tree (a DAG) as one torch assignment per node, in topological order."""
    expression = loss.expression
    root = expression.root
    order, seen, stack = [], set(), [root]
    while stack:  # every node the root depends on
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        order.append(node)
        stack.extend(node.args)
    names = {}
    lines = [f"# {loss.expr}   over ({', '.join(loss.variables)})"]
    for node in sorted(order, key=lambda n: n.id):
        if node.op == "const":
            names[node.id] = _number(node.value)
            continue
        if node.op == "var":
            names[node.id] = f"w[{int(node.value)}]"
            continue
        args = [names[a.id] for a in node.args]
        if node.op in BINARY_TORCH:
            code = f"{args[0]} {BINARY_TORCH[node.op]} {args[1]}"
        elif node.op == "neg":
            code = f"-{args[0]}"
        elif node.op in UNARY_TORCH:
            code = f"{UNARY_TORCH[node.op]}(torch.as_tensor({args[0]}))"
        else:
            raise NoTorchScript(f"the formula uses {node.op!r}, which has no torch translation")
        names[node.id] = f"t{node.id}"
        lines.append(f"t{node.id} = {code}")
    lines.append(f"return torch.as_tensor({names[root.id]})")
    return lines


# -- optimizer and scheduler ----------------------------------------------------------------
def optimizer_line(spec: RunSpec, params: str = "[w]") -> str:
    if spec.optimizer not in TORCH_OPTIMIZERS:
        raise NoTorchScript(f"the optimizer {spec.optimizer!r} has no torch.optim twin")
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in spec.optimizer_params.items()}
    return f"optimizer = torch.optim.{TORCH_OPTIMIZERS[spec.optimizer]}({params}, {_kwargs(kwargs)})"


def _optimizer_call(params_code: str):
    """optimizer_call(name, params, lr_code) for a switch mid-run: the LR is an expression, the rest literals."""
    def call(name: str, params: dict, lr_code: str) -> str:
        if name not in TORCH_OPTIMIZERS:
            raise NoTorchScript(f"the optimizer {name!r} has no torch.optim twin")
        kwargs = {k: tuple(v) if k == "betas" else v for k, v in params.items() if k != "lr"}
        rest = f", {_kwargs(kwargs)}" if kwargs else ""
        return f"torch.optim.{TORCH_OPTIMIZERS[name]}({params_code}, lr={lr_code}{rest})"
    return call


def _scheduler_call(name: str, params: dict, optimizer: str = "optimizer") -> str:
    if name == "sequential":
        inner = ", ".join(_scheduler_call(s["type"], {k: v for k, v in s.items() if k != "type"}, optimizer)
                          for s in params["schedulers"])
        rest = {k: v for k, v in params.items() if k not in ("schedulers",)}
        return f"lr_scheduler.SequentialLR({optimizer}, schedulers=[{inner}], {_kwargs(rest)})"
    if name == "constant":
        return f"lr_scheduler.ConstantLR({optimizer}, factor=1.0, total_iters=0)"
    if name not in TORCH_SCHEDULES:
        raise NoTorchScript(f"the schedule {name!r} has no torch.optim.lr_scheduler twin")
    args = _kwargs(params)
    return f"lr_scheduler.{TORCH_SCHEDULES[name]}({optimizer}{', ' + args if args else ''})"


def scheduler_line(spec: RunSpec) -> str:
    return f"scheduler = {_scheduler_call(spec.schedule, dict(spec.schedule_params))}"


# -- the script ---------------------------------------------------------------------------
def run_parts(scenario, run: int):
    """(loss, spec) of one run of a scenario, built alone (no experiment, no sharpness estimates)."""
    from lrtui.core.losses import build_loss

    if not 0 <= run < len(scenario.runs):
        raise NoTorchScript(f"run must be from 0 to {len(scenario.runs) - 1}, got {run}")
    config = scenario.runs[run]
    loss = build_loss(config.loss["type"], **{k: v for k, v in config.loss.items() if k != "type"})
    return loss, config.run_spec()


def torch_script(name: str, steps: int, loss, spec: RunSpec, run: int = 0, changes: list | None = None,
                 source: str = "") -> str:
    """The script for one run: standalone for analytic losses, the optimizer and scheduler lines for models.

    `spec` is the run as it started; `changes` (by default `spec.changes`, the run's timeline) are the changes
    made to it during training, which the script makes at their steps (lrtui.torch_script_changes)."""
    from lrtui.torch_script_changes import change_code

    label = spec.label or spec.default_label(spec.optimizer_params.get("lr", 0.0))
    start = np.asarray(loss.start if spec.start is None else spec.start, dtype=np.float64)
    timeline = list(spec.changes if changes is None else changes)
    if timeline:
        params_code = "model.parameters()" if loss.is_model else "[w]"
        code = change_code(spec, timeline, _number, _optimizer_call(params_code), _scheduler_call, int(steps))
        return _script_with_changes(name, steps, loss, spec, run, source, label, start, code)
    header = [f'"""{_safe(name)}, run {run} ({_safe(label)}), as a PyTorch script written by lrtui.',
              "",
              f"Source: {_safe(source or name)}. Optimizer and scheduler are torch.optim's with the run's exact",
              "hyperparameters. Mid-run LR changes go in LR_CHANGES: {step: lr}, applied to every param group",
              "just before update step + 1.", '"""', ""]
    changes = "{}"
    if loss.is_model:
        return "\n".join(header + model_lines(loss, spec, steps, changes)) + "\n"
    lines = header + ["import math", "", "import torch", "from torch.optim import lr_scheduler", "",
                      "torch.set_default_dtype(torch.float64)", "",
                      f"STEPS = {int(steps)}", f"LR_CHANGES = {changes}", ""]
    if loss.name == "quadratic":
        if loss.n_params > MAX_MATRIX_DIMS:
            raise NoTorchScript(f"a quadratic over {loss.n_params} dimensions (the script writes the matrix "
                                f"out; at most {MAX_MATRIX_DIMS})")
        lines += [f"A = torch.tensor({_number(np.asarray(loss.matrix).tolist())})",
                  f"CENTER = torch.tensor({_number(np.asarray(loss.center).tolist())})", ""]
    lines += loss_source(loss) + [""]
    lines += [f"w = torch.tensor({_number(start.tolist())}, requires_grad=True)",
              optimizer_line(spec), scheduler_line(spec), ""]
    observe = "scheduler.step(loss.item())" if spec.schedule == "plateau" else "scheduler.step()"
    lines += [
        *LOOP_HEAD,
        "    if step in LR_CHANGES:",
        "        for group in optimizer.param_groups:",
        '            group["lr"] = LR_CHANGES[step]',
        "    optimizer.step()",
        f"    {observe}",
    ]
    return "\n".join(lines) + "\n"


def _script_with_changes(name, steps, loss, spec, run, source, label, start, code) -> str:
    """A script for a run that was changed during training: its changes made at their steps."""
    from lrtui.torch_script_changes import helper_lines

    import textwrap

    matching = textwrap.wrap(f"It stops matching lrtui {code.stops_matching}." if code.stops_matching else
                             "It matches lrtui's run step for step.", 100)
    header = [f'"""{_safe(name)}, run {run} ({_safe(label)}), as a PyTorch script written by lrtui.',
              "",
              f"Source: {_safe(source or name)}. Optimizer and scheduler are torch.optim's with the run's exact",
              "hyperparameters, as the run started. The changes made to it during training come at their steps,",
              "just before the update after that step: LR edits in LR_CHANGES ({step: [(kind, value)]}, as",
              "param_groups edits), other changes in switch(step).",
              *matching, '"""', ""]
    lr_changes = "{" + ", ".join(f"{step}: [{', '.join(f'({k!r}, {_number(v)})' for k, v in edits)}]"
                                 for step, edits in code.lr_changes.items()) + "}"
    observe = ("scheduler.step(loss.item()) if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau) "
               "else scheduler.step()") if code.plateau_possible else "scheduler.step()"
    apply = ["    if step in LR_CHANGES:",
             "        for kind, value in LR_CHANGES[step]:",
             "            change_lr(kind, value)",
             "    if step in SWITCHES:",
             "        switch(step)"]
    if loss.is_model:
        lines = header + model_lines(loss, spec, steps, lr_changes, helpers=helper_lines(code, _number),
                                     apply=apply, observe=observe)
        return "\n".join(lines) + "\n"
    lines = header + ["import math", "", "import torch", "from torch.optim import lr_scheduler", "",
                      "torch.set_default_dtype(torch.float64)", "",
                      f"STEPS = {int(steps)}", f"LR_CHANGES = {lr_changes}", ""]
    lines += _loss_setup(loss, start)
    lines += [optimizer_line(spec), scheduler_line(spec), ""]
    lines += helper_lines(code, _number)
    lines += [
        *LOOP_HEAD,
        *apply,
        "    optimizer.step()",
        f"    {observe}",
    ]
    return "\n".join(lines) + "\n"


def _loss_setup(loss, start) -> list[str]:
    lines = []
    if loss.name == "quadratic":
        if loss.n_params > MAX_MATRIX_DIMS:
            raise NoTorchScript(f"a quadratic over {loss.n_params} dimensions (the script writes the matrix "
                                f"out; at most {MAX_MATRIX_DIMS})")
        lines += [f"A = torch.tensor({_number(np.asarray(loss.matrix).tolist())})",
                  f"CENTER = torch.tensor({_number(np.asarray(loss.center).tolist())})", ""]
    lines += loss_source(loss) + [""]
    lines += [f"w = torch.tensor({_number(start.tolist())}, requires_grad=True)"]
    return lines


def model_lines(loss, spec: RunSpec, steps: int, changes: str, helpers: list[str] | None = None,
                apply: list[str] | None = None, observe: str | None = None) -> list[str]:
    """For a model: the network and data in comments, then the optimizer, scheduler and loop to adapt."""
    described = loss.describe()
    batch = getattr(loss, "batch_size", None)
    lines = ["import torch", "from torch.optim import lr_scheduler", "",
             f"# The model in lrtui: {_safe(described)}.",
             f"# Data: {loss.n_train if hasattr(loss, 'n_train') else '?'} training samples"
             + (f", mini-batches of {batch} (one optimizer step per batch)" if batch else ", full batch") + ".",
             f"# Parameters: {loss.n_params}. Build the same network in torch (e.g. torch.nn.Sequential) as `model`.",
             "model = ...  # your network", "",
             optimizer_line(spec, "model.parameters()"), scheduler_line(spec), "",
             f"STEPS = {int(steps)}", f"LR_CHANGES = {changes}", ""]
    if helpers is not None:  # a run changed during training: its changes, at their steps
        return lines + helpers + [
            "# for step in range(STEPS):",
            "#     inputs, targets = next(batches)",
            "#     optimizer.zero_grad()",
            "#     loss = torch.nn.functional.cross_entropy(model(inputs), targets)",
            "#     loss.backward()",
            *("#" + line[1:] for line in apply or []),
            "#     optimizer.step()",
            f"#     {observe}"]
    lines += ["# for step in range(STEPS):",
              "#     inputs, targets = next(batches)",
              "#     optimizer.zero_grad()",
              "#     loss = torch.nn.functional.cross_entropy(model(inputs), targets)",
              "#     loss.backward()",
              "#     if step in LR_CHANGES:",
              "#         for group in optimizer.param_groups:",
              '#             group["lr"] = LR_CHANGES[step]',
              "#     optimizer.step()",
              "#     " + ("scheduler.step(loss.item())" if spec.schedule == "plateau" else "scheduler.step()")]
    return lines


def _safe(text: str) -> str:
    """Text from a file, made inert inside a docstring or comment: printable, no quotes run, one line."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text.replace('"""', "'''").replace("\\", "/")
