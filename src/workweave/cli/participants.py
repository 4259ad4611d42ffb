"""``workweave participants ...``: who was observed, which codes are probably one person, and
merging them (reversibly) so that one person is one cluster."""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from workweave.cli.common import StoreOpt, StudyOpt, err, friendly, open_study, out, reads
from workweave.domain.errors import ValidationError

participants_app = typer.Typer(
    help="Participants: list them, find likely duplicate codes, merge and unmerge.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``participants`` command group to the ``workweave`` app."""
    app.add_typer(participants_app, name="participants")


@participants_app.command("list")
@reads
def participants_list(
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Participants with their sessions, observed hours and sites; flags codes that are
    likely one person typed two ways (same site, same code once case, punctuation and
    leading zeros are set aside)."""
    from workweave.services import participants as svc

    if fmt not in ("table", "json", "csv"):
        raise ValidationError(f"unknown format '{fmt[:40]}' (table, json or csv)")
    st, sid, _ = open_study(store, study)
    lines = svc.participant_list(st, sid)
    if fmt == "json":
        data = {"participants": [x.as_dict() for x in lines]}
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(
            [
                "code",
                "site",
                "sessions",
                "hours",
                "session_sites",
                "merged_into",
                "likely_duplicates",
            ]
        )
        for x in lines:
            w.writerow(
                [
                    x.code,
                    x.site,
                    x.sessions,
                    f"{x.hours:.4f}",
                    ";".join(x.session_sites),
                    x.merged_into or "",
                    ";".join(x.duplicate_of),
                ]
            )
        sys.stdout.write(buf.getvalue())
        return
    t = Table("code", "site", "sessions", "hours", "session sites", "note")
    for x in lines:
        note = ""
        if x.merged_into:
            note = f"merged into {x.merged_into}"
        elif x.duplicate_of:
            note = f"[yellow]likely the same person as {escape(', '.join(x.duplicate_of))}[/]"
        t.add_row(
            escape(x.code),
            escape(x.site),
            str(x.sessions),
            f"{x.hours:.1f}",
            escape(", ".join(x.session_sites)),
            note,
        )
    out.print(t)
    flagged = sum(1 for x in lines if x.duplicate_of)
    if flagged:
        err.print(
            f"{flagged} participant code(s) look like another's: check them, then "
            "'workweave participants merge A B' (A absorbs B; 'unmerge B' reverses it)",
            highlight=False,
        )


@participants_app.command("merge")
@friendly
def participants_merge(
    into: Annotated[str, typer.Argument(help="A: the code that stays.", show_default=False)],
    merged: Annotated[
        str, typer.Argument(help="B: the code whose sessions move to A.", show_default=False)
    ],
    note: Annotated[str, typer.Option(help="Why (kept with the merge).")] = "",
    by: Annotated[
        str | None, typer.Option(help="Who merges (default: your user name).", show_default=False)
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """A absorbs B: B's sessions move to A (A's code and site); recorded, and reversed
    exactly by 'workweave participants unmerge B'."""
    from workweave.services import participants as svc

    st, sid, _ = open_study(store, study)
    who = by if by is not None else _user()
    rec = svc.merge(st, sid, into, merged, by=who, note=note)
    out.print(
        f"merged {escape(rec.merged)} into {escape(rec.into)}: {rec.sessions} session(s) moved "
        f"(undo: workweave participants unmerge {escape(rec.merged)})"
    )


@participants_app.command("unmerge")
@friendly
def participants_unmerge(
    merged: Annotated[str, typer.Argument(help="B: the merged code.", show_default=False)],
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Reverse the merge of B: its sessions return to B as they were."""
    from workweave.services import participants as svc

    st, sid, _ = open_study(store, study)
    rec = svc.unmerge(st, sid, merged)
    out.print(
        f"unmerged {escape(rec.merged)} from {escape(rec.into)}: {rec.sessions} session(s) "
        "moved back"
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


__all__ = ["participants_app", "register"]
