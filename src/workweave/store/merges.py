"""Participant identity: one person recorded under two codes, merged and unmerged.

Merging participant B into A moves B's sessions to A (A's code and A's site) and records, in
``participant_merges``, who merged, when, and each moved session's participant and site
before the move. Unmerging B moves exactly those sessions back and deletes the record, so the
tables are as they were before the merge. B's own row (its site, profession, job plan) stays
as it was throughout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.time import now_ms
from workweave.store import schema as S
from workweave.store.base import Repository, ids_by_code
from workweave.store.batching import chunked


@dataclass(frozen=True)
class ParticipantRow:
    """One participant as the identity list shows it."""

    code: str
    site: str  # the registered site
    sessions: int
    hours: float
    session_sites: tuple[str, ...]  # the sites of their sessions
    merged_into: str | None  # the code that absorbed this participant's sessions


@dataclass(frozen=True)
class MergeRecord:
    into: str
    merged: str
    sessions: int
    merged_by: str
    merged_ms: int
    note: str


class MergeRepository(Repository):
    """Participant merges of a study (`store.merges`)."""

    def participant_rows(self, study_id: int) -> list[ParticipantRow]:
        """Every participant with their sessions, observed hours (every record) and sites."""
        into = S.participants.alias("into_p")
        with self.engine.connect() as conn:
            people = conn.execute(
                select(
                    S.participants.c.id,
                    S.participants.c.code,
                    S.sites.c.code.label("site"),
                    into.c.code.label("merged_into"),
                )
                .join(S.sites, S.sites.c.id == S.participants.c.site_id)
                .outerjoin(
                    S.participant_merges,
                    S.participant_merges.c.merged_id == S.participants.c.id,
                )
                .outerjoin(into, into.c.id == S.participant_merges.c.into_id)
                .where(S.participants.c.study_id == study_id)
                .order_by(S.participants.c.code)
            ).all()
            stats = {
                r.participant_id: (int(r.n), float(r.ms or 0) / 3_600_000.0)
                for r in conn.execute(
                    select(
                        S.sessions.c.participant_id,
                        func.count().label("n"),
                        func.sum(S.sessions.c.known_end_ms - S.sessions.c.start_ms).label("ms"),
                    )
                    .where(S.sessions.c.study_id == study_id)
                    .group_by(S.sessions.c.participant_id)
                )
            }
            sites: dict[int, list[str]] = {}
            for r in conn.execute(
                select(S.sessions.c.participant_id, S.sites.c.code)
                .join(S.sites, S.sites.c.id == S.sessions.c.site_id)
                .where(S.sessions.c.study_id == study_id)
                .distinct()
                .order_by(S.sessions.c.participant_id, S.sites.c.code)
            ):
                sites.setdefault(r.participant_id, []).append(r.code)
        return [
            ParticipantRow(
                code=p.code,
                site=p.site,
                sessions=stats.get(p.id, (0, 0.0))[0],
                hours=stats.get(p.id, (0, 0.0))[1],
                session_sites=tuple(sites.get(p.id, ())),
                merged_into=p.merged_into,
            )
            for p in people
        ]

    def merge(
        self,
        study_id: int,
        into: str,
        merged: str,
        *,
        by: str,
        note: str = "",
        conn: Connection | None = None,
    ) -> MergeRecord:
        """Participant `into` absorbs `merged`: its sessions move to `into` (code and site)."""
        if into == merged:
            raise ValidationError("a participant cannot be merged into itself")
        with self._transaction(conn) as c:
            ids = ids_by_code(c, S.participants, study_id)
            for code in (into, merged):
                if code not in ids:
                    raise NotFoundError(f"no participant '{code[:64]}' in the study")
            absorbed_by = _merged_into(c, ids[merged])
            if absorbed_by is not None:
                raise ValidationError(
                    f"participant {merged} is already merged into {absorbed_by} "
                    f"(workweave participants unmerge {merged} first)"
                )
            outer = _merged_into(c, ids[into])
            if outer is not None:
                raise ValidationError(
                    f"participant {into} is itself merged into {outer}: merge into {outer}"
                )
            site_id = c.execute(
                select(S.participants.c.site_id).where(S.participants.c.id == ids[into])
            ).scalar_one()
            moved = [
                [int(r.id), int(r.participant_id), int(r.site_id)]
                for r in c.execute(
                    select(S.sessions.c.id, S.sessions.c.participant_id, S.sessions.c.site_id)
                    .where(
                        S.sessions.c.study_id == study_id,
                        S.sessions.c.participant_id == ids[merged],
                    )
                    .order_by(S.sessions.c.id)
                )
            ]
            for chunk in chunked([m[0] for m in moved]):
                c.execute(
                    update(S.sessions)
                    .where(S.sessions.c.id.in_(chunk))
                    .values(participant_id=ids[into], site_id=site_id)
                )
            at = now_ms()
            c.execute(
                insert(S.participant_merges).values(
                    study_id=study_id,
                    into_id=ids[into],
                    merged_id=ids[merged],
                    moved=json.dumps(moved),
                    merged_by=by[:64],
                    merged_ms=at,
                    note=note,
                )
            )
        return MergeRecord(into, merged, len(moved), by[:64], at, note)

    def unmerge(self, study_id: int, merged: str, conn: Connection | None = None) -> MergeRecord:
        """Reverse the merge of `merged`: its sessions go back to their participant and site."""
        into = S.participants.alias("into_p")
        with self._transaction(conn) as c:
            ids = ids_by_code(c, S.participants, study_id)
            if merged not in ids:
                raise NotFoundError(f"no participant '{merged[:64]}' in the study")
            row = c.execute(
                select(S.participant_merges, into.c.code.label("into_code"))
                .join(into, into.c.id == S.participant_merges.c.into_id)
                .where(S.participant_merges.c.merged_id == ids[merged])
            ).one_or_none()
            if row is None:
                raise ValidationError(f"participant {merged} is not merged into anyone")
            moved = json.loads(row.moved)
            for sid, pid, site_id in moved:
                c.execute(
                    update(S.sessions)
                    .where(S.sessions.c.id == sid, S.sessions.c.study_id == study_id)
                    .values(participant_id=pid, site_id=site_id)
                )
            c.execute(delete(S.participant_merges).where(S.participant_merges.c.id == row.id))
        return MergeRecord(
            row.into_code, merged, len(moved), row.merged_by, row.merged_ms, row.note
        )

    def merges(self, study_id: int) -> list[MergeRecord]:
        into, merged = S.participants.alias("into_p"), S.participants.alias("merged_p")
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    S.participant_merges,
                    into.c.code.label("into_code"),
                    merged.c.code.label("merged_code"),
                )
                .join(into, into.c.id == S.participant_merges.c.into_id)
                .join(merged, merged.c.id == S.participant_merges.c.merged_id)
                .where(S.participant_merges.c.study_id == study_id)
                .order_by(S.participant_merges.c.merged_ms, S.participant_merges.c.id)
            ).all()
        return [
            MergeRecord(
                r.into_code,
                r.merged_code,
                len(json.loads(r.moved)),
                r.merged_by,
                r.merged_ms,
                r.note,
            )
            for r in rows
        ]


def _merged_into(conn: Connection, participant_id: int) -> str | None:
    into = S.participants.alias("into_p")
    return conn.execute(
        select(into.c.code)
        .select_from(S.participant_merges)
        .join(into, into.c.id == S.participant_merges.c.into_id)
        .where(S.participant_merges.c.merged_id == participant_id)
    ).scalar_one_or_none()


__all__ = ["MergeRecord", "MergeRepository", "ParticipantRow"]
