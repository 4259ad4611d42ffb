"""``workweave participants ...``: who was observed, which codes are probably one person, and
merging them (reversibly) so that one person is one cluster."""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from workweave.cli.common import StoreOpt, StudyOpt, err, friendly, open_study, out, reads
from workweave.domain.errors import ValidationError

participants_app = typer.Typer(
    help="Participants: list them, find likely duplicate codes, merge and unmerge; consent "
    "withdrawal, erasure and subject access.",
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


@participants_app.command("withdraw")
@friendly
def participants_withdraw(
    code: Annotated[str, typer.Argument(help="The participant's code.", show_default=False)],
    note: Annotated[str, typer.Option(help="Why, or how it was asked (kept).")] = "",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Record that the participant withdraws consent: from now on they are left out of every
    metric, summary, report, the dashboard and the API, and no new observation starts."""
    from workweave.services import governance

    st, sid, _ = open_study(store, study)
    governance.withdraw(st, sid, code, note=note)
    out.print(
        f"consent of {escape(code)} withdrawn: they are excluded from every figure from now on. "
        f"To remove their data too: workweave participants erase {escape(code)}"
    )


@participants_app.command("erase")
@friendly
def participants_erase(
    code: Annotated[str, typer.Argument(help="The participant's code.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    reports: Annotated[
        list[Path] | None,
        typer.Option(
            "--reports",
            help="Folder(s) where reports and exports were written (default: the workspace "
            "folder); the person's own report and export files there are deleted.",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Erase everything held about the participant: sessions, tasks, notes, documents,
    codings, consent records, memberships, captured actions, calibrations, and their own report
    and export files. Leaves one audit entry naming them only by a hash. Cannot be undone."""
    from workweave.services import governance
    from workweave.workspace import find_workspace

    st, sid, _ = open_study(store, study)
    st.governance.participant_id(sid, code)  # a clear error before asking
    if not yes:
        typer.confirm(
            f"Erase participant {code} and everything recorded about them? This cannot be undone",
            abort=True,
            err=True,
        )
    folders = list(reports or [])
    if not folders:
        ws = find_workspace()
        if ws is not None:
            folders = [ws.folder]
    done = governance.erase(st, sid, code, folders=folders)
    rows = sum(done.rows.values())
    out.print(
        f"erased {escape(code)}: {rows} row(s) in {len(done.rows)} table(s), "
        f"{len(done.files_deleted)} file(s); audit entry participant:{done.code_hash}"
    )
    for f in done.files_mentioning:
        err.print(
            f"[yellow]still mentions {escape(code)}:[/] {escape(f)} (rebuild or delete it)",
            highlight=False,
        )


@participants_app.command("export")
@friendly
def participants_export(
    code: Annotated[str, typer.Argument(help="The participant's code.", show_default=False)],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write the export into (made if missing).")
    ] = Path("."),
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Subject access: write everything held about the participant (everything.json, one CSV
    per table, the audit entries naming them) to subject-access-CODE/ and a zip beside it."""
    from workweave.services import governance

    st, sid, _ = open_study(store, study)
    path = governance.subject_access(st, sid, code, out_dir)
    out.print(f"subject access export: {path}")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


__all__ = ["participants_app", "register"]
