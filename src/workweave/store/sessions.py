"""Observation sessions: domain sessions in, domain sessions out.

A session is written with its tasks, dimension values, suspensions, parallel links, point
events and notes, on the caller's connection (an import lands whole or not at all). Sessions
are keyed on their key within the study (for imports, the source's own id), and carry a
fingerprint of their content, so writing the same session again changes nothing, and writing a
different session under an existing key is refused unless the caller asks to replace it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.observation import (
    OBSERVER_ROLES,
    Note,
    ParallelLink,
    PointEvent,
    Session,
    Suspension,
    Task,
)
from workweave.domain.time import from_ms, to_ms
from workweave.store import schema as S
from workweave.store.base import Repository, ids_by_code
from workweave.store.batching import chunked


@dataclass
class WriteCounts:
    sessions_added: int = 0
    sessions_unchanged: int = 0
    sessions_replaced: int = 0
    tasks_added: int = 0
    roles_set: int = 0  # unchanged sessions whose observer role the write set or changed

    def __iadd__(self, other: WriteCounts) -> WriteCounts:
        self.sessions_added += other.sessions_added
        self.sessions_unchanged += other.sessions_unchanged
        self.sessions_replaced += other.sessions_replaced
        self.tasks_added += other.tasks_added
        self.roles_set += other.roles_set
        return self


def fingerprint(session: Session) -> str:
    """A stable hash of everything a session records (not of where it is stored, nor of the
    observer's role, an annotation a researcher may set or change after the import)."""

    data = [
        session.key,
        session.participant,
        session.site,
        session.observer,
        session.mode,
        to_ms(session.start),
        to_ms(session.end),
        session.complete,
        session.timezone,
        session.template,
        session.source,
        session.source_id,
        session.clock_skew_seconds,
        list(session.attributes),
        [
            [
                t.key,
                t.seq,
                t.category,
                t.subcategory,
                to_ms(t.start),
                to_ms(t.end),
                t.ended_by,
                [[d, list(v)] for d, v in t.dimensions],
                [[p.other, to_ms(p.start), to_ms(p.end)] for p in t.parallel],
                [[s.by, to_ms(s.start), to_ms(s.end)] for s in t.suspensions],
            ]
            for t in session.tasks
        ],
        [[e.key, e.kind, e.subtype, to_ms(e.at)] for e in session.events],
        [[n.key, to_ms(n.at), n.text] for n in session.notes],
    ]
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class SessionRepository(Repository):
    """The observation sessions of a study (`store.sessions`)."""

    def write(
        self,
        study_id: int,
        sessions: Iterable[Session],
        conn: Connection,
        *,
        replace: bool = False,
    ) -> WriteCounts:
        """Write sessions with their tasks, links, events and notes on `conn`.

        Sessions already stored with the same content are skipped (idempotent). A different
        session under a stored key is a conflict: refused, or replaced when `replace` is set.
        """
        sessions = list(sessions)
        counts = WriteCounts()
        if not sessions:
            return counts
        parts = ids_by_code(conn, S.participants, study_id)
        sites = ids_by_code(conn, S.sites, study_id)
        observers = ids_by_code(conn, S.observers, study_id)
        tmpl = {
            f"{r.name}@{r.version}": r.id
            for r in conn.execute(
                select(S.templates.c.id, S.templates.c.name, S.templates.c.version)
            )
        }
        keys = [s.key for s in sessions]
        stored: dict[str, tuple[int, str]] = {}
        stored_roles: dict[str, str | None] = {}
        for chunk in chunked(keys):
            for r in conn.execute(
                select(
                    S.sessions.c.id,
                    S.sessions.c.key,
                    S.sessions.c.fingerprint,
                    S.sessions.c.observer_role,
                ).where(S.sessions.c.study_id == study_id, S.sessions.c.key.in_(chunk))
            ):
                stored[r.key] = (r.id, r.fingerprint)
                stored_roles[r.key] = r.observer_role
        problems: list[Problem] = []
        rows: list[dict[str, Any]] = []
        todo: list[Session] = []
        carried: dict[str, str | None] = {}  # a replaced session keeps its stored role
        for s in sessions:
            fp = fingerprint(s)
            if s.key in stored:
                sid, old = stored[s.key]
                if old == fp:
                    counts.sessions_unchanged += 1
                    # the role is an annotation outside the fingerprint: a write that names
                    # one sets it on the stored session
                    if s.observer_role is not None and s.observer_role != stored_roles[s.key]:
                        conn.execute(
                            update(S.sessions)
                            .where(S.sessions.c.id == sid)
                            .values(observer_role=s.observer_role)
                        )
                        counts.roles_set += 1
                    continue
                if not replace:
                    problems.append(
                        Problem(
                            f"session {s.source_id or s.key} is already stored with different "
                            "content (use --replace to overwrite it)",
                            s.source,
                        )
                    )
                    continue
                conn.execute(delete(S.sessions).where(S.sessions.c.id == sid))
                counts.sessions_replaced += 1
                carried[s.key] = stored_roles[s.key]
            else:
                counts.sessions_added += 1
            for what, code, known in (
                ("participant", s.participant, parts),
                ("site", s.site, sites),
            ):
                if code not in known:
                    problems.append(Problem(f"session {s.key}: no {what} '{code}' in the study"))
            if s.observer is not None and s.observer not in observers:
                problems.append(
                    Problem(f"session {s.key}: no observer '{s.observer}' in the study")
                )
            if s.template is not None and s.template not in tmpl:
                problems.append(Problem(f"session {s.key}: no template '{s.template}' stored"))
            if problems:
                continue
            rows.append(
                dict(
                    study_id=study_id,
                    key=s.key,
                    participant_id=parts[s.participant],
                    site_id=sites[s.site],
                    observer_id=observers.get(s.observer) if s.observer else None,
                    template_id=tmpl.get(s.template) if s.template else None,
                    mode=s.mode,
                    start_ms=to_ms(s.start),
                    end_ms=to_ms(s.end),
                    known_end_ms=to_ms(s.known_end),
                    complete=s.complete,
                    timezone=s.timezone,
                    source=s.source,
                    source_id=s.source_id,
                    clock_skew_s=s.clock_skew_seconds,
                    attributes=json.dumps(dict(s.attributes), ensure_ascii=False),
                    fingerprint=fp,
                    observer_role=(
                        s.observer_role if s.observer_role is not None else carried.get(s.key)
                    ),
                )
            )
            todo.append(s)
        if problems:
            raise ValidationError(problems)
        if not rows:
            return counts
        session_ids = _insert_returning(conn, S.sessions, rows)
        task_rows: list[dict[str, Any]] = []
        task_objs: list[Task] = []
        ev_rows: list[dict[str, Any]] = []
        note_rows: list[dict[str, Any]] = []
        for sid, s in zip(session_ids, todo, strict=True):
            for t in s.tasks:
                task_rows.append(
                    dict(
                        session_id=sid,
                        key=t.key,
                        seq=t.seq,
                        category=t.category,
                        subcategory=t.subcategory,
                        start_ms=to_ms(t.start),
                        end_ms=to_ms(t.end),
                        known_end_ms=to_ms(t.known_end),
                        ended_by=t.ended_by,
                    )
                )
                task_objs.append(t)
            ev_rows.extend(
                dict(session_id=sid, key=e.key, kind=e.kind, subtype=e.subtype, at_ms=to_ms(e.at))
                for e in s.events
            )
            note_rows.extend(
                dict(session_id=sid, key=n.key, at_ms=to_ms(n.at), text=n.text) for n in s.notes
            )
        counts.tasks_added = len(task_rows)
        if task_rows:
            task_ids = _insert_returning(conn, S.tasks, task_rows)
            dims: list[dict[str, Any]] = []
            susp: list[dict[str, Any]] = []
            par: list[dict[str, Any]] = []
            for tid, t in zip(task_ids, task_objs, strict=True):
                for d, values in t.dimensions:
                    dims.extend(
                        dict(task_id=tid, dimension=d, value=v) for v in dict.fromkeys(values)
                    )
                susp.extend(
                    dict(task_id=tid, start_ms=to_ms(x.start), end_ms=to_ms(x.end), by_key=x.by)
                    for x in t.suspensions
                )
                par.extend(
                    dict(
                        task_id=tid, other_key=p.other, start_ms=to_ms(p.start), end_ms=to_ms(p.end)
                    )
                    for p in t.parallel
                )
            for table, data in (
                (S.task_dimensions, dims),
                (S.suspensions, susp),
                (S.parallel_links, par),
            ):
                if data:
                    conn.execute(insert(table), data)
        if ev_rows:
            conn.execute(insert(S.point_events), ev_rows)
        if note_rows:
            conn.execute(insert(S.notes), note_rows)
        return counts

    def set_observer_role(
        self, study_id: int, key: str, role: str | None, conn: Connection | None = None
    ) -> None:
        """Record the observer's role in a stored session (None clears it)."""
        if role is not None and role not in OBSERVER_ROLES:
            raise ValidationError(
                f"observer role must be one of {', '.join(OBSERVER_ROLES)}, not '{role}'"[:300]
            )
        with self._transaction(conn) as c:
            done = c.execute(
                update(S.sessions)
                .where(S.sessions.c.study_id == study_id, S.sessions.c.key == key)
                .values(observer_role=role)
            )
            if not done.rowcount:
                raise NotFoundError(f"no session '{key}' in the study"[:300])

    def load(
        self,
        study_id: int,
        *,
        keys: Iterable[str] | None = None,
        source_ids: Iterable[str] | None = None,
    ) -> list[Session]:
        """Sessions as domain objects (with tasks, links, events and notes)."""
        q = (
            select(
                S.sessions,
                S.participants.c.code.label("participant_code"),
                S.sites.c.code.label("site_code"),
                S.observers.c.code.label("observer_code"),
                S.templates.c.name.label("template_name"),
                S.templates.c.version.label("template_version"),
            )
            .join(S.participants, S.participants.c.id == S.sessions.c.participant_id)
            .join(S.sites, S.sites.c.id == S.sessions.c.site_id)
            .outerjoin(S.observers, S.observers.c.id == S.sessions.c.observer_id)
            .outerjoin(S.templates, S.templates.c.id == S.sessions.c.template_id)
            .where(S.sessions.c.study_id == study_id)
            .order_by(S.sessions.c.start_ms, S.sessions.c.id)
        )
        if keys is not None:
            q = q.where(S.sessions.c.key.in_(list(keys)))
        if source_ids is not None:
            q = q.where(S.sessions.c.source_id.in_(list(source_ids)))
        with self.engine.connect() as conn:
            srows = conn.execute(q).all()
            ids = [r.id for r in srows]
            tasks: dict[int, list[Any]] = {}
            dims: dict[int, dict[str, list[str]]] = {}
            susp: dict[int, list[Suspension]] = {}
            par: dict[int, list[ParallelLink]] = {}
            events: dict[int, list[PointEvent]] = {}
            notes: dict[int, list[Note]] = {}
            for chunk in chunked(ids):
                trows = conn.execute(
                    select(S.tasks)
                    .where(S.tasks.c.session_id.in_(chunk))
                    .order_by(S.tasks.c.seq, S.tasks.c.id)
                ).all()
                tids = [t.id for t in trows]
                for t in trows:
                    tasks.setdefault(t.session_id, []).append(t)
                for tchunk in chunked(tids, 5000):
                    for d in conn.execute(
                        select(S.task_dimensions).where(S.task_dimensions.c.task_id.in_(tchunk))
                    ):
                        dims.setdefault(d.task_id, {}).setdefault(d.dimension, []).append(d.value)
                    for x in conn.execute(
                        select(S.suspensions)
                        .where(S.suspensions.c.task_id.in_(tchunk))
                        .order_by(S.suspensions.c.id)
                    ):
                        susp.setdefault(x.task_id, []).append(
                            Suspension(from_ms(x.start_ms), from_ms(x.end_ms), x.by_key)  # type: ignore[arg-type]
                        )
                    for p in conn.execute(
                        select(S.parallel_links)
                        .where(S.parallel_links.c.task_id.in_(tchunk))
                        .order_by(S.parallel_links.c.id)
                    ):
                        par.setdefault(p.task_id, []).append(
                            ParallelLink(p.other_key, from_ms(p.start_ms), from_ms(p.end_ms))
                        )
                for e in conn.execute(
                    select(S.point_events)
                    .where(S.point_events.c.session_id.in_(chunk))
                    .order_by(S.point_events.c.at_ms, S.point_events.c.id)
                ):
                    events.setdefault(e.session_id, []).append(
                        PointEvent(e.kind, from_ms(e.at_ms), e.subtype, e.key)  # type: ignore[arg-type]
                    )
                for n in conn.execute(
                    select(S.notes)
                    .where(S.notes.c.session_id.in_(chunk))
                    .order_by(S.notes.c.at_ms, S.notes.c.id)
                ):
                    notes.setdefault(n.session_id, []).append(
                        Note(from_ms(n.at_ms), n.text, n.key)  # type: ignore[arg-type]
                    )
        out = []
        for r in srows:
            out.append(
                Session(
                    key=r.key,
                    participant=r.participant_code,
                    site=r.site_code,
                    start=from_ms(r.start_ms),  # type: ignore[arg-type]
                    end=from_ms(r.end_ms),
                    mode=r.mode,
                    observer=r.observer_code,
                    complete=bool(r.complete),
                    timezone=r.timezone,
                    template=f"{r.template_name}@{r.template_version}" if r.template_name else None,
                    source=r.source,
                    source_id=r.source_id,
                    clock_skew_seconds=r.clock_skew_s,
                    attributes=tuple(json.loads(r.attributes).items()),
                    observer_role=r.observer_role,
                    tasks=tuple(
                        Task(
                            key=t.key,
                            category=t.category,
                            subcategory=t.subcategory,
                            start=from_ms(t.start_ms),  # type: ignore[arg-type]
                            end=from_ms(t.end_ms),
                            dimensions=tuple((d, tuple(v)) for d, v in dims.get(t.id, {}).items()),
                            parallel=tuple(par.get(t.id, ())),
                            suspensions=tuple(susp.get(t.id, ())),
                            ended_by=t.ended_by,
                            seq=t.seq,
                        )
                        for t in tasks.get(r.id, ())
                    ),
                    events=tuple(events.get(r.id, ())),
                    notes=tuple(notes.get(r.id, ())),
                )
            )
        return out


def _insert_returning(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows and return their new ids, in the order of `rows`."""
    out: list[int] = []
    for chunk in chunked(rows, 20000):
        result = conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
        )
        out.extend(int(r[0]) for r in result)
    return out


__all__ = ["SessionRepository", "WriteCounts", "fingerprint"]
