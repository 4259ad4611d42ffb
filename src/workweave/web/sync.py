"""Receiving capture actions from devices and projecting them into the canonical tables.

``ingest`` is idempotent: an action's UUID is its key, so a batch delivered twice, or an action
that arrives in two batches, is stored once and changes nothing the second time. Every session
that received new actions is projected again from its whole log (``projection.project``) and
written through the repository, so the canonical tables always equal the projection of the
log, whatever order the actions arrived in.
"""

from __future__ import annotations

import json
import re
import time
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.study import Observer
from workweave.domain.time import to_ms
from workweave.services import accounts, setup
from workweave.store import Store
from workweave.store import schema as S
from workweave.store import schema_web as W
from workweave.web.projection import (
    ACTION_TYPES,
    MAX_MS,
    MIN_MS,
    Action,
    Header,
    Projection,
    project,
)

MAX_BATCH = 20_000
MAX_PAYLOAD = 64_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,35}$")
_NAMESPACE = uuidlib.UUID("5f0b7d1e-9c43-4b7e-8d0e-7f3a2b1c4d5e")

SHADOWING_ROLES = ("admin", "researcher", "observer")


@dataclass(frozen=True)
class Actor:
    """Who is sending actions, and what they may do in the study."""

    user_id: int
    name: str
    role: str  # the role in this study: admin, researcher, observer or participant
    observer_code: str | None = None
    participant_code: str | None = None

    @classmethod
    def of(cls, store: Store, user: accounts.User, study_id: int) -> Actor | None:
        if user.role == "admin":
            m = accounts.membership(store, user.id, study_id)
            return cls(user.id, user.name, "admin", m.observer_code if m else None)
        m = accounts.membership(store, user.id, study_id)
        if m is None:
            return None
        return cls(user.id, user.name, m.role, m.observer_code, m.participant_code)


@dataclass
class SyncReport:
    stored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    server_ms: int = 0
    clock_skew_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "sessions": self.sessions,
            "server_ms": self.server_ms,
            "clock_skew_ms": self.clock_skew_ms,
        }


def _now() -> int:
    return int(time.time() * 1000)


# -- parsing ------------------------------------------------------------------------------------


def parse_action(raw: Any) -> tuple[Action | None, str | None, str]:
    """(action, None, uuid) for a well-formed action, else (None, reason, uuid or '?')."""
    if not isinstance(raw, Mapping):
        return None, "an action must be an object", "?"
    uid = raw.get("uuid")
    if not isinstance(uid, str) or not _ID.match(uid):
        return None, "'uuid' must be 8-36 letters, digits, '-' or '_'", str(uid)[:40]
    sess = raw.get("session")
    if not isinstance(sess, str) or not _ID.match(sess):
        return None, "'session' must be a session id (8-36 letters, digits, '-')", uid
    seq = raw.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**31:
        return None, "'seq' must be a whole number from 0", uid
    kind = raw.get("type")
    if kind not in ACTION_TYPES:
        return None, f"'type' must be one of {', '.join(ACTION_TYPES)}", uid
    t = raw.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float) or not MIN_MS <= t <= MAX_MS:
        return None, "'t' must be the device time in ms since 1970 (UTC)", uid
    payload = raw.get("payload") or {}
    if not isinstance(payload, Mapping):
        return None, "'payload' must be an object", uid
    return Action(uid, sess, int(seq), str(kind), int(t), dict(payload)), None, uid


# -- ingest ---------------------------------------------------------------------------------


def ingest(
    store: Store,
    study_id: int,
    actor: Actor,
    raw_actions: Sequence[Any],
    *,
    clock_ms: int | None = None,
    now_ms: int | None = None,
    internal: bool = False,
) -> SyncReport:
    """Store new actions (by UUID; duplicates change nothing) and re-project their sessions.

    `clock_ms` is the device's clock when it sent the batch; with the time the batch arrived
    it measures the device's clock skew. The whole batch is one transaction.
    """
    if len(raw_actions) > MAX_BATCH:
        raise ValidationError(f"a batch holds at most {MAX_BATCH} actions; send several")
    if clock_ms is not None and (
        isinstance(clock_ms, bool)
        or not isinstance(clock_ms, int)
        or not MIN_MS < clock_ms < MAX_MS
    ):
        clock_ms = None
    last: Exception | None = None
    for attempt in range(6):
        try:
            with store.transaction() as conn:
                return _ingest(
                    store, conn, study_id, actor, raw_actions, clock_ms, now_ms, internal
                )
        except (IntegrityError, OperationalError) as exc:  # a concurrent delivery: try again
            last = exc
            time.sleep(0.02 * 2**attempt)
    assert last is not None
    raise last


def _ingest(
    store: Store,
    conn: Connection,
    study_id: int,
    actor: Actor,
    raw_actions: Sequence[Any],
    clock_ms: int | None,
    now_ms: int | None,
    internal: bool,
) -> SyncReport:
    now = now_ms if now_ms is not None else _now()
    report = SyncReport(server_ms=now)
    if clock_ms is not None:
        report.clock_skew_ms = now - clock_ms
    parsed: dict[str, Action] = {}
    for raw in raw_actions:
        action, reason, uid = parse_action(raw)
        if action is None:
            report.rejected.append({"uuid": uid, "reason": reason or "malformed"})
        elif action.uuid in parsed:
            report.duplicates.append(action.uuid)
        else:
            parsed[action.uuid] = action
    if not parsed:
        return report
    uids = list(parsed)
    for chunk in _chunks(uids, 500):
        for r in conn.execute(
            select(W.capture_actions.c.uuid).where(W.capture_actions.c.uuid.in_(chunk))
        ):
            report.duplicates.append(r.uuid)
            del parsed[r.uuid]
    if not parsed:
        return report
    payloads: dict[str, str] = {}
    for a in list(parsed.values()):
        text = json.dumps(a.payload, ensure_ascii=False, sort_keys=True)
        if len(text) > MAX_PAYLOAD:
            report.rejected.append({"uuid": a.uuid, "reason": "'payload' is too large"})
            del parsed[a.uuid]
        else:
            payloads[a.uuid] = text
    by_session: dict[str, list[Action]] = {}
    for a in parsed.values():
        by_session.setdefault(a.session, []).append(a)
    rows = {
        r.uuid: r
        for chunk in _chunks(list(by_session), 500)
        for r in conn.execute(
            select(W.capture_sessions).where(W.capture_sessions.c.uuid.in_(chunk)).with_for_update()
        )
    }
    to_store: list[Action] = []
    touched: list[str] = []
    for suid, acts in by_session.items():
        row = rows.get(suid)
        starts = [a for a in acts if a.type == "session_start"]
        if row is not None and row.study_id != study_id:
            _reject(report, acts, "this session belongs to another study")
            continue
        if row is None or row.state == "refused":
            if starts:
                refusal = _open_session(store, conn, study_id, actor, starts[0], row, internal, now)
                if refusal is not None:
                    _reject(report, acts, refusal)
                    continue
                touched.append(suid)
            elif row is not None:
                _reject(report, acts, f"the session was refused: {row.refusal}")
                continue
            elif actor.role not in ("admin", "researcher", "observer", "participant"):
                _reject(report, acts, "you may not record in this study")
                continue
            # else: the session's start has not arrived yet; keep the actions until it does
        else:
            if starts:  # a second start for an open session changes nothing but is kept
                pass
            refusal = _may_append(actor, row, acts)
            if refusal is not None:
                _reject(report, acts, refusal)
                continue
            touched.append(suid)
        to_store.extend(acts)
    # the log of each session to project: what was stored before, and what this batch adds
    logs: dict[str, list[Action]] = {suid: [] for suid in touched}
    for chunk in _chunks(touched, 200):
        for a in _load_actions(conn, W.capture_actions.c.session_uuid.in_(chunk)):
            logs[a.session].append(a)
    for a in to_store:
        if a.session in logs:
            logs[a.session].append(
                Action(
                    a.uuid, a.session, a.seq, a.type, a.t, a.payload, actor.user_id, now, clock_ms
                )
            )
    if to_store:
        conn.execute(
            insert(W.capture_actions),
            [
                dict(
                    uuid=a.uuid,
                    study_id=study_id,
                    session_uuid=a.session,
                    seq=a.seq,
                    type=a.type,
                    payload=payloads[a.uuid],
                    device_ms=a.t,
                    received_ms=now,
                    batch_clock_ms=clock_ms,
                    user_id=actor.user_id,
                )
                for a in to_store
            ],
        )
        report.stored.extend(a.uuid for a in to_store)
    for suid in touched:
        report.sessions.append(_reproject(store, conn, suid, now, logs[suid]))
    return report


def _reject(report: SyncReport, acts: Iterable[Action], reason: str) -> None:
    report.rejected.extend({"uuid": a.uuid, "reason": reason} for a in acts)


def _may_append(actor: Actor, row: Any, acts: list[Action]) -> str | None:
    if actor.role == "admin" or row.user_id == actor.user_id:
        return None
    if actor.role == "researcher" and all(a.type in ("edit", "undo") for a in acts):
        return None
    return "only the person who recorded this session can add to it (researchers may correct it)"


def _open_session(
    store: Store,
    conn: Connection,
    study_id: int,
    actor: Actor,
    start: Action,
    row: Any,
    internal: bool,
    now: int,
) -> str | None:
    """Check and open a new session from its start action; a reason if it is refused."""
    p = start.payload
    mode = p.get("mode") or "shadowing"
    participant = p.get("participant")
    if actor.role == "participant":
        if mode != "self-report":
            return "participants record their own work only (mode 'self-report')"
        participant = actor.participant_code
    elif mode == "self-report":
        if actor.role not in ("admin", "researcher"):
            return "only participants record self-reports"
    elif mode != "shadowing":
        return "mode must be 'shadowing' or 'self-report'"
    elif actor.role not in SHADOWING_ROLES:
        return "you may not shadow in this study"
    if not isinstance(participant, str) or not participant:
        return "the session start names no participant"
    prow = conn.execute(
        select(S.participants.c.code, S.sites.c.code.label("site"), S.sites.c.timezone)
        .join(S.sites, S.sites.c.id == S.participants.c.site_id)
        .where(S.participants.c.study_id == study_id, S.participants.c.code == participant)
    ).first()
    if prow is None:
        return f"no participant '{participant}' in this study"
    source = "capture"
    key = f"{'capture' if mode == 'shadowing' else 'self-report'}:{start.session}"
    if internal and isinstance(p.get("key"), str):
        key = p["key"]
        source = str(p.get("source") or source)
    refusal = None
    if not accounts.has_consent(store, study_id, participant, conn):
        refusal = (
            f"no consent is recorded for participant {participant}: "
            "observation may not start until it is"
        )
    observer = None
    if mode == "shadowing":
        observer = actor.observer_code or actor.name
        store.studies.add_observers(study_id, [Observer(observer)], conn)
    template = setup.study_template(store, study_id, conn)
    values = dict(
        study_id=study_id,
        session_key=key,
        mode=mode,
        source=source,
        participant_code=participant,
        site_code=prow.site,
        observer_code=observer,
        template_key=template.key,
        timezone=prow.timezone,
        user_id=actor.user_id,
        state="refused" if refusal else "open",
        refusal=refusal,
    )
    if row is None:
        conn.execute(
            insert(W.capture_sessions).values(
                uuid=start.session, clock_samples=0, created_ms=now, **values
            )
        )
    else:
        conn.execute(
            update(W.capture_sessions).where(W.capture_sessions.c.id == row.id).values(**values)
        )
    return refusal


def _load_actions(conn: Connection, where: Any) -> list[Action]:
    return [
        Action(
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
        for r in conn.execute(select(W.capture_actions).where(where))
    ]


def load_actions(conn: Connection, session_uuid: str) -> list[Action]:
    """The stored action log of a session (in no particular order)."""
    return _load_actions(conn, W.capture_actions.c.session_uuid == session_uuid)


def header_of(row: Any) -> Header:
    return Header(
        key=row.session_key,
        uuid=row.uuid,
        participant=row.participant_code,
        site=row.site_code,
        mode=row.mode,
        observer=row.observer_code,
        timezone=row.timezone,
        template=row.template_key,
        source=row.source,
    )


def _reproject(
    store: Store,
    conn: Connection,
    session_uuid: str,
    now: int,
    log: list[Action] | None = None,
) -> dict[str, Any]:
    row = conn.execute(
        select(W.capture_sessions).where(W.capture_sessions.c.uuid == session_uuid)
    ).one()
    if log is None:
        log = load_actions(conn, session_uuid)
    proj: Projection = project(header_of(row), log)
    s = proj.session
    store.sessions.write(row.study_id, [s], conn, replace=True)
    conn.execute(
        delete(W.edits).where(
            W.edits.c.study_id == row.study_id, W.edits.c.session_key == row.session_key
        )
    )
    if proj.edits:
        conn.execute(
            insert(W.edits),
            [
                dict(
                    action_uuid=e.action_uuid,
                    study_id=row.study_id,
                    session_key=row.session_key,
                    target=e.target,
                    field=e.field,
                    old_value=e.old,
                    new_value=e.new,
                    applied=e.applied,
                    user_id=e.user_id,
                    device_ms=e.device_ms,
                    received_ms=e.received_ms,
                )
                for e in proj.edits
            ],
        )
    conn.execute(
        update(W.capture_sessions)
        .where(W.capture_sessions.c.id == row.id)
        .values(clock_skew_ms=proj.clock_skew_ms, projected_ms=now)
    )
    return {
        "session": session_uuid,
        "key": s.key,
        "tasks": len(s.tasks),
        "events": len(s.events),
        "notes": len(s.notes),
        "complete": s.complete,
        "clock_skew_ms": proj.clock_skew_ms,
    }


def reproject(store: Store, session_uuid: str) -> dict[str, Any]:
    """Project one session again from its action log (changes nothing if it is up to date)."""
    with store.transaction() as conn:
        return _reproject(store, conn, session_uuid, _now())


# -- reading -------------------------------------------------------------------------------------


def capture_session(store: Store, study_id: int, session_key: str) -> Any | None:
    with store.engine.connect() as conn:
        return conn.execute(
            select(W.capture_sessions).where(
                W.capture_sessions.c.study_id == study_id,
                W.capture_sessions.c.session_key == session_key,
            )
        ).first()


def actions_of(store: Store, session_uuid: str) -> list[Action]:
    from workweave.web.projection import ordered

    with store.engine.connect() as conn:
        return ordered(load_actions(conn, session_uuid))


def edits_of(store: Store, study_id: int, session_key: str) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
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


# -- corrections and diaries made on the server ------------------------------------------------


def correct(
    store: Store,
    study_id: int,
    actor: Actor,
    session_key: str,
    target: str,
    field_name: str,
    value: Any,
) -> SyncReport:
    """Append a correction to a recorded session's log (kept as an edit: who, when, old, new)."""
    row = capture_session(store, study_id, session_key)
    if row is None:
        raise NotFoundError(
            f"session {session_key} was not recorded with the capture app, so it has no log "
            "to correct"
        )
    with store.engine.connect() as conn:
        seqs = [a.seq for a in load_actions(conn, row.uuid)]
    now = _now()
    action = {
        "uuid": str(uuidlib.uuid4()),
        "session": row.uuid,
        "seq": (max(seqs) + 1) if seqs else 0,
        "type": "edit",
        "t": now,
        "payload": {"target": target, "field": field_name, "value": value},
    }
    return ingest(store, study_id, actor, [action], now_ms=now)


def record_diary(
    store: Store,
    study_id: int,
    actor: Actor,
    day: date,
    entries: Sequence[Mapping[str, Any]],
) -> SyncReport:
    """Add end-of-day diary entries (category, start/end 'HH:MM' in the site's time, dims)
    to the participant's diary session of that day (mode self-report, source 'diary')."""
    if actor.participant_code is None:
        raise ValidationError("only a participant user keeps a diary")
    code = actor.participant_code
    with store.engine.connect() as conn:
        tz = conn.execute(
            select(S.sites.c.timezone)
            .join(S.participants, S.participants.c.site_id == S.sites.c.id)
            .where(S.participants.c.study_id == study_id, S.participants.c.code == code)
        ).scalar_one()
    zone = ZoneInfo(tz)
    tasks: list[dict[str, Any]] = []
    problems = []
    for n, e in enumerate(entries, start=1):
        try:
            a = datetime.combine(day, _clock(e.get("start")), tzinfo=zone)
            b = datetime.combine(day, _clock(e.get("end")), tzinfo=zone)
        except ValueError:
            problems.append(f"entry {n}: times must be HH:MM")
            continue
        if b <= a:
            b += timedelta(days=1) if b < a else timedelta(0)
        if not isinstance(e.get("category"), str) or not e.get("category"):
            problems.append(f"entry {n}: choose what you did")
            continue
        tasks.append(
            {
                "task": str(uuidlib.uuid4()),
                "category": e["category"],
                "start": to_ms(a),
                "end": to_ms(b),
                "dims": dict(e.get("dims") or {}),
            }
        )
    if problems:
        raise ValidationError("; ".join(problems))
    if not tasks:
        raise ValidationError("the diary has no entries")
    suid = str(uuidlib.uuid5(_NAMESPACE, f"diary:{study_id}:{code}:{day.isoformat()}"))
    key = f"diary:{code}:{day.isoformat()}"
    lo = min(t["start"] for t in tasks)
    hi = max(t["end"] for t in tasks)
    now = _now()
    actions: list[dict[str, Any]] = [
        {
            "uuid": str(uuidlib.uuid5(_NAMESPACE, suid + ":start")),
            "session": suid,
            "seq": 0,
            "type": "session_start",
            "t": lo,
            "payload": {"mode": "self-report", "key": key, "source": "diary"},
        },
        {
            "uuid": str(uuidlib.uuid5(_NAMESPACE, suid + ":end")),
            "session": suid,
            "seq": 2**31 - 1,
            "type": "session_end",
            "t": hi,
            "payload": {},
        },
    ]
    with store.engine.connect() as conn:
        seqs = [a.seq for a in load_actions(conn, suid) if a.seq < 2**31 - 1]
    base = (max(seqs) + 1) if seqs else 1
    for n, t in enumerate(tasks):
        actions.append(
            {
                "uuid": str(uuidlib.uuid4()),
                "session": suid,
                "seq": base + n,
                "type": "task_add",
                "t": now,
                "payload": t,
            }
        )
    return ingest(store, study_id, actor, actions, now_ms=now, internal=True)


def _clock(v: Any) -> Any:
    from datetime import time as dtime

    if not isinstance(v, str):
        raise ValueError(v)
    return dtime.fromisoformat(v.strip())


def _chunks(items: list[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


__all__ = [
    "Actor",
    "SyncReport",
    "actions_of",
    "capture_session",
    "correct",
    "edits_of",
    "ingest",
    "parse_action",
    "record_diary",
    "reproject",
]
