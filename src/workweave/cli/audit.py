"""``workweave audit``: read the audit trail and verify its hash chain."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from workweave.cli.common import StoreOpt, err, friendly, out


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command to the ``workweave`` app."""
    app.command("audit")(audit)


_RELATIVE = re.compile(r"^(\d{1,5})([hdw])$")


def parse_since(text: str, now: datetime | None = None) -> int:
    """Milliseconds since the epoch of `text`: an ISO date or date-time (UTC unless it says)
    or a span back from now (``24h``, ``7d``, ``2w``)."""
    from workweave.domain.errors import ValidationError

    text = text.strip()
    m = _RELATIVE.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        span = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
        return int(((now or datetime.now(UTC)) - span).timestamp() * 1000)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"--since '{text[:40]}' is not a date (2026-03-01), a date-time or a span (24h, 7d)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


@friendly
def audit(
    since: Annotated[
        str | None,
        typer.Option(help="Entries from this date, date-time (UTC) or span back (24h, 7d)."),
    ] = None,
    who: Annotated[
        str | None,
        typer.Option(
            help="Entries of one user (a user name, or cli:<os user>).", show_default=False
        ),
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            help="Entries whose action starts with this (signin, participant.erase).",
            show_default=False,
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Check the hash chain; exit 1 naming the first altered or deleted entry.",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    limit: Annotated[int, typer.Option(help="At most this many entries (newest).", min=1)] = 200,
    store: StoreOpt = None,
) -> None:
    """The audit trail: who signed in, viewed personal data, exported, changed set-up, consent
    or roles, imported or erased, when and from where. Every entry is chained to the one
    before it by a SHA-256 hash; --verify checks the chain."""
    from rich.markup import escape
    from rich.table import Table

    from workweave.domain.errors import ValidationError
    from workweave.services import audit as svc
    from workweave.store import Store
    from workweave.workspace import resolve_store

    if fmt not in ("table", "json"):
        raise ValidationError(f"unknown format '{fmt[:40]}' (table or json)")
    location, _, _ = resolve_store(store)
    st = Store.open(location)
    if verify:
        result = svc.verify(st)
        if result.ok:
            out.print(result.describe())
            return
        err.print(f"[bold red]{escape(result.describe())}[/]", highlight=False)
        raise typer.Exit(1)
    since_ms = parse_since(since) if since else None
    rows = svc.entries(st, since_ms, who, action=action, limit=limit, newest_first=True)
    rows.reverse()
    if fmt == "json":
        sys.stdout.write(
            json.dumps({"entries": [e.as_dict() for e in rows]}, indent=2, ensure_ascii=False)
            + "\n"
        )
        return
    t = Table("#", "when (UTC)", "who", "from", "action", "study", "target", "details")
    for e in rows:
        when = datetime.fromtimestamp(e.at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        details = json.dumps(dict(e.details), ensure_ascii=False) if e.details else ""
        t.add_row(
            str(e.seq),
            when,
            escape(e.actor),
            escape(e.origin),
            escape(e.action),
            escape(e.study or ""),
            escape(e.target or ""),
            escape(details[:120]),
        )
    out.print(t)
    if len(rows) == limit:
        err.print(f"the newest {limit} entries shown (--limit for more)", highlight=False)


__all__ = ["audit", "parse_since", "register"]
