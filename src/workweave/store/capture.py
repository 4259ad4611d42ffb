"""Repository of capture: the action log, the capture sessions and the list of corrections.

The action log (``capture_actions``) is the record; a capture session (``capture_sessions``)
notes who recorded it, for which participant, site and template, and whether it was refused;
``edits`` lists the corrections found in the log. The canonical session itself is written
through the sessions repository (`store.sessions`).

An ingest is one transaction: the reads and writes it makes take the caller's connection
(`conn`); without one, a read opens its own connection and a write is its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from workweave.domain.capture import Action, Header, Projection
from workweave.store import schema as S
from workweave.store import schema_web as W
from workweave.store.base import Repository
from workweave.store.batching import chunked

CONCURRENT_DELIVERY: tuple[type[Exception], ...] = (IntegrityError, OperationalError)
"""What a transaction raises when another delivery of the same actions got there first
(a unique key taken, a lock or serialisation conflict): the caller may try again."""


@dataclass(frozen=True)
class CaptureSession:
    """A session recorded with the capture app: what the server fixed when it started."""

    id: int
    uuid: str
    study_id: int
    session_key: str
    mode: str
    source: str
    participant_code: str
    site_code: str
    observer_code: str | None
    template_key: str | None
    timezone: str
    user_id: int | None
    state: str  # open | refused
    refusal: str | None

    @property
    def header(self) -> Header:
        return Header(
            key=self.session_key,
            uuid=self.uuid,
            participant=self.participant_code,
            site=self.site_code,
            mode=self.mode,
            observer=self.observer_code,
            timezone=self.timezone,
            template=self.template_key,
            source=self.source,
        )


def _session(r: Any) -> CaptureSession:
    return CaptureSession(
        id=int(r.id),
        uuid=r.uuid,
        study_id=int(r.study_id),
        session_key=r.session_key,
        mode=r.mode,
        source=r.source,
        participant_code=r.participant_code,
        site_code=r.site_code,
        observer_code=r.observer_code,
        template_key=r.template_key,
        timezone=r.timezone,
        user_id=r.user_id,
        state=r.state,
        refusal=r.refusal,
    )


def _action(r: Any) -> Action:
    return Action(
        r.uuid,
        r.session_uuid,
        int(r.seq),
        r.type,
        int(r.device_ms),
        json.loads(r.payload),
        r.user_id,
        int(r.received_ms),
        None if r.batch_clock_ms is None else int(r.batch_clock_ms),
    )


def payload_json(payload: Mapping[str, Any]) -> str:
    """An action's payload as it is stored (JSON, keys sorted)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False)


class CaptureRepository(Repository):
    """The action log, capture sessions and corrections (`store.capture`)."""

    # -- the action log ----------------------------------------------------------------------
    def stored_uuids(self, uuids: Sequence[str], *, conn: Connection | None = None) -> list[str]:
        """Those of `uuids` already in the log."""
        with self._connection(conn) as c:
            return [
                r.uuid
                for chunk in chunked(uuids)
                for r in c.execute(
                    select(W.capture_actions.c.uuid).where(W.capture_actions.c.uuid.in_(chunk))
                )
            ]

    def logs(
        self, session_uuids: Sequence[str], *, conn: Connection | None = None
    ) -> dict[str, list[Action]]:
        """The stored action log of each session (in no particular order)."""
        out: dict[str, list[Action]] = {s: [] for s in session_uuids}
        with self._connection(conn) as c:
            for chunk in chunked(session_uuids, 200):
                for r in c.execute(
                    select(W.capture_actions).where(W.capture_actions.c.session_uuid.in_(chunk))
                ):
                    out[r.session_uuid].append(_action(r))
        return out

    def actions(self, session_uuid: str, *, conn: Connection | None = None) -> list[Action]:
        """The stored action log of a session (in no particular order)."""
        with self._connection(conn) as c:
            return [
                _action(r)
                for r in c.execute(
                    select(W.capture_actions).where(
                        W.capture_actions.c.session_uuid == session_uuid
                    )
                )
            ]

    def add_actions(
        self,
        study_id: int,
        actions: Iterable[Action],
        payloads: Mapping[str, str],
        *,
        received_ms: int,
        batch_clock_ms: int | None,
        user_id: int | None,
        conn: Connection | None = None,
    ) -> None:
        """Append actions to the log (`payloads`: each action's stored payload, by UUID)."""
        rows = [
            dict(
                uuid=a.uuid,
                study_id=study_id,
                session_uuid=a.session,
                seq=a.seq,
                type=a.type,
                payload=payloads[a.uuid],
                device_ms=a.t,
                received_ms=received_ms,
                batch_clock_ms=batch_clock_ms,
                user_id=user_id,
            )
            for a in actions
        ]
        if rows:
            with self._transaction(conn) as c:
                c.execute(insert(W.capture_actions), rows)

    # -- actions waiting for their session to start (orphans) --------------------------------
    def pending_owners(
        self, session_uuids: Sequence[str], *, conn: Connection | None = None
    ) -> dict[str, set[int | None]]:
        """For sessions with no capture session yet: who sent the actions stored for each."""
        out: dict[str, set[int | None]] = {}
        a = W.capture_actions
        with self._connection(conn) as c:
            for chunk in chunked(session_uuids):
                for r in c.execute(
                    select(a.c.session_uuid, a.c.user_id)
                    .where(a.c.session_uuid.in_(chunk))
                    .distinct()
                ):
                    out.setdefault(r.session_uuid, set()).add(r.user_id)
        return out

    def orphan_usage(
        self, study_id: int, user_id: int, *, conn: Connection | None = None
    ) -> tuple[int, int]:
        """How many actions a user has stored in a study for sessions that have not started,
        and the characters of their payloads."""
        a, s = W.capture_actions, W.capture_sessions
        with self._connection(conn) as c:
            r = c.execute(
                select(func.count(), func.coalesce(func.sum(func.length(a.c.payload)), 0)).where(
                    a.c.study_id == study_id,
                    a.c.user_id == user_id,
                    ~exists().where(s.c.uuid == a.c.session_uuid),
                )
            ).one()
        return int(r[0]), int(r[1])

    def purge_orphans(self, received_before_ms: int, *, conn: Connection | None = None) -> int:
        """Delete actions received before the given time whose session never started."""
        a, s = W.capture_actions, W.capture_sessions
        with self._transaction(conn) as c:
            res = c.execute(
                delete(a).where(
                    a.c.received_ms < received_before_ms,
                    ~exists().where(s.c.uuid == a.c.session_uuid),
                )
            )
        return int(res.rowcount or 0)

    # -- capture sessions --------------------------------------------------------------------
    def sessions_for_update(
        self, uuids: Sequence[str], conn: Connection
    ) -> dict[str, CaptureSession]:
        """The capture sessions among `uuids`, locked until the caller's transaction ends."""
        return {
            r.uuid: _session(r)
            for chunk in chunked(uuids)
            for r in conn.execute(
                select(W.capture_sessions)
                .where(W.capture_sessions.c.uuid.in_(chunk))
                .with_for_update()
            )
        }

    def session_by_uuid(
        self, session_uuid: str, *, conn: Connection | None = None
    ) -> CaptureSession:
        with self._connection(conn) as c:
            return _session(
                c.execute(
                    select(W.capture_sessions).where(W.capture_sessions.c.uuid == session_uuid)
                ).one()
            )

    def session(self, study_id: int, session_key: str) -> CaptureSession | None:
        """The capture session behind a canonical session's key (None if it was not captured)."""
        with self.engine.connect() as conn:
            r = conn.execute(
                select(W.capture_sessions).where(
                    W.capture_sessions.c.study_id == study_id,
                    W.capture_sessions.c.session_key == session_key,
                )
            ).first()
        return None if r is None else _session(r)

    def participant_site(
        self, study_id: int, participant: str, *, conn: Connection | None = None
    ) -> tuple[str, str] | None:
        """(site code, site time zone) of a participant of the study; None if there is none."""
        with self._connection(conn) as c:
            r = c.execute(
                select(S.sites.c.code, S.sites.c.timezone)
                .join(S.participants, S.participants.c.site_id == S.sites.c.id)
                .where(S.participants.c.study_id == study_id, S.participants.c.code == participant)
            ).first()
        return None if r is None else (r.code, r.timezone)

    def participant_timezone(self, study_id: int, participant: str) -> str:
        """The time zone of a participant's site."""
        found = self.participant_site(study_id, participant)
        if found is None:
            raise LookupError(f"no participant '{participant}' in study {study_id}")
        return found[1]

    def open_session(
        self,
        session_uuid: str,
        existing: CaptureSession | None,
        *,
        study_id: int,
        session_key: str,
        mode: str,
        source: str,
        participant: str,
        site: str,
        observer: str | None,
        template: str | None,
        timezone: str,
        user_id: int,
        refusal: str | None,
        now_ms: int,
        conn: Connection | None = None,
    ) -> None:
        """Record a session's start: a new capture session, or a fresh start of a refused one
        (`existing`). A `refusal` records it as refused, with the reason."""
        values = dict(
            study_id=study_id,
            session_key=session_key,
            mode=mode,
            source=source,
            participant_code=participant,
            site_code=site,
            observer_code=observer,
            template_key=template,
            timezone=timezone,
            user_id=user_id,
            state="refused" if refusal else "open",
            refusal=refusal,
        )
        with self._transaction(conn) as c:
            if existing is None:
                c.execute(
                    insert(W.capture_sessions).values(
                        uuid=session_uuid, clock_samples=0, created_ms=now_ms, **values
                    )
                )
            else:
                c.execute(
                    update(W.capture_sessions)
                    .where(W.capture_sessions.c.id == existing.id)
                    .values(**values)
                )

    def write_projection(
        self,
        session: CaptureSession,
        projection: Projection,
        now_ms: int,
        *,
        conn: Connection | None = None,
    ) -> None:
        """Write a session's projection: the canonical session (replacing the previous one),
        its list of edits, and the session's clock skew and time of projection."""
        with self._transaction(conn) as c:
            self.store.sessions.write(session.study_id, [projection.session], c, replace=True)
            c.execute(
                delete(W.edits).where(
                    W.edits.c.study_id == session.study_id,
                    W.edits.c.session_key == session.session_key,
                )
            )
            if projection.edits:
                c.execute(
                    insert(W.edits),
                    [
                        dict(
                            action_uuid=e.action_uuid,
                            study_id=session.study_id,
                            session_key=session.session_key,
                            target=e.target,
                            field=e.field,
                            old_value=e.old,
                            new_value=e.new,
                            applied=e.applied,
                            user_id=e.user_id,
                            device_ms=e.device_ms,
                            received_ms=e.received_ms,
                        )
                        for e in projection.edits
                    ],
                )
            c.execute(
                update(W.capture_sessions)
                .where(W.capture_sessions.c.id == session.id)
                .values(clock_skew_ms=projection.clock_skew_ms, projected_ms=now_ms)
            )

    # -- the list of corrections -------------------------------------------------------------
    def edits(self, study_id: int, session_key: str) -> list[dict[str, Any]]:
        """The corrections of a session, oldest first, with the name of who made each."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(W.edits, W.users.c.name.label("user_name"))
                .outerjoin(W.users, W.users.c.id == W.edits.c.user_id)
                .where(W.edits.c.study_id == study_id, W.edits.c.session_key == session_key)
                .order_by(W.edits.c.received_ms, W.edits.c.device_ms, W.edits.c.action_uuid)
            ).all()
        return [
            {
                "action": r.action_uuid,
                "target": r.target,
                "field": r.field,
                "old": r.old_value,
                "new": r.new_value,
                "applied": bool(r.applied),
                "by": r.user_name,
                "device_ms": int(r.device_ms),
                "received_ms": int(r.received_ms),
            }
            for r in rows
        ]


__all__ = ["CONCURRENT_DELIVERY", "CaptureRepository", "CaptureSession", "payload_json"]
