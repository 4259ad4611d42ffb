"""Commands for qualitative analysis: codebooks, documents, REFI-QDA, agreement, code reports
and quotes. ``register(app)`` adds them to the ``workweave`` command; each only translates its
arguments into a call of :mod:`workweave.services.qualitative`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from workweave.cli.common import StoreOpt, StudyOpt, err, friendly, open_study, out
from workweave.domain.errors import ValidationError

codebook_app = typer.Typer(
    help="Codebooks for coding field notes and transcripts.", no_args_is_help=True
)
document_app = typer.Typer(
    help="Documents to code: field notes and transcripts.", no_args_is_help=True
)
qdpx_app = typer.Typer(help="REFI-QDA projects (.qdpx) for other QDA tools.", no_args_is_help=True)
codes_app = typer.Typer(help="Reports on coded text.", no_args_is_help=True)
quotes_app = typer.Typer(help="Coded quotes.", no_args_is_help=True)


def _open(store: str | None, study: str | None) -> tuple[Any, int]:

    st, sid, _ = open_study(store, study)
    return st, sid


def _svc() -> Any:
    from workweave.services import qualitative

    return qualitative


def say(text: str) -> None:
    """A message on standard output (long lines are not wrapped, so they can be searched)."""
    out.print(text, highlight=False, soft_wrap=True)


def warn(label: str, text: str) -> None:
    """A labelled note or warning on standard error (the text is shown as it is)."""
    err.print(f"[yellow]{label}:[/] {escape(text)}", highlight=False, soft_wrap=True)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    return names or None


def _num(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise ValidationError(f"unknown format '{fmt}' (use {' or '.join(allowed)})")


# -- codebooks ---------------------------------------------------------------------------------


def codebook_load(
    source: Annotated[
        str,
        typer.Argument(
            help="A built-in codebook's name (clinician-manager-themes) or a file: "
            ".yaml, .json, REFI-QDA .qdc or .qdpx."
        ),
    ],
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Load a codebook as the study's current one (a changed codebook becomes a new version)."""
    st, sid = _open(store, study)
    saved = _svc().load_codebook(st, sid, source)
    cb = saved.codebook
    what = "stored" if saved.created else "unchanged:"
    say(f"{what} codebook [bold]{escape(cb.name)}[/] v{cb.version} ({len(cb.codes)} codes)")
    if saved.note and saved.note != "unchanged":
        warn("note", saved.note)


def codebook_export(
    output: Annotated[
        Path, typer.Option("--out", help="File to write: .yaml, .json or REFI-QDA .qdc.")
    ],
    name: Annotated[str | None, typer.Option(help="Codebook name (default: the current).")] = None,
    version: Annotated[str | None, typer.Option(help="Version (default: the latest).")] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Write the study's codebook for editing (.yaml/.json) or for other tools (.qdc)."""
    st, sid = _open(store, study)
    path = _svc().export_codebook(st, sid, output, name=name, version=version)
    say(f"wrote {escape(str(path))}")


def codebook_list(store: StoreOpt = None, study: StudyOpt = None) -> None:
    """List the study's codebooks and their versions."""
    st, sid = _open(store, study)
    t = Table("name", "version", "codes", "saved", "current")
    for info in _svc().list_codebooks(st, sid):
        t.add_row(
            escape(info.name),
            escape(info.version),
            str(info.codes),
            f"{info.created:%Y-%m-%d %H:%M} UTC",
            "yes" if info.current else "",
        )
    out.print(t)


def codebook_show(
    fmt: Annotated[str, typer.Option("--format", help="tree, yaml or json.")] = "tree",
    name: Annotated[str | None, typer.Option(help="Codebook name (default: the current).")] = None,
    version: Annotated[str | None, typer.Option(help="Version (default: the latest).")] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Show the study's current codebook with each code's definition."""
    _check_format(fmt, ("tree", "yaml", "json"))
    st, sid = _open(store, study)
    cb = _svc().current_codebook(st, sid, name, version)
    if fmt == "json":
        _json(cb.to_dict())
        return
    if fmt == "yaml":
        from workweave.io.codebooks import codebook_yaml

        sys.stdout.write(codebook_yaml(cb))
        return
    tree = Tree(f"[bold]{escape(cb.name)}[/] v{escape(cb.version)}")

    def add(node: Tree, guid: str | None) -> None:
        for c in cb.children(guid):
            label = f"[bold]{escape(c.name)}[/]" + (
                f" — {escape(c.definition)}" if c.definition else ""
            )
            add(node.add(label), c.guid)

    add(tree, None)
    out.print(tree)


# -- documents ---------------------------------------------------------------------------------


def document_add(
    file: Annotated[Path, typer.Argument(help="Transcript: .txt/.md, .docx, .vtt or .srt.")],
    participant: Annotated[
        str, typer.Option("--participant", help="The participant's (pseudonymous) code.")
    ],
    site: Annotated[
        str | None, typer.Option(help="Site code (default: the participant's site).")
    ] = None,
    kind: Annotated[str, typer.Option(help="transcript or field-note.")] = "transcript",
    title: Annotated[str | None, typer.Option(help="Title (default: the file's name).")] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Add a transcript (or typed-up field notes) to the study as a document to code."""
    st, sid = _open(store, study)
    res = _svc().add_document_file(
        st, sid, file, participant=participant, site=site, kind=kind, title=title
    )
    d = res.document
    cues = f", {len(d.cues)} timed cues" if d.cues else ""
    if res.created:
        say(f"added {d.kind} [bold]{escape(d.title)}[/] ({d.length} characters{cues}) key {d.key}")
    else:
        say(f"unchanged: {escape(d.title)} is already stored")
    for w in res.warnings:
        warn("warning", w)


def document_list(
    kind: Annotated[str | None, typer.Option(help="Only field-note or transcript.")] = None,
    participant: Annotated[str | None, typer.Option(help="Only this participant's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """List the study's documents with how many codings each has, and by whom."""
    st, sid = _open(store, study)
    docs = _svc().list_documents(st, sid, kind=kind, participant=participant)
    if as_json:
        _json([d.to_dict() for d in docs])
        return
    t = Table("key", "kind", "title", "participant", "site", "characters", "codings", "coders")
    for d in docs:
        t.add_row(
            d.key[:8],
            d.kind,
            escape(d.title),
            escape(d.participant or ""),
            escape(d.site or ""),
            str(d.length),
            str(d.codings),
            escape(", ".join(d.coders)),
        )
    out.print(t)


def notes_to_documents(store: StoreOpt = None, study: StudyOpt = None) -> None:
    """Turn the field notes written in the study's sessions into documents to code."""
    st, sid = _open(store, study)
    res = _svc().notes_to_documents(st, sid)
    say(f"field notes: {res.added} new document(s), {res.unchanged} already made into documents")


# -- REFI-QDA ----------------------------------------------------------------------------------


def qdpx_export(
    output: Annotated[Path, typer.Option("--out", help="The .qdpx file to write.")],
    coders: Annotated[
        str | None, typer.Option(help="Only these coders' codings (comma-separated).")
    ] = None,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Export documents, codebook and codings as a REFI-QDA project (schema-checked)."""
    st, sid = _open(store, study)
    res = _svc().export_qdpx(st, sid, output, coders=_names(coders))
    say(
        f"wrote {escape(str(res.path))}: {res.codes} codes, {res.documents} documents, "
        f"{res.codings} codings"
    )
    for n in res.notes:
        warn("note", n)


def qdpx_import(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA project: .qdpx (or a bare .qde).")],
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Import a REFI-QDA project: codebook, text sources and codings (all or nothing)."""
    st, sid = _open(store, study)
    res = _svc().import_qdpx(st, sid, file)
    c = res.report.counts
    say(
        f"read {escape(res.report.file)}: {c.get('codes', 0)} codes, {c.get('sources', 0)} sources "
        f"({c.get('text_sources', 0)} text), {c.get('selections', 0)} selections, "
        f"{c.get('codings', 0)} codings"
    )
    cb = res.codebook
    say(
        f"stored: codebook {escape(cb.name)} v{escape(cb.version)}, "
        f"{res.documents_added} new document(s) "
        f"({res.documents_unchanged} unchanged), {res.codings_added} new coding(s) "
        f"({res.codings_unchanged} unchanged)"
    )
    for a in res.report.adjustments:
        warn("adjusted", a)
    for s in res.report.skipped:
        warn("not imported", s)
    for n in [*res.report.notes, *res.warnings]:
        warn("note", n)


# -- agreement ---------------------------------------------------------------------------------


def agreement_command(
    coders: Annotated[str, typer.Option(help="Two or more coders, comma-separated: A,B.")],
    level: Annotated[str, typer.Option(help="character or segment.")] = "character",
    unit: Annotated[
        str,
        typer.Option(
            help="Segment units: auto (a field note whole, a transcript's paragraphs), "
            "paragraph, line or document."
        ),
    ] = "auto",
    documents: Annotated[
        str | None,
        typer.Option(
            help="Compare these documents (keys or titles, comma-separated; default: those "
            "every coder coded)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Agreement between coders, per code and overall.

    Percent agreement, Cohen's kappa (two coders) and Krippendorff's alpha, at character or
    segment level, on the documents every coder coded."""
    _check_format(fmt, ("table", "json"))
    names = _names(coders) or []
    st, sid = _open(store, study)
    rep = _svc().agreement(st, sid, names, level=level, unit=unit, documents=_names(documents))
    if fmt == "json":
        _json(rep.to_dict())
        return
    what = "characters" if rep.level == "character" else "segments"
    t = Table(
        "code",
        what,
        *[f"coded by {escape(c)}" for c in rep.coders],
        "% agreement",
        *(["kappa"] if len(rep.coders) == 2 else []),
        "alpha",
        title=f"agreement of {escape(', '.join(rep.coders))} ({rep.level} level, "
        f"{len(rep.documents)} documents)",
    )
    for r in [*rep.rows, rep.overall]:
        t.add_row(
            escape(r.name) if r.code else f"[bold]{r.name}[/]",
            f"{r.units:.0f}",
            *[f"{r.coded.get(c, 0):.0f}" for c in rep.coders],
            _num(None if r.percent_agreement is None else 100 * r.percent_agreement, 1),
            *([_num(r.kappa)] if len(rep.coders) == 2 else []),
            _num(r.alpha),
        )
    out.print(t)
    if rep.skipped_documents:
        warn(
            "note",
            f"{len(rep.skipped_documents)} document(s) coded by only some of the coders "
            "were left out",
        )
    for n in rep.notes:
        say(n)


# -- code reports ------------------------------------------------------------------------------


def codes_report(
    by: Annotated[
        str | None, typer.Option(help="Break down by site, profession or participant.")
    ] = None,
    coders: Annotated[
        str | None, typer.Option(help="Only these coders' codings (comma-separated).")
    ] = None,
    min_participants: Annotated[
        int,
        typer.Option(
            help="Small-number rule: code × site cells with fewer participants are suppressed.",
            min=1,
        ),
    ] = 3,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Code frequencies and coverage, code co-occurrence, and participants per code and site."""
    _check_format(fmt, ("table", "json"))
    st, sid = _open(store, study)
    rep = _svc().code_report(st, sid, by=by, coders=_names(coders), threshold=min_participants)
    if fmt == "json":
        _json(rep.to_dict())
        return
    if not rep.codings:
        say(f"no codings yet ({rep.documents} documents): nothing to report")
        return
    freq = rep.frequencies
    cols = ([by] if by else []) + ["code", "codings", "documents", "participants", "coverage"]
    t = Table(*cols, title=f"code frequencies ({rep.codings} codings, {rep.documents} documents)")
    for row in freq.to_dict(orient="records"):
        t.add_row(
            *([escape(str(row[by]))] if by else []),
            escape(str(row["name"])),
            str(row["codings"]),
            str(row["documents"]),
            str(row["participants"]),
            f"{100 * row['coverage']:.1f}%",
        )
    out.print(t)
    co = rep.cooccurrence
    if len(co):
        short = [f"{i + 1}" for i in range(len(co))]
        t = Table("", "code", *short, title="co-occurrence (overlapping codings)")
        for i, (name, row) in enumerate(co.iterrows()):
            t.add_row(short[i], escape(str(name)), *[str(int(v)) for v in row])
        out.print(t)
    from workweave.analysis.qualitative import show_suppressed

    pbs = show_suppressed(rep.participants_by_site, rep.threshold)
    if len(pbs):
        t = Table(
            "code",
            *[escape(str(c)) for c in pbs.columns],
            title=f"participants by site (cells under {rep.threshold} suppressed)",
        )
        for name, row in pbs.iterrows():
            t.add_row(escape(str(name)), *[str(v) for v in row])
        out.print(t)


# -- quotes ------------------------------------------------------------------------------------


def quotes_export(
    code: Annotated[str, typer.Option("--code", help="Code name, path (parent/child) or GUID.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, docx or html.")],
    output: Annotated[Path, typer.Option("--out", help="File to write.")],
    coders: Annotated[
        str | None, typer.Option(help="Only these coders' codings (comma-separated).")
    ] = None,
    subcodes: Annotated[
        bool, typer.Option("--subcodes/--no-subcodes", help="Include the code's sub-codes.")
    ] = True,
    store: StoreOpt = None,
    study: StudyOpt = None,
) -> None:
    """Export the passages coded with a code, each with who, where and when."""
    st, sid = _open(store, study)
    n = _svc().export_quotes(
        st, sid, code, output, fmt, coders=_names(coders), include_subcodes=subcodes
    )
    say(f"wrote {n} quote(s) to {escape(str(output))}")


def register(app: typer.Typer) -> None:
    """Add the qualitative commands to the main ``workweave`` command."""

    def cmd(target: typer.Typer, name: str, fn: Callable[..., Any], changes: bool = True) -> None:
        target.command(name)(friendly(fn, changes=changes))

    cmd(codebook_app, "load", codebook_load)
    cmd(codebook_app, "export", codebook_export, changes=False)
    cmd(codebook_app, "list", codebook_list, changes=False)
    cmd(codebook_app, "show", codebook_show, changes=False)
    cmd(document_app, "add", document_add)
    cmd(document_app, "list", document_list, changes=False)
    cmd(qdpx_app, "export", qdpx_export, changes=False)
    cmd(qdpx_app, "import", qdpx_import)
    cmd(codes_app, "report", codes_report, changes=False)
    cmd(quotes_app, "export", quotes_export, changes=False)
    cmd(app, "notes-to-documents", notes_to_documents)
    cmd(app, "agreement", agreement_command, changes=False)
    app.add_typer(codebook_app, name="codebook")
    app.add_typer(document_app, name="document")
    app.add_typer(qdpx_app, name="qdpx")
    app.add_typer(codes_app, name="codes")
    app.add_typer(quotes_app, name="quotes")


__all__ = ["register"]
