"""``workweave import ...``: data from other tools (WOMBAT 2 exports, job plans)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from workweave.cli.common import StoreOpt, StudyOpt, err, friendly, open_study, out, working
from workweave.cli.logs import import_logs

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
    casefold_ids: Annotated[
        bool,
        typer.Option(
            "--casefold-ids",
            help="Fold participant ids to one case (C2:Ilaria and c2:ilaria become one person).",
        ),
    ] = False,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import WOMBAT 2 CSV exports (all files or none). Re-importing changes nothing."""
    from workweave.services import studies as svc

    st, sid, default_tz = open_study(store, study)
    with working(f"importing {len(files)} WOMBAT file(s)"):
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
            casefold_ids=casefold_ids,
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
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace participants' existing, different job plans."),
    ] = False,
) -> None:
    """Import job plans (weekly sessions). A participant's rows are their whole plan; an
    existing, different plan is replaced only with --replace (the refusal lists the changes),
    and a file whose last row has no line break (cut short) is refused."""
    from workweave.services import studies as svc

    st, sid, _ = open_study(store, study)
    hours = svc.import_job_plans(st, sid, file, replace=replace)
    t = Table("participant", "contracted hours / week")
    for code, h in sorted(hours.items()):
        t.add_row(code, f"{h:.2f}")
    out.print(t)


@import_app.command("boris")
@friendly
def import_boris(
    file: Annotated[Path, typer.Argument(help="BORIS project (.boris or .boris.gz).")],
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Time zone of the observations' dates (IANA name; default: the workspace's). "
            "A 'timezone' independent variable wins."
        ),
    ] = None,
    site: Annotated[
        str, typer.Option(help="Site of the subjects (a 'site' independent variable wins).")
    ] = "boris",
    session_start: Annotated[
        str | None,
        typer.Option(
            "--session-start",
            help="Clock time of every observation's time 0, e.g. 2024-03-01T09:30:00 (local) "
            "(default: each observation's date). For media observations: when the media "
            "position 0 plus the time offset was.",
            show_default=False,
        ),
    ] = None,
    observer_variable: Annotated[
        str | None,
        typer.Option(
            "--observer-variable",
            help="Independent variable naming the observer (default: 'observer' or "
            "'observer id', if present).",
            show_default=False,
        ),
    ] = None,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad",
            help="Import the observations without problems and report the others "
            "(default: any problem refuses the whole file).",
        ),
    ] = False,
    replace: Annotated[
        bool, typer.Option(help="Overwrite sessions already imported with different content.")
    ] = False,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import a BORIS project: one session per observation and subject. Re-importing changes
    nothing."""
    from datetime import datetime

    from workweave.domain.errors import ValidationError
    from workweave.services import boris as boris_svc

    start = None
    if session_start is not None:
        try:
            start = datetime.fromisoformat(session_start.strip())
        except ValueError:
            raise ValidationError(
                f"--session-start '{session_start[:40]}' is not a date and time "
                "(e.g. 2024-03-01T09:30:00)"
            ) from None
    st, sid, default_tz = open_study(store, study)
    res = boris_svc.import_boris(
        st,
        sid,
        file,
        timezone=timezone or default_tz,
        site=site,
        session_start=start,
        observer_variable=observer_variable,
        skip_bad=skip_bad,
        replace=replace,
    )
    c = res.counts
    out.print(
        f"read {res.observations} observation(s), {res.events} events: "
        f"{res.sessions_in_file} sessions, {res.tasks_in_file} tasks; stored "
        f"{c.sessions_added} new sessions ({c.tasks_added} tasks), {c.sessions_unchanged} "
        f"unchanged, {c.sessions_replaced} replaced",
        highlight=False,
    )
    out.print(f"template: {res.template}", highlight=False, markup=False)
    for p in res.skipped[:50]:
        err.print(f"[yellow]skipped:[/] {escape(p)}", highlight=False)
    for w in res.warnings[:20]:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)


@import_app.command("calendar")
@friendly
def import_calendar(
    file: Annotated[Path, typer.Argument(help="iCalendar file (.ics, RFC 5545).")],
    participant: Annotated[
        str, typer.Option("--participant", help="Participant code whose calendar this is.")
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="YAML or CSV mapping event titles (exact or regex) and calendar categories "
            "to job-plan categories (DCC, SPA, ANR, ED, management) or ignore.",
            show_default=False,
        ),
    ] = None,
    date_from: Annotated[
        str | None,
        typer.Option("--from", help="First day (YYYY-MM-DD, site time).", show_default=False),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option("--to", help="Last day (YYYY-MM-DD, site time).", show_default=False),
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import a participant's calendar as planned activity (recurring events expanded in their
    own time zone; all-day events left out). Re-importing the same calendar changes nothing;
    `workweave metrics --plan calendar` then uses it as the plan."""
    from datetime import date

    from workweave.domain.errors import ValidationError
    from workweave.io.calendar import summarise
    from workweave.services.calendar import import_calendar as run

    days = []
    for name, text in (("--from", date_from), ("--to", date_to)):
        try:
            days.append(date.fromisoformat(text) if text else None)
        except ValueError:
            raise ValidationError(f"{name} '{text}' is not a date YYYY-MM-DD") from None
    st, sid, _ = open_study(store, study)
    try:
        res = run(st, sid, file, participant, mapping=mapping, date_from=days[0], date_to=days[1])
    finally:
        st.close()
    a, b = res.period
    out.print(
        f"{res.participant}: {res.events} event(s), {res.instances} timed instance(s) from "
        f"{a:%Y-%m-%d} to {b - timedelta(seconds=1):%Y-%m-%d} ({a.tzinfo}); "
        f"{res.blocks} planned block(s)",
        highlight=False,
    )
    t = Table("category", "planned hours")
    for cat, h in res.hours_by_category.items():
        t.add_row(cat, f"{h:.2f}")
    out.print(t)
    if res.unchanged:
        out.print("unchanged: this calendar was already imported for this period")
    else:
        out.print(f"stored {res.added} block(s), replacing {res.removed}")
    left = []
    if res.all_day:
        left.append(f"{res.all_day} all-day event(s)")
    if res.cancelled:
        left.append(f"{res.cancelled} cancelled")
    if res.no_duration:
        left.append(f"{res.no_duration} without duration")
    if res.ignored:
        left.append(f"{len(res.ignored)} mapped to ignore")
    if left:
        out.print("left out: " + ", ".join(left), highlight=False)
    if res.unmatched:
        err.print(
            f"[yellow]warning:[/] {len(res.unmatched)} instance(s) matched no rule and were "
            f"left out: {summarise(res.unmatched)}",
            highlight=False,
        )


import_app.command("logs")(import_logs)

__all__ = ["import_app"]
