"""Planned activity from calendars (`store.planned`): dated planned blocks per participant and
the periods the calendar imports cover."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, insert, select

from workweave.domain.errors import NotFoundError
from workweave.domain.planned import PlannedBlock, merge_periods
from workweave.store import schema as S
from workweave.store.base import Repository, ids_by_code


@dataclass(frozen=True)
class PlanWrite:
    """What one calendar import did to a participant's planned activity."""

    added: int
    removed: int
    unchanged: bool


def _digest(blocks: Sequence[PlannedBlock]) -> str:
    h = hashlib.sha256()
    for b in sorted(blocks, key=lambda b: (b.start_ms, b.end_ms, b.category, b.uid, b.title)):
        h.update(
            f"{b.start_ms}|{b.end_ms}|{b.category}|{b.uid}|{b.recurrence_id}|{b.title}\n".encode()
        )
    return h.hexdigest()


class PlannedActivityRepository(Repository):
    """Dated planned blocks (`store.planned`)."""

    def _participant_id(self, conn: object, study_id: int, participant: str) -> int:
        ids = ids_by_code(conn, S.participants, study_id)  # type: ignore[arg-type]
        if participant not in ids:
            raise NotFoundError(f"no participant '{participant}' in this study")
        return ids[participant]

    def replace(
        self,
        study_id: int,
        participant: str,
        from_ms: int,
        to_ms: int,
        blocks: Sequence[PlannedBlock],
        *,
        source: str = "",
    ) -> PlanWrite:
        """Make `blocks` the participant's planned activity in [from_ms, to_ms): blocks that
        start in the period are replaced, the period joins the covered periods. One
        transaction; the same blocks again change nothing."""
        pa = S.planned_activity
        with self.store.transaction() as conn:
            pid = self._participant_id(conn, study_id, participant)
            in_period = and_(
                pa.c.participant_id == pid, pa.c.start_ms >= from_ms, pa.c.start_ms < to_ms
            )
            old = [
                PlannedBlock(r.start_ms, r.end_ms, r.category, r.title, r.uid, r.recurrence_id)
                for r in conn.execute(select(pa).where(in_period))
            ]
            periods = [
                (int(r.from_ms), int(r.to_ms))
                for r in conn.execute(
                    select(S.plan_periods).where(S.plan_periods.c.participant_id == pid)
                )
            ]
            merged = merge_periods([*periods, (from_ms, to_ms)])
            covered = any(a <= from_ms and to_ms <= b for a, b in periods)
            if covered and _digest(old) == _digest(blocks):
                return PlanWrite(0, 0, True)
            conn.execute(delete(pa).where(in_period))
            if blocks:
                conn.execute(
                    insert(pa),
                    [
                        {
                            "participant_id": pid,
                            "start_ms": b.start_ms,
                            "end_ms": b.end_ms,
                            "category": b.category,
                            "title": b.title,
                            "uid": b.uid,
                            "recurrence_id": b.recurrence_id,
                            "source": source,
                        }
                        for b in blocks
                    ],
                )
            conn.execute(delete(S.plan_periods).where(S.plan_periods.c.participant_id == pid))
            conn.execute(
                insert(S.plan_periods),
                [{"participant_id": pid, "from_ms": a, "to_ms": b} for a, b in merged],
            )
        return PlanWrite(len(blocks), len(old), False)

    def blocks(self, study_id: int, participant: str | None = None) -> list[PlannedBlock]:
        pa = S.planned_activity
        q = (
            select(pa, S.participants.c.code)
            .join(S.participants, S.participants.c.id == pa.c.participant_id)
            .where(S.participants.c.study_id == study_id)
            .order_by(S.participants.c.code, pa.c.start_ms, pa.c.id)
        )
        if participant is not None:
            q = q.where(S.participants.c.code == participant)
        with self.engine.connect() as conn:
            return [
                PlannedBlock(r.start_ms, r.end_ms, r.category, r.title, r.uid, r.recurrence_id)
                for r in conn.execute(q)
            ]


__all__ = ["PlanWrite", "PlannedActivityRepository"]
