"""The observer role of a stored session, and participant merges, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.store.test_store import make_session, populated
from workweave.domain import NotFoundError, Observer, Participant, Site, ValidationError
from workweave.store import Store, fingerprint
from workweave.store import schema as S


def test_observer_role_round_trip_outside_the_fingerprint(store_location: str) -> None:
    store, sid = populated(store_location)
    s = make_session()
    assert fingerprint(replace(s, observer_role="second")) == fingerprint(s)
    with store.transaction() as conn:
        store.sessions.write(sid, [replace(s, observer_role="second")], conn)
    assert store.sessions.load(sid)[0].observer_role == "second"
    assert store.analytic.frame("sessions", sid)["observer_role"].tolist() == ["second"]
    # writing it again without a role changes nothing; with another role sets it
    with store.transaction() as conn:
        c = store.sessions.write(sid, [s], conn)
    assert c.sessions_unchanged == 1 and c.roles_set == 0
    assert store.sessions.load(sid)[0].observer_role == "second"
    with store.transaction() as conn:
        c = store.sessions.write(sid, [replace(s, observer_role="primary")], conn)
    assert c.roles_set == 1 and store.sessions.load(sid)[0].observer_role == "primary"
    # a session replaced by new content (a capture re-projection) keeps its stored role
    with store.transaction() as conn:
        store.sessions.write(sid, [make_session(category="ADMIN")], conn, replace=True)
    (back,) = store.sessions.load(sid)
    assert back.tasks[0].category == "ADMIN" and back.observer_role == "primary"
    store.sessions.set_observer_role(sid, s.key, None)
    assert store.sessions.load(sid)[0].observer_role is None
    with pytest.raises(ValidationError, match="observer role must be one of"):
        store.sessions.set_observer_role(sid, s.key, "third")
    with pytest.raises(NotFoundError):
        store.sessions.set_observer_role(sid, "cap:nope", "primary")
    with pytest.raises(ValidationError, match="observer role"):
        replace(s, observer_role="boss")
    store.close()


def snapshot(store: Store) -> dict[str, list[tuple]]:
    out = {}
    with store.engine.connect() as conn:
        for t in (S.sessions, S.participants, S.sites, S.participant_merges):
            out[t.name] = sorted(tuple(r) for r in conn.execute(select(t)))
    return out


def two_codes(location: str) -> tuple[Store, int]:
    """RAD-01 at TH, and the same person typed RAD-1 at a second site code."""
    store, sid = populated(location)
    with store.transaction() as conn:
        store.studies.add_sites(sid, [Site("th", "typed in lower case")], conn)
        store.studies.add_observers(sid, [Observer("OBS-2")], conn)
        store.studies.add_participants(sid, [Participant("RAD-1", "th", "radiographer")], conn)
        store.sessions.write(
            sid,
            [
                make_session("cap:1"),
                replace(make_session("cap:2"), participant="RAD-1", site="th"),
                replace(make_session("cap:3"), participant="RAD-1", site="th", observer="OBS-2"),
            ],
            conn,
        )
    return store, sid


def test_merge_then_unmerge_restores_the_tables_exactly(store_location: str) -> None:
    store, sid = two_codes(store_location)
    before = snapshot(store)
    rec = store.merges.merge(sid, "RAD-01", "RAD-1", by="tester", note="typo")
    assert rec.sessions == 2 and rec.merged_by == "tester"
    sessions = store.analytic.frame("sessions", sid)
    assert set(sessions["participant"]) == {"RAD-01"} and set(sessions["site"]) == {"TH"}
    rows = {r.code: r for r in store.merges.participant_rows(sid)}
    assert rows["RAD-1"].merged_into == "RAD-01" and rows["RAD-1"].sessions == 0
    assert rows["RAD-01"].sessions == 3 and rows["RAD-01"].hours == pytest.approx(3.0)
    assert [(m.into, m.merged, m.note) for m in store.merges.merges(sid)] == [
        ("RAD-01", "RAD-1", "typo")
    ]
    with pytest.raises(ValidationError, match="already merged"):
        store.merges.merge(sid, "RAD-01", "RAD-1", by="tester")
    with pytest.raises(ValidationError, match="itself merged"):
        store.merges.merge(sid, "RAD-1", "RAD-01", by="tester")
    with pytest.raises(ValidationError, match="into itself"):
        store.merges.merge(sid, "RAD-01", "RAD-01", by="tester")
    with pytest.raises(NotFoundError):
        store.merges.merge(sid, "RAD-01", "nobody", by="tester")
    back = store.merges.unmerge(sid, "RAD-1")
    assert back.sessions == 2 and back.into == "RAD-01"
    assert snapshot(store) == before
    with pytest.raises(ValidationError, match="not merged"):
        store.merges.unmerge(sid, "RAD-1")
    store.close()
