"""``workweave backup``, ``workweave restore``, ``workweave purge`` and ``workweave study
retention``: copies of the store, and removing studies whose retention date has passed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from workweave.cli.common import StoreOpt, err, friendly, out

study_app = typer.Typer(help="Study-wide governance settings.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``backup``, ``restore``, ``purge`` and the ``study`` group to the app."""
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("purge")(purge)
    app.add_typer(study_app, name="study")


def _location(store: str | None) -> str:
    from workweave.workspace import resolve_store

    return resolve_store(store)[0]


@friendly
def backup(
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="Backup file (default: backups/workweave-<UTC time>.sqlite or .dump).",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """A consistent copy of the store, safe while the web app is serving: SQLite through its
    online backup API, PostgreSQL through pg_dump (custom format). The file is owner-only."""
    from workweave.services import governance
    from workweave.store import Store

    st = Store.open(_location(store))
    if to is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        ext = "sqlite" if st.engine.dialect.name == "sqlite" else "dump"
        to = Path("backups") / f"workweave-{stamp}.{ext}"
    path = governance.backup(st, to)
    out.print(f"backup: {path} ({path.stat().st_size:,} bytes)")


@friendly
def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by 'workweave backup'.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the store if one is there.")
    ] = False,
    check_only: Annotated[
        bool, typer.Option("--check", help="Only check the backup; change nothing.")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Check a backup (SQLite integrity check, a schema version this workweave knows, an intact
    audit chain) and make the store a copy of it; an existing store only with --force."""
    from workweave.services import governance

    if check_only:
        check = governance.check_backup(file)
        out.print(f"{file}: {check.kind} backup, checks passed ({check.integrity})")
        return
    target = _location(store)
    check = governance.restore(file, target, force=force)
    detail = check.audit.describe() if check.audit else check.integrity
    out.print(f"restored {file} into {target}: {detail}")


@friendly
def purge(
    yes: Annotated[
        bool, typer.Option("--yes", help="Delete them (without it: only list them).")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Studies whose retention date has passed: listed (a dry run) unless --yes, which deletes
    them and everything in them. The audit trail records each purge."""
    from rich.markup import escape

    from workweave.services import governance
    from workweave.store import Store

    st = Store.open(_location(store))
    items = governance.purge(st, apply=yes)
    if not items:
        out.print("nothing to purge: no study is past its retention date")
        return
    for it in items:
        held = ", ".join(f"{n} {k}" for k, n in it.rows.items())
        verb = "purged" if yes else "would purge"
        out.print(f"{verb} study {escape(it.study)} (retain until {it.until}): {held}")
    if not yes:
        err.print("dry run: nothing was deleted; 'workweave purge --yes' deletes them")


@study_app.command("retention")
@friendly
def study_retention(
    study: Annotated[str, typer.Argument(help="The study's name.", show_default=False)],
    until: Annotated[
        str | None,
        typer.Option(
            help="Keep the study's data until this date (YYYY-MM-DD).", show_default=False
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the retention date.")] = False,
    store: StoreOpt = None,
) -> None:
    """Show or set the date until which a study's data is kept; 'workweave purge' removes
    studies past it."""
    from workweave.services import governance
    from workweave.store import Store

    st = Store.open(_location(store))
    sid = st.studies.id(study)
    if until is None and not clear:
        current = st.governance.retention(sid)
        out.print(
            f"{study}: retained until {current}" if current else f"{study}: no retention date"
        )
        return
    value = governance.set_retention(st, sid, None if clear else until)
    out.print(f"{study}: retained until {value}" if value else f"{study}: retention date removed")


__all__ = ["register", "study_app"]
