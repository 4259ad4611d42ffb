"""From the capture action log to a canonical session: a pure, deterministic fold.

This is the reference fold. The capture client's ``static/capture/fold.js`` mirrors it in the
browser; both run the same action-log cases (``tests/domain/capture/fold_cases/``).

A capture device records what the observer (or participant) did as a log of small actions,
each with a device-made UUID, the device's clock time ``t`` (ms since the epoch, UTC) and a
sequence number within the session. The log is the record; the canonical session (tasks with
their parallel links and suspensions, point events, notes) is a projection of it.

The projection depends only on the *set* of actions: they are put in order by
``(seq, t, uuid)`` before folding, so actions that arrive late, twice or out of order give the
same session once they have all arrived.

Action types (payload fields in brackets):

``session_start``  [participant, mode, calibration?] opens the session (the server checks who
                   may start it; the fold uses only its time).
``task_start``     [task, category, subcategory?, ends[], suspends[]] ends the tasks in
                   ``ends`` (switching), suspends those in ``suspends`` (an interruption), then
                   starts ``task``; every task still active then runs in parallel with it.
``task_end``       [task] ends a task.
``resume``         [task, ends[]] ends the tasks in ``ends`` and takes up the suspended task.
``dims``           [task, dimension, values[]] sets a dimension's values on a task; done after
                   the task ended, it is a correction and is listed as an edit.
``event``          [key?, kind, subtype?] a point event (interruption or demand event).
``note``           [key?, text] a field note stamped with ``t``.
``task_add``       [task, category, start, end, dims{}] a whole task at once (diary entries).
``edit``           [target, field, value] a correction of a task (category, subcategory,
                   start, end, deleted), a point event (subtype, at, deleted) or a note (text,
                   at, deleted). Always listed as an edit.
``undo``           [target] the action with UUID ``target`` is left out of the fold.
``session_end``    ends every running task and the session.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workweave.domain.observation import (
    Note,
    ParallelLink,
    PointEvent,
    Session,
    Suspension,
    Task,
)
from workweave.domain.time import from_ms

ACTION_TYPES: tuple[str, ...] = (
    "session_start",
    "task_start",
    "task_end",
    "resume",
    "dims",
    "event",
    "note",
    "task_add",
    "edit",
    "undo",
    "session_end",
)

EVENT_KINDS = ("interruption", "demand")
TASK_FIELDS = ("category", "subcategory", "start", "end", "deleted")
EVENT_FIELDS = ("subtype", "at", "deleted")
NOTE_FIELDS = ("text", "at", "deleted")
MIN_MS = 946_684_800_000  # 2000-01-01
MAX_MS = 4_102_444_800_000  # 2100-01-01
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,35}$")


@dataclass(frozen=True)
class Action:
    uuid: str
    session: str
    seq: int
    type: str
    t: int  # device clock, ms since the epoch (UTC)
    payload: Mapping[str, Any]
    user_id: int | None = None
    received_ms: int = 0
    batch_clock_ms: int | None = None

    @property
    def order_key(self) -> tuple[int, int, str]:
        return (self.seq, self.t, self.uuid)


@dataclass(frozen=True)
class Actor:
    """Who is sending actions, and what they may do in the study."""

    user_id: int
    name: str
    role: str  # the role in this study: admin, researcher, observer or participant
    observer_code: str | None = None
    participant_code: str | None = None


@dataclass(frozen=True)
class Header:
    """What the server fixed when the session started: who, where, with which template."""

    key: str
    uuid: str
    participant: str
    site: str
    mode: str
    observer: str | None
    timezone: str
    template: str | None
    source: str = "capture"


@dataclass(frozen=True)
class EditRecord:
    """One correction made after the fact, with who made it and when."""

    action_uuid: str
    target: str
    field: str
    old: str | None
    new: str | None
    applied: bool
    user_id: int | None
    device_ms: int
    received_ms: int


@dataclass
class _Task:
    key: str
    category: str
    subcategory: str | None
    start: int
    seq: int
    end: int | None = None
    ended_by: str | None = None
    dims: dict[str, list[str]] = field(default_factory=dict)
    susp: list[list[Any]] = field(default_factory=list)  # [start, end | None, by]
    deleted: bool = False

    @property
    def suspended(self) -> bool:
        return bool(self.susp) and self.susp[-1][1] is None

    @property
    def active(self) -> bool:
        return self.end is None and not self.suspended and not self.deleted


@dataclass
class _Point:
    key: str
    at: int
    kind: str
    subtype: str | None = None
    text: str = ""
    deleted: bool = False


@dataclass
class Projection:
    session: Session
    edits: list[EditRecord]
    clock_skew_ms: int | None


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


def ordered(actions: Iterable[Action]) -> list[Action]:
    """The fold order: device sequence, then device time, then UUID (a total order)."""
    return sorted(actions, key=lambda a: a.order_key)


def clock_skew_ms(actions: Iterable[Action]) -> int | None:
    """Server time minus device time, estimated from the sync batches that brought actions.

    Each batch carries the device's clock when it was sent; the server notes when it arrived.
    Network delay only ever adds to the difference, so the smallest difference is the best
    estimate of the skew.
    """
    diffs = [a.received_ms - a.batch_clock_ms for a in actions if a.batch_clock_ms is not None]
    return min(diffs) if diffs else None


def _iso(ms: int | None) -> str | None:
    dt = from_ms(ms)
    return None if dt is None else dt.isoformat(timespec="milliseconds")


def _dt(ms: int) -> datetime:
    dt = from_ms(ms)
    assert dt is not None
    return dt


def _text(v: Any, limit: int = 200) -> str | None:
    if isinstance(v, str) and v.strip():
        return v.strip()[:limit]
    return None


def _ms(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    v = int(v)
    return v if MIN_MS <= v <= MAX_MS else None


def _keys(v: Any) -> list[str]:
    if not isinstance(v, list):
        return []
    return [x for x in v if isinstance(x, str)]


def _values(v: Any) -> list[str]:
    out: list[str] = []
    if isinstance(v, list):
        for x in v:
            if isinstance(x, str) and x.strip() and x.strip() not in out:
                out.append(x.strip()[:200])
    return out


def _describe(a: Action) -> str:
    p = a.payload
    bits = [a.type]
    for k in ("task", "category", "kind", "subtype", "target", "field"):
        if isinstance(p.get(k), str):
            bits.append(f"{k}={p[k]}")
    return " ".join(bits)


class _Fold:
    def __init__(self, header: Header) -> None:
        self.h = header
        self.tasks: dict[str, _Task] = {}
        self.open: dict[str, _Task] = {}  # active tasks (not ended, not suspended)
        self.held: dict[str, _Task] = {}  # suspended tasks not ended
        self.points: dict[str, _Point] = {}  # events and notes, by key
        self.links: list[tuple[str, str]] = []
        self.start: int | None = None
        self.end: int | None = None
        self.edits: list[EditRecord] = []

    # -- helpers ----------------------------------------------------------------------------
    def _edit(self, a: Action, target: str, fld: str, old: Any, new: Any, applied: bool) -> None:
        def show(v: Any) -> str | None:
            if v is None:
                return None
            return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)

        self.edits.append(
            EditRecord(
                a.uuid,
                target[:200],
                fld[:64],
                show(old),
                show(new),
                applied,
                a.user_id,
                a.t,
                a.received_ms,
            )
        )

    def _end(self, key: str, t: int, by: str) -> None:
        task = self.tasks.get(key)
        if task is not None and task.end is None and not task.deleted:
            task.end = max(t, task.start)
            task.ended_by = by
            self.open.pop(key, None)
            self.held.pop(key, None)

    def _active(self) -> list[_Task]:
        return [x for x in self.open.values() if not x.deleted]

    def _new_task(
        self,
        key: str,
        category: str,
        subcategory: str | None,
        start: int,
    ) -> _Task:
        task = _Task(key, category, subcategory, start, seq=len(self.tasks))
        self.tasks[key] = task
        self.open[key] = task
        return task

    # -- the fold ---------------------------------------------------------------------------
    def apply(self, a: Action) -> None:
        p = a.payload
        t = a.t
        kind = a.type
        if kind == "session_start":
            self.start = t if self.start is None else min(self.start, t)
        elif kind == "task_start":
            key, category = _text(p.get("task")), _text(p.get("category"))
            if key is None or category is None or key in self.tasks:
                return
            for k in _keys(p.get("ends")):
                self._end(k, t, key)
            for k in _keys(p.get("suspends")):
                task = self.tasks.get(k)
                if task is not None and task.active:
                    task.susp.append([t, None, key])
                    self.held[k] = self.open.pop(k)
            others = self._active()
            self._new_task(key, category, _text(p.get("subcategory")), t)
            self.links.extend((o.key, key) for o in others)
        elif kind == "task_end":
            key = _text(p.get("task"))
            if key is not None:
                self._end(key, t, "user")
        elif kind == "resume":
            key = _text(p.get("task"))
            for k in _keys(p.get("ends")):
                if k != key:
                    self._end(k, t, key or "user")
            task = self.tasks.get(key or "")
            if task is not None and task.suspended and task.end is None:
                task.susp[-1][1] = max(t, task.susp[-1][0])
                self.open[task.key] = self.held.pop(task.key)
                others = self._active()
                self.links.extend((o.key, task.key) for o in others if o.key != task.key)
        elif kind == "dims":
            key, dim = _text(p.get("task")), _text(p.get("dimension"))
            task = self.tasks.get(key or "")
            if task is None or dim is None:
                return
            values = _values(p.get("values"))
            old = task.dims.get(dim, [])
            if values:
                task.dims[dim] = values
            else:
                task.dims.pop(dim, None)
            if task.end is not None and t > task.end:
                self._edit(a, task.key, f"dims:{dim}", old, values, True)
        elif kind == "event":
            ek = _text(p.get("kind"))
            if ek not in EVENT_KINDS:
                return
            key = _text(p.get("key")) or a.uuid
            if key not in self.points:
                self.points[key] = _Point(key, t, ek, _text(p.get("subtype")))
        elif kind == "note":
            text = p.get("text")
            if not isinstance(text, str) or not text.strip():
                return
            key = _text(p.get("key")) or a.uuid
            if key not in self.points:
                self.points[key] = _Point(key, t, "note", text=text.strip()[:10000])
        elif kind == "task_add":
            key, category = _text(p.get("task")), _text(p.get("category"))
            start, end = _ms(p.get("start")), _ms(p.get("end"))
            if key is None or category is None or start is None or key in self.tasks:
                return
            task = self._new_task(key, category, _text(p.get("subcategory")), start)
            task.end = max(end, start) if end is not None else start
            task.ended_by = "user"
            self.open.pop(key, None)
            dims = p.get("dims")
            if isinstance(dims, Mapping):
                for d, v in sorted(dims.items()):
                    vals = _values(v)
                    if isinstance(d, str) and vals:
                        task.dims[d[:200]] = vals
        elif kind == "edit":
            self._correct(a)
        elif kind == "session_end":
            for task in [*self.open.values(), *self.held.values()]:
                if task.end is None and not task.deleted:
                    task.end = max(t, task.start)
                    task.ended_by = "session"
            self.open.clear()
            self.held.clear()
            self.end = t if self.end is None else max(self.end, t)

    def _correct(self, a: Action) -> None:
        p = a.payload
        target, fld = _text(p.get("target")), _text(p.get("field"), 64)
        value = p.get("value")
        if target is None or fld is None:
            return
        if target in self.tasks:
            task = self.tasks[target]
            if fld not in TASK_FIELDS:
                self._edit(a, target, fld, None, value, False)
                return
            old = getattr(task, fld)
            ok = True
            new: str | int | bool | None
            if fld == "category":
                new = _text(value)
                ok = new is not None
            elif fld == "subcategory":
                new = _text(value)
            elif fld == "start":
                new_ms = _ms(value)
                ok = new_ms is not None and (task.end is None or new_ms <= task.end)
                new = new_ms
            elif fld == "end":
                new_ms = _ms(value)
                ok = new_ms is not None and new_ms >= task.start
                new = new_ms
            else:
                new = bool(value)
            if ok:
                setattr(task, fld, new)
                if fld == "end":
                    self.open.pop(task.key, None)
                    self.held.pop(task.key, None)
                    if task.ended_by is None:
                        task.ended_by = "user"
            if fld in ("start", "end"):
                old, new = _iso(old), _iso(new) if isinstance(new, int) else value
            self._edit(a, target, fld, old, new, ok)
        elif target in self.points:
            pt = self.points[target]
            allowed = NOTE_FIELDS if pt.kind == "note" else EVENT_FIELDS
            if fld not in allowed:
                self._edit(a, target, fld, None, value, False)
                return
            if fld == "at":
                new_at = _ms(value)
                self._edit(a, target, fld, _iso(pt.at), _iso(new_at), new_at is not None)
                if new_at is not None:
                    pt.at = new_at
            elif fld == "text":
                text = value.strip() if isinstance(value, str) else ""
                ok = bool(text)
                self._edit(a, target, fld, pt.text, value, ok)
                if ok:
                    pt.text = text[:10000]
            elif fld == "subtype":
                self._edit(a, target, fld, pt.subtype, _text(value), True)
                pt.subtype = _text(value)
            else:
                self._edit(a, target, fld, pt.deleted, bool(value), True)
                pt.deleted = bool(value)
        else:
            self._edit(a, target, fld, None, value, False)

    # -- the result -------------------------------------------------------------------------
    def session(self, skew_ms: int | None) -> Session:
        live = [x for x in self.tasks.values() if not x.deleted]
        points = [x for x in self.points.values() if not x.deleted]
        times = [x.start for x in live] + [x.at for x in points]
        start = self.start if self.start is not None else (min(times) if times else 0)
        if times:
            start = min(start, *times)
        end = self.end
        if end is not None:
            ends = [x.end for x in live if x.end is not None] + [x.at for x in points]
            end = max(end, start, *ends)
        by_key = {x.key: x for x in live}
        partners: dict[str, list[ParallelLink]] = {}
        seen: set[tuple[str, str]] = set()
        for a_key, b_key in self.links:
            pair = (min(a_key, b_key), max(a_key, b_key))
            if pair in seen or a_key not in by_key or b_key not in by_key:
                continue
            seen.add(pair)
            ta, tb = by_key[a_key], by_key[b_key]
            lo = max(ta.start, tb.start)
            ends = [x for x in (ta.end, tb.end) if x is not None]
            hi = min(ends) if ends else None
            if hi is not None and hi < lo:
                continue
            partners.setdefault(a_key, []).append(ParallelLink(b_key, _dt(lo), _opt(hi)))
            partners.setdefault(b_key, []).append(ParallelLink(a_key, _dt(lo), _opt(hi)))
        tasks = []
        for n, x in enumerate(sorted(live, key=lambda x: x.seq)):
            tasks.append(
                Task(
                    key=x.key,
                    category=x.category,
                    subcategory=x.subcategory,
                    start=_dt(x.start),
                    end=_opt(x.end),
                    dimensions=tuple((d, tuple(v)) for d, v in sorted(x.dims.items())),
                    parallel=tuple(partners.get(x.key, ())),
                    suspensions=tuple(
                        Suspension(
                            _dt(s0),
                            _opt(max(s1, s0) if s1 is not None else None),
                            by,
                        )
                        for s0, s1, by in x.susp
                    ),
                    ended_by=x.ended_by,
                    seq=n,
                )
            )
        ordered_points = sorted(points, key=lambda x: (x.at, x.key))
        return Session(
            key=self.h.key,
            participant=self.h.participant,
            site=self.h.site,
            start=_dt(start),
            end=_opt(end),
            mode=self.h.mode,
            observer=self.h.observer,
            complete=end is not None,
            timezone=self.h.timezone,
            template=self.h.template,
            source=self.h.source,
            source_id=self.h.uuid,
            tasks=tuple(tasks),
            events=tuple(
                PointEvent(x.kind, _dt(x.at), x.subtype, x.key)
                for x in ordered_points
                if x.kind != "note"
            ),
            notes=tuple(Note(_dt(x.at), x.text, x.key) for x in ordered_points if x.kind == "note"),
            clock_skew_seconds=None if skew_ms is None else skew_ms / 1000,
        )


def _opt(ms: int | None) -> datetime | None:
    return from_ms(ms)


def project(header: Header, actions: Sequence[Action]) -> Projection:
    """The canonical session recorded by an action log, with the corrections made in it."""
    acts = ordered(actions)
    by_uuid = {a.uuid: a for a in acts}
    undone: set[str] = set()
    fold = _Fold(header)
    for a in acts:
        if a.type == "undo":
            target = _text(a.payload.get("target"), 64)
            victim = by_uuid.get(target or "")
            ok = victim is not None and victim.type not in ("undo", "session_start")
            if ok:
                undone.add(target)  # type: ignore[arg-type]
            fold._edit(a, target or "?", "undo", _describe(victim) if victim else None, None, ok)
    for a in acts:
        if a.uuid in undone or a.type == "undo":
            continue
        fold.apply(a)
    skew = clock_skew_ms(acts)
    edits = sorted(fold.edits, key=lambda e: e.action_uuid)
    return Projection(fold.session(skew), edits, skew)


__all__ = [
    "ACTION_TYPES",
    "Action",
    "Actor",
    "EditRecord",
    "Header",
    "Projection",
    "clock_skew_ms",
    "ordered",
    "parse_action",
    "project",
]
