"""Files the app writes into the working directory: exports (e) and saved scenarios (w).

Nothing is ever overwritten: a taken name gets -1, -2, ... appended. Every
file is written to a temporary file first and renamed, so an interrupted
write leaves no half-written file behind.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from lrtui import export
from lrtui.scenario.loader import parse_scenario
from lrtui.scenario.writer import experiment_runs, run_config_dict, scenario_to_toml

MAX_SLUG = 40
MAX_TRIES = 10_000


def slug(name: str) -> str:
    """'Too high: bouncing around a minimum' -> 'too-high-bouncing-around-a-minimum'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()  # é -> e
    text = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if len(text) > MAX_SLUG:
        text = text[:MAX_SLUG].rsplit("-", 1)[0] or text[:MAX_SLUG]
    return text or "scenario"


def free_stem(directory: Path, stem: str, suffixes: tuple[str, ...]) -> str:
    """`stem`, or `stem-1`, `stem-2`, ...: the first for which no file with any of the suffixes exists."""
    for n in range(MAX_TRIES):
        candidate = stem if n == 0 else f"{stem}-{n}"
        # lexists: a dangling symbolic link takes its name too (writing through it would need --force)
        if not any(os.path.lexists(directory / f"{candidate}{suffix}") for suffix in suffixes):
            return candidate
    raise FileExistsError(f"{directory / stem}-1 up to -{MAX_TRIES - 1} all exist; move some files away")


def export_runs(session, directory: Path = Path(".")) -> list[Path]:
    """Write the runs' histories as CSV and JSON; returns the two paths."""
    directory = Path(directory)
    scenario, exp = session.scenario, session.experiment
    specs, losses = experiment_runs(scenario, exp)
    configs = [run_config_dict(spec, loss) for spec, loss in zip(specs, losses)]
    stem = free_stem(directory, f"lrtui-{slug(scenario.name)}-step{exp.step_count}", (".csv", ".json"))
    paths = [directory / f"{stem}.csv", directory / f"{stem}.json"]
    export.write_atomically(paths[0], export.csv_chunks(exp))
    export.write_atomically(paths[1], export.json_chunks(exp, scenario.name, configs))
    return paths


def save_settings(session, directory: Path = Path(".")) -> Path:
    """Write the current runs as a scenario file that `lrtui FILE` opens; returns its path."""
    directory = Path(directory)
    scenario = session.scenario
    specs, losses = experiment_runs(scenario, session.experiment)
    text = scenario_to_toml(scenario.name, scenario.description, scenario.steps, scenario.seed, specs, losses,
                            eval_every=scenario.eval_every)
    parse_scenario(text, "the saved settings")  # refuse to write a file that would not load
    path = directory / f"{free_stem(directory, f'lrtui-{slug(scenario.name)}', ('.toml',))}.toml"
    export.write_atomically(path, text)
    return path


def save_torch_script(session, directory: Path = Path(".")) -> tuple[Path, int]:
    """Write the focused run as a PyTorch script (lrtui.torch_script); returns its path and the LR edits left out."""
    from lrtui.torch_script import torch_script

    directory = Path(directory)
    scenario, exp, run = session.scenario, session.experiment, session.focused
    # The run's optimizer and schedule as they are now; LR edits made with keys live in the engine's
    # timeline, which the script will carry as LR_CHANGES once the engine exposes it.
    edits = sum(1 for event in exp.events if event.run == run and event.kind == "lr")
    text = torch_script(scenario.name, scenario.steps, exp.loss_of(run), exp.spec(run), run,
                        source=scenario.source or scenario.name)
    path = directory / f"{free_stem(directory, f'lrtui-{slug(scenario.name)}-run{run}', ('.py',))}.py"
    export.write_atomically(path, text)
    return path, edits
