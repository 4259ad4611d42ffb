"""Read models for lists and dashboards: small queries shaped for what a page shows.

Nothing here writes. The use cases in ``workweave.services.setup`` turn these rows into what
the web pages, the JSON API and the CLI return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from workweave.store import schema as S
from workweave.store import schema_web as W
from workweave.store.base import Repository
from workweave.store.batching import chunked


@dataclass(frozen=True)
class SessionRow:
    """One line of a study's list of sessions."""

    key: str
    mode: str
    source: str
    start_ms: int
    end_ms: int | None
    known_end_ms: int
    complete: bool
    timezone: str
    participant: str
    site: str
    observer: str | None
    tasks: int


class ListingRepository(Repository):
    """Read models for the lists and dashboards of a study (`store.listings`)."""

    def session_rows(
        self,
        study_id: int,
        *,
        participant_code: str | None = None,
        limit: int = 200,
    ) -> list[SessionRow]:
        """The study's sessions (of one participant if given), latest first, with task counts."""
        q = (
            select(
                S.sessions.c.id,
                S.sessions.c.key,
                S.sessions.c.mode,
                S.sessions.c.source,
                S.sessions.c.start_ms,
                S.sessions.c.end_ms,
                S.sessions.c.known_end_ms,
                S.sessions.c.complete,
                S.sessions.c.timezone,
                S.participants.c.code.label("participant"),
                S.sites.c.code.label("site"),
                S.observers.c.code.label("observer"),
            )
            .join(S.participants, S.participants.c.id == S.sessions.c.participant_id)
            .join(S.sites, S.sites.c.id == S.sessions.c.site_id)
            .outerjoin(S.observers, S.observers.c.id == S.sessions.c.observer_id)
            .where(S.sessions.c.study_id == study_id)
            .order_by(S.sessions.c.start_ms.desc(), S.sessions.c.key)
            .limit(limit)
        )
        if participant_code is not None:
            q = q.where(S.participants.c.code == participant_code)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            # tasks counted for the sessions listed only (not grouped over every task first)
            tasks: dict[int, int] = {}
            for ids in chunked([r.id for r in rows]):
                counted = conn.execute(
                    select(S.tasks.c.session_id, func.count())
                    .where(S.tasks.c.session_id.in_(ids))
                    .group_by(S.tasks.c.session_id)
                )
                tasks.update((int(sid), int(n)) for sid, n in counted)
        return [
            SessionRow(
                key=r.key,
                mode=r.mode,
                source=r.source,
                start_ms=int(r.start_ms),
                end_ms=r.end_ms,
                known_end_ms=int(r.known_end_ms),
                complete=bool(r.complete),
                timezone=r.timezone,
                participant=r.participant,
                site=r.site,
                observer=r.observer,
                tasks=int(tasks.get(r.id, 0)),
            )
            for r in rows
        ]

    def study_data_version(self, study_id: int) -> tuple[Any, ...]:
        """A value that changes whenever the study's sessions do (new, replaced or re-projected
        from captured actions) or its job plans do: the key for caching dashboard figures."""
        with self.engine.connect() as conn:
            n, top, last = conn.execute(
                select(func.count(), func.max(S.sessions.c.id), func.max(S.sessions.c.known_end_ms))
                .select_from(S.sessions)
                .where(S.sessions.c.study_id == study_id)
            ).one()
            projected = conn.execute(
                select(func.max(W.capture_sessions.c.projected_ms)).where(
                    W.capture_sessions.c.study_id == study_id
                )
            ).scalar_one()
            plans = conn.execute(
                select(func.count())
                .select_from(
                    S.job_plan_sessions.join(
                        S.participants, S.participants.c.id == S.job_plan_sessions.c.participant_id
                    )
                )
                .where(S.participants.c.study_id == study_id)
            ).scalar_one()
            consent = conn.execute(  # a withdrawal takes a participant out of the figures
                select(func.max(W.consents.c.id)).where(W.consents.c.study_id == study_id)
            ).scalar_one()
        return (self.store.location, study_id, n, top, last, projected, plans, consent)

    def study_content_version(self, study_id: int) -> str:
        """A digest of everything a study's reports and dashboard are computed from: every
        session's content fingerprint, participant, site, observer, template and observer
        role; the full rows of its sites, participants, observers, job plans, plan periods,
        consents, merges, settings and calibrations; and the size and newest row of every
        other table that belongs to the study (captured actions, planned activity, and any
        table added later). Any import, sync, correction, erasure, merge or set-up edit
        changes it; the key under which built reports and dashboards are cached."""
        import hashlib

        digest = hashlib.sha256()
        skip = {"study_members", "codebooks", "documents", "codings", "edits"}
        full = {
            "consents",
            "observers",
            "sites",
            "study_settings",
            "study_templates",
            "participants",
            "participant_merges",
            "calibrations",
        }
        by_participant = {
            "job_plan_sessions": True,
            "plan_periods": True,
            "planned_activity": False,
        }
        ses = S.sessions.c
        with self.engine.connect() as conn:
            study = conn.execute(select(S.studies).where(S.studies.c.id == study_id)).all()
            digest.update(repr([tuple(r) for r in study]).encode())
            rows = conn.execute(
                select(
                    ses.id,
                    ses.participant_id,
                    ses.site_id,
                    ses.observer_id,
                    ses.template_id,
                    ses.observer_role,
                    ses.fingerprint,
                )
                .where(ses.study_id == study_id)
                .order_by(ses.id)
            ).all()
            digest.update(repr([tuple(r) for r in rows]).encode())
            for table in S.metadata.sorted_tables:
                if table.name in skip or table.name == "sessions":
                    continue
                pk = list(table.primary_key.columns)
                source: Any
                if "study_id" in table.c:
                    where = table.c.study_id == study_id
                    source = table
                elif table.name in by_participant:
                    source = table.join(
                        S.participants, S.participants.c.id == table.c.participant_id
                    )
                    where = S.participants.c.study_id == study_id
                else:
                    continue
                if table.name in full or by_participant.get(table.name):
                    rows = conn.execute(
                        select(*table.c).select_from(source).where(where).order_by(*pk)
                    ).all()
                else:
                    rows = conn.execute(
                        select(func.count(), func.max(pk[0])).select_from(source).where(where)
                    ).all()
                # plain tuples: a Row's repr shortens long values
                digest.update(f"{table.name}:{[tuple(r) for r in rows]!r}".encode())
        return digest.hexdigest()


__all__ = ["ListingRepository", "SessionRow"]
