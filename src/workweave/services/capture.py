"""Capture as a use case: receiving action logs, projecting them, corrections and diaries.

Anything that records capture actions (the capture app through ``POST /api/sync``, a bulk
import of a log exported from a tablet, a future native client) goes through ``ingest``.

``ingest`` is idempotent: an action's UUID is its key, so a batch delivered twice, or an action
that arrives in two batches, is stored once and changes nothing the second time. Every session
that received new actions is projected again from its whole log (the fold,
``workweave.domain.capture.project``) and written through the capture repository
(``store.capture``), so the canonical tables always equal the projection of the log,
whatever order the actions arrived in.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from workweave.domain.capture import (
    MAX_MS,
    MIN_MS,
    Action,
    Actor,
    Projection,
    ordered,
    parse_action,
    project,
)
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.study import Observer
from workweave.domain.text import json_problem
from workweave.domain.time import now_ms as _now
from workweave.domain.time import to_ms
from workweave.services import accounts, setup
from workweave.services import calibration as calibration_rule
from workweave.store import Store
from workweave.store.capture import CONCURRENT_DELIVERY, CaptureSession, payload_json

if TYPE_CHECKING:
    from sqlalchemy import Connection

MAX_BATCH = 20_000
MAX_PAYLOAD = 64_000
PENDING_MAX_ACTIONS = 5_000
"""Actions one user may keep in a study for sessions that have not started (their
``session_start`` has not arrived yet)."""
PENDING_MAX_CHARS = 5_000_000
"""...and the characters of their payloads together."""
PENDING_DAYS = 7
"""Actions whose session has not started this many days after they arrived are deleted."""
_DAY_MS = 86_400_000
_NAMESPACE = uuidlib.UUID("5f0b7d1e-9c43-4b7e-8d0e-7f3a2b1c4d5e")

SHADOWING_ROLES = ("admin", "researcher", "observer")


def actor_of(store: Store, user: accounts.User, study_id: int) -> Actor | None:
    """The user as an actor in the study (None if they are not a member and not an admin)."""
    if user.role == "admin":
        m = accounts.membership(store, user.id, study_id)
        return Actor(user.id, user.name, "admin", m.observer_code if m else None)
    m = accounts.membership(store, user.id, study_id)
    if m is None:
        return None
    return Actor(user.id, user.name, m.role, m.observer_code, m.participant_code)


@dataclass
class SyncReport:
    """What an ingest did: actions stored, duplicates, rejections with reasons, and for each
    session it projected again, its counts (the answer of ``POST /api/sync``)."""

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
        except CONCURRENT_DELIVERY as exc:  # a concurrent delivery: try again
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
        if action is not None:
            reason = _payload_problem(action)
            if reason is not None:
                action = None
        if action is None:
            report.rejected.append({"uuid": uid, "reason": reason or "malformed"})
        elif action.uuid in parsed:
            report.duplicates.append(action.uuid)
        else:
            parsed[action.uuid] = action
    if not parsed:
        return report
    for uid in store.capture.stored_uuids(list(parsed), conn=conn):
        report.duplicates.append(uid)
        del parsed[uid]
    if not parsed:
        return report
    payloads: dict[str, str] = {}
    for a in list(parsed.values()):
        text = payload_json(a.payload)
        if len(text) > MAX_PAYLOAD:
            report.rejected.append({"uuid": a.uuid, "reason": "'payload' is too large"})
            del parsed[a.uuid]
        else:
            payloads[a.uuid] = text
    by_session: dict[str, list[Action]] = {}
    for a in parsed.values():
        by_session.setdefault(a.session, []).append(a)
    known = store.capture.sessions_for_update(list(by_session), conn)
    unstarted = [suid for suid in by_session if suid not in known]
    owners = store.capture.pending_owners(unstarted, conn=conn) if unstarted else {}
    pending: tuple[int, int] | None = None
    to_store: list[Action] = []
    touched: list[str] = []
    for suid, acts in by_session.items():
        row = known.get(suid)
        starts = [a for a in acts if a.type == "session_start"]
        if row is not None and row.study_id != study_id:
            _reject(report, acts, "this session belongs to another study")
            continue
        others = owners.get(suid, set()) - {actor.user_id}
        if row is None and others:
            _reject(
                report,
                acts,
                "another user has already sent actions for this session id; "
                "a session belongs to the person who records it",
            )
            continue
        if row is not None and row.state == "refused" and starts and not _same_user(actor, row):
            _reject(
                report,
                acts,
                f"the session was refused ({row.refusal}); only the person who started it "
                "may start it again",
            )
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
            else:
                # the session's start has not arrived yet: keep the actions until it does,
                # within the user's quota; the first sender owns the session id
                if pending is None:
                    store.capture.purge_orphans(now - PENDING_DAYS * _DAY_MS, conn=conn)
                    pending = (
                        store.capture.orphan_usage(study_id, actor.user_id, conn=conn)
                        if actor.user_id is not None
                        else (0, 0)
                    )
                count = pending[0] + len(acts)
                chars = pending[1] + sum(len(payloads[a.uuid]) for a in acts)
                if actor.user_id is not None and (
                    count > PENDING_MAX_ACTIONS or chars > PENDING_MAX_CHARS
                ):
                    _reject(
                        report,
                        acts,
                        f"too many actions are waiting for their session to start (at most "
                        f"{PENDING_MAX_ACTIONS} actions or {PENDING_MAX_CHARS:,} characters "
                        "per user): send the session's start first",
                    )
                    continue
                pending = (count, chars)
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
    logs = store.capture.logs(touched, conn=conn)
    for a in to_store:
        if a.session in logs:
            logs[a.session].append(
                Action(
                    a.uuid, a.session, a.seq, a.type, a.t, a.payload, actor.user_id, now, clock_ms
                )
            )
    # impossible times among the new actions are refused with the reason, never changed
    new_uuids = {a.uuid for a in to_store}
    refused: dict[str, str] = {}
    for suid in touched:
        refused |= _impossible_times(logs[suid], new_uuids)
    if refused:
        report.rejected.extend({"uuid": u, "reason": r} for u, r in refused.items())
        to_store = [a for a in to_store if a.uuid not in refused]
        for suid in touched:
            logs[suid] = [a for a in logs[suid] if a.uuid not in refused]
    if to_store:
        store.capture.add_actions(
            study_id,
            to_store,
            payloads,
            received_ms=now,
            batch_clock_ms=clock_ms,
            user_id=actor.user_id,
            conn=conn,
        )
        report.stored.extend(a.uuid for a in to_store)
    for suid in touched:
        report.sessions.append(_reproject(store, conn, suid, now, logs[suid]))
    return report


def _payload_problem(a: Action) -> str | None:
    """Why an action's payload cannot be kept (NUL, NaN/Infinity, too deep), or None."""
    problem = json_problem(a.payload)
    return f"'payload': {problem}" if problem else None


def _impossible_times(log: Sequence[Action], new: set[str]) -> dict[str, str]:
    """New actions of a session's log whose times contradict themselves or the log: a task
    added with its end before its start, the session ended before it started. By UUID, with
    the reason. (A tap's time comes from the device clock, which may step back between two
    taps; the fold orders taps by their sequence and keeps an end at its task's start.)"""
    starts = [a.t for a in log if a.type == "session_start"]
    session_start = min(starts) if starts else None
    out: dict[str, str] = {}
    for a in log:
        if a.uuid not in new:
            continue
        p = a.payload
        if a.type == "task_add":
            s0, s1 = p.get("start"), p.get("end")
            if isinstance(s0, int | float) and isinstance(s1, int | float) and s1 < s0:
                out[a.uuid] = "the task ends before it starts ('end' is before 'start')"
        elif a.type == "session_end" and session_start is not None and a.t < session_start:
            out[a.uuid] = "the session cannot end before it starts"
    return out


def _same_user(actor: Actor, row: CaptureSession) -> bool:
    return row.user_id is not None and row.user_id == actor.user_id


def purge_pending(store: Store, *, days: int = PENDING_DAYS, now_ms: int | None = None) -> int:
    """Delete actions whose session has not started `days` after they arrived (ingest does
    this too, when it stores such actions); the number deleted."""
    now = now_ms if now_ms is not None else _now()
    return store.capture.purge_orphans(now - days * _DAY_MS)


def _reject(report: SyncReport, acts: Iterable[Action], reason: str) -> None:
    report.rejected.extend({"uuid": a.uuid, "reason": reason} for a in acts)


def _may_append(actor: Actor, row: CaptureSession, acts: list[Action]) -> str | None:
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
    row: CaptureSession | None,
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
    calibration = p.get("calibration", False)
    if not isinstance(calibration, bool):
        return "'calibration' must be true or false"
    found = store.capture.participant_site(study_id, participant, conn=conn)
    if found is None:
        return f"no participant '{participant}' in this study"
    site, timezone = found
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
        if refusal is None:
            refusal = calibration_rule.start_refusal(
                store,
                study_id,
                role=actor.role,
                observer=observer,
                calibration=calibration,
                conn=conn,
            )
        store.studies.add_observers(study_id, [Observer(observer)], conn)
    template = setup.study_template(store, study_id, conn)
    store.capture.open_session(
        start.session,
        row,
        study_id=study_id,
        session_key=key,
        mode=mode,
        source=source,
        participant=participant,
        site=site,
        observer=observer,
        template=template.key,
        timezone=timezone,
        user_id=actor.user_id,
        refusal=refusal,
        now_ms=now,
        conn=conn,
    )
    return refusal


def _reproject(
    store: Store,
    conn: Connection,
    session_uuid: str,
    now: int,
    log: list[Action] | None = None,
) -> dict[str, Any]:
    row = store.capture.session_by_uuid(session_uuid, conn=conn)
    if log is None:
        log = store.capture.actions(session_uuid, conn=conn)
    # an action stored before payloads were checked (NaN, Infinity) is left out of the fold
    log = [a for a in log if json_problem(a.payload) is None]
    proj: Projection = project(row.header, log)
    s = proj.session
    store.capture.write_projection(row, proj, now, conn=conn)
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


def capture_session(store: Store, study_id: int, session_key: str) -> CaptureSession | None:
    """The capture session behind a session's key; None if it was not captured."""
    return store.capture.session(study_id, session_key)


def actions_of(store: Store, session_uuid: str) -> list[Action]:
    """A session's action log in the fold's order."""
    return ordered(store.capture.actions(session_uuid))


def edits_of(store: Store, study_id: int, session_key: str) -> list[dict[str, Any]]:
    """The corrections of a session: who, when, what, old and new values, and whether each
    applied."""
    return store.capture.edits(study_id, session_key)


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
    seqs = [a.seq for a in store.capture.actions(row.uuid)]
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
    zone = ZoneInfo(store.capture.participant_timezone(study_id, code))
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
    seqs = [a.seq for a in store.capture.actions(suid) if a.seq < 2**31 - 1]
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


__all__ = [
    "SyncReport",
    "actions_of",
    "actor_of",
    "capture_session",
    "correct",
    "edits_of",
    "ingest",
    "purge_pending",
    "record_diary",
    "reproject",
]
