"""The passive SQL blocks and metrics against hand-computed values, and the pure reference
functions (spells, shifts) they follow."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.factories import event_table
from workweave.analysis.metrics.passive_engine import PassiveMetrics, window_active
from workweave.analysis.metrics.registry import PASSIVE, REGISTRY, get
from workweave.analysis.passive import active_ms, shifts
from workweave.domain import ValidationError

MIN = 60_000


def ms(clock: str, day: str = "2025-01-06") -> int:  # 2025-01-06 is a Monday
    return int(datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC).timestamp() * 1000)


P1 = [
    ("08:50", "documentation"),
    ("08:52", "documentation"),
    ("08:54", "documentation"),
    ("08:58", "inbox"),
    ("09:02", "inbox"),
    ("09:30", "orders"),
    ("09:31", "orders"),
    ("12:58", "chart_review"),
    ("13:03", "chart_review"),
    ("19:00", "scheduling"),
    ("19:04", "scheduling"),
    ("23:58", "documentation"),
]
P1_NEXT_DAY = [("00:02", "documentation")]
P2 = [("10:00", "other"), ("10:03", "other")]


def write_events(path: Path) -> Path:
    rows = [("P1", ms(c), a) for c, a in P1]
    rows += [("P1", ms(c, "2025-01-07"), a) for c, a in P1_NEXT_DAY]
    rows += [("P2", ms(c), a) for c, a in P2]
    table = event_table(rows)  # the study's zone is UTC here
    path.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path / "events.parquet")
    return path / "events.parquet"


PEOPLE = pd.DataFrame(
    {
        "participant": ["P1", "P2"],
        "site": ["S1", "S1"],
        "profession": ["radiographer", "radiographer"],
        "band": ["7", "7"],
        "has_plan": [True, False],
    }
)
PLANS = pd.DataFrame(
    {
        "participant": ["P1", "P1"],
        "weekday": [0, 0],
        "start_time": ["09:00", "13:00"],
        "end_time": ["13:00", "17:00"],
        "category": ["DCC", "management"],
    }
)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    f = write_events(tmp_path_factory.mktemp("logs"))
    with PassiveMetrics([str(f)], people=PEOPLE, plans=PLANS, study="t") as pm:
        return pm.compute(seed=1, B=0)


def value(res: pd.DataFrame, metric: str, key: str | None = None) -> float:
    rows = res[
        (res["metric"] == metric) & (res["key"].isna() if key is None else res["key"] == key)
    ]
    assert len(rows) == 1, (metric, key)
    return float(rows["estimate"].iloc[0])


def test_hand_computed_values(result: pd.DataFrame) -> None:
    sched = 240.0  # minutes of scheduled clinical time (Monday's DCC session)
    assert value(result, "ehr_time8") == pytest.approx(26 / sched * 8)
    assert value(result, "wow8") == pytest.approx(18 / sched * 8)
    assert value(result, "after_hours_time8") == pytest.approx(8 / sched * 8)
    assert value(result, "time8_by_class", "documentation") == pytest.approx(12 / sched * 8)
    assert value(result, "system_time_by_plan", "clinical") == pytest.approx(5 / 26)
    assert value(result, "system_time_by_plan", "management") == pytest.approx(3 / 26)
    assert value(result, "system_time_by_plan", "outside") == pytest.approx(18 / 26)
    # share_by_class counts P2 (no job plan) too: 26 + 3 minutes
    assert value(result, "share_by_class", "other") == pytest.approx(3 / 29)
    assert value(result, "share_by_class", "inbox") == pytest.approx(4 / 29)
    assert value(result, "after_hours_share") == pytest.approx(8 / 29)
    # shifts: P1 08:50-13:03, 19:00-19:04, 23:58-00:02 (across midnight: one shift); P2 one
    assert value(result, "shift_length_mean") == pytest.approx((253 + 4 + 4 + 3) / 4 / 60)
    assert value(result, "shift_length_median") == pytest.approx(4 / 60)
    assert value(result, "active_per_shift") == pytest.approx(29 / 4 / 60)


def test_the_sql_follows_the_reference_functions() -> None:
    ts = [ms(c) for c, _ in P1] + [ms(c, "2025-01-07") for c, _ in P1_NEXT_DAY]
    assert active_ms(ts) == 26 * MIN
    assert [(b - a) // MIN for a, b in shifts(ts)] == [253, 4, 4]


def test_timeout_and_shift_gap_are_parameters(tmp_path: Path) -> None:
    f = write_events(tmp_path)
    with PassiveMetrics(
        [str(f)],
        people=PEOPLE,
        plans=PLANS,
        params={"timeout_minutes": 3, "shift_gap_hours": 6},
    ) as pm:
        res = pm.compute(B=0, metrics=["share_by_class", "shift_length_mean"])
    # only gaps of at most 3 minutes count: 08:50-08:54 (4, documentation), 09:30-09:31
    # (1, orders) and P2's 10:00-10:03 (3, other)
    assert value(res, "share_by_class", "documentation") == pytest.approx(4 / 8)
    # with a 6-hour gap 08:50-19:04 is one shift; 19:04 -> 23:58 is under 6 h too
    ts = [ms(c) for c, _ in P1] + [ms(c, "2025-01-07") for c, _ in P1_NEXT_DAY]
    assert len(shifts(ts, 6 * 3_600_000)) == 1


def test_grouping_filters_and_intervals(tmp_path: Path) -> None:
    f = write_events(tmp_path)
    with PassiveMetrics([str(f)], people=PEOPLE, plans=PLANS, study="t") as pm:
        res = pm.compute(by=["participant"], metrics="share_by_class", seed=3)
        assert set(res["participant"]) == {"P1", "P2"}
        assert set(res.columns) >= {"estimate", "ci_low", "ci_high", "n_participants", "flag"}
        month = pm.compute(by="month", metrics="ehr_time8", B=0)
        assert list(month["month"]) == ["2025-01"]
    with PassiveMetrics([str(f)], people=PEOPLE, plans=PLANS, filter={"participant": "P2"}) as pm:
        res = pm.compute(metrics="share_by_class", B=0)
        assert value(res, "share_by_class", "other") == pytest.approx(1.0)


def test_log_active_time_in_windows(tmp_path: Path) -> None:
    f = write_events(tmp_path)
    windows = pd.DataFrame(
        {
            "session_id": [1, 2],
            "participant": ["P1", "P1"],
            "start_ms": [ms("08:00"), ms("08:55")],
            "end_ms": [ms("12:00"), ms("09:00")],
        }
    )
    got = window_active([str(f)], windows)
    assert list(got["log_active_ms"]) == [13 * MIN, 5 * MIN]


def test_the_passive_family_is_in_the_registry() -> None:
    assert PASSIVE["ehr_time8"].section == "P" and PASSIVE["share_by_class"].key == "activity"
    assert PASSIVE["wow8"].blocks and "wow8" not in REGISTRY  # the shadowing engine's own
    with pytest.raises(ValidationError, match="workweave logs metrics"):
        get("wow8")  # the shadowing engine points to the passive command
