"""Sync against hostile or confused clients, on SQLite and PostgreSQL: actions for a session
that has not started belong to their first sender, within a quota and for a limited time; a
refused session cannot be claimed; NaN/Infinity never reach the log; impossible times are
refused with a reason."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import capture_actor, raw_action, seed_users_study
from workweave.domain.capture import Action, Actor
from workweave.services import capture
from workweave.store import Store

T0 = 1_795_000_000_000
DAY = 86_400_000


@pytest.fixture
def store(store_location: str) -> Store:
    st_ = Store.create(store_location)
    seed_users_study(st_)
    return st_


def actor(store: Store, name: str) -> Actor:
    return capture_actor(store, name)


def raw(session: str, seq: int, type_: str, t: float, **payload: Any) -> dict[str, Any]:
    return raw_action(session, seq, type_, t, t0_ms=T0, **payload)


def task(session: str, seq: int, t: float, key: str = "t1") -> dict[str, Any]:
    return raw(session, seq, "task_start", t, task=key, category="ADMIN", ends=[], suspends=[])


def test_the_first_sender_owns_a_session_that_has_not_started(store: Store) -> None:
    sid, obs1, obs2 = store.studies.id("s1"), actor(store, "obs1"), actor(store, "obs2")
    s = str(uuid.uuid4())
    first = capture.ingest(store, sid, obs1, [task(s, 1, 5)], now_ms=T0)
    assert len(first.stored) == 1
    other = capture.ingest(store, sid, obs2, [task(s, 2, 6, "t2")], now_ms=T0)
    assert not other.stored and "another user" in other.rejected[0]["reason"]
    claim = capture.ingest(
        store, sid, obs2, [raw(s, 0, "session_start", 0, participant="P1")], now_ms=T0
    )
    assert not claim.stored and "another user" in claim.rejected[0]["reason"]
    own = capture.ingest(
        store, sid, obs1, [raw(s, 0, "session_start", 0, participant="P1")], now_ms=T0
    )
    assert own.stored and own.sessions[0]["tasks"] == 1


def test_actions_waiting_for_their_session_have_a_quota(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture, "PENDING_MAX_ACTIONS", 3)
    sid, obs1 = store.studies.id("s1"), actor(store, "obs1")
    s1, s2 = str(uuid.uuid4()), str(uuid.uuid4())
    ok = capture.ingest(store, sid, obs1, [task(s1, 1, 1), task(s1, 2, 2, "t2")], now_ms=T0)
    assert len(ok.stored) == 2
    over = capture.ingest(store, sid, obs1, [task(s2, 1, 1), task(s2, 2, 2, "t2")], now_ms=T0)
    assert not over.stored and "too many actions" in over.rejected[0]["reason"]
    # another user has their own quota
    other = capture.ingest(store, sid, actor(store, "obs2"), [task(s2, 1, 1)], now_ms=T0)
    assert other.stored
    monkeypatch.setattr(capture, "PENDING_MAX_ACTIONS", 1000)
    monkeypatch.setattr(capture, "PENDING_MAX_CHARS", 200)
    big = capture.ingest(
        store, sid, obs1, [raw(str(uuid.uuid4()), 1, "note", 1, text="x" * 300)], now_ms=T0
    )
    assert not big.stored and "characters" in big.rejected[0]["reason"]


def test_actions_whose_session_never_starts_expire(store: Store) -> None:
    sid, obs1 = store.studies.id("s1"), actor(store, "obs1")
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    capture.ingest(store, sid, obs1, [task(old, 1, 1)], now_ms=T0)
    assert store.capture.orphan_usage(sid, obs1.user_id)[0] == 1
    capture.ingest(store, sid, obs1, [task(new, 1, 1)], now_ms=T0 + 8 * DAY)
    assert store.capture.orphan_usage(sid, obs1.user_id)[0] == 1  # the old one is gone
    assert store.capture.actions(old) == []
    assert capture.purge_pending(store, now_ms=T0 + 16 * DAY) == 1
    assert store.capture.actions(new) == []


def test_a_refused_session_cannot_be_claimed_by_another_user(store: Store) -> None:
    sid, obs1, obs2 = store.studies.id("s1"), actor(store, "obs1"), actor(store, "obs2")
    s = str(uuid.uuid4())
    refused = capture.ingest(
        store, sid, obs1, [raw(s, 0, "session_start", 0, participant="P4")], now_ms=T0
    )
    assert "consent" in refused.rejected[0]["reason"]
    claim = capture.ingest(
        store, sid, obs2, [raw(s, 1, "session_start", 1, participant="P1")], now_ms=T0
    )
    assert not claim.stored and "only the person who started it" in claim.rejected[0]["reason"]
    row = store.capture.session_by_uuid(s)
    assert row.state == "refused" and row.user_id == obs1.user_id


@pytest.mark.parametrize(
    "payload",
    [
        {"task": "t1", "category": "ADMIN", "start": float("inf"), "end": T0},
        {"task": "t1", "category": "ADMIN", "start": T0, "end": float("-inf")},
        {"task": "t1", "category": float("nan"), "start": T0, "end": T0 + 1},
        {"task": "t1\x00", "category": "ADMIN", "start": T0, "end": T0 + 1},
    ],
)
def test_nan_infinity_and_nul_are_refused_at_the_edge(store: Store, payload) -> None:
    sid, obs1 = store.studies.id("s1"), actor(store, "obs1")
    s = str(uuid.uuid4())
    orphan = raw(s, 1, "task_add", 1, **payload)
    r = capture.ingest(store, sid, obs1, [orphan], now_ms=T0)
    assert not r.stored and "'payload'" in r.rejected[0]["reason"]
    start = capture.ingest(
        store, sid, obs1, [raw(s, 0, "session_start", 0, participant="P1")], now_ms=T0
    )
    assert start.stored and not start.rejected


def test_a_poisoned_stored_action_never_breaks_later_syncs(store: Store) -> None:
    sid, obs1 = store.studies.id("s1"), actor(store, "obs1")
    s = str(uuid.uuid4())
    poisoned = Action(str(uuid.uuid4()), s, 1, "task_add", T0 + 1000, {})
    store.capture.add_actions(
        sid,
        [poisoned],
        {poisoned.uuid: '{"category": "ADMIN", "end": Infinity, "start": Infinity, "task": "x"}'},
        received_ms=T0,
        batch_clock_ms=None,
        user_id=obs1.user_id,
    )
    start = capture.ingest(
        store, sid, obs1, [raw(s, 0, "session_start", 0, participant="P1")], now_ms=T0
    )
    assert start.stored and start.sessions[0]["tasks"] == 0
    more = capture.ingest(store, sid, obs1, [task(s, 2, 5)], now_ms=T0)
    assert more.sessions[0]["tasks"] == 1


def test_impossible_times_are_refused_with_a_reason(store: Store) -> None:
    sid, obs1 = store.studies.id("s1"), actor(store, "obs1")
    s = str(uuid.uuid4())
    r = capture.ingest(
        store,
        sid,
        obs1,
        [
            raw(s, 0, "session_start", 100, participant="P1"),
            task(s, 1, 110),
            raw(
                s,
                2,
                "task_add",
                120,
                task="t2",
                category="ADMIN",
                start=T0 + 200_000,
                end=T0 + 150_000,
            ),
            raw(s, 3, "session_end", 50),
        ],
        now_ms=T0,
    )
    reasons = sorted(x["reason"] for x in r.rejected)
    assert len(r.stored) == 2 and len(reasons) == 2
    assert any("'end' is before 'start'" in x for x in reasons)
    assert any("session cannot end before it starts" in x for x in reasons)
    (sess,) = store.sessions.load(sid)
    assert sess.tasks[0].end is None  # nothing was silently moved
