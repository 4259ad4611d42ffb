"""What a report is built with: one set of options, checked when made.

    >>> from workweave.report.options import ReportOptions
    >>> ReportOptions(by="site,band", suppress_below=5).by
    ('site', 'band')

The defaults are the study-wide policy (`workweave.domain.policy`): the small-number rule
hides groups of fewer than ``SUPPRESS_BELOW`` participants, and intervals use
``BOOTSTRAP_REPLICATES`` resamples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from workweave.analysis.coobservation import DEFAULT_OBSERVERS, OBSERVERS
from workweave.domain.errors import Problem, ValidationError
from workweave.domain.policy import BOOTSTRAP_REPLICATES, SUPPRESS_BELOW

BREAKDOWNS = ("site", "profession", "band", "observer", "mode", "month", "quarter")
PERIODS = ("month", "quarter", "week")
"""How the study report's trend section follows metrics over time."""
"""What the study report can break results down by (each gets its own figures and table)."""

DEFAULT_SEED = 2025
"""The bootstrap seed when none is given, so the same data give the same report."""

CsvHref = Callable[[str], str | None]
"""Turns a CSV file name into the link a report shows (None: no link)."""


@dataclass(frozen=True)
class ReportOptions:
    """How to build a report.

    - `by`: the study report's breakdowns (any of `BREAKDOWNS`, never participants one by
      one); a comma-separated string is accepted too. The personal report ignores it.
    - `suppress_below`: the small-number rule: a group (or a study-wide figure in a personal
      report) resting on fewer participants than this is not shown.
    - `seed`, `B`: the cluster bootstrap's seed and number of replicates (0: no intervals).
    - `observers`: co-observed sessions counted once (``primary``: one record per
      co-observation group, as `workweave.analysis.coobservation` chooses it) or every record
      (``all``).
    - `period`: the trend section's period (`PERIODS`): ``quarter`` by default, as a month
      of a site usually holds too few participants for a useful interval.
    - `pdf`: also print the report to PDF when it is written (checked before the build).
    - `csv_href`: the link shown for each CSV table (default: the file name, for files
      written beside the report; return None to show no link, e.g. when serving the page).
    """

    by: Sequence[str] = ("site", "profession")
    suppress_below: int = SUPPRESS_BELOW
    seed: int = DEFAULT_SEED
    B: int = BOOTSTRAP_REPLICATES
    pdf: bool = False
    observers: str = DEFAULT_OBSERVERS
    period: str = "quarter"
    csv_href: CsvHref | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        problems: list[str] = []
        try:
            object.__setattr__(self, "by", _breakdowns(self.by))
        except ValidationError as exc:
            problems.extend(str(p) for p in exc.problems)
        problems += _whole(
            "suppress_below",
            self.suppress_below,
            1,
            "the small-number rule hides groups of fewer participants than this",
        )
        problems += _whole("seed", self.seed, 0, "the bootstrap's seed")
        problems += _whole("B", self.B, 0, "bootstrap replicates; 0 gives no intervals")
        if self.observers not in OBSERVERS:
            problems.append(
                f"observers must be one of {', '.join(OBSERVERS)}, not {self.observers!r}"[:300]
            )
        if self.period not in PERIODS:
            problems.append(
                f"period must be one of {', '.join(PERIODS)}, not {str(self.period)[:30]!r}"
            )
        if not isinstance(self.pdf, bool):
            problems.append(f"pdf must be True or False, not {self.pdf!r}")
        if self.csv_href is not None and not callable(self.csv_href):
            problems.append("csv_href must be a function from a CSV file name to a link")
        if problems:
            raise ValidationError([Problem(p) for p in problems])

    def link(self, csv_name: str) -> str | None:
        """The link a report shows for one of its CSV tables."""
        return csv_name if self.csv_href is None else self.csv_href(csv_name)


def _whole(name: str, value: object, least: int, meaning: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{name} must be a whole number, not {value!r} ({meaning})"]
    if value < least:
        return [f"{name} must be at least {least}, not {value} ({meaning})"]
    return []


def _breakdowns(by: Sequence[str] | str) -> tuple[str, ...]:
    from workweave.analysis.metrics.choices import names

    return names(
        by,
        BREAKDOWNS,
        lambda k: (
            f"the study report cannot break down by '{k}' (choose from: "
            f"{', '.join(BREAKDOWNS)}; participants are never shown one by one)"
        ),
    )


__all__ = ["BREAKDOWNS", "DEFAULT_SEED", "PERIODS", "CsvHref", "ReportOptions"]
