"""Importing audit logs (pseudonymised, partitioned, all or nothing, idempotent), passive
metrics through the service, and shadowing against logs (Bland-Altman)."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.factories import SITE, TEMPLATE, at, create_study, plan, session, task
from workweave.domain import ValidationError
from workweave.domain.study import Observer, Participant
from workweave.services import logs as svc
from workweave.services import metrics as metrics_svc
from workweave.store import Store

MAPPING = """
columns: {user: USER_ID, time: ACCESS_TIME, event: METRIC_NAME, workstation: WS,
          patient: PAT_CTX}
users:
  u-alice-123: P1
  u-bob-456: P2
events:
  Note edited: documentation
  Order signed: orders
  In Basket viewed: {class: inbox, domain: clinical}
  Clinic list edited: scheduling
default_class: other
"""
CATEGORY = TEMPLATE.categories[0].code


def study(tmp_path: Path) -> tuple[Store, int]:
    people = [
        Participant("P1", "S1", "radiographer", "7", job_plan=plan((0, "09:00", "17:00", "DCC"))),
        Participant("P2", "S1", "radiographer", "7", job_plan=plan((0, "09:00", "17:00", "DCC"))),
    ]
    how = {"how": ["clinical system (EHR/RIS)"]}
    sessions = [
        session(
            "A",
            "P1",
            at("2025-01-06", "09:00"),
            at("2025-01-06", "10:00"),
            [
                task(
                    "a1",
                    CATEGORY,
                    at("2025-01-06", "09:10"),
                    at("2025-01-06", "09:40"),
                    seq=1,
                    dims=how,
                ),
            ],
        ),
        session(
            "B",
            "P1",
            at("2025-01-06", "11:00"),
            at("2025-01-06", "12:00"),
            [
                task(
                    "b1",
                    CATEGORY,
                    at("2025-01-06", "11:00"),
                    at("2025-01-06", "11:20"),
                    seq=1,
                    dims=how,
                ),
            ],
        ),
    ]
    return create_study(
        tmp_path / "s.sqlite",
        "s",
        template=TEMPLATE,
        sites=[SITE],
        observers=[Observer("O1")],
        participants=people,
        sessions=sessions,
    )


def rows_every(user: str, start: str, end: str, step_min: int, event: str) -> list[str]:
    t, stop = at("2025-01-06", start), at("2025-01-06", end)
    out = []
    while t <= stop:
        out.append(f"{user},{t.isoformat()},{event},WS1,Y")
        t += timedelta(minutes=step_min)
    return out


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("USER_ID,ACCESS_TIME,METRIC_NAME,WS,PAT_CTX\n" + "\n".join(rows) + "\n")
    return path


def test_import_pseudonymises_partitions_and_is_idempotent(tmp_path: Path) -> None:
    store, sid = study(tmp_path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING)
    a = rows_every("u-alice-123", "09:10", "09:40", 2, "Note edited")
    b = rows_every("u-alice-123", "11:00", "11:16", 2, "In Basket viewed")
    other = ["u-carol-789,2025-01-06T10:00:00+00:00,Note edited,WS2,N"]
    f1 = write(tmp_path / "one.csv", a + other)
    res = svc.import_logs(store, sid, [f1], mapping, timezone="Europe/London")
    assert res.rows_added == len(a) and res.rows_unmapped == 1 and res.rows_bad == 0
    folder = tmp_path / "logs"
    files = svc.event_files(folder, "s")
    assert files and all("study=s/month=2025-01" in f.as_posix() for f in files)
    blob = b"".join(f.read_bytes() for f in files)
    assert b"u-alice-123" not in blob and b"alice" not in blob
    table = pq.read_table(files[0])
    assert set(table.column("participant").to_pylist()) == {"P1"}
    assert table.column("local_ms")[0].as_py() == table.column("ts_ms")[0].as_py()  # GMT
    secret = next(tmp_path.glob(".workweave-logs-*.secret"))
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # the same file again: skipped by its hash; an overlapping file adds only what is new
    again = svc.import_logs(store, sid, [f1], mapping, timezone="Europe/London")
    assert again.skipped == ["one.csv"] and again.rows_added == 0
    f2 = write(tmp_path / "two.csv", a[:3] + b)
    more = svc.import_logs(store, sid, [f2], mapping, timezone="Europe/London")
    assert more.rows_added == len(b) and more.rows_duplicate == 3
    assert len(svc.imports(store, sid)) == 2
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in svc.event_files(folder, "s"))
    assert total == len(a) + len(b)

    # shadowing meets logs: 30 and 16 minutes logged against 30 and 20 observed
    table, ag = svc.agreement(store, sid)
    assert sorted(table["observed_minutes"]) == [20.0, 30.0]
    assert sorted(table["log_minutes"]) == [16.0, 30.0]
    assert ag.n == 2 and ag.bias == pytest.approx(-2.0)

    res = svc.compute(store, sid, metrics=["ehr_time8", "share_by_class"], B=0)
    ehr = res[res["metric"] == "ehr_time8"]["estimate"].iloc[0]
    assert ehr == pytest.approx((30 + 16) / 480 * 8)
    # the registry's front door: passive and shadowing metrics side by side
    both = metrics_svc.compute(store, study_id=sid, metrics=["ehr_time8", "tasks_per_hour"], B=0)
    assert set(both["metric"]) == {"ehr_time8", "tasks_per_hour"}
    assert both.loc[both["metric"] == "ehr_time8", "estimate"].iloc[0] == pytest.approx(ehr)


def test_bad_rows_fail_the_import_unless_allowed(tmp_path: Path) -> None:
    store, sid = study(tmp_path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING)
    good = rows_every("u-bob-456", "09:00", "09:10", 2, "Order signed")
    bad = [
        "u-bob-456,2025-01-06 09:30:00,Order signed,WS1,Y",  # no zone or offset
        "u-bob-456,2025-01-06T09:31:00Z,,WS1,Y",  # no event type
        "u-bob-456,2025-01-06T09:32:00Z,Order signed,WS1,maybe",  # not a flag
    ]
    f = write(tmp_path / "mixed.csv", good + bad)
    with pytest.raises(ValidationError) as exc:
        svc.import_logs(store, sid, [f], mapping, timezone="UTC")
    text = exc.value.describe()
    assert "mixed.csv, row 7, column 'ACCESS_TIME'" in text
    assert "row 8, column 'METRIC_NAME'" in text and "row 9, column 'PAT_CTX'" in text
    assert svc.event_files(tmp_path / "logs", "s") == [] and svc.imports(store, sid) == []
    res = svc.import_logs(store, sid, [f], mapping, timezone="UTC", max_bad=3)
    assert res.rows_added == len(good) and res.rows_bad == 3 and len(res.bad) == 3


def test_mapping_and_secret_are_checked(tmp_path: Path) -> None:
    store, sid = study(tmp_path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING.replace("P2", "P9").replace("documentation", "paperwork"))
    f = write(tmp_path / "x.csv", rows_every("u-bob-456", "09:00", "09:10", 2, "Order signed"))
    with pytest.raises(ValidationError) as exc:
        svc.import_logs(store, sid, [f], mapping, timezone="UTC")
    assert "paperwork" in exc.value.describe()
    mapping.write_text(MAPPING.replace("P2", "P9"))
    with pytest.raises(ValidationError, match="P9"):
        svc.import_logs(store, sid, [f], mapping, timezone="UTC")
    secret = tmp_path / ".workweave-logs-s.secret"
    secret.write_text("00" * 32 + "\n")
    secret.chmod(0o644)
    mapping.write_text(MAPPING)
    with pytest.raises(ValidationError, match="chmod 600"):
        svc.import_logs(store, sid, [f], mapping, timezone="UTC")


def test_withdrawal_excludes_and_erasure_removes_a_participants_log_events(
    tmp_path: Path,
) -> None:
    from workweave.services import governance

    store, sid = study(tmp_path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING)
    a = rows_every("u-alice-123", "09:10", "09:40", 2, "Note edited")
    b = rows_every("u-bob-456", "09:10", "09:20", 2, "Note edited")
    svc.import_logs(store, sid, [write(tmp_path / "one.csv", a + b)], mapping, timezone="UTC")
    folder = tmp_path / "logs"
    before = svc.compute(store, sid, metrics=["ehr_time8"], by=["participant"], B=0)
    assert set(before["participant"]) == {"P1", "P2"}
    governance.withdraw(store, sid, "P2")  # withdrawal acts at once on passive metrics too
    withdrawn = svc.compute(store, sid, metrics=["ehr_time8"], by=["participant"], B=0)
    assert set(withdrawn["participant"]) == {"P1"}

    erased = governance.erase(store, sid, "P2")
    assert erased.rows["audit-log events (Parquet)"] == len(b)
    left = [
        pq.read_table(f).column("participant").to_pylist() for f in svc.event_files(folder, "s")
    ]
    assert {p for col in left for p in col} == {"P1"}
    after = svc.compute(store, sid, metrics=["ehr_time8"], by=["participant"], B=0)
    assert set(after["participant"]) == {"P1"}
