"""Use cases of qualitative analysis, shared by the CLI, the web app and the Python API.

Every function takes the store and the study's id first. Results are domain objects or small
dataclasses with a ``to_dict()`` that is JSON-ready. Positions are Unicode code points unless a
function is given ``offsets="utf16"`` (what a browser's selection API counts), in which case
positions coming in and going out are UTF-16 code units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from workweave.analysis import qualitative as qa
from workweave.analysis.reliability import AgreementReport, text_agreement
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.qualitative import (
    DOCUMENT_KINDS,
    Code,
    Codebook,
    Coding,
    Document,
    Quote,
    index_to_utf16,
    media_time,
    new_guid,
    utf16_to_index,
)
from workweave.io import codebooks as cbio
from workweave.io import refiqda
from workweave.io.quotes import QUOTE_FORMATS, write_quotes
from workweave.io.transcripts import read_document
from workweave.services.audit import audited
from workweave.store import Store
from workweave.store.qualitative import CodebookInfo, DocumentInfo, SavedCodebook

OFFSETS: tuple[str, ...] = ("codepoint", "utf16")


def _check_offsets(offsets: str) -> None:
    if offsets not in OFFSETS:
        raise ValidationError(f"offsets must be one of {', '.join(OFFSETS)}, not '{offsets}'")


# -- codebooks ---------------------------------------------------------------------------------


@audited("codebook.load")
def load_codebook(store: Store, study_id: int, source: str | Path) -> SavedCodebook:
    """Load a codebook into the study as its current one: a built-in codebook's name (e.g.
    ``clinician-manager-themes``) or a file (.yaml/.yml/.json/.qdc/.qdpx). A changed codebook
    becomes a new version; the same content again changes nothing."""
    text = str(source)
    path = Path(text)
    if path.suffix.lower() in cbio.FORMATS or path.is_file():
        cb, notes = cbio.read_codebook(path)
    else:
        cb, notes = cbio.builtin_codebook(text), []
    saved = store.qual.save_codebook(study_id, cb)
    if notes:
        extra = "; ".join(notes)
        note = "; ".join(filter(None, [saved.note, extra]))
        saved = SavedCodebook(saved.codebook, saved.created, note)
    return saved


def save_codebook(store: Store, study_id: int, codebook: Codebook) -> SavedCodebook:
    """Store an edited codebook (a new version when its content changed)."""
    return store.qual.save_codebook(study_id, codebook)


def current_codebook(
    store: Store, study_id: int, name: str | None = None, version: str | None = None
) -> Codebook:
    return store.qual.load_codebook(study_id, name, version)


def list_codebooks(store: Store, study_id: int) -> list[CodebookInfo]:
    return store.qual.codebook_versions(study_id)


def export_codebook(
    store: Store,
    study_id: int,
    path: str | Path,
    *,
    name: str | None = None,
    version: str | None = None,
) -> Path:
    """Write the study's current (or named) codebook as .yaml/.json or REFI-QDA .qdc."""
    return cbio.write_codebook(store.qual.load_codebook(study_id, name, version), path)


def add_code(
    store: Store,
    study_id: int,
    name: str,
    *,
    parent: str | None = None,
    definition: str = "",
    inclusion: str = "",
    exclusion: str = "",
    colour: str | None = None,
    codable: bool = True,
) -> Code:
    """Add a code to the current codebook (saved as its next version)."""
    cb = store.qual.load_codebook(study_id)
    parent_code = cb.code(parent) if parent else None
    code = Code(
        guid=new_guid(),
        name=name,
        definition=definition,
        inclusion=inclusion,
        exclusion=exclusion,
        colour=colour or (parent_code.colour if parent_code else None),
        parent=parent_code.guid if parent_code else None,
        codable=codable,
    )
    store.qual.save_codebook(study_id, _next(cb.with_code(code)))
    return code


def update_code(store: Store, study_id: int, code: str, **changes: Any) -> Code:
    """Change a code of the current codebook (name, definition, inclusion, exclusion, colour,
    parent, codable); saved as the codebook's next version. Its GUID, and so its codings,
    stay."""
    allowed = {"name", "definition", "inclusion", "exclusion", "colour", "parent", "codable"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"cannot change {', '.join(sorted(unknown))} of a code")
    cb = store.qual.load_codebook(study_id)
    old = cb.code(code)
    if changes.get("parent"):
        changes["parent"] = cb.code(changes["parent"]).guid
    new = replace(old, **changes)
    store.qual.save_codebook(study_id, _next(cb.with_code(new)))
    return new


def remove_code(store: Store, study_id: int, code: str) -> Codebook:
    """Remove a code and its sub-codes from the current codebook; refused while any of them
    has codings."""
    cb = store.qual.load_codebook(study_id)
    target = cb.code(code)
    guids = [target.guid, *(c.guid for c in cb.descendants(target.guid))]
    used = store.qual.codings(study_id, codes=guids)
    if used:
        raise ValidationError(
            f"code '{cb.path(target.guid)}' (or a sub-code) has {len(used)} coding(s): "
            "delete or recode them first"
        )
    return store.qual.save_codebook(study_id, _next(cb.without_code(target.guid))).codebook


def _next(cb: Codebook) -> Codebook:
    """The codebook with its version moved on (numbers count up; other versions get '.1')."""
    v = cb.version
    m = re.fullmatch(r"(.*?)(\d+)", v)
    nv = f"{m.group(1)}{int(m.group(2)) + 1}" if m else f"{v}.1"
    return replace(cb, version=nv)


# -- documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddedDocument:
    document: Document
    created: bool
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = self.document
        return {
            "key": d.key,
            "title": d.title,
            "kind": d.kind,
            "participant": d.participant,
            "site": d.site,
            "length": d.length,
            "cues": len(d.cues),
            "created": self.created,
            "warnings": list(self.warnings),
        }


def _place(
    store: Store, study_id: int, participant: str | None, site: str | None
) -> tuple[str | None, list[str]]:
    warnings = []
    registered = store.qual.participant_codes(study_id)
    if participant and participant not in registered:
        warnings.append(
            f"participant '{participant}' is not registered in the study: the document is kept "
            "under that code (profession unknown until the participant is registered)"
        )
    if participant in registered:
        if site and site != registered[participant]:
            raise ValidationError(
                f"participant '{participant}' belongs to site '{registered[participant]}', "
                f"not '{site}'"
            )
        site = registered[participant]
    return site, warnings


@audited("document.add")
def add_document(store: Store, study_id: int, document: Document) -> AddedDocument:
    """Store a document (the participant's registered site is used when none is given)."""
    site, warnings = _place(store, study_id, document.participant, document.site)
    if site != document.site:
        document = replace(document, site=site)
    res = store.qual.add_documents(study_id, [document])
    return AddedDocument(document, bool(res.added), tuple(warnings))


def add_document_file(
    store: Store,
    study_id: int,
    path: str | Path,
    *,
    participant: str,
    site: str | None = None,
    kind: str = "transcript",
    title: str | None = None,
) -> AddedDocument:
    """Read a transcript (.txt/.md, .docx, .vtt, .srt) and store it as a document."""
    doc = read_document(path, participant=participant, site=site, kind=kind, title=title)
    return add_document(store, study_id, doc)


def add_document_text(
    store: Store,
    study_id: int,
    text: str,
    *,
    title: str,
    participant: str | None,
    site: str | None = None,
    kind: str = "transcript",
    at: datetime | None = None,
    session: str | None = None,
) -> AddedDocument:
    """Store text typed or pasted in (e.g. from a web form) as a document."""
    if kind not in DOCUMENT_KINDS:
        raise ValidationError(f"document kind '{kind}' is not one of {', '.join(DOCUMENT_KINDS)}")
    if not text.strip():
        raise ValidationError("the document has no text")
    doc = Document(
        key=new_guid(),
        kind=kind,
        title=title.strip() or "untitled",
        text=text,
        participant=participant,
        site=site,
        session=session,
        at=at,
    )
    return add_document(store, study_id, doc)


def list_documents(
    store: Store, study_id: int, *, kind: str | None = None, participant: str | None = None
) -> list[DocumentInfo]:
    return store.qual.document_infos(study_id, kind=kind, participant=participant)


def get_document(store: Store, study_id: int, ref: str) -> Document:
    """A document by key (or by a unique title or file name)."""
    return store.qual.find_document(study_id, ref)


@audited("document.remove", lambda *a, **k: f"document:{a[2]}")
def remove_document(store: Store, study_id: int, key: str) -> None:
    store.qual.delete_document(study_id, key)


@dataclass(frozen=True)
class CodingView:
    """A coding as a page shows it: with its code's name and colour."""

    coding: Coding
    code_name: str
    colour: str | None
    start: int  # in the offsets asked for
    end: int

    def to_dict(self) -> dict[str, Any]:
        c = self.coding
        return {
            "key": c.key,
            "code": c.code,
            "code_name": self.code_name,
            "colour": self.colour,
            "coder": c.coder,
            "start": self.start,
            "end": self.end,
            "memo": c.memo,
            "created": c.created.isoformat() if c.created else None,
        }


@dataclass(frozen=True)
class DocumentView:
    document: Document
    codings: tuple[CodingView, ...]
    offsets: str
    segments: tuple[tuple[int, int], ...]
    cues: tuple[tuple[float, float, int, int], ...]

    def to_dict(self) -> dict[str, Any]:
        d = self.document
        return {
            "key": d.key,
            "kind": d.kind,
            "title": d.title,
            "text": d.text,
            "participant": d.participant,
            "site": d.site,
            "session": d.session,
            "at": d.at.isoformat() if d.at else None,
            "source": d.source,
            "offsets": self.offsets,
            "length": _length(d.text, self.offsets),
            "codings": [c.to_dict() for c in self.codings],
            "segments": [list(s) for s in self.segments],
            "cues": [list(c) for c in self.cues],
        }


def _length(text: str, offsets: str) -> int:
    return index_to_utf16(text, len(text)) if offsets == "utf16" else len(text)


def _out(text: str, pos: int, offsets: str) -> int:
    return index_to_utf16(text, pos) if offsets == "utf16" else pos


def _in(text: str, pos: int, offsets: str) -> int:
    return utf16_to_index(text, pos) if offsets == "utf16" else pos


def _labels(store: Store, study_id: int) -> tuple[dict[str, str], dict[str, Code]]:
    """Code GUID -> display name (current codebook's path first, then older codes)."""
    known = store.qual.known_codes(study_id)
    labels: dict[str, str] = {}
    try:
        cb = store.qual.load_codebook(study_id)
        for c in cb.walk():
            labels[c.guid] = cb.path(c.guid)
            known[c.guid] = c
    except NotFoundError:
        pass
    for g, c in known.items():
        labels.setdefault(g, c.name)
    return labels, known


def document_view(
    store: Store, study_id: int, key: str, *, offsets: str = "codepoint", coder: str | None = None
) -> DocumentView:
    """A document with its codings (optionally one coder's), code names and colours, its
    segments and cues: everything a coding page needs."""
    _check_offsets(offsets)
    doc = store.qual.find_document(study_id, key)
    labels, known = _labels(store, study_id)
    items = store.qual.codings(study_id, documents=[doc.key], coders=[coder] if coder else None)
    t = doc.text
    return DocumentView(
        document=doc,
        codings=tuple(
            CodingView(
                c,
                labels.get(c.code, c.code),
                known[c.code].colour if c.code in known else None,
                _out(t, c.start, offsets),
                _out(t, c.end, offsets),
            )
            for c in items
        ),
        offsets=offsets,
        segments=tuple(
            (_out(t, s.start, offsets), _out(t, s.end, offsets)) for s in doc.segments()
        ),
        cues=tuple(
            (q.start_s, q.end_s, _out(t, q.char_start, offsets), _out(t, q.char_end, offsets))
            for q in doc.cues
        ),
    )


@dataclass(frozen=True)
class NotesResult:
    added: int
    unchanged: int

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "unchanged": self.unchanged}


def notes_to_documents(store: Store, study_id: int) -> NotesResult:
    """Turn every field note written in the study's sessions into a field-note document
    (keeping its session and time); notes already turned into documents are left alone."""
    res = store.qual.add_note_documents(study_id)
    return NotesResult(res.added, res.unchanged)


# -- codings -----------------------------------------------------------------------------------


def add_coding(
    store: Store,
    study_id: int,
    *,
    document: str,
    code: str,
    start: int,
    end: int,
    coder: str,
    memo: str = "",
    offsets: str = "codepoint",
) -> Coding:
    """Apply a code (GUID, name or path in the current codebook) to positions start-end of a
    document, for a coder."""
    _check_offsets(offsets)
    doc = store.qual.find_document(study_id, document)
    cb = store.qual.load_codebook(study_id)
    target = cb.code(code)
    if not target.codable:
        raise ValidationError(f"code '{cb.path(target.guid)}' only groups other codes")
    s, e = _in(doc.text, start, offsets), _in(doc.text, end, offsets)
    doc.check_span(s, e)
    coding = Coding(
        key=new_guid(),
        document=doc.key,
        code=target.guid,
        coder=coder,
        start=s,
        end=e,
        memo=memo,
        created=datetime.now(UTC),
    )
    store.qual.add_codings(study_id, [coding])
    return coding


def add_codings(store: Store, study_id: int, codings: Iterable[Coding]) -> int:
    """Store ready-made codings (all or none); returns how many were new."""
    return store.qual.add_codings(study_id, codings).added


def list_codings(
    store: Store,
    study_id: int,
    *,
    document: str | None = None,
    coder: str | None = None,
    code: str | None = None,
) -> list[Coding]:
    codes = None
    if code is not None:
        codes = [store.qual.load_codebook(study_id).code(code).guid]
    docs = [store.qual.find_document(study_id, document).key] if document else None
    return store.qual.codings(
        study_id, documents=docs, coders=[coder] if coder else None, codes=codes
    )


def set_coding_memo(store: Store, study_id: int, key: str, memo: str) -> None:
    store.qual.update_coding_memo(study_id, key, memo)


@audited("coding.remove", lambda *a, **k: f"coding:{a[2]}")
def remove_coding(store: Store, study_id: int, key: str) -> None:
    if not store.qual.delete_codings(study_id, keys=[key]):
        raise NotFoundError(f"no coding {key} in the study")


def list_coders(store: Store, study_id: int) -> list[str]:
    return store.qual.coders(study_id)


# -- analysis ----------------------------------------------------------------------------------


def agreement(
    store: Store,
    study_id: int,
    coders: Sequence[str],
    *,
    level: str = "character",
    unit: str = "auto",
    documents: Sequence[str] | None = None,
) -> AgreementReport:
    """Agreement of two or more coders on the documents they all coded (or on `documents`):
    percent agreement, Cohen's kappa (two coders) and Krippendorff's alpha, per code and
    pooled, at character or segment level."""
    docs = store.qual.documents(study_id)
    keys = [store.qual.find_document(study_id, d).key for d in documents] if documents else None
    try:
        cb: Codebook | None = store.qual.load_codebook(study_id)
    except NotFoundError:
        cb = None
    labels, _ = _labels(store, study_id)
    report = text_agreement(
        docs,
        store.qual.codings(study_id, coders=coders),
        coders,
        codebook=cb,
        level=level,
        unit=unit,
        document_keys=keys,
    )
    rows = tuple(replace(r, name=labels.get(r.code or "", r.name)) for r in report.rows)
    return replace(report, rows=rows)


@dataclass(frozen=True)
class CodeReport:
    by: str | None
    coders: tuple[str, ...]
    threshold: int
    frequencies: pd.DataFrame
    cooccurrence: pd.DataFrame
    participants_by_site: pd.DataFrame  # suppressed cells are missing (<NA>)
    documents: int
    codings: int

    def to_dict(self) -> dict[str, Any]:
        pbs = self.participants_by_site
        return {
            "by": self.by,
            "coders": list(self.coders),
            "documents": self.documents,
            "codings": self.codings,
            "threshold": self.threshold,
            "frequencies": self.frequencies.to_dict(orient="records"),
            "cooccurrence": {
                "codes": list(self.cooccurrence.index),
                "counts": self.cooccurrence.to_numpy().tolist(),
            },
            "participants_by_site": {
                "codes": list(pbs.index),
                "sites": list(pbs.columns),
                "counts": [
                    [None if pd.isna(v) else int(v) for v in row]
                    for row in pbs.astype(object).to_numpy().tolist()
                ],
                "suppressed_below": self.threshold,
            },
        }


def code_report(
    store: Store,
    study_id: int,
    *,
    by: str | None = None,
    coders: Sequence[str] | None = None,
    threshold: int = 3,
    same_coder: bool = True,
) -> CodeReport:
    """Code frequencies and coverage (overall or by site, profession or participant), code
    co-occurrence, and the code × site table of participants with small numbers suppressed."""
    if by is not None and by not in qa.GROUPS:
        raise ValidationError(f"cannot break down by '{by}' (use {', '.join(qa.GROUPS)})")
    docs = store.qual.documents(study_id)
    items = store.qual.codings(study_id, coders=coders)
    labels, _ = _labels(store, study_id)
    return CodeReport(
        by=by,
        coders=tuple(coders or store.qual.coders(study_id)),
        threshold=threshold,
        frequencies=qa.code_frequencies(
            docs, items, labels=labels, by=by, professions=store.qual.professions(study_id)
        ),
        cooccurrence=qa.cooccurrence(items, labels=labels, same_coder=same_coder),
        participants_by_site=qa.participants_by_site(
            docs, items, labels=labels, threshold=threshold
        ),
        documents=len(docs),
        codings=len(items),
    )


def _local(at: datetime, zone: str | None) -> str:
    try:
        z = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        z = UTC
    return at.astimezone(z).strftime("%Y-%m-%d %H:%M")


def quotes(
    store: Store,
    study_id: int,
    code: str,
    *,
    coders: Sequence[str] | None = None,
    include_subcodes: bool = True,
) -> list[Quote]:
    """The passages coded with a code (and, by default, its sub-codes), in document order,
    each placed in time: a field note at the local time it was written, a subtitle transcript
    at the recording time of its cue."""
    cb = store.qual.load_codebook(study_id)
    target = cb.code(code)
    guids = [target.guid]
    if include_subcodes:
        guids += [c.guid for c in cb.descendants(target.guid)]
    items = store.qual.codings(study_id, codes=guids, coders=coders)
    docs = {d.key: d for d in store.qual.documents(study_id, keys={c.document for c in items})}
    session_tz, site_tz = store.qual.timezones(study_id)
    labels, known = _labels(store, study_id)
    out = []
    for c in items:
        d = docs[c.document]
        when = ""
        media = None
        if d.at is not None:
            when = _local(d.at, session_tz.get(d.session or "") or site_tz.get(d.site or ""))
        cue = d.cue_at(c.start)
        if cue is not None:
            media = cue.start_s
            when = media_time(cue.start_s)
        out.append(
            Quote(
                code=c.code,
                code_name=labels.get(c.code, c.code),
                document=d.key,
                title=d.title,
                kind=d.kind,
                participant=d.participant,
                site=d.site,
                coder=c.coder,
                start=c.start,
                end=c.end,
                text=d.quote(c.span),
                memo=c.memo,
                session=d.session,
                at=d.at,
                when=when,
                media_start_s=media,
                colour=known[c.code].colour if c.code in known else None,
            )
        )
    out.sort(key=lambda q: (q.at or datetime.min.replace(tzinfo=UTC), q.document, q.start))
    return out


@audited("export.quotes")
def export_quotes(
    store: Store,
    study_id: int,
    code: str,
    path: str | Path,
    fmt: str,
    *,
    coders: Sequence[str] | None = None,
    include_subcodes: bool = True,
) -> int:
    """Write the quotes of a code as csv, docx or html; returns how many were written."""
    if fmt not in QUOTE_FORMATS:
        raise ValidationError(f"quote format '{fmt}' is not one of {', '.join(QUOTE_FORMATS)}")
    found = quotes(store, study_id, code, coders=coders, include_subcodes=include_subcodes)
    cb = store.qual.load_codebook(study_id)
    title = f"Quotes: {cb.path(cb.code(code).guid)}"
    write_quotes(found, path, fmt, title=title)
    return len(found)


# -- REFI-QDA ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    codes: int
    documents: int
    codings: int
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "codes": self.codes,
            "documents": self.documents,
            "codings": self.codings,
            "notes": list(self.notes),
        }


_ORIGIN = re.compile(r"^workweave \(codebook (?P<name>.+) v(?P<version>[^ )]+)\)$")


@audited("export.qdpx")
def export_qdpx(
    store: Store, study_id: int, path: str | Path, *, coders: Sequence[str] | None = None
) -> ExportSummary:
    """Write the study's documents, current codebook and codings as a REFI-QDA project
    (.qdpx), checked against the REFI-QDA schema first."""
    study = store.studies.get(study_id)
    cb = store.qual.load_codebook(study_id)
    docs = store.qual.documents(study_id)
    items = store.qual.codings(study_id, coders=coders)
    known = store.qual.known_codes(study_id)
    notes = []
    missing = sorted({c.code for c in items} - {c.guid for c in cb.codes})
    if missing:
        extra = tuple(replace(known[g], parent=None) for g in missing if g in known)
        cb = replace(cb, codes=(*cb.codes, *extra))
        notes.append(
            f"{len(extra)} code(s) used in codings but no longer in the current codebook were "
            "added at its top level"
        )
    project = refiqda.QdaProject(
        name=study.name,
        codebook=cb,
        documents=tuple(docs),
        codings=tuple(items),
        description=study.title if study.title != study.name else "",
    )
    out = refiqda.write_qdpx(project, path, origin=f"workweave (codebook {cb.name} v{cb.version})")
    return ExportSummary(out, len(cb.codes), len(docs), len(items), tuple(notes))


@dataclass(frozen=True)
class ProjectImport:
    report: refiqda.ImportReport
    codebook: Codebook
    codebook_note: str
    documents_added: int
    documents_unchanged: int
    codings_added: int
    codings_unchanged: int
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.report.to_dict(),
            "codebook": {
                "name": self.codebook.name,
                "version": self.codebook.version,
                "codes": len(self.codebook.codes),
                "note": self.codebook_note,
            },
            "documents_added": self.documents_added,
            "documents_unchanged": self.documents_unchanged,
            "codings_added": self.codings_added,
            "codings_unchanged": self.codings_unchanged,
            "warnings": list(self.warnings),
        }


@audited("import.qdpx")
def import_qdpx(store: Store, study_id: int, path: str | Path) -> ProjectImport:
    """Import a REFI-QDA project (.qdpx, or a bare .qde): its codebook (as the study's current
    codebook), text sources as documents and their codings, all in one transaction. Importing
    the same project again changes nothing."""
    project, report = refiqda.read_qdpx(path)
    cb = project.codebook
    m = _ORIGIN.match(report.origin or "")
    if m:
        cb = Codebook(m.group("name"), m.group("version"), cb.description, cb.codes)
    try:
        stored = store.qual.load_codebook(study_id, cb.name)
    except NotFoundError:
        stored = None
    if stored is not None and not cb.description:
        # REFI-QDA carries no codebook description: keep the stored one
        cb = replace(cb, description=stored.description)
    registered = store.qual.participant_codes(study_id)
    warnings = sorted(
        {
            f"participant '{d.participant}' is not registered in the study: kept under that code"
            for d in project.documents
            if d.participant and d.participant not in registered
        }
    )
    docs = [
        replace(d, site=registered[d.participant])
        if d.participant in registered and not d.site
        else d
        for d in project.documents
    ]
    with store.transaction() as conn:
        saved = (
            store.qual.save_codebook(study_id, cb, conn=conn)
            if cb.codes
            else SavedCodebook(cb, False, "no codes")
        )
        dw = store.qual.add_documents(study_id, docs, conn=conn)
        cw = store.qual.add_codings(study_id, project.codings, conn=conn)
    return ProjectImport(
        report=report,
        codebook=saved.codebook,
        codebook_note=saved.note,
        documents_added=dw.added,
        documents_unchanged=dw.unchanged,
        codings_added=cw.added,
        codings_unchanged=cw.unchanged,
        warnings=tuple(warnings),
    )


__all__ = [
    "OFFSETS",
    "AddedDocument",
    "CodeReport",
    "CodingView",
    "DocumentView",
    "ExportSummary",
    "NotesResult",
    "ProjectImport",
    "add_code",
    "add_coding",
    "add_codings",
    "add_document",
    "add_document_file",
    "add_document_text",
    "agreement",
    "code_report",
    "current_codebook",
    "document_view",
    "export_codebook",
    "export_qdpx",
    "export_quotes",
    "get_document",
    "import_qdpx",
    "list_codebooks",
    "list_coders",
    "list_codings",
    "list_documents",
    "load_codebook",
    "notes_to_documents",
    "quotes",
    "remove_code",
    "remove_coding",
    "remove_document",
    "save_codebook",
    "set_coding_memo",
    "update_code",
]
