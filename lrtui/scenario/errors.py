"""Problems found in a scenario file, each tied to a key path and, when known, a line."""

from __future__ import annotations

from dataclasses import dataclass

from lrtui.core.registry import did_you_mean  # noqa: F401  (the one did-you-mean, for the loader)
from lrtui.export import printable, shortened


@dataclass(frozen=True)
class Problem:
    file: str
    key: str  # dotted path such as "optimizer.lr" or "runs[2].label"; "" for the whole file
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return printable(shortened(f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"))


class ScenarioError(Exception):
    """One or more problems; str() gives one line per problem, ready to print."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def one_of(choices) -> str:
    return f"(choose one of: {', '.join(choices)})"
