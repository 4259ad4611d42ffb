"""The store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.factories import create_study
from workweave.domain import (
    JobPlan,
    JobPlanSession,
    Note,
    NotFoundError,
    Observer,
    ParallelLink,
    Participant,
    PointEvent,
    Session,
    Site,
    Study,
    Suspension,
    Task,
    ValidationError,
)
from workweave.io.templates import builtin_template
from workweave.store import Store, fingerprint
from workweave.store.engine import StoreError, store_url
from workweave.store.schema import metadata

T0 = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_session(key: str = "cap:1", category: str = "CLIN-DIRECT") -> Session:
    return Session(
        key=key,
        participant="RAD-01",
        site="TH",
        start=at(0),
        end=at(60),
        mode="shadowing",
        observer="OBS-1",
        template="ahp-clinician-manager@1",
        source="capture",
        source_id=key.split(":")[1],
        tasks=(
            Task(
                key="1",
                category=category,
                start=at(0),
                end=at(30),
                seq=1,
                dimensions=(
                    ("with_whom", ("patient", "carer/relative")),
                    ("where", ("clinical area",)),
                ),
                suspensions=(Suspension(at(10), at(15), by="2"),),
            ),
            Task(
                key="2",
                category="STAFF-ROTA",
                start=at(10),
                end=at(15),
                seq=2,
                parallel=(ParallelLink("3", at(12), at(15)),),
            ),
            Task(
                key="3",
                category="ADMIN",
                start=at(12),
                end=None,
                seq=3,
                parallel=(ParallelLink("2", at(12), at(15)),),
                suspensions=(Suspension(at(40), None, by=None),),
            ),
        ),
        events=(
            PointEvent("demand", at(20), "add-on", "e1"),
            PointEvent("interruption", at(25), "phone"),
        ),
        notes=(Note(at(5), "Lead is pulled out of the list to sort cover — 'always the way'."),),
    )


def populated(location: str) -> tuple[Store, int]:
    plan = JobPlan((JobPlanSession(1, time(9), time(12, 45), "management"),))
    return create_study(
        location,
        Study("s1", "Study one"),
        template=builtin_template(),
        sites=[Site("TH", "Teaching hospital")],
        observers=[Observer("OBS-1")],
        participants=[Participant("RAD-01", "TH", "radiographer", "7", 2, job_plan=plan)],
    )


def test_migrations_create_exactly_the_declared_schema(store_location: str) -> None:
    store = Store.create(store_location)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    # opening again is idempotent and finds the schema current
    Store.open(store_location).close()
    store.close()


def test_sessions_round_trip_and_writes_are_idempotent(store_location: str) -> None:
    store, sid = populated(store_location)
    s = make_session()
    with store.transaction() as conn:
        c = store.sessions.write(sid, [s], conn)
    assert (c.sessions_added, c.tasks_added) == (1, 3)
    (back,) = store.sessions.load(sid)
    assert back == s
    assert fingerprint(back) == fingerprint(s)
    assert back.tasks[2].end is None and back.tasks[2].active_seconds == 28 * 60
    with store.transaction() as conn:
        again = store.sessions.write(sid, [s], conn)
    assert (again.sessions_added, again.sessions_unchanged) == (0, 1)
    assert store.analytic.counts(sid) == {"sessions": 1, "tasks": 3}

    changed = make_session(category="CLIN-INDIRECT")
    with pytest.raises(ValidationError, match="different content"), store.transaction() as conn:
        store.sessions.write(sid, [changed], conn)
    with store.transaction() as conn:
        r = store.sessions.write(sid, [changed], conn, replace=True)
    assert r.sessions_replaced == 1
    assert store.sessions.load(sid)[0].tasks[0].category == "CLIN-INDIRECT"
    assert store.analytic.counts(sid) == {"sessions": 1, "tasks": 3}
    assert len(store.analytic.frame("suspensions", sid)) == 2
    store.close()


def test_failed_write_leaves_nothing(store_location: str) -> None:
    store, sid = populated(store_location)
    stranger = Session(
        key="cap:9", participant="NOBODY", site="TH", start=at(0), end=at(1), observer="OBS-1"
    )
    with (
        pytest.raises(ValidationError, match="no participant 'NOBODY'"),
        store.transaction() as conn,
    ):
        store.sessions.write(sid, [make_session(), stranger], conn)
    assert store.analytic.counts(sid) == {"sessions": 0, "tasks": 0}
    store.close()


def test_frames_and_people(store_location: str) -> None:
    store, sid = populated(store_location)
    with store.transaction() as conn:
        store.sessions.write(sid, [make_session()], conn)
    tasks = store.analytic.frame("tasks", sid)
    assert list(tasks["task_key"]) == ["1", "2", "3"]
    assert tasks["start_ms"].iloc[0] == int(T0.timestamp() * 1000)
    sessions = store.analytic.frame("sessions", sid)
    assert (
        sessions.loc[0, "participant"] == "RAD-01"
        and sessions.loc[0, "template"] == "ahp-clinician-manager"
    )
    dims = store.analytic.frame("task_dimensions", sid)
    assert sorted(dims["value"]) == ["carer/relative", "clinical area", "patient"]
    assert (
        len(store.analytic.frame("point_events", sid)) == 2
        and len(store.analytic.frame("notes", sid)) == 1
    )
    (p,) = store.studies.participants(sid)
    assert p.job_plan.weekly_hours == 3.75 and p.band == "7"
    store.studies.set_job_plans(
        sid, {"RAD-01": JobPlan((JobPlanSession(0, time(8), time(16), "DCC"),))}
    )
    assert store.studies.participants(sid)[0].weekly_hours == 8
    with pytest.raises(ValidationError, match="no participant 'X'"):
        store.studies.set_job_plans(sid, {"X": JobPlan()})
    with pytest.raises(NotFoundError):
        store.analytic.frame("nope", sid)
    store.close()


def test_templates_are_versioned(store_location: str) -> None:
    store, _ = populated(store_location)
    t = builtin_template()
    assert store.studies.save_template(t) == store.studies.save_template(t)
    from workweave.domain import Template

    changed = Template.from_dict({**t.to_dict(), "title": "changed"})
    with pytest.raises(ValidationError, match="new version"):
        store.studies.save_template(changed)
    store.studies.save_template(Template.from_dict({**t.to_dict(), "version": "2"}))
    assert store.studies.template("ahp-clinician-manager").version == "2"
    assert store.studies.template("ahp-clinician-manager", "1") == t
    with pytest.raises(NotFoundError):
        store.studies.template("missing")
    store.close()


def test_study_lookup(store_location: str) -> None:
    store = Store.create(store_location)
    with pytest.raises(NotFoundError, match="no study yet"):
        store.studies.id()
    a = store.studies.create(Study("a"))
    assert store.studies.id() == a
    store.studies.create(Study("b"))
    with pytest.raises(NotFoundError, match="several studies"):
        store.studies.id()
    assert store.studies.id("a") == a
    with pytest.raises(NotFoundError, match="no study 'c'"):
        store.studies.id("c")
    with pytest.raises(ValidationError, match="already exists"):
        store.studies.create(Study("a"), exist_ok=False)
    store.close()


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "w.sqlite")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_store_locations() -> None:
    assert store_url("postgresql://u:p@h/db").startswith("postgresql+pg8000://u:p@h/db")
    assert store_url("x.sqlite").startswith("sqlite:////")
    with pytest.raises(StoreError, match="unsupported"):
        store_url("mysql://h/db")


def test_opening_a_missing_or_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="workweave init"):
        Store.open(tmp_path / "missing.sqlite")
    other = tmp_path / "other.sqlite"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="not a workweave store"):
        Store.open(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        Store.open(junk)


def test_migration_creates_the_web_tables(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from workweave.store import schema_web
    from workweave.store.engine import current_revision, head_revision
    from workweave.store.schema import metadata

    st = Store.create(tmp_path / "m.sqlite")
    assert current_revision(st.engine) == head_revision()
    with st.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    web_tables = set(schema_web.__all__)
    assert not [d for d in diff if any(t in str(d) for t in web_tables)], diff
