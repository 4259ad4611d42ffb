"""Personal data by person, and retention (`store.governance`).

Everything the store holds about one participant is found by one set of queries
(`_person_rows`): their set-up row and job plan, their sessions with every row hanging off them
(tasks, dimensions, suspensions, parallel links, point events, notes), documents linked to
them or to their sessions (with their codings), consent records, study memberships that link
a user to their code, captured action logs and capture sessions, corrections (edits),
co-observer calibrations of their sessions and merge records. Subject access reads those rows
(`person_rows`); erasure deletes the same rows (`erase_person`), dependents first, in one
transaction. The audit trail is not touched here.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, delete, func, or_, select

from workweave.domain.errors import NotFoundError
from workweave.store import schema as S
from workweave.store import schema_qual as Q
from workweave.store import schema_web as W
from workweave.store.base import Repository

RETENTION_KEY = "retention_until"
"""The study setting holding the retention date (JSON string, ISO date)."""


class GovernanceRepository(Repository):
    """Subject access, erasure and retention (`store.governance`)."""

    def participant_id(self, study_id: int, code: str, conn: Connection | None = None) -> int:
        with self._connection(conn) as c:
            pid = c.execute(
                select(S.participants.c.id).where(
                    S.participants.c.study_id == study_id, S.participants.c.code == code
                )
            ).scalar()
        if pid is None:
            raise NotFoundError(f"no participant '{code}' in the study")
        return int(pid)

    def person_rows(self, study_id: int, code: str) -> dict[str, list[dict[str, Any]]]:
        """Every row held about the participant, by table (subject access)."""
        with self.engine.connect() as conn:
            pid = self.participant_id(study_id, code, conn)
            out: dict[str, list[dict[str, Any]]] = {}
            for name, query in _person_rows(study_id, code, pid):
                out[name] = [dict(r._mapping) for r in conn.execute(query)]
        return out

    def erase_person(
        self, study_id: int, code: str, conn: Connection | None = None
    ) -> dict[str, int]:
        """Delete every row held about the participant; returns rows deleted by table.
        Users whose only link to any study was this participant's membership are removed too."""
        with self._transaction(conn) as c:
            pid = self.participant_id(study_id, code, c)
            counts: dict[str, int] = {}
            member_users = [
                int(u)
                for u in c.execute(
                    select(W.study_members.c.user_id).where(
                        W.study_members.c.study_id == study_id,
                        W.study_members.c.participant_code == code,
                    )
                ).scalars()
            ]
            rows = dict(_person_rows(study_id, code, pid))
            # dependents first; each query still finds its rows through the sessions it hangs on
            for name in _ERASE_ORDER:
                table = _TABLES[name]
                keys = [k for k in _KEYS[name]]
                query = rows[name]
                if len(keys) == 1:
                    sub = query.with_only_columns(table.c[keys[0]])
                    res = c.execute(delete(table).where(table.c[keys[0]].in_(sub)))
                else:  # task_dimensions: a composite key, deleted through its task
                    sub = query.with_only_columns(table.c.task_id)
                    res = c.execute(delete(table).where(table.c.task_id.in_(sub)))
                counts[name] = int(res.rowcount or 0)
            for uid in member_users:
                left = c.execute(
                    select(func.count())
                    .select_from(W.study_members)
                    .where(W.study_members.c.user_id == uid)
                ).scalar_one()
                role = c.execute(select(W.users.c.role).where(W.users.c.id == uid)).scalar()
                if not left and role == "participant":
                    c.execute(delete(W.users).where(W.users.c.id == uid))
                    counts["users"] = counts.get("users", 0) + 1
        return {k: v for k, v in counts.items() if v}

    # -- retention -------------------------------------------------------------------------
    def retention(self, study_id: int) -> str | None:
        with self.engine.connect() as conn:
            v = conn.execute(
                select(W.study_settings.c.value).where(
                    W.study_settings.c.study_id == study_id,
                    W.study_settings.c.key == RETENTION_KEY,
                )
            ).scalar()
        return None if v is None else str(json.loads(v))

    def set_retention(self, study_id: int, until: str | None, set_ms: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                delete(W.study_settings).where(
                    W.study_settings.c.study_id == study_id,
                    W.study_settings.c.key == RETENTION_KEY,
                )
            )
            if until is not None:
                conn.execute(
                    W.study_settings.insert().values(
                        study_id=study_id, key=RETENTION_KEY, value=json.dumps(until), set_ms=set_ms
                    )
                )

    def retentions(self) -> list[tuple[int, str, str]]:
        """(study id, study name, retention date) of every study that has one."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(S.studies.c.id, S.studies.c.name, W.study_settings.c.value)
                .join(W.study_settings, W.study_settings.c.study_id == S.studies.c.id)
                .where(W.study_settings.c.key == RETENTION_KEY)
                .order_by(S.studies.c.name)
            ).all()
        return [(int(r.id), str(r.name), str(json.loads(r.value))) for r in rows]

    def study_counts(self, study_id: int) -> dict[str, int]:
        """Rows a study holds in its main tables (what a purge would remove)."""
        with self.engine.connect() as conn:
            out = {}
            for name, table in (
                ("participants", S.participants),
                ("sessions", S.sessions),
                ("documents", Q.documents),
                ("capture_actions", W.capture_actions),
                ("consents", W.consents),
            ):
                out[name] = int(
                    conn.execute(
                        select(func.count()).select_from(table).where(table.c.study_id == study_id)
                    ).scalar_one()
                )
        return out

    def delete_study(self, study_id: int) -> None:
        """Delete a study and everything in it (the audit trail keeps its entries)."""
        with self._transaction() as conn:
            # rows that point at participants or sessions without cascading go first
            conn.execute(
                delete(S.participant_merges).where(S.participant_merges.c.study_id == study_id)
            )
            conn.execute(delete(Q.documents).where(Q.documents.c.study_id == study_id))
            conn.execute(delete(S.sessions).where(S.sessions.c.study_id == study_id))
            conn.execute(delete(S.participants).where(S.participants.c.study_id == study_id))
            conn.execute(delete(S.studies).where(S.studies.c.id == study_id))


_TABLES: dict[str, Any] = {
    "participants": S.participants,
    "job_plan_sessions": S.job_plan_sessions,
    "planned_activity": S.planned_activity,
    "plan_periods": S.plan_periods,
    "participant_merges": S.participant_merges,
    "sessions": S.sessions,
    "tasks": S.tasks,
    "task_dimensions": S.task_dimensions,
    "suspensions": S.suspensions,
    "parallel_links": S.parallel_links,
    "point_events": S.point_events,
    "notes": S.notes,
    "documents": Q.documents,
    "codings": Q.codings,
    "consents": W.consents,
    "study_members": W.study_members,
    "capture_sessions": W.capture_sessions,
    "capture_actions": W.capture_actions,
    "edits": W.edits,
    "calibrations": W.calibrations,
}
_KEYS: dict[str, tuple[str, ...]] = {
    name: (("task_id", "dimension", "value") if name == "task_dimensions" else ("id",))
    for name in _TABLES
}
_ERASE_ORDER = (
    "codings",
    "documents",
    "calibrations",
    "edits",
    "capture_actions",
    "capture_sessions",
    "consents",
    "study_members",
    "task_dimensions",
    "suspensions",
    "parallel_links",
    "tasks",
    "point_events",
    "notes",
    "participant_merges",
    "sessions",
    "job_plan_sessions",
    "planned_activity",
    "plan_periods",
    "participants",
)


def _person_rows(study_id: int, code: str, pid: int) -> list[tuple[str, Select[Any]]]:
    """(table, SELECT of the rows about the participant) for every table that holds any."""
    sessions = select(S.sessions.c.id).where(
        S.sessions.c.study_id == study_id, S.sessions.c.participant_id == pid
    )
    keys = select(S.sessions.c.key).where(
        S.sessions.c.study_id == study_id, S.sessions.c.participant_id == pid
    )
    tasks = select(S.tasks.c.id).where(S.tasks.c.session_id.in_(sessions))
    capture = select(W.capture_sessions.c.uuid).where(
        W.capture_sessions.c.study_id == study_id,
        or_(
            W.capture_sessions.c.participant_code == code,
            W.capture_sessions.c.session_key.in_(keys),
        ),
    )
    documents = select(Q.documents.c.id).where(
        Q.documents.c.study_id == study_id,
        or_(
            Q.documents.c.participant_id == pid,
            Q.documents.c.participant_code == code,
            Q.documents.c.session_id.in_(sessions),
            Q.documents.c.session_key.in_(keys),
        ),
    )
    T = _TABLES
    return [
        ("participants", select(T["participants"]).where(S.participants.c.id == pid)),
        (
            "job_plan_sessions",
            select(S.job_plan_sessions).where(S.job_plan_sessions.c.participant_id == pid),
        ),
        (
            "planned_activity",
            select(S.planned_activity).where(S.planned_activity.c.participant_id == pid),
        ),
        ("plan_periods", select(S.plan_periods).where(S.plan_periods.c.participant_id == pid)),
        (
            "participant_merges",
            select(S.participant_merges).where(
                or_(
                    S.participant_merges.c.into_id == pid,
                    S.participant_merges.c.merged_id == pid,
                )
            ),
        ),
        ("sessions", select(S.sessions).where(S.sessions.c.id.in_(sessions))),
        ("tasks", select(S.tasks).where(S.tasks.c.session_id.in_(sessions))),
        (
            "task_dimensions",
            select(S.task_dimensions).where(S.task_dimensions.c.task_id.in_(tasks)),
        ),
        ("suspensions", select(S.suspensions).where(S.suspensions.c.task_id.in_(tasks))),
        ("parallel_links", select(S.parallel_links).where(S.parallel_links.c.task_id.in_(tasks))),
        ("point_events", select(S.point_events).where(S.point_events.c.session_id.in_(sessions))),
        ("notes", select(S.notes).where(S.notes.c.session_id.in_(sessions))),
        ("documents", select(Q.documents).where(Q.documents.c.id.in_(documents))),
        ("codings", select(Q.codings).where(Q.codings.c.document_id.in_(documents))),
        (
            "consents",
            select(W.consents).where(
                W.consents.c.study_id == study_id, W.consents.c.participant_code == code
            ),
        ),
        (
            "study_members",
            select(W.study_members).where(
                W.study_members.c.study_id == study_id,
                W.study_members.c.participant_code == code,
            ),
        ),
        (
            "capture_sessions",
            select(W.capture_sessions).where(W.capture_sessions.c.uuid.in_(capture)),
        ),
        (
            "capture_actions",
            select(W.capture_actions).where(
                W.capture_actions.c.study_id == study_id,
                W.capture_actions.c.session_uuid.in_(capture),
            ),
        ),
        (
            "edits",
            select(W.edits).where(W.edits.c.study_id == study_id, W.edits.c.session_key.in_(keys)),
        ),
        (
            "calibrations",
            select(W.calibrations).where(
                W.calibrations.c.study_id == study_id,
                or_(
                    W.calibrations.c.session_key.in_(keys),
                    W.calibrations.c.partner_session_key.in_(keys),
                ),
            ),
        ),
    ]


__all__ = ["RETENTION_KEY", "GovernanceRepository"]
