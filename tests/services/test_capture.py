"""Capture as a service (``workweave.services.capture``) on a real store, without the web app:
idempotent ingest (a property test over random action sequences with duplicated and reordered
deliveries), consent, who may add to a session, and the diary."""

from __future__ import annotations

import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import capture_actor, raw_action, seed_users_study
from workweave.domain.capture import Action, Actor, project
from workweave.services import accounts, capture
from workweave.store import Store, fingerprint
from workweave.store import schema_web as W

T0 = 1_795_000_000_000  # 2026-11-18, ms


# -- the store ------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st_ = Store.create(tmp_path / "w.sqlite")
    seed_users_study(st_)
    return st_


def actor(store: Store, name: str) -> Actor:
    return capture_actor(store, name)


def raw(session: str, seq: int, type_: str, t: float, **payload: Any) -> dict[str, Any]:
    return raw_action(session, seq, type_, t, t0_ms=T0, **payload)


def test_sync_is_idempotent_and_reports_what_it_stored(store: Store) -> None:
    sid, obs = store.studies.id("s1"), actor(store, "obs1")
    s = str(uuid.uuid4())
    batch = [
        raw(s, 0, "session_start", 0, participant="P1"),
        raw(s, 1, "task_start", 5, task="t1", category="ADMIN", ends=[], suspends=[]),
        raw(s, 2, "session_end", 65),
    ]
    first = capture.ingest(store, sid, obs, batch, clock_ms=T0 + 70_000, now_ms=T0 + 72_000)
    assert len(first.stored) == 3 and not first.duplicates and not first.rejected
    assert first.sessions[0]["tasks"] == 1 and first.sessions[0]["clock_skew_ms"] == 2000
    (before,) = store.sessions.load(sid)
    again = capture.ingest(store, sid, obs, batch + batch[:1], clock_ms=T0, now_ms=T0 + 99_000)
    assert not again.stored and len(again.duplicates) == 4 and not again.sessions
    (after,) = store.sessions.load(sid)
    assert fingerprint(after) == fingerprint(before)
    assert after.clock_skew_seconds == 2.0 and after.source == "capture"
    assert after.mode == "shadowing" and after.observer == "OBS-1"


def test_observation_needs_consent(store: Store) -> None:
    sid, obs = store.studies.id("s1"), actor(store, "obs1")
    s = str(uuid.uuid4())
    start = raw(s, 0, "session_start", 0, participant="P4")
    task = raw(s, 1, "task_start", 5, task="t1", category="ADMIN", ends=[], suspends=[])
    r = capture.ingest(store, sid, obs, [start, task])
    assert {x["uuid"] for x in r.rejected} == {start["uuid"], task["uuid"]}
    assert "no consent" in r.rejected[0]["reason"]
    assert store.sessions.load(sid) == []
    accounts.record_consent(store, sid, "P4", given=True, by=None)
    r = capture.ingest(store, sid, obs, [start, task])
    assert len(r.stored) == 2 and not r.rejected
    accounts.record_consent(store, sid, "P4", given=False, by=None, note="withdrawn")
    r = capture.ingest(
        store, sid, obs, [raw(str(uuid.uuid4()), 0, "session_start", 0, participant="P4")]
    )
    assert r.rejected and "no consent" in r.rejected[0]["reason"]


def test_who_may_add_to_a_session(store: Store) -> None:
    sid = store.studies.id("s1")
    s = str(uuid.uuid4())
    capture.ingest(
        store, sid, actor(store, "obs1"), [raw(s, 0, "session_start", 0, participant="P1")]
    )
    intruder = raw(s, 1, "task_start", 5, task="x", category="ADMIN", ends=[], suspends=[])
    r = capture.ingest(store, sid, actor(store, "obs2"), [intruder])
    assert r.rejected and not r.stored
    fix = raw(s, 2, "edit", 9, target="x", field="category", value="BUDGET")
    assert capture.ingest(store, sid, actor(store, "res"), [fix]).stored
    assert capture.ingest(store, sid, actor(store, "res"), [intruder]).rejected
    # a participant records only their own work, as a self-report
    part = actor(store, "part")
    r = capture.ingest(
        store, sid, part, [raw(str(uuid.uuid4()), 0, "session_start", 0, participant="P2")]
    )
    assert r.rejected
    r = capture.ingest(
        store,
        sid,
        part,
        [raw(str(uuid.uuid4()), 0, "session_start", 0, participant="P2", mode="self-report")],
    )
    assert not r.rejected
    (own,) = [x for x in store.sessions.load(sid) if x.mode == "self-report"]
    assert own.participant == "P1" and own.observer is None


def test_diary_entries_become_a_self_report_session(store: Store) -> None:
    import datetime as dt

    sid, part = store.studies.id("s1"), actor(store, "part")
    day = dt.date(2026, 11, 18)
    entries = [
        {
            "category": "ADMIN",
            "start": "17:30",
            "end": "18:10",
            "dims": {"how": ["email/messaging"]},
        },
        {"category": "BUDGET", "start": "18:10", "end": "18:25"},
    ]
    capture.record_diary(store, sid, part, day, entries)
    capture.record_diary(
        store, sid, part, day, [{"category": "RECRUIT", "start": "07:40", "end": "08:00"}]
    )
    (s,) = store.sessions.load(sid)
    assert (s.key, s.mode, s.source, s.observer) == (
        "diary:P1:2026-11-18",
        "self-report",
        "diary",
        None,
    )
    assert [t.category for t in s.tasks] == ["ADMIN", "BUDGET", "RECRUIT"]
    local = s.start.astimezone(dt.timezone(dt.timedelta(0)))
    assert local.strftime("%H:%M") == "07:40" and s.complete
    assert s.end is not None and s.end.strftime("%H:%M") == "18:25"


# -- the property: any delivery of the same actions stores the same thing, exactly once -----


CATS = ["CLIN-DIRECT", "ADMIN", "STAFF-ROTA", "LIST-MANAGE", "BREAK"]
KINDS = [
    "switch",
    "parallel",
    "interrupt",
    "end",
    "resume",
    "dims",
    "event",
    "note",
    "undo",
    "edit",
]


def client_log(data: st.DataObject, session: str) -> list[dict[str, Any]]:
    """Actions as a capture device would make them, from random taps."""
    t = 0.0
    log: list[dict[str, Any]] = []
    running: list[str] = []
    suspended: list[str] = []
    ended: list[str] = []
    n = data.draw(st.integers(1, 25), label="taps")

    def add(type_: str, **payload: Any) -> None:
        log.append(raw(session, len(log), type_, t, **payload))

    add("session_start", participant="P1")
    for _ in range(n):
        t += data.draw(st.sampled_from([0, 0.5, 3, 40, 600, -2]))  # ties and a clock step back
        kind = data.draw(st.sampled_from(KINDS))
        key = f"k{len(log)}"
        if kind in ("switch", "parallel", "interrupt"):
            ends = list(running) if kind == "switch" else []
            susp = running[-1:] if kind == "interrupt" else []
            add(
                "task_start",
                task=key,
                category=data.draw(st.sampled_from(CATS)),
                ends=ends,
                suspends=susp,
            )
            for k in ends:
                running.remove(k)
                ended.append(k)
            for k in susp:
                running.remove(k)
                suspended.append(k)
            running.append(key)
        elif kind == "end" and running:
            k = running.pop()
            add("task_end", task=k)
            ended.append(k)
        elif kind == "resume" and suspended:
            k = suspended.pop()
            add("resume", task=k, ends=list(running))
            ended.extend(running)
            running[:] = [k]
        elif kind == "dims" and (running or ended):
            k = data.draw(st.sampled_from(running + ended))
            add(
                "dims",
                task=k,
                dimension="with_whom",
                values=data.draw(
                    st.lists(st.sampled_from(["patient", "alone", "student"]), max_size=2)
                ),
            )
        elif kind == "event":
            add(
                "event",
                kind=data.draw(st.sampled_from(["interruption", "demand"])),
                subtype="phone",
            )
        elif kind == "note":
            add("note", text=data.draw(st.sampled_from(["a", "rota gap", "  "])))
        elif kind == "undo" and len(log) > 1:
            add("undo", target=data.draw(st.sampled_from(log))["uuid"])
        elif kind == "edit" and (running or ended):
            k = data.draw(st.sampled_from(running + ended))
            field = data.draw(st.sampled_from(["category", "start", "end", "deleted", "nope"]))
            value = {
                "category": "BUDGET",
                "start": int(T0 + t * 500),
                "end": int(T0 + t * 1000 + 1),
                "deleted": True,
                "nope": 1,
            }[field]
            add("edit", target=k, field=field, value=value)
    if data.draw(st.booleans(), label="ended"):
        # after the start: a session ending before it started is refused (tested apart)
        t = max(t, 0.0) + 1
        add("session_end")
    return log


_STORE: dict[str, Any] = {}


def property_store() -> tuple[Store, int, Actor]:
    if not _STORE:
        folder = Path(tempfile.mkdtemp(prefix="ww-prop-"))
        store = Store.create(folder / "p.sqlite")
        seed_users_study(store)
        _STORE["v"] = (store, store.studies.id("s1"), actor(store, "obs1"))
    return _STORE["v"]  # type: ignore[no-any-return]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_sync_delivery_order_and_duplicates_change_nothing(data: st.DataObject) -> None:
    store, sid, obs = property_store()
    session = str(uuid.uuid4())
    log = client_log(data, session)
    # the delivery: every action at least once, some two or three times, in any order,
    # in batches of any size, with one batch replayed whole
    deliveries = [a for a in log for _ in range(data.draw(st.integers(1, 3)))]
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    rng.shuffle(deliveries)
    batches: list[list[dict[str, Any]]] = []
    while deliveries:
        k = rng.randint(1, 6)
        batches.append(deliveries[:k])
        deliveries = deliveries[k:]
    batches.insert(rng.randint(0, len(batches)), list(rng.choice(batches)))
    stored: list[str] = []
    for b in batches:
        r = capture.ingest(store, sid, obs, b, clock_ms=T0, now_ms=T0 + 1500)
        assert not r.rejected
        stored.extend(r.stored)
    # exactly once
    assert sorted(stored) == sorted(a["uuid"] for a in log)
    with store.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).where(W.capture_actions.c.session_uuid == session)
        ).scalar_one()
        row = store.capture.session_by_uuid(session, conn=conn)
        edits = conn.execute(
            select(
                W.edits.c.action_uuid,
                W.edits.c.field,
                W.edits.c.old_value,
                W.edits.c.new_value,
                W.edits.c.applied,
            )
            .where(W.edits.c.session_key == row.session_key)
            .order_by(W.edits.c.action_uuid)
        ).all()
    assert n == len(log)
    # the same result as the projection of the log delivered once, in order
    actions = [
        Action(a["uuid"], session, a["seq"], a["type"], a["t"], a["payload"], None, T0 + 1500, T0)
        for a in log
    ]
    expected = project(row.header, actions)
    (got,) = store.sessions.load(sid, keys=[row.session_key])
    assert fingerprint(got) == fingerprint(expected.session)
    assert [tuple(e) for e in edits] == [
        (e.action_uuid, e.field, e.old, e.new, e.applied) for e in expected.edits
    ]
    # and projecting again from the stored log changes nothing
    capture.reproject(store, session)
    (again,) = store.sessions.load(sid, keys=[row.session_key])
    assert fingerprint(again) == fingerprint(got)
