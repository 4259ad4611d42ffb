"""Audit-log files: Parquet with zoned timestamps, naive times with a mapping time zone,
and the mapping file's checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workweave.domain import ValidationError
from workweave.io.auditlogs import FileReport, read_log, read_mapping, user_hash

SECRET = b"k" * 32


def mapping(tmp_path: Path, extra: str = "") -> Path:
    p = tmp_path / "m.yaml"
    p.write_text(
        "columns: {user: u, time: t, event: e}\nusers: {alice: P1}\n"
        "events: {Note: documentation}\n" + extra
    )
    return p


def test_parquet_with_zoned_timestamps(tmp_path: Path) -> None:
    t = pd.to_datetime(["2025-07-01T09:00:00+01:00", "2025-07-01T09:01:00+01:00"], utc=True)
    table = pa.table({"u": ["alice", "bob"], "t": pa.array(t), "e": ["Note", "Other"]})
    pq.write_table(table, tmp_path / "x.parquet")
    rep = FileReport("x.parquet")
    m = read_mapping(mapping(tmp_path))
    out = pa.concat_tables(
        list(
            read_log(tmp_path / "x.parquet", m, secret=SECRET, timezone="Europe/London", report=rep)
        )
    )
    assert rep.rows == 2 and rep.unmapped == 1 and rep.bad_count == 0
    row = out.to_pylist()[0]
    assert row["participant"] == "P1" and row["user_hash"] == user_hash(SECRET, "alice")
    assert row["ts_ms"] == int(t[0].timestamp() * 1000)
    assert row["local_ms"] - row["ts_ms"] == 3_600_000  # BST
    assert row["activity"] == "documentation" and row["domain"] == "clinical"


def test_naive_times_need_the_mapping_time_zone(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("u,t,e\nalice,2025-01-06 09:00:00,Note\nalice,2025-03-30 01:30:00,Note\n")
    rep = FileReport("x.csv")
    list(read_log(f, read_mapping(mapping(tmp_path)), secret=SECRET, timezone="UTC", report=rep))
    assert rep.bad_count == 2 and "time zone" in rep.bad[0].reason
    rep = FileReport("x.csv")
    m = read_mapping(mapping(tmp_path, "timezone: Europe/London\n"))
    out = list(read_log(f, m, secret=SECRET, timezone="UTC", report=rep))
    assert rep.bad_count == 1 and rep.bad[0].row == 2  # 01:30 did not exist that night
    assert sum(len(b) for b in out) == 1


@pytest.mark.parametrize(
    "text, words",
    [
        ("columns: {user: u}\nusers: {a: P1}\n", "needs 'time'"),
        ("columns: {user: u, time: t, event: e}\nusers: {}\n", "'users'"),
        ("columns: {user: u, time: t, event: e}\nusers: {a: P1}\nevents: {X: lunch}\n", "lunch"),
        ("columns: {user: u, time: t, event: e}\nusers: {a: P1}\ntimezone: Mars/Base\n", "IANA"),
        ("[1, 2", "not valid YAML"),
    ],
)
def test_mapping_problems_are_named(tmp_path: Path, text: str, words: str) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(text)
    with pytest.raises(ValidationError) as exc:
        read_mapping(p)
    assert words in exc.value.describe() and "m.yaml" in exc.value.describe()
