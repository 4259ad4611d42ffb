"""Qualitative pages: the study's documents, the coding page of one document, and the code
analysis with quote downloads. Coders are the study's researchers (and admins); a coding is
recorded under the signed-in user's name. Everything is done by the qualitative service
(``workweave.services.qualitative``); positions from the browser are UTF-16 code units."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.qualitative import DOCUMENT_KINDS, Codebook, Document
from workweave.io.codebooks import DEFAULT_CODEBOOK
from workweave.io.quotes import QUOTE_FORMATS
from workweave.services import audit, privacy
from workweave.services import qualitative as qual
from workweave.web.auth import AuthError, RequireStudy, StudyPrincipal, store_of
from workweave.web.forms import read_form
from workweave.web.templating import flash, render

router = APIRouter(include_in_schema=False)

MANAGE = RequireStudy("admin", "researcher")
Who = Annotated[StudyPrincipal, Depends(MANAGE)]

ALL_CODERS = "*"
UPLOAD_TYPES = (".txt", ".md", ".docx", ".vtt", ".srt")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
BREAKDOWNS = ("site", "profession", "participant")


def _q(text: str) -> str:
    return quote(text, safe="")


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _wants_json(request: Request) -> bool:
    ctype = request.headers.get("content-type", "")
    return ctype.startswith("application/json") or "application/json" in request.headers.get(
        "accept", ""
    )


async def _payload(request: Request) -> dict[str, Any]:
    """The fields of a JSON body or of a form (without the CSRF field)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise ValidationError("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ValidationError("the request body must be a JSON object")
        return body
    form = await read_form(request)
    return {k: v for k, v in form.items() if k != "csrf_token"}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a whole number") from None


def _newlines(text: str) -> str:
    """Text as a browser shows it: line ends as '\\n' (forms send '\\r\\n')."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _codebook(request: Request, sid: int) -> Codebook | None:
    try:
        return qual.current_codebook(store_of(request), sid)
    except NotFoundError:
        return None


def iso_moment(at: datetime | None) -> str:
    """A moment as the anchor the session page gives it (UTC, to the second)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if at else ""


# -- documents ----------------------------------------------------------------------------------


@router.get("/studies/{study}/documents")
def documents_page(
    request: Request,
    study: str,
    who: Who,
    participant: str = "",
    site: str = "",
    kind: str = "",
) -> Response:
    """The study's documents (filtered by participant, site and kind), with forms to add one."""
    sid = who.study_id
    store = store_of(request)
    every = qual.list_documents(store, sid)
    rows = [
        d
        for d in every
        if (not participant or d.participant == participant)
        and (not site or d.site == site)
        and (not kind or d.kind == kind)
    ]
    return render(
        request,
        "qual_documents.html",
        who,
        documents=rows,
        total=len(every),
        participants=sorted({d.participant for d in every if d.participant}),
        sites=sorted({d.site for d in every if d.site}),
        kinds=DOCUMENT_KINDS,
        chosen={"participant": participant, "site": site, "kind": kind},
        has_codebook=_codebook(request, sid) is not None,
        starter=DEFAULT_CODEBOOK,
        upload_types=", ".join(UPLOAD_TYPES),
    )


def _upload_name(upload: UploadFile) -> str:
    name = Path(upload.filename or "transcript.txt").name
    stem, ext = Path(name).stem, Path(name).suffix.lower()
    if ext not in UPLOAD_TYPES:
        raise ValidationError(
            f"a transcript file must be one of {', '.join(UPLOAD_TYPES)}, not '{ext or name}'"
        )
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "transcript"
    return stem + ext


@router.post("/studies/{study}/documents")
async def add_document(request: Request, study: str, who: Who) -> Response:
    """Add a transcript from pasted text or an uploaded file."""
    sid = who.study_id
    store = store_of(request)
    form = await read_form(request)
    participant = _text(form.get("participant")) or None
    site = _text(form.get("site")) or None
    kind = _text(form.get("kind")) or "transcript"
    title = _text(form.get("title"))
    upload = form.get("file")
    back = f"/studies/{_q(study)}/documents"
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            if participant is None:
                raise ValidationError("give the participant code the transcript belongs to")
            name = _upload_name(upload)
            data = await upload.read()
            with tempfile.TemporaryDirectory(prefix="workweave-upload-") as tmp:
                path = Path(tmp) / name
                path.write_bytes(data)
                added = qual.add_document_file(
                    store,
                    sid,
                    path,
                    participant=participant,
                    site=site,
                    kind=kind,
                    title=title or None,
                )
        else:
            text = form.get("text")
            added = qual.add_document_text(
                store,
                sid,
                _newlines(text if isinstance(text, str) else ""),
                title=title or "untitled",
                participant=participant,
                site=site,
                kind=kind,
            )
    except (ValidationError, NotFoundError) as exc:
        flash(request, str(exc), "error")
        return _back(back)
    for warning in added.warnings:
        flash(request, warning, "warn")
    verb = "added" if added.created else "already there"
    flash(request, f"Document '{added.document.title}' {verb}.")
    return _back(f"{back}/{_q(added.document.key)}")


@router.post("/studies/{study}/documents/notes")
def notes_to_documents(request: Request, study: str, who: Who) -> Response:
    """Turn the sessions' field notes into field-note documents."""
    res = qual.notes_to_documents(store_of(request), who.study_id)
    flash(request, f"Field notes: {res.added} new document(s), {res.unchanged} already there.")
    return _back(f"/studies/{_q(study)}/documents?kind=field-note")


@router.post("/studies/{study}/codebook/starter")
def load_starter_codebook(request: Request, study: str, who: Who) -> Response:
    """Load the built-in starter codebook (when the study has none yet)."""
    sid = who.study_id
    if _codebook(request, sid) is not None:
        flash(request, "The study already has a codebook.", "warn")
    else:
        saved = qual.load_codebook(store_of(request), sid, DEFAULT_CODEBOOK)
        cb = saved.codebook
        flash(request, f"Codebook '{cb.name}' version {cb.version} loaded ({len(cb.codes)} codes).")
    return _back(f"/studies/{_q(study)}/documents")


# -- the coding page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of the document's text covered by the same codings."""

    text: str
    codings: tuple[qual.CodingView, ...]
    starts: tuple[qual.CodingView, ...]  # codings that begin here (labelled)

    @property
    def colour(self) -> str | None:
        for c in self.codings:
            if c.colour:
                return c.colour
        return None

    @property
    def names(self) -> str:
        return ", ".join(dict.fromkeys(c.code_name for c in self.codings))

    @property
    def keys(self) -> str:
        return " ".join(c.coding.key for c in self.codings)


def pieces(text: str, codings: tuple[qual.CodingView, ...]) -> list[Piece]:
    """The text cut at every coding's start and end (code-point positions)."""
    cuts = {0, len(text)}
    for c in codings:
        cuts.update((c.coding.start, c.coding.end))
    bounds = sorted(p for p in cuts if 0 <= p <= len(text))
    out = []
    for a, b in pairwise(bounds):
        covering = tuple(c for c in codings if c.coding.start <= a and c.coding.end >= b)
        starts = tuple(c for c in covering if c.coding.start == a)
        out.append(Piece(text[a:b], covering, starts))
    return out


@dataclass(frozen=True)
class CodeNode:
    guid: str
    name: str
    path: str
    colour: str | None
    codable: bool
    definition: str
    depth: int


def code_tree(cb: Codebook | None) -> list[CodeNode]:
    if cb is None:
        return []
    out = []
    for c in cb.walk():
        path = cb.path(c.guid)
        out.append(
            CodeNode(c.guid, c.name, path, c.colour, c.codable, c.definition, path.count("/"))
        )
    return out


def _session_link(study: str, doc: Document) -> str | None:
    if doc.kind != "field-note" or not doc.session:
        return None
    anchor = f"#t={iso_moment(doc.at)}" if doc.at else ""
    return f"/studies/{_q(study)}/sessions/{_q(doc.session)}{anchor}"


@router.get("/studies/{study}/documents/{key}")
def document_page(request: Request, study: str, key: str, who: Who, coder: str = "") -> Response:
    """One document to code: its text with codings highlighted, the codebook, the codings."""
    sid = who.study_id
    store = store_of(request)
    me = who.user.name
    shown = coder or me
    view = qual.document_view(
        store, sid, key, offsets="utf16", coder=None if shown == ALL_CODERS else shown
    )
    doc = view.document
    audit.record(store, "document.view", study=who.study, target=f"document:{doc.key}")
    cb = _codebook(request, sid)
    # the highlights use code-point positions; the codings list, UTF-16 (as the browser)
    raw = qual.document_view(
        store, sid, doc.key, offsets="codepoint", coder=None if shown == ALL_CODERS else shown
    )
    by_key = {c.coding.key: c for c in view.codings}
    return render(
        request,
        "qual_document.html",
        who,
        doc=doc,
        pieces=pieces(doc.text, raw.codings),
        codings=[(c, doc.text[c.coding.start : c.coding.end]) for c in raw.codings],
        utf16={k: (c.start, c.end) for k, c in by_key.items()},
        codes=code_tree(cb),
        codebook=cb,
        coders=sorted({*qual.list_coders(store, sid), me}),
        shown=shown,
        me=me,
        all_coders=ALL_CODERS,
        session_link=_session_link(study, doc),
        starter=DEFAULT_CODEBOOK,
    )


def _done(request: Request, study: str, key: str, body: dict[str, Any], message: str) -> Response:
    if _wants_json(request):
        return JSONResponse(body)
    flash(request, message)
    return _back(f"/studies/{_q(study)}/documents/{_q(key)}")


def _failed(request: Request, study: str, key: str, exc: Exception) -> Response:
    status = 404 if isinstance(exc, NotFoundError) else 400
    if _wants_json(request):
        return JSONResponse({"detail": str(exc)}, status_code=status)
    flash(request, str(exc), "error")
    return _back(f"/studies/{_q(study)}/documents/{_q(key)}")


@router.post("/studies/{study}/documents/{key}/codings")
async def add_coding(request: Request, study: str, key: str, who: Who) -> Response:
    """Apply a code to a span (UTF-16 positions, as a browser's selection counts them)."""
    sid = who.study_id
    store = store_of(request)
    try:
        data = await _payload(request)
        code = _text(data.get("code"))
        if not code:
            raise ValidationError("choose a code")
        coding = qual.add_coding(
            store,
            sid,
            document=key,
            code=code,
            start=_int(data.get("start"), "start"),
            end=_int(data.get("end"), "end"),
            coder=who.user.name,
            memo=_text(data.get("memo")),
            offsets="utf16",
        )
    except (ValidationError, NotFoundError) as exc:
        return _failed(request, study, key, exc)
    view = qual.document_view(store, sid, key, offsets="utf16", coder=who.user.name)
    shown = next((c.to_dict() for c in view.codings if c.coding.key == coding.key), {})
    return _done(request, study, key, {"coding": shown}, f"Coded as {shown.get('code_name')}.")


def _own_coding(request: Request, who: StudyPrincipal, key: str, coding: str) -> None:
    """A coder changes only their own codings unless the study lets coders edit others'."""
    if not privacy.may_change_coding(store_of(request), who.study_id, key, coding, who.user.name):
        raise AuthError(
            403,
            "this coding is another coder's: coders change only their own unless the study "
            "lets them edit each other's (privacy settings)",
        )


@router.post("/studies/{study}/documents/{key}/codings/{coding}/delete")
async def delete_coding(request: Request, study: str, key: str, coding: str, who: Who) -> Response:
    sid = who.study_id
    try:
        qual.document_view(store_of(request), sid, key)  # the document must exist
        _own_coding(request, who, key, coding)
        qual.remove_coding(store_of(request), sid, coding)
    except (ValidationError, NotFoundError) as exc:
        return _failed(request, study, key, exc)
    return _done(request, study, key, {"deleted": coding}, "Coding removed.")


@router.post("/studies/{study}/documents/{key}/codings/{coding}/memo")
async def coding_memo(request: Request, study: str, key: str, coding: str, who: Who) -> Response:
    sid = who.study_id
    try:
        data = await _payload(request)
        memo = data.get("memo", "")
        if not isinstance(memo, str):
            raise ValidationError("a memo must be text")
        qual.document_view(store_of(request), sid, key)
        _own_coding(request, who, key, coding)
        qual.set_coding_memo(store_of(request), sid, coding, _newlines(memo).strip())
    except (ValidationError, NotFoundError) as exc:
        return _failed(request, study, key, exc)
    return _done(request, study, key, {"coding": coding, "memo": memo}, "Memo saved.")


# -- code analysis ------------------------------------------------------------------------------


def _suppressed_rows(report: qual.CodeReport) -> list[tuple[str, list[int | None]]]:
    pbs = report.participants_by_site
    rows = []
    for name, row in zip(pbs.index, pbs.astype(object).to_numpy().tolist(), strict=False):
        rows.append((str(name), [None if pd.isna(v) else int(v) for v in row]))
    return rows


@router.get("/studies/{study}/codes")
def codes_page(
    request: Request,
    study: str,
    who: Who,
    by: str = "",
    coder: str = "",
    threshold: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> Response:
    """Code frequencies and coverage, co-occurrence and the code × site participant table.
    The small-number threshold is the study's unless a higher one is asked for."""
    sid = who.study_id
    store = store_of(request)
    threshold, raised = privacy.threshold(store, sid, threshold)
    if raised:
        flash(request, raised, "warn")
    problem = None
    report = None
    try:
        report = qual.code_report(
            store,
            sid,
            by=by or None,
            coders=[coder] if coder else None,
            threshold=threshold,
        )
    except (ValidationError, NotFoundError) as exc:
        problem = str(exc)
    cb = _codebook(request, sid)
    guid_of = {}
    if cb is not None:
        guid_of = {cb.path(c.guid): c.guid for c in cb.codes}
    return render(
        request,
        "qual_codes.html",
        who,
        report=report,
        frequencies=report.frequencies.to_dict("records") if report is not None else [],
        cooccurrence=report.cooccurrence if report is not None else None,
        site_rows=_suppressed_rows(report) if report is not None else [],
        sites=list(report.participants_by_site.columns) if report is not None else [],
        problem=problem,
        by=by,
        breakdowns=BREAKDOWNS,
        coder=coder,
        coders=qual.list_coders(store, sid),
        threshold=threshold,
        formats=QUOTE_FORMATS,
        guid_of=guid_of,
        has_codebook=cb is not None,
    )


@router.get("/studies/{study}/codes/quotes")
def quote_export(
    request: Request,
    study: str,
    who: Who,
    code: str = "",
    format: str = "csv",
    coder: str = "",
) -> Response:
    """The quotes of a code (and its sub-codes) as a csv, docx or html download."""
    sid = who.study_id
    if not code:
        raise ValidationError("choose a code to export the quotes of")
    if format not in QUOTE_FORMATS:
        raise ValidationError(f"quote format '{format}' is not one of {', '.join(QUOTE_FORMATS)}")
    with tempfile.TemporaryDirectory(prefix="workweave-quotes-") as tmp:
        path = Path(tmp) / f"quotes.{format}"
        qual.export_quotes(
            store_of(request), sid, code, path, format, coders=[coder] if coder else None
        )
        data = path.read_bytes()
    name = re.sub(r"[^\w.-]+", "_", code).strip("._") or "code"
    return Response(
        data,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="quotes-{name}.{format}"'},
    )


# -- for the session page -----------------------------------------------------------------------


@dataclass(frozen=True)
class CodedNote:
    key: str
    anchor: str
    clock: str  # local time of the note, as the timeline shows it
    text: str
    codes: tuple[str, ...]


def coded_notes(
    request: Request, study_id: int, session_key: str, zone: str | None = None
) -> list[CodedNote]:
    """The session's field-note documents with the names of the codes applied to them."""
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    store = store_of(request)
    out = []
    for info in qual.list_documents(store, study_id, kind="field-note"):
        if info.session != session_key:
            continue
        view = qual.document_view(store, study_id, info.key)
        names = tuple(dict.fromkeys(c.code_name for c in view.codings))
        out.append(
            CodedNote(
                info.key,
                iso_moment(info.at),
                info.at.astimezone(tz).strftime("%H:%M:%S") if info.at else "",
                view.document.text[:120],
                names,
            )
        )
    return out
