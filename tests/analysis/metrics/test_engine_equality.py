"""The registry gives the same numbers on DuckDB and on Spark.

Hypothesis builds small studies (overlapping and suspended tasks, tasks that run past their
session, sessions across midnight and daylight-saving changes, groups with no sessions of a
class, job plans, demand and interruption events); every metric, its interval and the time
budget are computed on both engines and must agree to 1e-9. One local SparkSession serves the
whole test session (the `spark_ready` fixture of tests/conftest.py). The default profile runs a
handful of examples; set ``WORKWEAVE_ENGINE_EXAMPLES=200`` for a longer run. Without a Java
runtime the tests skip, unless ``WORKWEAVE_REQUIRE_SPARK=1`` (as in CI), when they fail.

    .venv/bin/pytest -m spark
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import assert_frames_equal, job_plan_rows
from workweave.analysis.metrics import from_frames
from workweave.io.templates import builtin_template
from workweave.services import metrics as svc

pytestmark = [pytest.mark.spark, pytest.mark.slow]

EXAMPLES = int(os.environ.get("WORKWEAVE_ENGINE_EXAMPLES", "3"))
TOL = 1e-9
HOUR = 3_600_000
MIN = 60_000
# 2025: clocks go forward 30 March 01:00 UTC, back 26 October 01:00 UTC (Europe/London and
# Europe/Rome change at the same instant)
DST = (1_743_296_400_000, 1_761_440_400_000)
CATEGORIES = [c.code for c in builtin_template().categories] + ["", "NOT-IN-TEMPLATE"]


@st.composite
def studies(draw: Any) -> dict[str, pd.DataFrame]:
    n_people = draw(st.integers(1, 4))
    people = [f"P{i}" for i in range(n_people)]
    sites = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n_people, max_size=n_people))
    sessions, tasks, susp, dims, events = [], [], [], [], []
    task_id = 0
    n_sessions = draw(st.integers(1, 6))
    for sid in range(1, n_sessions + 1):
        who = draw(st.integers(0, n_people - 1))
        start = draw(st.sampled_from(DST)) + draw(st.integers(-30, 30)) * HOUR
        start += draw(st.integers(0, 59)) * MIN
        length = draw(st.integers(0, 14 * 60)) * MIN
        sessions.append(
            {
                "session_id": sid,
                "session_key": f"s{sid}",
                "source_id": None,
                "source": "test",
                "mode": draw(st.sampled_from(["shadowing", "self-report"])),
                "participant": people[who],
                "profession": "physiotherapist",
                "band": draw(st.sampled_from(["6", "7", "8a", None])),
                "site": sites[who],
                "observer": draw(st.sampled_from(["O1", "O2", None])),
                "observer_role": None,
                "start_ms": start,
                "end_ms": start + length,
                "known_end_ms": start + length,
                "complete": True,
                "timezone": draw(st.sampled_from(["Europe/London", "Europe/Rome"])),
                "template": None,
                "template_version": None,
            }
        )
        for seq in range(draw(st.integers(0, 7))):
            task_id += 1
            a = start + draw(st.integers(-10, max(length // MIN, 0) + 10)) * MIN
            b = a + draw(st.integers(0, 120)) * MIN
            tasks.append(
                {
                    "task_id": task_id,
                    "session_id": sid,
                    "task_key": f"t{task_id}",
                    "seq": seq,
                    "category": draw(st.sampled_from(CATEGORIES)),
                    "subcategory": None,
                    "start_ms": a,
                    "end_ms": b,
                    "known_end_ms": b,
                    "ended_by": None,
                }
            )
            for _ in range(draw(st.integers(0, 2))):
                xa = a + draw(st.integers(0, max((b - a) // MIN, 0))) * MIN
                xb = draw(st.one_of(st.none(), st.integers(0, 60).map(lambda m, x=xa: x + m * MIN)))
                by = draw(st.one_of(st.none(), st.just(f"t{max(task_id - 1, 1)}")))
                susp.append({"task_id": task_id, "start_ms": xa, "end_ms": xb, "by_key": by})
            for dim, values in (("with_whom", ["patient", "team"]), ("how", ["phone", "email"])):
                for v in draw(st.lists(st.sampled_from(values), max_size=2, unique=True)):
                    dims.append({"task_id": task_id, "dimension": dim, "value": v})
        for _ in range(draw(st.integers(0, 3))):
            events.append(
                {
                    "session_id": sid,
                    "kind": draw(st.sampled_from(["interruption", "demand"])),
                    "subtype": None,
                    "at_ms": start + draw(st.integers(0, max(length // MIN, 0))) * MIN,
                }
            )
    plans = job_plan_rows(draw, people, ["DCC", "SPA", "management"])
    participants = pd.DataFrame(
        {
            "participant": people,
            "site": sites,
            "profession": "physiotherapist",
            "band": [draw(st.sampled_from(["6", "7", "8a", None])) for _ in people],
            "pay_point": [draw(st.sampled_from([1, 2, None])) for _ in people],
            "contracted_hours": 37.5,
        }
    )

    def frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame | None:
        return pd.DataFrame(rows) if rows else None

    return {
        "sessions": pd.DataFrame(sessions),
        "tasks": frame(tasks, "tasks")
        if tasks
        else pd.DataFrame(columns=["task_id", "session_id"]),
        "suspensions": frame(susp, "suspensions"),
        "task_dimensions": frame(dims, "task_dimensions"),
        "point_events": frame(events, "point_events"),
        "participants": participants,
        "job_plans": frame(plans, "job_plans"),
    }


def _equal(a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> None:
    assert_frames_equal(a, b, columns, TOL)


NUMBERS = ["estimate", "ci_low", "ci_high", "n_participants", "n_sessions", "observed_hours"]
BUDGET = ["bouts", "total_min", "mean_min", "sd_min", "pct_observed", "n_participants"]


def _both(tables: Any, **prepare: Any) -> tuple[Any, Any]:
    return (
        svc.prepare(tables, engine="duckdb", **prepare),
        svc.prepare(tables, engine="spark", **prepare),
    )


def _compare_all(tables: Any, by: str, interval: str = "t", B: int = 60) -> None:
    duck, spark = _both(tables)
    try:
        for e in (duck, spark):
            e.result = e.compute(by=by, seed=5, B=B, interval=interval, poisson=True)
        _equal(duck.result, spark.result, [*NUMBERS, "poisson_low", "poisson_high"])
        for overlap in ("sum", "union"):
            _equal(
                duck.time_budget(by=by, overlap=overlap),
                spark.time_budget(by=by, overlap=overlap),
                BUDGET,
            )
    finally:
        duck.close()
        spark.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    frames=studies(),
    by=st.sampled_from(["study", "site", "participant", "month", "mode"]),
    interval=st.sampled_from(["t", "percentile"]),
)
def test_every_metric_is_the_same_on_both_engines(spark_ready, frames, by, interval):
    tables = from_frames(frames, study="gen", templates=[builtin_template()])
    _compare_all(tables, by, interval)


def test_the_demo_study_is_the_same_on_both_engines(spark_ready, tmp_path):
    """Every metric of the demo study, by site, with its interval, and the comparison of two
    sites (the difference's interval): spark equals duckdb. One prepared engine of each kind
    serves both, as it would a user asking several questions."""
    from workweave.services.studies import create_demo_workspace

    store, sid, _ = create_demo_workspace(tmp_path / "demo")
    try:
        engines = [svc.prepare(store, study_id=sid, engine=name) for name in ("duckdb", "spark")]
        try:
            res = [svc.compute(e, by="site", seed=1, B=200) for e in engines]
            sites = sorted(res[0]["site"].unique())[:2]
            diff = [
                svc.compare(e, {"site": sites[0]}, {"site": sites[1]}, seed=2, B=80)
                for e in engines
            ]
        finally:
            for e in engines:
                e.close()
    finally:
        store.close()
    assert len(res[0]) > 100
    assert res[0]["estimate"].notna().sum() > 100
    _equal(res[0], res[1], NUMBERS)
    assert diff[0]["difference"].notna().sum() > 20
    _equal(diff[0], diff[1], [c for c in diff[0].columns if diff[0][c].dtype.kind == "f"])
