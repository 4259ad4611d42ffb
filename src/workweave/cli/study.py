"""``workweave init``, ``workweave summary`` and ``workweave template ...``: the workspace, its
study at a glance, and observation templates."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from workweave.cli.common import ObserversOpt, StoreOpt, StudyOpt, friendly, open_study, out, reads
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.policy import DEFAULT_TIMEZONE

template_app = typer.Typer(help="Observation templates.", no_args_is_help=True)


# -- init --------------------------------------------------------------------------------------


@friendly
def init(
    study: Annotated[
        str | None, typer.Option(help="Study name (default: the folder's name).")
    ] = None,
    title: Annotated[str, typer.Option(help="Study title.")] = "",
    store: Annotated[
        str | None,
        typer.Option(help="Store: a SQLite file in this folder (default) or a PostgreSQL URL."),
    ] = None,
    timezone: Annotated[
        str, typer.Option(help="Default time zone of sites (IANA name).")
    ] = DEFAULT_TIMEZONE,
) -> None:
    """Make a workspace in the current folder: settings, the store and a study."""
    from workweave.services import studies as svc

    st, sid = svc.init_workspace(
        Path.cwd(), study=study, title=title, store=store, timezone=timezone
    )
    name = st.studies.get(sid).name
    out.print(f"workspace ready: study [bold]{name}[/] in {st.location}")
    out.print(
        "next: 'workweave import wombat FILE.csv' or 'workweave simulate', then 'workweave summary'"
    )


# -- templates ---------------------------------------------------------------------------------


@template_app.command("list")
@reads
def template_list(store: StoreOpt = None) -> None:
    """List built-in templates and the templates stored in the workspace."""
    from workweave.io.templates import builtin_template, builtin_template_names
    from workweave.store import Store
    from workweave.workspace import resolve_store

    t = Table("name", "version", "where", "categories", "dimensions")
    for name in builtin_template_names():
        tp = builtin_template(name)
        t.add_row(tp.name, tp.version, "built-in", str(len(tp.categories)), str(len(tp.dimensions)))
    try:
        location, _, _ = resolve_store(store)
        for tp in Store.open(location).studies.templates():
            t.add_row(
                tp.name, tp.version, "store", str(len(tp.categories)), str(len(tp.dimensions))
            )
    except NotFoundError:
        pass
    out.print(t)


@template_app.command("show")
@reads
def template_show(
    name: Annotated[str, typer.Argument(help="Template name, e.g. ahp-clinician-manager.")],
    version: Annotated[str | None, typer.Option(help="Version (default: latest).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
    store: StoreOpt = None,
) -> None:
    """Print a template (from the store, else built-in) as YAML or JSON."""
    import yaml

    from workweave.io.templates import builtin_template
    from workweave.store import Store
    from workweave.workspace import resolve_store

    try:
        location, _, _ = resolve_store(store)
        tp = Store.open(location).studies.template(name, version)
    except NotFoundError:
        tp = builtin_template(name)
    data = tp.to_dict()
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "yaml":
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    else:
        raise ValidationError(f"unknown format '{fmt}' (yaml or json)")


@template_app.command("load")
@friendly
def template_load(
    file: Annotated[Path, typer.Argument(help="Template as YAML or JSON.")],
    store: StoreOpt = None,
) -> None:
    """Validate a template file and store it (a changed template needs a new version)."""
    from workweave.io.templates import read_template
    from workweave.store import Store
    from workweave.workspace import resolve_store

    tp = read_template(file)
    location, _, _ = resolve_store(store)
    Store.open(location).studies.save_template(tp)
    out.print(
        f"stored template {tp.key}: {len(tp.categories)} categories, "
        f"{len(tp.dimensions)} dimensions"
    )


# -- summary -----------------------------------------------------------------------------------


@reads
def summary(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    by: Annotated[
        list[str] | None,
        typer.Option(help="Breakdowns to show: site, participant, observer (repeatable)."),
    ] = None,
    observers: ObserversOpt = "primary",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Sessions, tasks, observed hours and interruptions, overall and by group."""
    from workweave.analysis.coobservation import check_observers
    from workweave.services import studies as svc

    check_observers(observers)
    st, sid, _ = open_study(store, study)
    data = svc.summary(st, sid, observers=observers)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    groups = tuple(by or ("site", "participant", "observer"))
    for g in groups:
        if g not in ("site", "participant", "observer"):
            raise ValidationError(f"cannot break down by '{g}' (site, participant or observer)")
    print_summary(data, groups)


def print_summary(data: dict[str, Any], groups: tuple[str, ...]) -> None:
    tot = data["total"]
    label = " (SYNTHETIC)" if data.get("synthetic") else ""
    out.print(
        f"[bold]{data['study']}[/]{label}: {tot['sessions']} sessions "
        f"({tot['incomplete_sessions']} incomplete), {tot['tasks']} tasks, "
        f"{tot['observed_hours']:.1f} observed hours, {tot['interruptions']} interruptions "
        f"({tot.get('suspensions', 0)} suspended tasks)"
    )
    out.print(observed_line(data), highlight=False)
    if data.get("excluded_withdrawn"):
        out.print(withdrawn_line(data["excluded_withdrawn"]), highlight=False)
    for g in groups:
        t = Table(g, "sessions", "tasks", "observed h", "interruptions", title=f"by {g}")
        for r in data[f"by_{g}"]:
            t.add_row(
                str(r["group"]),
                str(r["sessions"]),
                str(r["tasks"]),
                f"{r['observed_hours']:.1f}",
                str(r["interruptions"]),
            )
        out.print(t)
    out.print("rates, shares and every other measure, with CIs: workweave metrics --by site")


def withdrawn_line(n: int) -> str:
    """What every output says when participants are left out for withdrawing consent."""
    return f"{n} participant(s) excluded after withdrawing consent"


def observed_line(data: dict[str, Any]) -> str:
    """Distinct and co-observed hours, and what the counts above include."""
    tot = data["total"]
    line = f"observed: {tot.get('distinct_observed_hours', tot['observed_hours']):.1f} h distinct"
    if tot.get("co_observation_groups"):
        line += (
            f"; {tot['co_observed_hours']:.1f} h more by second observers "
            f"({tot['co_observation_groups']} co-observation groups of "
            f"{tot['co_observed_sessions']} sessions)"
        )
        if data.get("observers") == "all":
            line += "; counts above include every record (--observers all)"
        else:
            line += (
                f"; counts above use one record per group ({tot['sessions_all']} sessions "
                "with --observers all)"
            )
    return line


__all__ = ["init", "observed_line", "print_summary", "summary", "template_app"]
