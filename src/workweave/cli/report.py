"""``workweave report``: the study report and personal feedback reports (HTML, optionally PDF).

workweave report study --out reports/ [--pdf] [--by site,profession] [--min-participants 3]
workweave report participant RAD-01 --out reports/ [--pdf]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from workweave.cli.common import ObserversOpt, StoreOpt, StudyOpt, open_study, reads
from workweave.domain.errors import ValidationError

if TYPE_CHECKING:
    from workweave.report import ReportOptions

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

report_app = typer.Typer(
    help="Reports: the study report and personal feedback reports (HTML, optionally PDF).",
    no_args_is_help=True,
)

OutOpt = Annotated[
    Path,
    typer.Option("--out", help="Folder to write the report into (made if missing)."),
]
PdfOpt = Annotated[
    bool, typer.Option("--pdf", help="Also print the report to PDF (needs Chromium).")
]
SeedOpt = Annotated[
    int | None,
    typer.Option(help="Seed of the bootstrap confidence intervals (default: the engine's)."),
]
BootOpt = Annotated[
    int | None,
    typer.Option(
        "--bootstrap",
        help="Bootstrap resamples for confidence intervals (0: none; default 2000).",
        min=0,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group to the main ``workweave`` command."""
    app.add_typer(report_app, name="report")


@report_app.command("study")
@reads
def report_study(
    out_dir: OutOpt,
    pdf: PdfOpt = False,
    by: Annotated[
        str,
        typer.Option(
            help="Breakdowns, comma-separated: site, profession, band (each gets its own "
            "tables and figures)."
        ),
    ] = "site,profession",
    min_participants: Annotated[
        int,
        typer.Option(
            "--min-participants",
            help="Small-number rule: groups with fewer participants are not shown.",
            min=1,
        ),
    ] = 3,
    seed: SeedOpt = None,
    bootstrap: BootOpt = None,
    observers: ObserversOpt = "primary",
    period: Annotated[
        str, typer.Option(help="Trend section's period: month, quarter or week.")
    ] = "quarter",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Build the study report: key findings, figures, styles, trends with site events, and
    the methods and tables as appendices (with CSV files)."""
    from workweave.report import study_report

    groups = tuple(g.strip() for g in by.split(",") if g.strip())
    if not groups:
        raise ValidationError("--by needs at least one breakdown (e.g. site,profession)")
    options = _options(
        by=groups,
        pdf=pdf,
        suppress_below=min_participants,
        seed=seed,
        B=bootstrap,
        observers=observers,
        period=period,
    )
    st, sid, _ = open_study(store, study)
    with _Steps("building the study report") as steps:
        path = study_report(st, sid, options, progress=steps).write(out_dir, progress=steps).html
    _done(path, pdf)


@report_app.command("participant")
@reads
def report_participant(
    code: Annotated[str, typer.Argument(help="The participant's pseudonymous code.")],
    out_dir: OutOpt,
    pdf: PdfOpt = False,
    seed: SeedOpt = None,
    bootstrap: BootOpt = None,
    observers: ObserversOpt = "primary",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Build one participant's personal feedback report."""
    from workweave.report import participant_report

    options = _options(pdf=pdf, seed=seed, B=bootstrap, observers=observers)
    st, sid, _ = open_study(store, study)
    with _Steps(f"building the report for {code}") as steps:
        report = participant_report(st, sid, code, options, progress=steps)
        path = report.write(out_dir, progress=steps).html
    _done(path, pdf)


def _options(seed: int | None, B: int | None, **chosen: Any) -> ReportOptions:
    """The report options chosen on the command line, with the defaults for the rest."""
    from workweave.report import ReportOptions

    if seed is not None:
        chosen["seed"] = seed
    if B is not None:
        chosen["B"] = B
    return ReportOptions(**chosen)


def _done(path: Path, pdf: bool) -> None:
    out.print(f"report: {path}")
    if pdf:
        out.print(f"PDF:    {path.with_suffix('.pdf')}")
    csvs = sorted(path.parent.glob(f"{path.stem}-*.csv"))
    if csvs:
        out.print(f"tables: {len(csvs)} CSV file(s) beside it")


class _Steps:
    """Shows the step a long build is on (a spinner with the step's name), on stderr."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.status = err.status(label)

    def __enter__(self) -> _Steps:
        self.status.__enter__()
        return self

    def __call__(self, step: str) -> None:
        self.status.update(f"{self.label}: {step}")

    def __exit__(self, *exc: object) -> None:
        self.status.__exit__(None, None, None)


__all__ = ["register", "report_app"]
