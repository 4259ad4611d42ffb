"""The qualitative material of a study: documents, versioned codebooks and codings.

Every write is one transaction (or runs on the caller's connection, so an import of a whole
project lands whole or not at all). Documents, codes and codings are keyed on GUIDs, so
writing the same thing again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.qualitative import (
    Code,
    Codebook,
    Coding,
    Cue,
    Document,
    derived_guid,
    normalise_guid,
)
from workweave.domain.time import from_ms, now_ms, to_ms
from workweave.store import schema as S
from workweave.store import schema_qual as Q
from workweave.store.base import Repository, ids_by_code
from workweave.store.batching import chunked

# -- fingerprints ------------------------------------------------------------------------------


def document_fingerprint(doc: Document) -> str:
    data = [
        doc.kind,
        doc.title,
        doc.text,
        doc.participant,
        doc.site,
        doc.session,
        to_ms(doc.at),
        [[c.start_s, c.end_s, c.char_start, c.char_end] for c in doc.cues],
    ]
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def codebook_fingerprint(cb: Codebook) -> str:
    data = [
        cb.name,
        cb.description,
        [
            [c.guid, c.parent, c.name, c.definition, c.inclusion, c.exclusion, c.colour, c.codable]
            for c in cb.codes
        ],
    ]
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# -- documents ---------------------------------------------------------------------------------


@dataclass
class DocumentWrite:
    added: int = 0
    unchanged: int = 0
    updated: int = 0
    keys: list[str] = field(default_factory=list)  # keys of every document written or found


@dataclass(frozen=True)
class DocumentInfo:
    """A document without its text: for lists."""

    key: str
    kind: str
    title: str
    participant: str | None
    site: str | None
    session: str | None
    at: datetime | None
    length: int
    codings: int
    coders: tuple[str, ...]
    source: str | None
    participant_registered: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "participant": self.participant,
            "site": self.site,
            "session": self.session,
            "at": self.at.isoformat() if self.at else None,
            "length": self.length,
            "codings": self.codings,
            "coders": list(self.coders),
            "source": self.source,
            "participant_registered": self.participant_registered,
        }


def _row_to_document(r: Any) -> Document:
    return Document(
        key=r.key,
        kind=r.kind,
        title=r.title,
        text=r.text,
        participant=r.participant_code,
        site=r.site_code,
        session=r.session_key,
        at=from_ms(r.at_ms),
        cues=tuple(Cue(float(a), float(b), int(x), int(y)) for a, b, x, y in json.loads(r.cues)),
        source=r.source,
    )


# -- codebooks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedCodebook:
    codebook: Codebook  # as stored (its version may differ from the one given)
    created: bool  # False: the latest stored version already had this content
    note: str = ""


@dataclass(frozen=True)
class CodebookInfo:
    name: str
    version: str
    codes: int
    created: datetime
    current: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "codes": self.codes,
            "created": self.created.isoformat(),
            "current": self.current,
        }


def _next_version(taken: Iterable[str], wanted: str) -> str:
    taken = set(taken)
    if wanted not in taken:
        return wanted
    numbers = [int(v) for v in taken if v.isdigit()]
    if wanted.isdigit() or numbers:
        n = max([*numbers, int(wanted) if wanted.isdigit() else 0]) + 1
        while str(n) in taken:
            n += 1
        return str(n)
    i = 2
    while f"{wanted}.{i}" in taken:
        i += 1
    return f"{wanted}.{i}"


def _load_codebook_row(c: Connection, codebook_id: int) -> Codebook:
    r = c.execute(select(Q.codebooks).where(Q.codebooks.c.id == codebook_id)).one()
    codes = c.execute(
        select(Q.codes).where(Q.codes.c.codebook_id == codebook_id).order_by(Q.codes.c.position)
    ).all()
    return Codebook(
        name=r.name,
        version=r.version,
        description=r.description,
        codes=tuple(
            Code(
                guid=x.guid,
                name=x.name,
                definition=x.definition,
                inclusion=x.inclusion,
                exclusion=x.exclusion,
                colour=x.colour,
                parent=x.parent_guid,
                codable=bool(x.codable),
            )
            for x in codes
        ),
    )


# -- codings -----------------------------------------------------------------------------------


@dataclass
class CodingWrite:
    added: int = 0
    unchanged: int = 0


# -- the repository ----------------------------------------------------------------------------


class QualitativeRepository(Repository):
    """Documents, codebooks and codings of a study (`store.qual`)."""

    # -- documents ---------------------------------------------------------------------------------
    def add_documents(
        self,
        study_id: int,
        documents: Iterable[Document],
        *,
        update_existing: bool = False,
        conn: Connection | None = None,
    ) -> DocumentWrite:
        """Store documents. The same document again is a no-op. A different document under a
        stored key is refused, unless `update_existing` is set: then its details are updated, and
        its text too when nobody has coded it yet (coded text never changes under its codings)."""
        docs = list(documents)
        out = DocumentWrite()
        if not docs:
            return out
        with self._transaction(conn) as c:
            parts = ids_by_code(c, S.participants, study_id)
            sites = ids_by_code(c, S.sites, study_id)
            part_sites = {
                r.code: r.site_code
                for r in c.execute(
                    select(S.participants.c.code, S.sites.c.code.label("site_code"))
                    .join(S.sites, S.sites.c.id == S.participants.c.site_id)
                    .where(S.participants.c.study_id == study_id)
                )
            }
            sessions = {
                r.key: int(r.id)
                for r in c.execute(
                    select(S.sessions.c.key, S.sessions.c.id).where(
                        S.sessions.c.study_id == study_id,
                        S.sessions.c.key.in_(sorted({d.session for d in docs if d.session})),
                    )
                )
            }
            stored: dict[str, Any] = {}
            for chunk in chunked([d.key for d in docs]):
                for r in c.execute(
                    select(
                        Q.documents.c.id,
                        Q.documents.c.key,
                        Q.documents.c.fingerprint,
                        Q.documents.c.text,
                    ).where(Q.documents.c.study_id == study_id, Q.documents.c.key.in_(chunk))
                ):
                    stored[r.key] = r
            problems: list[Problem] = []
            seen: set[str] = set()
            now = now_ms()
            for d in docs:
                if d.key in seen:
                    problems.append(Problem(f"document {d.key} ('{d.title}') appears twice"))
                    continue
                seen.add(d.key)
                out.keys.append(d.key)
                site = d.site or (part_sites.get(d.participant) if d.participant else None)
                issues = [
                    f"{what} '{value}' is longer than {limit} characters"
                    for what, value, limit in (
                        ("participant", d.participant, 64),
                        ("site", site, 64),
                        ("session", d.session, 200),
                    )
                    if value and len(value) > limit
                ]
                if "\x00" in d.text:
                    issues.append("its text holds a NUL character")
                if issues:
                    problems.append(Problem(f"document '{d.title}': {'; '.join(issues)}"))
                    continue
                values = dict(
                    kind=d.kind,
                    title=d.title,
                    text=d.text,
                    participant_code=d.participant,
                    participant_id=parts.get(d.participant) if d.participant else None,
                    site_code=site,
                    site_id=sites.get(site) if site else None,
                    session_key=d.session,
                    session_id=sessions.get(d.session) if d.session else None,
                    at_ms=to_ms(d.at),
                    cues=json.dumps(
                        [[q.start_s, q.end_s, q.char_start, q.char_end] for q in d.cues]
                    ),
                    source=d.source,
                    fingerprint=document_fingerprint(d),
                )
                row = stored.get(d.key)
                if row is None:
                    c.execute(
                        insert(Q.documents).values(
                            study_id=study_id, key=d.key, created_ms=now, **values
                        )
                    )
                    out.added += 1
                    continue
                if row.fingerprint == values["fingerprint"]:
                    out.unchanged += 1
                    continue
                if not update_existing:
                    problems.append(
                        Problem(
                            f"document '{d.title}' ({d.key}) is already stored "
                            "with different content"
                        )
                    )
                    continue
                if row.text != d.text:
                    n = c.execute(
                        select(func.count())
                        .select_from(Q.codings)
                        .where(Q.codings.c.document_id == row.id)
                    ).scalar_one()
                    if n:
                        problems.append(
                            Problem(
                                f"document '{d.title}' has {n} coding(s): its text cannot change"
                            )
                        )
                        continue
                c.execute(update(Q.documents).where(Q.documents.c.id == row.id).values(**values))
                out.updated += 1
            if problems:
                raise ValidationError(problems)
        return out

    def documents(
        self,
        study_id: int,
        *,
        keys: Iterable[str] | None = None,
        kind: str | None = None,
        participant: str | None = None,
        site: str | None = None,
    ) -> list[Document]:
        """The study's documents (with their text), oldest first, optionally filtered."""
        q = select(Q.documents).where(Q.documents.c.study_id == study_id)
        if keys is not None:
            q = q.where(Q.documents.c.key.in_([normalise_guid(k, "document key") for k in keys]))
        if kind is not None:
            q = q.where(Q.documents.c.kind == kind)
        if participant is not None:
            q = q.where(Q.documents.c.participant_code == participant)
        if site is not None:
            q = q.where(Q.documents.c.site_code == site)
        with self.engine.connect() as c:
            rows = c.execute(q.order_by(Q.documents.c.at_ms, Q.documents.c.id)).all()
        return [_row_to_document(r) for r in rows]

    def document(self, study_id: int, key: str) -> Document:
        found = self.documents(study_id, keys=[key])
        if not found:
            raise NotFoundError(f"no document {key} in the study")
        return found[0]

    def find_document(self, study_id: int, ref: str) -> Document:
        """A document by key, or by its title or source file name when that is unique."""
        if re.fullmatch(r"\{?[0-9a-fA-F-]{36}\}?", ref.strip()):
            return self.document(study_id, ref.strip())
        with self.engine.connect() as c:
            rows = c.execute(
                select(Q.documents).where(
                    Q.documents.c.study_id == study_id,
                    (Q.documents.c.title == ref) | (Q.documents.c.source == ref),
                )
            ).all()
        if len(rows) == 1:
            return _row_to_document(rows[0])
        if not rows:
            raise NotFoundError(f"no document titled '{ref}' in the study")
        raise ValidationError(f"several documents are titled '{ref}': use the document's key")

    def document_infos(
        self, study_id: int, *, kind: str | None = None, participant: str | None = None
    ) -> list[DocumentInfo]:
        """The study's documents without their text, with how many codings each has and by whom."""
        q = (
            select(
                Q.documents.c.id,
                Q.documents.c.key,
                Q.documents.c.kind,
                Q.documents.c.title,
                Q.documents.c.participant_code,
                Q.documents.c.participant_id,
                Q.documents.c.site_code,
                Q.documents.c.session_key,
                Q.documents.c.at_ms,
                Q.documents.c.source,
                func.length(Q.documents.c.text).label("length"),
            )
            .where(Q.documents.c.study_id == study_id)
            .order_by(Q.documents.c.at_ms, Q.documents.c.id)
        )
        if kind is not None:
            q = q.where(Q.documents.c.kind == kind)
        if participant is not None:
            q = q.where(Q.documents.c.participant_code == participant)
        with self.engine.connect() as c:
            rows = c.execute(q).all()
            counts: dict[int, dict[str, int]] = {}
            for r in c.execute(
                select(Q.codings.c.document_id, Q.codings.c.coder, func.count())
                .where(Q.codings.c.study_id == study_id)
                .group_by(Q.codings.c.document_id, Q.codings.c.coder)
            ):
                counts.setdefault(r[0], {})[r[1]] = int(r[2])
        return [
            DocumentInfo(
                key=r.key,
                kind=r.kind,
                title=r.title,
                participant=r.participant_code,
                site=r.site_code,
                session=r.session_key,
                at=from_ms(r.at_ms),
                length=int(r.length or 0),
                codings=sum(counts.get(r.id, {}).values()),
                coders=tuple(sorted(counts.get(r.id, {}))),
                source=r.source,
                participant_registered=r.participant_id is not None,
            )
            for r in rows
        ]

    def delete_document(self, study_id: int, key: str) -> None:
        """Delete a document and its codings."""
        key = normalise_guid(key, "document key")
        with self._transaction() as c:
            n = c.execute(
                delete(Q.documents).where(
                    Q.documents.c.study_id == study_id, Q.documents.c.key == key
                )
            ).rowcount
        if not n:
            raise NotFoundError(f"no document {key} in the study")

    # -- field notes -------------------------------------------------------------------------------
    def note_documents(self, study_id: int) -> list[Document]:
        """One field-note document per note written in the study's sessions, keeping its session
        and the moment it was written. Keys are derived from the session and the note, so the same
        note always gives the same document."""
        q = (
            select(
                S.notes.c.key.label("note_key"),
                S.notes.c.at_ms,
                S.notes.c.text,
                S.sessions.c.key.label("session_key"),
                S.sessions.c.timezone,
                S.participants.c.code.label("participant"),
                S.sites.c.code.label("site"),
            )
            .join(S.sessions, S.sessions.c.id == S.notes.c.session_id)
            .join(S.participants, S.participants.c.id == S.sessions.c.participant_id)
            .join(S.sites, S.sites.c.id == S.sessions.c.site_id)
            .where(S.sessions.c.study_id == study_id)
            .order_by(S.notes.c.at_ms, S.notes.c.id)
        )
        with self.engine.connect() as c:
            rows = c.execute(q).all()
        out = []
        for r in rows:
            if not (r.text or "").strip():
                continue
            if r.note_key:
                key = derived_guid("field-note", r.session_key, r.note_key)
            else:
                digest = hashlib.sha256(r.text.encode("utf-8")).hexdigest()[:16]
                key = derived_guid("field-note", r.session_key, str(r.at_ms), digest)
            at = from_ms(r.at_ms)
            assert at is not None
            local = at.astimezone(ZoneInfo(r.timezone))
            out.append(
                Document(
                    key=key,
                    kind="field-note",
                    title=f"Field note {r.participant} {local:%Y-%m-%d %H:%M}",
                    text=r.text,
                    participant=r.participant,
                    site=r.site,
                    session=r.session_key,
                    at=at,
                )
            )
        return out

    def add_note_documents(self, study_id: int) -> DocumentWrite:
        """Turn the study's session notes into field-note documents (notes already turned into
        documents are left as they are)."""
        docs = self.note_documents(study_id)
        with self._transaction() as c:
            existing = {
                r[0]
                for r in c.execute(
                    select(Q.documents.c.key).where(
                        Q.documents.c.study_id == study_id, Q.documents.c.kind == "field-note"
                    )
                )
            }
            new = [d for d in docs if d.key not in existing]
            out = self.add_documents(study_id, new, conn=c)
        out.unchanged += len(docs) - len(new)
        return out

    # -- codebooks ---------------------------------------------------------------------------------
    def save_codebook(
        self, study_id: int, codebook: Codebook, *, conn: Connection | None = None
    ) -> SavedCodebook:
        """Store a codebook as the study's current one, as a new version when its content differs
        from the latest stored version of the same name (the same content again changes nothing).
        A version number already taken by different content moves on to the next free one."""
        if len(codebook.name) > 200 or len(codebook.version) > 40:
            raise ValidationError(
                "a codebook's name can be at most 200 characters, its version at most 40"
            )
        fp = codebook_fingerprint(codebook)
        with self._transaction(conn) as c:
            rows = c.execute(
                select(Q.codebooks.c.id, Q.codebooks.c.version, Q.codebooks.c.fingerprint)
                .where(Q.codebooks.c.study_id == study_id, Q.codebooks.c.name == codebook.name)
                .order_by(Q.codebooks.c.id)
            ).all()
            if rows and rows[-1].fingerprint == fp:
                latest = _load_codebook_row(c, rows[-1].id)
                # saving again makes it current again (the most recently saved codebook)
                c.execute(
                    update(Q.codebooks)
                    .where(Q.codebooks.c.id == rows[-1].id)
                    .values(created_ms=now_ms())
                )
                return SavedCodebook(latest, created=False, note="unchanged")
            version = _next_version((r.version for r in rows), codebook.version)
            note = ""
            if version != codebook.version:
                note = (
                    f"version {codebook.version} is already stored with other content: "
                    f"stored as version {version}"
                )
            stored = Codebook(codebook.name, version, codebook.description, codebook.codes)
            cid = c.execute(
                insert(Q.codebooks).values(
                    study_id=study_id,
                    name=stored.name,
                    version=stored.version,
                    description=stored.description,
                    fingerprint=fp,
                    created_ms=now_ms(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            if stored.codes:
                c.execute(
                    insert(Q.codes),
                    [
                        dict(
                            codebook_id=cid,
                            guid=code.guid,
                            parent_guid=code.parent,
                            position=i,
                            name=code.name,
                            definition=code.definition,
                            inclusion=code.inclusion,
                            exclusion=code.exclusion,
                            colour=code.colour,
                            codable=code.codable,
                        )
                        for i, code in enumerate(stored.codes)
                    ],
                )
        return SavedCodebook(stored, created=True, note=note)

    def load_codebook(
        self, study_id: int, name: str | None = None, version: str | None = None
    ) -> Codebook:
        """The study's current codebook (the one saved last), or the latest version of the named
        codebook, or that exact version."""
        q = select(Q.codebooks.c.id).where(Q.codebooks.c.study_id == study_id)
        if name is not None:
            q = q.where(Q.codebooks.c.name == name)
        if version is not None:
            q = q.where(Q.codebooks.c.version == str(version))
        with self.engine.connect() as c:
            row = c.execute(
                q.order_by(Q.codebooks.c.created_ms.desc(), Q.codebooks.c.id.desc())
            ).first()
            if row is None:
                what = f" '{name}'" + (f" version {version}" if version else "") if name else ""
                raise NotFoundError(
                    f"no codebook{what} in the study (load one: 'workweave codebook load "
                    "clinician-manager-themes')"
                )
            return _load_codebook_row(c, row.id)

    def codebook_versions(self, study_id: int) -> list[CodebookInfo]:
        with self.engine.connect() as c:
            rows = c.execute(
                select(
                    Q.codebooks.c.id,
                    Q.codebooks.c.name,
                    Q.codebooks.c.version,
                    Q.codebooks.c.created_ms,
                    func.count(Q.codes.c.id).label("n"),
                )
                .outerjoin(Q.codes, Q.codes.c.codebook_id == Q.codebooks.c.id)
                .where(Q.codebooks.c.study_id == study_id)
                .group_by(
                    Q.codebooks.c.id,
                    Q.codebooks.c.name,
                    Q.codebooks.c.version,
                    Q.codebooks.c.created_ms,
                )
                .order_by(Q.codebooks.c.name, Q.codebooks.c.id)
            ).all()
        current = max(rows, key=lambda r: (r.created_ms, r.id)).id if rows else None
        return [
            CodebookInfo(r.name, r.version, int(r.n), from_ms(r.created_ms), r.id == current)  # type: ignore[arg-type]
            for r in rows
        ]

    def known_codes(self, study_id: int) -> dict[str, Code]:
        """Every code GUID in any of the study's codebooks, with its latest definition."""
        with self.engine.connect() as c:
            rows = c.execute(
                select(Q.codes)
                .join(Q.codebooks, Q.codebooks.c.id == Q.codes.c.codebook_id)
                .where(Q.codebooks.c.study_id == study_id)
                .order_by(Q.codebooks.c.created_ms, Q.codebooks.c.id, Q.codes.c.position)
            ).all()
        out: dict[str, Code] = {}
        for x in rows:
            out[x.guid] = Code(
                guid=x.guid,
                name=x.name,
                definition=x.definition,
                inclusion=x.inclusion,
                exclusion=x.exclusion,
                colour=x.colour,
                parent=x.parent_guid,
                codable=bool(x.codable),
            )
        return out

    # -- codings -----------------------------------------------------------------------------------
    def add_codings(
        self,
        study_id: int,
        codings: Iterable[Coding],
        *,
        conn: Connection | None = None,
    ) -> CodingWrite:
        """Store codings, checked against their documents (span inside the text) and the study's
        codebooks (the code exists). A coding already stored unchanged is skipped; a different
        coding under a stored key is refused."""
        items = list(codings)
        out = CodingWrite()
        if not items:
            return out
        with self._transaction(conn) as c:
            doc_rows = {}
            for chunk in chunked(sorted({x.document for x in items})):
                for r in c.execute(
                    select(
                        Q.documents.c.id,
                        Q.documents.c.key,
                        Q.documents.c.title,
                        func.length(Q.documents.c.text).label("length"),
                    ).where(Q.documents.c.study_id == study_id, Q.documents.c.key.in_(chunk))
                ):
                    doc_rows[r.key] = r
            codes = {
                r[0]
                for r in c.execute(
                    select(Q.codes.c.guid)
                    .join(Q.codebooks, Q.codebooks.c.id == Q.codes.c.codebook_id)
                    .where(Q.codebooks.c.study_id == study_id)
                )
            }
            stored = {}
            for chunk in chunked([x.key for x in items]):
                for r in c.execute(
                    select(Q.codings, Q.documents.c.key.label("doc_key"))
                    .join(Q.documents, Q.documents.c.id == Q.codings.c.document_id)
                    .where(Q.codings.c.study_id == study_id, Q.codings.c.key.in_(chunk))
                ):
                    stored[r.key] = r
            problems: list[Problem] = []
            rows = []
            seen: set[str] = set()
            for x in items:
                d = doc_rows.get(x.document)
                if d is None:
                    problems.append(
                        Problem(f"coding {x.key}: no document {x.document} in the study")
                    )
                    continue
                # SQLite's length() counts code points, like Python; PostgreSQL's too.
                if x.end > d.length:
                    problems.append(
                        Problem(
                            f"coding {x.start}-{x.end} runs past the end of '{d.title}' "
                            f"({d.length} characters)"
                        )
                    )
                    continue
                if x.code not in codes:
                    problems.append(Problem(f"coding {x.key}: code {x.code} is in no codebook"))
                    continue
                if x.key in seen:
                    problems.append(Problem(f"coding {x.key} appears twice"))
                    continue
                seen.add(x.key)
                old = stored.get(x.key)
                if old is not None:
                    same = (
                        old.doc_key == x.document
                        and old.code_guid == x.code
                        and old.coder == x.coder
                        and (old.start_pos, old.end_pos) == (x.start, x.end)
                        and old.memo == x.memo
                    )
                    if same:
                        out.unchanged += 1
                    else:
                        problems.append(
                            Problem(f"coding {x.key} is already stored with other content")
                        )
                    continue
                rows.append(
                    dict(
                        study_id=study_id,
                        document_id=d.id,
                        key=x.key,
                        code_guid=x.code,
                        coder=x.coder,
                        start_pos=x.start,
                        end_pos=x.end,
                        memo=x.memo,
                        created_ms=to_ms(x.created) if x.created else now_ms(),
                    )
                )
            if problems:
                raise ValidationError(problems)
            if rows:
                c.execute(insert(Q.codings), rows)
            out.added = len(rows)
        return out

    def codings(
        self,
        study_id: int,
        *,
        documents: Iterable[str] | None = None,
        coders: Iterable[str] | None = None,
        codes: Iterable[str] | None = None,
    ) -> list[Coding]:
        """The study's codings, optionally only of some documents, coders or codes (GUIDs)."""
        q = (
            select(Q.codings, Q.documents.c.key.label("doc_key"))
            .join(Q.documents, Q.documents.c.id == Q.codings.c.document_id)
            .where(Q.codings.c.study_id == study_id)
        )
        if documents is not None:
            q = q.where(
                Q.documents.c.key.in_([normalise_guid(k, "document key") for k in documents])
            )
        if coders is not None:
            q = q.where(Q.codings.c.coder.in_(list(coders)))
        if codes is not None:
            q = q.where(Q.codings.c.code_guid.in_([normalise_guid(k, "code GUID") for k in codes]))
        with self.engine.connect() as c:
            rows = c.execute(
                q.order_by(Q.codings.c.document_id, Q.codings.c.start_pos, Q.codings.c.id)
            ).all()
        return [
            Coding(
                key=r.key,
                document=r.doc_key,
                code=r.code_guid,
                coder=r.coder,
                start=r.start_pos,
                end=r.end_pos,
                memo=r.memo,
                created=from_ms(r.created_ms),
            )
            for r in rows
        ]

    def update_coding_memo(self, study_id: int, key: str, memo: str) -> None:
        key = normalise_guid(key, "coding key")
        with self._transaction() as c:
            n = c.execute(
                update(Q.codings)
                .where(Q.codings.c.study_id == study_id, Q.codings.c.key == key)
                .values(memo=memo)
            ).rowcount
        if not n:
            raise NotFoundError(f"no coding {key} in the study")

    def delete_codings(
        self,
        study_id: int,
        *,
        keys: Iterable[str] | None = None,
        coder: str | None = None,
        document: str | None = None,
    ) -> int:
        """Delete codings by key, or all of a coder's (optionally in one document); returns how
        many were deleted. Without any filter nothing is deleted."""
        conds = [Q.codings.c.study_id == study_id]
        if keys is not None:
            conds.append(Q.codings.c.key.in_([normalise_guid(k, "coding key") for k in keys]))
        if coder is not None:
            conds.append(Q.codings.c.coder == coder)
        if document is not None:
            doc_key = normalise_guid(document, "document key")
            conds.append(
                Q.codings.c.document_id.in_(
                    select(Q.documents.c.id).where(
                        Q.documents.c.study_id == study_id, Q.documents.c.key == doc_key
                    )
                )
            )
        if len(conds) == 1:
            return 0
        with self._transaction() as c:
            return int(c.execute(delete(Q.codings).where(and_(*conds))).rowcount or 0)

    # -- coders, and the study as the qualitative views need it ------------------------------------
    def coders(self, study_id: int) -> list[str]:
        with self.engine.connect() as c:
            return sorted(
                c.execute(
                    select(Q.codings.c.coder).where(Q.codings.c.study_id == study_id).distinct()
                ).scalars()
            )

    def professions(self, study_id: int) -> dict[str, str]:
        """Participant code -> profession, for the study's registered participants."""
        with self.engine.connect() as c:
            return {
                r.code: r.profession
                for r in c.execute(
                    select(S.participants.c.code, S.participants.c.profession).where(
                        S.participants.c.study_id == study_id
                    )
                )
            }

    def timezones(self, study_id: int) -> tuple[dict[str, str], dict[str, str]]:
        """(session key -> time zone, site code -> time zone) of the study."""
        with self.engine.connect() as c:
            sessions = {
                r.key: r.timezone
                for r in c.execute(
                    select(S.sessions.c.key, S.sessions.c.timezone).where(
                        S.sessions.c.study_id == study_id
                    )
                )
            }
            sites = {
                r.code: r.timezone
                for r in c.execute(
                    select(S.sites.c.code, S.sites.c.timezone).where(S.sites.c.study_id == study_id)
                )
            }
        return sessions, sites

    def participant_codes(self, study_id: int) -> dict[str, str]:
        """Registered participant code -> their site's code."""
        with self.engine.connect() as c:
            return {
                r.code: r.site_code
                for r in c.execute(
                    select(S.participants.c.code, S.sites.c.code.label("site_code"))
                    .join(S.sites, S.sites.c.id == S.participants.c.site_id)
                    .where(S.participants.c.study_id == study_id)
                )
            }


__all__ = [
    "CodebookInfo",
    "CodingWrite",
    "DocumentInfo",
    "DocumentWrite",
    "QualitativeRepository",
    "SavedCodebook",
    "codebook_fingerprint",
    "document_fingerprint",
]
