"""Setting up a study: studies, sites, observers, participants (with job plans) and templates.

Templates are shared by every study of a store; the rest belongs to one study. Sites, observers
and participants are written on the caller's connection, so a whole set-up (or an import that
brings its own people and places) lands in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import time

from sqlalchemy import Connection, delete, insert, select, update

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.study import JobPlan, JobPlanSession, Observer, Participant, Site, Study
from workweave.domain.template import Category, Dimension, PointEventType, Template
from workweave.domain.time import now_ms
from workweave.store import schema as S
from workweave.store.base import Repository, ids_by_code


class StudyRepository(Repository):
    """The set-up aggregate (`store.studies`)."""

    # -- studies -----------------------------------------------------------------------------
    def create(self, study: Study, *, exist_ok: bool = True) -> int:
        """The id of a new study, or of the stored study of that name (unless `exist_ok` is
        False: then an existing name is refused)."""
        with self._transaction() as conn:
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
                        created_ms=now_ms(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )

    def all(self) -> list[Study]:
        """Every study of the store, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(S.studies).order_by(S.studies.c.id)).all()
        return [Study(r.name, r.title, r.description, bool(r.synthetic)) for r in rows]

    def id(self, name: str | None = None) -> int:
        """The id of the named study, or of the only study when no name is given."""
        with self.engine.connect() as conn:
            if name is not None:
                row = conn.execute(select(S.studies.c.id).where(S.studies.c.name == name)).first()
                if row is None:
                    names = conn.execute(select(S.studies.c.name)).scalars().all()
                    raise NotFoundError(
                        f"no study '{name}' in {self.store.location}"
                        + (f" (studies: {', '.join(names)})" if names else " (it has none)")
                    )
                return int(row.id)
            rows = conn.execute(select(S.studies.c.id, S.studies.c.name)).all()
        if not rows:
            raise NotFoundError(f"{self.store.location} has no study yet (run 'workweave init')")
        if len(rows) > 1:
            raise NotFoundError(
                f"{self.store.location} holds several studies ({', '.join(r.name for r in rows)}): "
                "name one with --study"
            )
        return int(rows[0].id)

    def get(self, study_id: int) -> Study:
        """The study with this id."""
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
            with self._transaction() as c:
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
                        created_ms=now_ms(),
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
        existing = ids_by_code(conn, S.sites, study_id)
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
        existing = ids_by_code(conn, S.observers, study_id)
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
        sites = ids_by_code(conn, S.sites, study_id)
        existing = ids_by_code(conn, S.participants, study_id)
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
        with self._transaction() as conn:
            codes = ids_by_code(conn, S.participants, study_id)
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


# -- helpers -----------------------------------------------------------------------------------


def _template(spec: str) -> Template:
    try:
        return Template.from_dict(json.loads(spec))
    except ValidationError:
        return _raw_template(spec)


def _raw_template(spec: str) -> Template:
    """Templates built from imports may hold codes a hand-written template could not (commas):
    rebuild them without validation, since they describe data already recorded."""
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


__all__ = ["StudyRepository"]
