"""The repository: domain objects in, domain objects (or tables) out.

Every write is one transaction: an import either lands whole or not at all. Sessions are keyed
on their key within the study (for imports, the source's own id), and carry a fingerprint of
their content, so writing the same session again changes nothing, and writing a different
session under an existing key is refused unless the caller asks to replace it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import Engine

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.observation import (
    Note,
    ParallelLink,
    PointEvent,
    Session,
    Suspension,
    Task,
)
from workweave.domain.study import JobPlan, JobPlanSession, Observer, Participant, Site, Study
from workweave.domain.template import Template
from workweave.domain.time import from_ms, now_ms, to_ms
from workweave.store import schema as S
from workweave.store.engine import (
    StoreError,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    store_url,
)

# time conversions live in workweave.domain.time (re-exported for existing callers)
_now_ms = now_ms


@dataclass
class WriteCounts:
    sessions_added: int = 0
    sessions_unchanged: int = 0
    sessions_replaced: int = 0
    tasks_added: int = 0

    def __iadd__(self, other: WriteCounts) -> WriteCounts:
        self.sessions_added += other.sessions_added
        self.sessions_unchanged += other.sessions_unchanged
        self.sessions_replaced += other.sessions_replaced
        self.tasks_added += other.tasks_added
        return self


def fingerprint(session: Session) -> str:
    """A stable hash of everything a session records (not of where it is stored)."""

    def ms(d: datetime | None) -> int | None:
        return to_ms(d)

    data = [
        session.key,
        session.participant,
        session.site,
        session.observer,
        session.mode,
        ms(session.start),
        ms(session.end),
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
                ms(t.start),
                ms(t.end),
                t.ended_by,
                [[d, list(v)] for d, v in t.dimensions],
                [[p.other, ms(p.start), ms(p.end)] for p in t.parallel],
                [[s.by, ms(s.start), ms(s.end)] for s in t.suspensions],
            ]
            for t in session.tasks
        ],
        [[e.key, e.kind, e.subtype, ms(e.at)] for e in session.events],
        [[n.key, ms(n.at), n.text] for n in session.notes],
    ]
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Store:
    """A workweave store: one SQLite file or one PostgreSQL database, holding studies."""

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(cls, path_or_url: str | Path) -> Store:
        """Make (or bring up to date) a store at a file path or database URL."""
        if "://" not in str(path_or_url):
            Path(path_or_url).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(path_or_url)
        migrate(engine)
        return cls(engine, _describe(path_or_url))

    @classmethod
    def open(cls, path_or_url: str | Path) -> Store:
        """Open an existing store, upgrading its schema if it is older than this version."""
        engine = make_engine(path_or_url, must_exist=True)
        rev = current_revision(engine)
        if rev is None:
            if "://" in str(path_or_url):  # an empty server database: set it up
                migrate(engine)
            else:
                raise StoreError(f"{path_or_url} is not a workweave store")
        elif rev != head_revision():
            migrate(engine)
        return cls(engine, _describe(path_or_url))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- studies -----------------------------------------------------------------------------
    def create_study(self, study: Study, *, exist_ok: bool = True) -> int:
        with self.transaction() as conn:
            row = conn.execute(select(S.studies.c.id).where(S.studies.c.name == study.name)).first()
            if row is not None:
                if not exist_ok:
                    raise ValidationError(f"a study named '{study.name}' already exists")
                return int(row.id)
            return int(
                conn.execute(
                    insert(S.studies).values(
                        name=study.name,
                        title=study.title or study.name,
                        description=study.description,
                        synthetic=study.synthetic,
                        created_ms=_now_ms(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )

    def studies(self) -> list[Study]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(S.studies).order_by(S.studies.c.id)).all()
        return [Study(r.name, r.title, r.description, bool(r.synthetic)) for r in rows]

    def study_id(self, name: str | None = None) -> int:
        """The id of the named study, or of the only study when no name is given."""
        with self.engine.connect() as conn:
            if name is not None:
                row = conn.execute(select(S.studies.c.id).where(S.studies.c.name == name)).first()
                if row is None:
                    names = conn.execute(select(S.studies.c.name)).scalars().all()
                    raise NotFoundError(
                        f"no study '{name}' in {self.location}"
                        + (f" (studies: {', '.join(names)})" if names else " (it has none)")
                    )
                return int(row.id)
            rows = conn.execute(select(S.studies.c.id, S.studies.c.name)).all()
        if not rows:
            raise NotFoundError(f"{self.location} has no study yet (run 'workweave init')")
        if len(rows) > 1:
            raise NotFoundError(
                f"{self.location} holds several studies ({', '.join(r.name for r in rows)}): "
                "name one with --study"
            )
        return int(rows[0].id)

    def study(self, study_id: int) -> Study:
        with self.engine.connect() as conn:
            r = conn.execute(select(S.studies).where(S.studies.c.id == study_id)).one()
        return Study(r.name, r.title, r.description, bool(r.synthetic))

    # -- templates ---------------------------------------------------------------------------
    def save_template(
        self, template: Template, *, merge: bool = False, conn: Connection | None = None
    ) -> int:
        """Store a template version. The same content again is a no-op; different content under
        an existing name and version is refused (a new version is needed), unless `merge` is
        set, which adds the new categories and options to the stored version."""
        if conn is None:
            with self.transaction() as c:
                return self.save_template(template, merge=merge, conn=c)
        row = conn.execute(
            select(S.templates.c.id, S.templates.c.spec).where(
                S.templates.c.name == template.name, S.templates.c.version == template.version
            )
        ).first()
        spec = json.dumps(template.to_dict(), ensure_ascii=False, sort_keys=True)
        if row is None:
            return int(
                conn.execute(
                    insert(S.templates).values(
                        name=template.name,
                        version=template.version,
                        spec=spec,
                        created_ms=_now_ms(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
        if row.spec == spec:
            return int(row.id)
        if not merge:
            raise ValidationError(
                f"template {template.key} is already stored with different content: "
                "give the changed template a new version"
            )
        merged = _template(row.spec).merged_with(template)
        conn.execute(
            update(S.templates)
            .where(S.templates.c.id == row.id)
            .values(spec=json.dumps(merged.to_dict(), ensure_ascii=False, sort_keys=True))
        )
        return int(row.id)

    def templates(self) -> list[Template]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(S.templates.c.spec).order_by(S.templates.c.name, S.templates.c.id)
            ).all()
        return [_template(r.spec) for r in rows]

    def template(self, name: str, version: str | None = None) -> Template:
        q = select(S.templates.c.spec).where(S.templates.c.name == name)
        if version is not None:
            q = q.where(S.templates.c.version == version)
        with self.engine.connect() as conn:
            row = conn.execute(q.order_by(S.templates.c.id.desc())).first()
        if row is None:
            what = f"{name}@{version}" if version else name
            raise NotFoundError(f"no template '{what}' in this store")
        return _template(row.spec)

    # -- people and places -------------------------------------------------------------------
    def add_sites(self, study_id: int, sites: Iterable[Site], conn: Connection) -> None:
        existing = _codes(conn, S.sites, study_id)
        for s in sites:
            if s.code not in existing:
                conn.execute(
                    insert(S.sites).values(
                        study_id=study_id,
                        code=s.code,
                        name=s.name,
                        timezone=s.timezone,
                        description=s.description,
                    )
                )
                existing[s.code] = -1

    def add_observers(self, study_id: int, observers: Iterable[Observer], conn: Connection) -> None:
        existing = _codes(conn, S.observers, study_id)
        for o in observers:
            if o.code not in existing:
                conn.execute(
                    insert(S.observers).values(study_id=study_id, code=o.code, name=o.name)
                )
                existing[o.code] = -1

    def add_participants(
        self,
        study_id: int,
        participants: Iterable[Participant],
        conn: Connection,
        *,
        update_existing: bool = False,
    ) -> None:
        sites = _codes(conn, S.sites, study_id)
        existing = _codes(conn, S.participants, study_id)
        for p in participants:
            if p.site not in sites:
                raise ValidationError(f"participant {p.code}: no site '{p.site}' in the study")
            values = dict(
                site_id=sites[p.site],
                profession=p.profession,
                band=p.band,
                pay_point=p.pay_point,
                contracted_hours=p.contracted_hours,
                attributes=json.dumps(dict(p.attributes), ensure_ascii=False),
            )
            if p.code in existing:
                if update_existing:
                    conn.execute(
                        update(S.participants)
                        .where(S.participants.c.id == existing[p.code])
                        .values(**values)
                    )
                    if p.job_plan.sessions:
                        self._write_job_plan(conn, existing[p.code], p.job_plan)
                continue
            pid = conn.execute(
                insert(S.participants).values(study_id=study_id, code=p.code, **values)
            ).inserted_primary_key[0]  # type: ignore[index]
            existing[p.code] = int(pid)
            if p.job_plan.sessions:
                self._write_job_plan(conn, int(pid), p.job_plan)

    def set_job_plans(self, study_id: int, plans: dict[str, JobPlan]) -> None:
        """Replace the job plans of the named participants (all in one transaction)."""
        with self.transaction() as conn:
            codes = _codes(conn, S.participants, study_id)
            missing = sorted(set(plans) - set(codes))
            if missing:
                raise ValidationError(
                    [
                        Problem(f"no participant '{c}' in the study", column="participant")
                        for c in missing
                    ]
                )
            for code, plan in plans.items():
                self._write_job_plan(conn, codes[code], plan)

    def _write_job_plan(self, conn: Connection, participant_id: int, plan: JobPlan) -> None:
        conn.execute(
            delete(S.job_plan_sessions).where(
                S.job_plan_sessions.c.participant_id == participant_id
            )
        )
        if plan.sessions:
            conn.execute(
                insert(S.job_plan_sessions),
                [
                    dict(
                        participant_id=participant_id,
                        weekday=s.weekday,
                        start_time=s.start.isoformat(
                            timespec="minutes" if not s.start.second else "seconds"
                        ),
                        end_time=s.end.isoformat(
                            timespec="minutes" if not s.end.second else "seconds"
                        ),
                        category=s.category,
                    )
                    for s in plan.sessions
                ],
            )

    def sites(self, study_id: int) -> list[Site]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(S.sites).where(S.sites.c.study_id == study_id).order_by(S.sites.c.code)
            ).all()
        return [Site(r.code, r.name, r.timezone, r.description) for r in rows]

    def observers(self, study_id: int) -> list[Observer]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(S.observers)
                .where(S.observers.c.study_id == study_id)
                .order_by(S.observers.c.code)
            ).all()
        return [Observer(r.code, r.name) for r in rows]

    def participants(self, study_id: int) -> list[Participant]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(S.participants, S.sites.c.code.label("site_code"))
                .join(S.sites, S.sites.c.id == S.participants.c.site_id)
                .where(S.participants.c.study_id == study_id)
                .order_by(S.participants.c.code)
            ).all()
            plans: dict[int, list[JobPlanSession]] = {}
            for j in conn.execute(
                select(S.job_plan_sessions)
                .join(S.participants, S.participants.c.id == S.job_plan_sessions.c.participant_id)
                .where(S.participants.c.study_id == study_id)
            ):
                plans.setdefault(j.participant_id, []).append(
                    JobPlanSession(
                        j.weekday,
                        time.fromisoformat(j.start_time),
                        time.fromisoformat(j.end_time),
                        j.category,
                    )
                )
        return [
            Participant(
                code=r.code,
                site=r.site_code,
                profession=r.profession,
                band=r.band,
                pay_point=r.pay_point,
                job_plan=JobPlan(tuple(plans.get(r.id, ()))),
                contracted_hours=r.contracted_hours,
                attributes=tuple(json.loads(r.attributes).items()),
            )
            for r in rows
        ]

    # -- sessions ----------------------------------------------------------------------------
    def write_sessions(
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
        parts = _codes(conn, S.participants, study_id)
        sites = _codes(conn, S.sites, study_id)
        observers = _codes(conn, S.observers, study_id)
        tmpl = {
            f"{r.name}@{r.version}": r.id
            for r in conn.execute(
                select(S.templates.c.id, S.templates.c.name, S.templates.c.version)
            )
        }
        keys = [s.key for s in sessions]
        stored: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(keys, 500):
            for r in conn.execute(
                select(S.sessions.c.id, S.sessions.c.key, S.sessions.c.fingerprint).where(
                    S.sessions.c.study_id == study_id, S.sessions.c.key.in_(chunk)
                )
            ):
                stored[r.key] = (r.id, r.fingerprint)
        problems: list[Problem] = []
        rows: list[dict[str, Any]] = []
        todo: list[Session] = []
        for s in sessions:
            fp = fingerprint(s)
            if s.key in stored:
                sid, old = stored[s.key]
                if old == fp:
                    counts.sessions_unchanged += 1
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
            else:
                counts.sessions_added += 1
            for what, code, table in (
                ("participant", s.participant, parts),
                ("site", s.site, sites),
            ):
                if code not in table:
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
            dims, susp, par = [], [], []
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

    def load_sessions(
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
            for chunk in _chunks(ids, 500):
                trows = conn.execute(
                    select(S.tasks)
                    .where(S.tasks.c.session_id.in_(chunk))
                    .order_by(S.tasks.c.seq, S.tasks.c.id)
                ).all()
                tids = [t.id for t in trows]
                for t in trows:
                    tasks.setdefault(t.session_id, []).append(t)
                for tchunk in _chunks(tids, 5000):
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

    # -- tables for analysis -----------------------------------------------------------------
    def frame(self, name: str, study_id: int) -> pd.DataFrame:
        """One canonical table of a study as a pandas DataFrame (see TABLES)."""
        if name not in TABLES:
            raise NotFoundError(f"no table '{name}' (tables: {', '.join(TABLES)})")
        with self.engine.connect() as conn:
            return pd.read_sql_query(TABLES[name](study_id), conn)

    def arrow(self, names: Iterable[str], study_id: int) -> dict[str, pa.Table]:
        """Canonical tables as Arrow tables, read column-wise through the store's own DB-API
        connection (several times faster than `frame` for millions of rows; the same SQLite
        library as every other connection of the process, so locks stay consistent)."""
        out: dict[str, pa.Table] = {}
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            for name in names:
                if name not in TABLES:
                    raise NotFoundError(f"no table '{name}' (tables: {', '.join(TABLES)})")
                query = TABLES[name](study_id).order_by(None)  # analysis needs no order
                sql = str(query.compile(self.engine, compile_kwargs={"literal_binds": True}))
                cur.execute(sql)
                rows = cur.fetchall()
                # one list per column (much faster than zip(*rows) for millions of rows)
                cols = [[r[i] for r in rows] for i in range(len(query.selected_columns))]
                out[name] = pa.table(
                    {
                        c.name: _arrow_column(values, c.type)
                        for c, values in zip(query.selected_columns, cols, strict=True)
                    }
                )
            cur.close()
        finally:
            raw.close()
        return out

    def counts(self, study_id: int) -> dict[str, int]:
        with self.engine.connect() as conn:
            n_sessions = conn.execute(
                select(func.count())
                .select_from(S.sessions)
                .where(S.sessions.c.study_id == study_id)
            ).scalar_one()
            n_tasks = conn.execute(
                select(func.count())
                .select_from(S.tasks.join(S.sessions, S.sessions.c.id == S.tasks.c.session_id))
                .where(S.sessions.c.study_id == study_id)
            ).scalar_one()
        return {"sessions": int(n_sessions), "tasks": int(n_tasks)}


# -- canonical tables, flattened for analysis --------------------------------------------------


def _sessions_q(study_id: int) -> Any:
    return (
        select(
            S.sessions.c.id.label("session_id"),
            S.sessions.c.key.label("session_key"),
            S.sessions.c.source_id,
            S.sessions.c.source,
            S.sessions.c.mode,
            S.participants.c.code.label("participant"),
            S.participants.c.profession,
            S.participants.c.band,
            S.sites.c.code.label("site"),
            S.observers.c.code.label("observer"),
            S.sessions.c.start_ms,
            S.sessions.c.end_ms,
            S.sessions.c.known_end_ms,
            S.sessions.c.complete,
            S.sessions.c.timezone,
            S.templates.c.name.label("template"),
            S.templates.c.version.label("template_version"),
        )
        .join(S.participants, S.participants.c.id == S.sessions.c.participant_id)
        .join(S.sites, S.sites.c.id == S.sessions.c.site_id)
        .outerjoin(S.observers, S.observers.c.id == S.sessions.c.observer_id)
        .outerjoin(S.templates, S.templates.c.id == S.sessions.c.template_id)
        .where(S.sessions.c.study_id == study_id)
        .order_by(S.sessions.c.start_ms, S.sessions.c.id)
    )


def _in_study(table: Any, study_id: int, *cols: Any) -> Any:
    return (
        select(*cols)
        .select_from(
            table.join(S.tasks, S.tasks.c.id == table.c.task_id).join(
                S.sessions, S.sessions.c.id == S.tasks.c.session_id
            )
        )
        .where(S.sessions.c.study_id == study_id)
    )


TABLES: dict[str, Callable[[int], Any]] = {
    "sessions": _sessions_q,
    "tasks": lambda sid: (
        select(
            S.tasks.c.id.label("task_id"),
            S.tasks.c.session_id,
            S.tasks.c.key.label("task_key"),
            S.tasks.c.seq,
            S.tasks.c.category,
            S.tasks.c.subcategory,
            S.tasks.c.start_ms,
            S.tasks.c.end_ms,
            S.tasks.c.known_end_ms,
            S.tasks.c.ended_by,
        )
        .join(S.sessions, S.sessions.c.id == S.tasks.c.session_id)
        .where(S.sessions.c.study_id == sid)
        .order_by(S.tasks.c.session_id, S.tasks.c.seq)
    ),
    "task_dimensions": lambda sid: _in_study(
        S.task_dimensions,
        sid,
        S.task_dimensions.c.task_id,
        S.task_dimensions.c.dimension,
        S.task_dimensions.c.value,
    ),
    "suspensions": lambda sid: _in_study(
        S.suspensions,
        sid,
        S.suspensions.c.task_id,
        S.suspensions.c.start_ms,
        S.suspensions.c.end_ms,
        S.suspensions.c.by_key,
    ),
    "parallel_links": lambda sid: _in_study(
        S.parallel_links,
        sid,
        S.parallel_links.c.task_id,
        S.parallel_links.c.other_key,
        S.parallel_links.c.start_ms,
        S.parallel_links.c.end_ms,
    ),
    "point_events": lambda sid: (
        select(
            S.point_events.c.session_id,
            S.point_events.c.kind,
            S.point_events.c.subtype,
            S.point_events.c.at_ms,
        )
        .join(S.sessions, S.sessions.c.id == S.point_events.c.session_id)
        .where(S.sessions.c.study_id == sid)
    ),
    "notes": lambda sid: (
        select(S.notes.c.session_id, S.notes.c.at_ms, S.notes.c.text)
        .join(S.sessions, S.sessions.c.id == S.notes.c.session_id)
        .where(S.sessions.c.study_id == sid)
    ),
    "participants": lambda sid: (
        select(
            S.participants.c.code.label("participant"),
            S.sites.c.code.label("site"),
            S.participants.c.profession,
            S.participants.c.band,
            S.participants.c.pay_point,
            S.participants.c.contracted_hours,
        )
        .join(S.sites, S.sites.c.id == S.participants.c.site_id)
        .where(S.participants.c.study_id == sid)
        .order_by(S.participants.c.code)
    ),
    "job_plans": lambda sid: (
        select(
            S.participants.c.code.label("participant"),
            S.job_plan_sessions.c.weekday,
            S.job_plan_sessions.c.start_time,
            S.job_plan_sessions.c.end_time,
            S.job_plan_sessions.c.category,
        )
        .join(S.participants, S.participants.c.id == S.job_plan_sessions.c.participant_id)
        .where(S.participants.c.study_id == sid)
        .order_by(
            S.participants.c.code, S.job_plan_sessions.c.weekday, S.job_plan_sessions.c.start_time
        )
    ),
    "sites": lambda sid: select(
        S.sites.c.code.label("site"), S.sites.c.name, S.sites.c.timezone
    ).where(S.sites.c.study_id == sid),
    "observers": lambda sid: select(S.observers.c.code.label("observer"), S.observers.c.name).where(
        S.observers.c.study_id == sid
    ),
}


# -- helpers -----------------------------------------------------------------------------------


def _template(spec: str) -> Template:
    try:
        return Template.from_dict(json.loads(spec))
    except ValidationError:
        return _raw_template(spec)


def _raw_template(spec: str) -> Template:
    """Templates built from imports may hold codes a hand-written template could not (commas):
    rebuild them without validation, since they describe data already recorded."""
    from workweave.domain.template import Category, Dimension, PointEventType

    d = json.loads(spec)
    return Template(
        name=d["name"],
        version=d["version"],
        title=d.get("title", d["name"]),
        description=d.get("description", ""),
        default_session_hours=d.get("default_session_hours", 3.75),
        categories=tuple(
            Category(
                c["code"],
                c["label"],
                c["domain"],
                c.get("job_plan"),
                tuple(c.get("subcategories", ())),
                c.get("examples", ""),
            )
            for c in d["categories"]
        ),
        dimensions=tuple(
            Dimension(
                x["key"],
                x["label"],
                x["multi"],
                tuple(x["options"]),
                x.get("required", False),
                tuple(x.get("domains", ())),
            )
            for x in d["dimensions"]
        ),
        point_events=tuple(
            PointEventType(p["key"], p["label"], tuple(p["subtypes"])) for p in d["point_events"]
        ),
    )


def _arrow_column(values: list[Any], sa_type: Any) -> pa.Array:
    from sqlalchemy import BigInteger, Boolean, Float, Integer

    if isinstance(sa_type, Boolean):  # SQLite hands booleans back as 0/1
        return pa.array([None if v is None else bool(v) for v in values], type=pa.bool_())
    if isinstance(sa_type, Integer | BigInteger):
        return pa.array(values, type=pa.int64())
    if isinstance(sa_type, Float):
        return pa.array(values, type=pa.float64())
    return pa.array(values, type=pa.string())


def _codes(conn: Connection, table: Any, study_id: int) -> dict[str, int]:
    return {
        r.code: int(r.id)
        for r in conn.execute(select(table.c.id, table.c.code).where(table.c.study_id == study_id))
    }


def _chunks(items: list[Any], n: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _insert_returning(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows and return their new ids, in the order of `rows`."""
    out: list[int] = []
    for chunk in _chunks(rows, 20000):
        result = conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
        )
        out.extend(int(r[0]) for r in result)
    return out


def _describe(path_or_url: str | Path) -> str:
    url = store_url(path_or_url)
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


__all__ = ["TABLES", "Store", "StoreError", "WriteCounts", "fingerprint", "from_ms", "to_ms"]
