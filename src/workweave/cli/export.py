"""``workweave export ...``: a study's data in the formats analysts and other tools read
(docs/exports.md, docs/wombat.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workweave.cli import export_boris
from workweave.cli.common import ObserversOpt, StoreOpt, StudyOpt, err, open_study, out, reads

export_app = typer.Typer(help="Export a study's data to other formats.", no_args_is_help=True)
export_boris.register(export_app)

FormatOpt = Annotated[
    str, typer.Option("--format", help="csv, parquet, xlsx, dta (Stata) or sav (SPSS).")
]


@export_app.command("tables")
@reads
def export_tables(
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder (one file per table and codebook.csv); for xlsx a .xlsx file or a folder.",
        ),
    ],
    fmt: FormatOpt = "csv",
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="Only this table (repeatable).", show_default=False),
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """The canonical tables (participants, sessions, tasks with their dimensions,
    suspensions, parallel links, point events, notes, job plans, planned activity), with
    labels; text a spreadsheet would run as a formula is neutralised."""
    from workweave.services import exports as svc

    st, sid, _ = open_study(store, study)
    try:
        paths = svc.export_tables(st, sid, fmt, out_path, tables=table)
    finally:
        st.close()
    for p in paths:
        out.print(f"wrote {p}", highlight=False)


@export_app.command("metrics")
@reads
def export_metrics(
    out_path: Annotated[Path, typer.Option("--out", help="File (by extension) or folder.")],
    fmt: FormatOpt = "csv",
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Group by (as for `workweave metrics`).", show_default=False),
    ] = None,
    filter: Annotated[
        list[str] | None,
        typer.Option(
            "--filter", help="key=value (as for `workweave metrics`).", show_default=False
        ),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="Metric id (repeatable; default: all).", show_default=False),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed of the bootstrap.")] = None,
    boot: Annotated[int, typer.Option("--boot", help="Bootstrap replicates.", min=0)] = 2000,
    confidence: Annotated[float, typer.Option(help="Confidence level of intervals.")] = 0.95,
    interval: Annotated[str, typer.Option("--interval", help="t or percentile.")] = "t",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Metric parameter name=value.", show_default=False),
    ] = None,
    domain: Annotated[
        list[str] | None,
        typer.Option("--domain", help="CATEGORY=domain override.", show_default=False),
    ] = None,
    observers: ObserversOpt = "primary",
    plan: Annotated[str, typer.Option("--plan", help="jobplan or calendar.")] = "jobplan",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Metric results as `workweave metrics` computes them (same options), with labels."""
    from workweave.analysis.metrics import parse_assignments
    from workweave.services import exports as svc

    params = {k: ",".join(v) for k, v in parse_assignments(param or [], "param").items()}
    domains = {k: v[-1] for k, v in parse_assignments(domain or [], "domain").items() if v}
    st, sid, _ = open_study(store, study)
    try:
        paths = svc.export_metrics(
            st,
            sid,
            fmt,
            out_path,
            by=by,
            filter=parse_assignments(filter or []),
            metrics=metric,
            seed=seed,
            B=boot,
            confidence=confidence,
            interval=interval,
            params=params,
            domains=domains,
            observers=observers,
            plan=plan,
        )
    finally:
        st.close()
    for p in paths:
        out.print(f"wrote {p}", highlight=False)


@export_app.command("wombat")
@reads
def export_wombat(
    out_path: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Zone of the clock times written (default: the sessions' own, when they share "
            "one); import the file with the same --timezone.",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """The study as a WOMBAT 2 CSV export (the columns `import wombat` reads)."""
    from workweave.services import exports as svc

    st, sid, _ = open_study(store, study)
    try:
        res = svc.export_wombat(st, sid, out_path, timezone=timezone)
    finally:
        st.close()
    out.print(
        f"wrote {res.sessions} session(s), {res.tasks} task(s) to {res.path} "
        f"(clock times in {res.timezone})",
        highlight=False,
    )
    if res.subsecond:
        err.print(
            f"[yellow]note:[/] {res.subsecond} task(s) had fractions of a second, rounded down "
            "(WOMBAT keeps whole seconds)",
            highlight=False,
        )
    if res.notes_left_out or res.events_left_out:
        err.print(
            f"[yellow]note:[/] WOMBAT has no columns for {res.notes_left_out} note(s) and "
            f"{res.events_left_out} point event(s); they are not in the file",
            highlight=False,
        )
    for w in res.warnings[:20]:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)


__all__ = ["export_app"]
