"""``workweave event``: dated site events (reorganisations, mergers, re-application for
posts, budget cuts) drawn on the study report's trend charts (docs/trends.md)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from workweave.cli.common import StoreOpt, StudyOpt, friendly, open_study, out

event_app = typer.Typer(
    help="Site events (reorganisations, mergers, budget cuts) shown on trend charts.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``event`` command group to the main ``workweave`` command."""
    app.add_typer(event_app, name="event")


@event_app.command("add")
@friendly
def add(
    site: Annotated[str, typer.Option("--site", help="The site's code.")],
    day: Annotated[str, typer.Option("--date", help="When it took effect: YYYY-MM-DD.")],
    label: Annotated[str, typer.Option("--label", help="What happened, in a sentence.")],
    kind: Annotated[
        str,
        typer.Option(help="reorganisation, merger, re-application, budget cut, staffing or other."),
    ] = "other",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Record a dated event at a site."""
    from workweave.services import events

    st, sid, _ = open_study(store, study)
    e = events.add(st, sid, site, day, label, kind)
    out.print(f"event {e.id} added: {e.day} {e.site} ({e.kind}) {e.label}", highlight=False)


@event_app.command("list")
@friendly
def list_(
    site: Annotated[str | None, typer.Option("--site", help="Only this site's events.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """The study's site events in date order."""
    from rich.table import Table

    from workweave.services import events

    st, sid, _ = open_study(store, study)
    items = events.list_events(st, sid, site)
    if as_json:
        rows = [
            {
                "id": e.id,
                "site": e.site,
                "date": e.day.isoformat(),
                "kind": e.kind,
                "label": e.label,
            }
            for e in items
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not items:
        out.print("no site events recorded (add one with 'workweave event add')")
        return
    t = Table("id", "date", "site", "kind", "label", title="Site events")
    for e in items:
        t.add_row(str(e.id), e.day.isoformat(), e.site, e.kind, e.label)
    out.print(t)


@event_app.command("remove")
@friendly
def remove(
    event_id: Annotated[int, typer.Argument(help="The event's id (see 'workweave event list').")],
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Remove a site event."""
    from workweave.services import events

    st, sid, _ = open_study(store, study)
    events.remove(st, sid, event_id)
    out.print(f"event {event_id} removed")


__all__ = ["event_app", "register"]
