"""The passive metrics give the same numbers on DuckDB and on Spark.

Hypothesis builds small audit logs (several users, events across midnight and the
daylight-saving changes, ties, long gaps that start new shifts, job plans or none); every
passive metric's estimate and interval are computed on both engines and must agree to 1e-9.
A second test does the same on 1 million simulated events (``workweave simulate logs``).
The default profile runs a few examples; ``WORKWEAVE_ENGINE_EXAMPLES=200`` runs a longer one.
Without a Java runtime the tests skip, unless ``WORKWEAVE_REQUIRE_SPARK=1`` (as in CI).

    .venv/bin/pytest -m spark tests/analysis/metrics/test_passive_engines.py
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import assert_frames_equal, event_table, job_plan_rows
from workweave.analysis.metrics.passive import ACTIVITY_CLASSES, PASSIVE_METRICS
from workweave.analysis.metrics.passive_engine import PassiveMetrics

pytestmark = [pytest.mark.spark, pytest.mark.slow]

EXAMPLES = int(os.environ.get("WORKWEAVE_ENGINE_EXAMPLES", "4"))
TOL = 1e-9
SEC = 1_000
MIN = 60_000
HOUR = 3_600_000
# 2025: clocks go forward 30 March 01:00 UTC, back 26 October 01:00 UTC (Europe/London)
DST = (1_743_296_400_000, 1_761_440_400_000)
ZONE = ZoneInfo("Europe/London")
NUMBERS = ["estimate", "ci_low", "ci_high", "n_participants", "n_sessions", "observed_hours"]


def local_ms(ts: int) -> int:
    """Wall-clock milliseconds in the study's zone, counted as if UTC (as the import does)."""
    offset = datetime.fromtimestamp(ts / 1000, UTC).astimezone(ZONE).utcoffset()
    assert offset is not None
    return ts + int(offset.total_seconds() * 1000)


gaps = st.one_of(
    st.just(0),  # two events at the same instant
    st.integers(1, 300).map(lambda s: s * SEC),  # inside an activity spell
    st.integers(5, 90).map(lambda m: m * MIN),  # around and past the inactivity timeout
    st.integers(3, 14).map(lambda h: h * HOUR + 7 * MIN),  # past the shift gap: a new shift
)


@st.composite
def audit_logs(draw: Any) -> dict[str, Any]:
    n_people = draw(st.integers(1, 4))
    people = [f"P{i}" for i in range(n_people)]
    rows = []
    for p in people:
        for _ in range(draw(st.integers(0, 3))):  # bursts near a daylight-saving change
            t = draw(st.sampled_from(DST)) + draw(st.integers(-40, 40)) * HOUR
            t += draw(st.integers(0, 59)) * MIN
            for g in draw(st.lists(gaps, min_size=1, max_size=12)):
                t += g
                rows.append((p, t, draw(st.sampled_from(ACTIVITY_CLASSES))))
    plans = job_plan_rows(draw, people, ["DCC", "SPA", "management", "ANR"])
    plan_frame = pd.DataFrame(
        plans, columns=["participant", "weekday", "start_time", "end_time", "category"]
    )
    sites = [draw(st.sampled_from(["A", "B"])) for _ in people]
    participants = pd.DataFrame(
        {
            "participant": people,
            "site": sites,
            "profession": "radiographer",
            "band": [draw(st.sampled_from(["6", "7", None])) for _ in people],
            "has_plan": [p in set(plan_frame["participant"]) for p in people],
        }
    )
    params = {
        "timeout_minutes": draw(st.sampled_from([5, 10])),
        "shift_gap_hours": draw(st.sampled_from([4, 6])),
    }
    return {"rows": rows, "plans": plan_frame, "people": participants, "params": params}


def write_events(folder: Path, rows: list[tuple[str, int, str]]) -> list[str]:
    n = len(rows)
    table = event_table(rows, local_ms)
    # two files, as the import's monthly partitions would be
    half = n // 2
    paths = []
    for i, part in enumerate((table.slice(0, half), table.slice(half))):
        if part.num_rows:
            path = folder / f"part-{i}.parquet"
            pq.write_table(part, path)
            paths.append(str(path))
    return paths


def equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert_frames_equal(a, b, NUMBERS, TOL)


def both(files: list[str], **options: Any) -> tuple[PassiveMetrics, PassiveMetrics]:
    return (
        PassiveMetrics(files, engine="duckdb", **options),
        PassiveMetrics(files, engine="spark", **options),
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    logs=audit_logs(),
    by=st.sampled_from(["study", "site", "participant", "month"]),
    interval=st.sampled_from(["t", "percentile"]),
)
def test_every_passive_metric_is_the_same_on_both_engines(spark_ready, logs, by, interval):
    with tempfile.TemporaryDirectory() as tmp:
        files = write_events(Path(tmp), logs["rows"])
        duck, spark = both(
            files, people=logs["people"], plans=logs["plans"], study="gen", params=logs["params"]
        )
        with duck, spark:
            assert duck.n_events == spark.n_events == len(logs["rows"])
            for name in duck.parts.keys() | spark.parts.keys():  # the sums themselves
                pd.testing.assert_frame_equal(duck._frame(name), spark._frame(name))
            options = {"by": by, "seed": 3, "B": 60, "interval": interval}
            equal(duck.compute(**options), spark.compute(**options))


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from workweave.simulate.logs import simulate_logs

    folder = tmp_path_factory.mktemp("million")
    sim = simulate_logs(folder, events=1_000_000, participants=24, seed=7)
    return {
        "files": sorted(str(p) for p in folder.rglob("*.parquet")),
        "people": sim.participants.assign(has_plan=True),
        "plans": sim.job_plans,
    }


def test_a_million_simulated_events_give_the_same_passive_metrics(spark_ready, million):
    """The issue's test: on 1M simulated events, every passive metric's estimate and interval
    from the spark engine equal the duckdb engine's to 1e-9."""
    duck, spark = both(million["files"], people=million["people"], plans=million["plans"])
    with duck, spark:
        assert duck.n_events == spark.n_events == 1_000_000
        for by, interval in (("study", "t"), ("site", "percentile")):
            a = duck.compute(by=by, seed=1, interval=interval)
            b = spark.compute(by=by, seed=1, interval=interval)
            equal(a, b)
            assert set(a["metric"]) == {m.id for m in PASSIVE_METRICS}
            assert a["n_participants"].min() >= 6
            assert a["estimate"].notna().all() and a["ci_low"].notna().all()


def test_a_file_spark_cannot_read_stops_with_one_line(spark_ready, tmp_path):
    from workweave.domain.errors import WorkweaveError

    people = pd.DataFrame({"participant": ["P0"], "site": ["A"]})
    plans = pd.DataFrame(columns=["participant", "weekday", "start_time", "end_time", "category"])
    missing = str(tmp_path / "gone.parquet")
    with pytest.raises(WorkweaveError) as got:
        PassiveMetrics([missing], people=people, plans=plans, engine="spark")
    message = str(got.value)
    assert message.startswith("the spark engine (local Spark) failed:")
    assert "gone.parquet" in message and "\n" not in message
