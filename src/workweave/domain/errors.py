"""Errors raised by the domain and by importers, written for people, not stack traces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input, located as precisely as we can."""

    reason: str
    source: str | None = None  # a file name, or another description of the input
    row: int | None = None  # 1-based data row (the header is row 0)
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class WorkweaveError(Exception):
    """Base class for every error that should reach a user as a message, not a traceback."""


class ValidationError(WorkweaveError):
    """Input that cannot be accepted; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.describe())

    def describe(self, limit: int = 20) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problems")
        return "\n".join(lines)


class NotFoundError(WorkweaveError):
    """A named thing (template, participant, session, store) does not exist."""
