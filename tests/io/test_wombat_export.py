"""WOMBAT export: what we write, the importer reads back as the same tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.factories import WOMBAT_ROWS, at, session, task, write_wombat
from workweave.domain.errors import ValidationError
from workweave.domain.observation import Session
from workweave.io.wombat import read_wombat
from workweave.io.wombat_export import write_wombat_export


def task_view(sessions: list[Session]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {
        (s.source_id or s.key, t.key): (
            s.participant,
            s.site,
            s.start,
            s.end,
            s.complete,
            t.category,
            t.subcategory,
            t.start,
            t.end,
            tuple(sorted((k, tuple(sorted(v))) for k, v in t.dimensions)),
            tuple(sorted(t.suspensions, key=str)),
            tuple(sorted(t.parallel, key=str)),
            t.active_seconds,
            t.ended_by,
        )
        for s in sessions
        for t in s.tasks
    }


def test_factory_export_round_trips(tmp_path: Path) -> None:
    first = read_wombat(write_wombat(tmp_path, WOMBAT_ROWS), timezone="Europe/Rome")
    out = tmp_path / "again_v.1_from_x.csv"
    res = write_wombat_export(
        first.sessions, {first.template.key: first.template}, out, timezone="Europe/Rome"
    )
    assert (res.sessions, res.tasks) == (1, 3)
    second = read_wombat(out, timezone="Europe/Rome")
    assert task_view(second.sessions) == task_view(first.sessions)
    assert second.time_mismatches() == []  # the written elapsed/total columns agree
    assert second.interruption_count == first.interruption_count


def test_native_sessions_and_what_cannot_be_written(tmp_path: Path) -> None:
    t0 = at("2024-03-18", "23:00")
    s = session(
        "cap:1",
        "P1",
        t0,
        t0 + timedelta(hours=2),  # past midnight: the end clock time is before the start
        [
            task("k1", "MEETING", t0, t0 + timedelta(minutes=90, milliseconds=400), seq=1),
            task(
                "k2",
                "ADMIN",
                t0 + timedelta(minutes=10),
                t0 + timedelta(minutes=20),
                seq=2,
                dims={"with": ["team", "manager"]},
            ),
        ],
        timezone="UTC",
    )
    res = write_wombat_export([s], {}, tmp_path / "n.csv", timezone="UTC")
    assert res.subsecond == 1
    back = read_wombat(tmp_path / "n.csv", timezone="UTC").sessions[0]
    assert back.participant == "S1:P1" and back.source_id == "cap:1"
    assert back.tasks[0].end == datetime(2024, 3, 19, 0, 30, tzinfo=UTC)
    assert set(dict(back.tasks[1].dimensions)["with"]) == {"team", "manager"}
    long = session("cap:2", "P1", t0, t0 + timedelta(hours=25), [], timezone="UTC")
    with pytest.raises(ValidationError, match="session cap:2"):
        write_wombat_export([long], {}, tmp_path / "x.csv", timezone="UTC")
    assert not (tmp_path / "x.csv").exists()
