"""The canonical tables of a study, flattened for analysis and read column-wise.

`TABLES` names each table and the query that reads it for one study; `frame` returns one as a
pandas DataFrame, `arrow` several as Arrow tables (the fast path the metric engine uses), and
`counts` says how many sessions and tasks a study holds.

Consent acts here: every query leaves out the participants whose latest consent record
withdraws consent (`withdrawn_codes`), so the metrics, summaries, reports, the dashboard and the
API, which all read through these queries, exclude them from the moment the withdrawal is
recorded; `withdrawn` lists them so each output can say how many were left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import BigInteger, Boolean, Float, Integer, and_, exists, func, or_, select

from workweave.domain.errors import NotFoundError
from workweave.store import schema as S
from workweave.store import schema_web as W
from workweave.store.base import Repository


class AnalyticTables(Repository):
    """Column-wise reads of the canonical tables (`store.analytic`)."""

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

    def withdrawn(self, study_id: int) -> list[str]:
        """Codes of the study's participants whose latest consent record withdraws consent:
        the ones every analytic read leaves out."""
        with self.engine.connect() as conn:
            return sorted(str(c) for c in conn.execute(withdrawn_codes(study_id)).scalars())

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


def withdrawn_codes(study_id: int) -> Any:
    """SELECT of the participant codes whose latest consent record (by time, then id) is a
    withdrawal."""
    c1 = W.consents.alias("c1")
    c2 = W.consents.alias("c2")
    later = exists().where(
        c2.c.study_id == c1.c.study_id,
        c2.c.participant_code == c1.c.participant_code,
        or_(
            c2.c.recorded_ms > c1.c.recorded_ms,
            and_(c2.c.recorded_ms == c1.c.recorded_ms, c2.c.id > c1.c.id),
        ),
    )
    return (
        select(c1.c.participant_code)
        .where(c1.c.study_id == study_id, c1.c.given.is_(False), ~later)
        .distinct()
    )


def _withdrawn_ids(study_id: int) -> Any:
    return select(S.participants.c.id).where(
        S.participants.c.study_id == study_id,
        S.participants.c.code.in_(withdrawn_codes(study_id)),
    )


def _consented(study_id: int) -> Any:
    """The condition on `sessions` that keeps only participants who have not withdrawn."""
    return S.sessions.c.participant_id.not_in(_withdrawn_ids(study_id))


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
            S.sessions.c.observer_role,
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
        .where(S.sessions.c.study_id == study_id, _consented(study_id))
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
        .where(S.sessions.c.study_id == study_id, _consented(study_id))
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
        .where(S.sessions.c.study_id == sid, _consented(sid))
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
        .where(S.sessions.c.study_id == sid, _consented(sid))
    ),
    "notes": lambda sid: (
        select(S.notes.c.session_id, S.notes.c.at_ms, S.notes.c.text)
        .join(S.sessions, S.sessions.c.id == S.notes.c.session_id)
        .where(S.sessions.c.study_id == sid, _consented(sid))
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
        .where(
            S.participants.c.study_id == sid,
            S.participants.c.code.not_in(withdrawn_codes(sid)),
        )
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
        .where(
            S.participants.c.study_id == sid,
            S.participants.c.code.not_in(withdrawn_codes(sid)),
        )
        .order_by(
            S.participants.c.code, S.job_plan_sessions.c.weekday, S.job_plan_sessions.c.start_time
        )
    ),
    "planned_activity": lambda sid: (
        select(
            S.participants.c.code.label("participant"),
            S.planned_activity.c.start_ms,
            S.planned_activity.c.end_ms,
            S.planned_activity.c.category,
            S.planned_activity.c.title,
            S.planned_activity.c.uid,
            S.planned_activity.c.recurrence_id,
            S.planned_activity.c.source,
        )
        .join(S.participants, S.participants.c.id == S.planned_activity.c.participant_id)
        .where(S.participants.c.study_id == sid)
        .order_by(S.participants.c.code, S.planned_activity.c.start_ms)
    ),
    "plan_periods": lambda sid: (
        select(
            S.participants.c.code.label("participant"),
            S.plan_periods.c.from_ms,
            S.plan_periods.c.to_ms,
        )
        .join(S.participants, S.participants.c.id == S.plan_periods.c.participant_id)
        .where(S.participants.c.study_id == sid)
        .order_by(S.participants.c.code, S.plan_periods.c.from_ms)
    ),
    "sites": lambda sid: select(
        S.sites.c.code.label("site"), S.sites.c.name, S.sites.c.timezone
    ).where(S.sites.c.study_id == sid),
    "observers": lambda sid: select(S.observers.c.code.label("observer"), S.observers.c.name).where(
        S.observers.c.study_id == sid
    ),
}


def _arrow_column(values: list[Any], sa_type: Any) -> pa.Array:
    if isinstance(sa_type, Boolean):  # SQLite hands booleans back as 0/1
        return pa.array([None if v is None else bool(v) for v in values], type=pa.bool_())
    if isinstance(sa_type, Integer | BigInteger):
        return pa.array(values, type=pa.int64())
    if isinstance(sa_type, Float):
        return pa.array(values, type=pa.float64())
    return pa.array(values, type=pa.string())


__all__ = ["TABLES", "AnalyticTables", "withdrawn_codes"]
