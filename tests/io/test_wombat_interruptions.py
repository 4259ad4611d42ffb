"""Interruption events on the real WOMBAT nurse exports (skipped when ../shared is absent).

In session 117 (the export of 6 November 2018), task 505 suspends the parallel tasks 503 and
504 at the same instant: two suspensions, one interruption; with task 491's suspension of
task 490, the session has 3 suspensions and 2 interruptions. The whole nurse study (every export but
ior-examples.csv) holds 308 suspensions in 282 interruption events: 26 interrupting tasks each
suspend two parallel tasks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import WOMBAT_DIR, wombat_files
from workweave.domain import Study
from workweave.io.wombat import read_many, read_wombat
from workweave.services.metrics import compute
from workweave.services.studies import import_wombat, summary
from workweave.store import Store

pytestmark = pytest.mark.shared

NOV_6 = WOMBAT_DIR / (
    "Interruptions_in_general_medicine_-_NURSE_v.1.8_from_06_11_2018_to_06_11_2018_dummy.csv"
)
RATES = ["interruptions_per_hour", "suspensions_per_hour", "task_switches_per_hour"]


def counts(df) -> dict[str, float]:
    """Each rate times its observed hours: the counts behind it."""
    rows = df[df["metric"].isin(RATES)].set_index("metric")
    return {m: float(rows.loc[m, "estimate"] * rows.loc[m, "observed_hours"]) for m in RATES}


@pytest.fixture(scope="module")
def nov_6() -> Path:
    if not NOV_6.exists():
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    return NOV_6


def test_session_117_suspends_two_tasks_in_one_interruption(nov_6, tmp_path):
    export = read_wombat(nov_6, timezone="Europe/Rome")
    s117 = next(s for s in export.sessions if s.source_id == "117")
    assert s117.suspension_count() == 3
    assert s117.interruption_count() == 2
    by_505 = [e for e in s117.interruption_events() if e.by == "35_117_505"]
    assert len(by_505) == 1 and set(by_505[0].suspended) == {"35_117_503", "35_117_504"}

    store = Store.create(tmp_path / "c.sqlite")
    try:
        sid = store.studies.create(Study(name="november"))
        import_wombat(store, sid, [nov_6], timezone="Europe/Rome")
        df = compute(store, study_id=sid, filter={"session": "117"}, metrics=RATES, B=0)
        got = counts(df)
        assert got["interruptions_per_hour"] == pytest.approx(2)
        assert got["suspensions_per_hour"] == pytest.approx(3)
        assert got["task_switches_per_hour"] == pytest.approx(2)
    finally:
        store.close()


def test_the_nurse_study_has_282_interruption_events(tmp_path):
    files = wombat_files()
    if not files:
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    exports = read_many(files, timezone="Europe/Rome")
    assert sum(e.interruption_count for e in exports) == 282
    assert sum(e.suspension_count for e in exports) == 308

    store = Store.create(tmp_path / "nurse.sqlite")
    try:
        sid = store.studies.create(Study(name="nurse"))
        res = import_wombat(store, sid, files, timezone="Europe/Rome")
        assert (res.interruptions_in_files, res.suspensions_in_files) == (282, 308)
        # every record of the export (co-observed sessions included), as the files count them
        got = counts(compute(store, study_id=sid, metrics=RATES, B=0, observers="all"))
        assert got["interruptions_per_hour"] == pytest.approx(282)
        assert got["suspensions_per_hour"] == pytest.approx(308)
        assert got["task_switches_per_hour"] == pytest.approx(282)
        total = summary(store, sid, observers="all")["total"]
        assert (total["interruptions"], total["suspensions"]) == (282, 308)
        primary = counts(compute(store, study_id=sid, metrics=RATES, B=0))
        assert primary["interruptions_per_hour"] < 282  # one record per co-observed group
    finally:
        store.close()
