"""``workweave import ...``: data from other tools (WOMBAT 2 exports, job plans)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from workweave.cli.common import StoreOpt, StudyOpt, err, friendly, open_study, out
from workweave.cli.logs import import_logs
from workweave.services import studies as svc

import_app = typer.Typer(help="Import data from other tools.", no_args_is_help=True)


@import_app.command("wombat")
@friendly
def import_wombat(
    files: Annotated[
        list[Path], typer.Argument(help="WOMBAT 2 CSV export(s).", show_default=False)
    ],
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Time zone the export's clock times were recorded in (IANA name; "
            "default: the workspace's)."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Overwrite sessions already imported with different content.")
    ] = False,
    profession: Annotated[
        str | None, typer.Option(help="Profession of the observed participants (e.g. nurse).")
    ] = None,
    template_name: Annotated[
        str | None, typer.Option(help="Name for the template built from the header.")
    ] = None,
    primary_observer: Annotated[
        str | None,
        typer.Option(
            "--primary-observer",
            help="Observer code whose sessions are the primary record when several observers "
            "shadowed the same person at once.",
            show_default=False,
        ),
    ] = None,
    roles: Annotated[
        Path | None,
        typer.Option(
            "--roles",
            help="CSV of observer roles: role (primary or second) and observer or session "
            "(the export's session id); wins over --primary-observer.",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import WOMBAT 2 CSV exports (all files or none). Re-importing changes nothing."""
    st, sid, default_tz = open_study(store, study)
    res = svc.import_wombat(
        st,
        sid,
        files,
        timezone=timezone or default_tz,
        replace=replace,
        profession=profession,
        template_name=template_name,
        primary_observer=primary_observer,
        roles=roles,
    )
    c = res.counts
    out.print(
        f"read {res.files} file(s): {res.sessions_in_files} sessions, {res.tasks_in_files} tasks; "
        f"stored {c.sessions_added} new sessions ({c.tasks_added} tasks), "
        f"{c.sessions_unchanged} unchanged, {c.sessions_replaced} replaced"
    )
    if c.roles_set:
        out.print(f"observer role set on {c.roles_set} session(s) already stored")
    out.print(f"template(s): {', '.join(res.templates)}")
    out.print(
        f"interruptions: {res.interruptions_in_files} events ({res.suspensions_in_files} "
        "suspended tasks; one interrupting task at one instant is one event)"
    )
    if res.time_mismatches:
        err.print(
            f"[yellow]warning:[/] {len(res.time_mismatches)} task(s) whose elapsed/active time "
            "differs from the export's own columns:"
        )
        for m in res.time_mismatches[:20]:
            err.print(f"  {m}", markup=False)
    else:
        out.print("check: every task's elapsed and active time equals the export's columns")
    for w in res.warnings[:20]:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)


@import_app.command("jobplan")
@friendly
def import_jobplan(
    file: Annotated[Path, typer.Argument(help="CSV: participant, weekday, start, end, category.")],
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import job plans (weekly sessions); each participant's rows replace their plan."""
    st, sid, _ = open_study(store, study)
    hours = svc.import_job_plans(st, sid, file)
    t = Table("participant", "contracted hours / week")
    for code, h in sorted(hours.items()):
        t.add_row(code, f"{h:.2f}")
    out.print(t)


import_app.command("logs")(import_logs)

__all__ = ["import_app"]
