"""The metric engine on the real WOMBAT nurse exports (skipped when ../shared is absent).

Session 336 (11 December 2018, observer 27, 12:50:24-12:56:33, 369 s) read by hand from its
five export rows, in seconds from 12:50:24:

    1429 Handover          0-369  suspended 15-22 (by 1430) and 304-342 (by 1432)  active 324
    1430 ComProfessionale 15-22                                                  active   7
    1431 Handover         43-328  suspended 304-324 (by 1432)                      active 265
    1432 ComSociale      304-324                                                  active  20
    1433 Handover        328-352                                                  active  24

1432 suspends 1429 and 1431 at 304: one interruption event, two suspensions (with 1430's,
2 interruptions and 3 suspensions). Two tasks are active 43-304 (1429, 1431) and 342-352
(1429, 1433): 271 s, the export's own
"total overlapping time" of 1429. Nothing is idle, so the time-sliced shares sum to 1:
Handover 369 - 7 - 20 = 342 s. Only 1431 starts while another task (1429) stays active.
"""

from __future__ import annotations

import pytest

from tests.conftest import wombat_files
from tests.factories import create_study
from workweave.services.metrics import compute
from workweave.services.studies import import_wombat

pytestmark = pytest.mark.shared

SECONDS = 369
HOURS = SECONDS / 3600


@pytest.fixture(scope="module")
def nurse_store(tmp_path_factory: pytest.TempPathFactory):
    files = wombat_files()
    if not files:
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    store, sid = create_study(tmp_path_factory.mktemp("wombat") / "nurse.sqlite", "nurse")
    import_wombat(store, sid, files, timezone="Europe/Rome")
    yield store, sid
    store.close()


def est(df, metric, key=None):
    rows = df[df["metric"] == metric]
    rows = rows[rows["key"].isna()] if key is None else rows[rows["key"] == key]
    assert len(rows) == 1, (metric, key)
    return float(rows["estimate"].iloc[0])


def test_session_336_by_hand(nurse_store):
    store, sid = nurse_store
    df = compute(store, study_id=sid, filter={"session": "336"}, B=0)
    assert set(df["n_sessions"][df["metric"] == "tasks_per_hour"]) == {1}
    assert est(df, "tasks_per_hour") == pytest.approx(5 / HOURS)
    assert est(df, "share_observed", "Handover") == pytest.approx((324 + 265 + 24) / SECONDS)
    assert est(df, "share_observed", "ComProfessionale") == pytest.approx(7 / SECONDS)
    assert est(df, "share_observed", "ComSociale") == pytest.approx(20 / SECONDS)
    assert est(df, "share_task_time", "Handover") == pytest.approx(613 / 640)
    assert est(df, "share_time_sliced", "Handover") == pytest.approx(342 / SECONDS)
    assert est(df, "multitasking_pct") == pytest.approx(100 * 271 / SECONDS)
    # 1432 suspends 1429 and 1431 at the same instant: one interruption, two suspensions
    assert est(df, "interruptions_per_hour") == pytest.approx(2 / HOURS)
    assert est(df, "suspensions_per_hour") == pytest.approx(3 / HOURS)
    assert est(df, "task_switches_per_hour") == pytest.approx(2 / HOURS)
    assert est(df, "tasks_interrupted_pct") == pytest.approx(40.0)
    assert est(df, "tasks_interrupted_repeat_pct") == pytest.approx(20.0)
    assert est(df, "interrupted_not_resumed_pct") == 0.0
    assert est(df, "multitask_starts_per_hour") == pytest.approx(1 / HOURS)
    assert est(df, "task_duration_mean") == pytest.approx(640 / 5 / 60)
    assert est(df, "task_duration_median") == pytest.approx(24 / 60)
    assert est(df, "share_with", "Infermiere") == pytest.approx((324 + 20) / SECONDS)


def test_whole_study_agrees_with_the_export_totals(nurse_store):
    """Σ active time over all tasks equals the sum of the exports' own 'total time' column,
    which the importer checks task by task (every record: observers='all')."""
    store, sid = nurse_store
    df = compute(
        store, study_id=sid, metrics=["share_observed", "tasks_per_hour"], B=0, observers="all"
    )
    tasks = store.analytic.frame("tasks", sid)
    hours = df.loc[df["metric"] == "tasks_per_hour", "observed_hours"].item()
    assert est(df, "tasks_per_hour") == pytest.approx(len(tasks) / hours)
    sessions = store.analytic.frame("sessions", sid)
    assert hours == pytest.approx((sessions["known_end_ms"] - sessions["start_ms"]).sum() / 3.6e6)
    assert df.loc[df["metric"] == "tasks_per_hour", "n_participants"].item() == len(
        set(sessions["participant"])
    )
