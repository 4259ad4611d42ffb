"""Every metric of the registry against values worked out by hand on small drawn sessions.

Session paper:1 (Monday 6 January 2025, 08:30-13:30, London = UTC, O = 300 minutes). P1's
Monday job plan: 09:00-12:00 DCC, 12:00-13:00 management, 13:00-14:00 SPA.

    task  category       domain  clock              active  notes
    t1    CLIN-DIRECT    clin    08:30-09:30        50      suspended 09:00-09:10 by t2
    t12   ADMIN          mgr     08:32-08:37         5      overlaps t1 (outside contract)
    t2    LIST-MANAGE    mgr     09:00-09:10        10
    t3    CLIN-INDIRECT  clin    09:30-10:00        30
    t4    ADMIN          mgr     09:50-10:20        30      overlaps t3 09:50-10:00
    t10   ADMIN          mgr     10:25-10:26         1      a fragment
    t5    BREAK          pers    10:30-10:45        15
    t6    CLIN-DIRECT    clin    10:45-11:55        60      suspended 11:00-11:05, 11:30-11:35
    t7    STAFF-ROTA     mgr     11:55-12:20        25      crosses DCC -> management at 12:00
    t8    MEETING        mgr     12:20-13:30        40      suspended from 13:00, never resumed
    t9    CLIN-ADVICE    clin    13:00-13:20        20
    t11   BUDGET         mgr     13:20-13:25         5      in SPA time (not its own)
    t13   SUPERVISE      mgr     13:25-13:30         5      in SPA time (its own: SUPERVISE->SPA)

Idle: 10:20-10:25, 10:26-10:30, 11:00-11:05, 11:30-11:35 (19 min); busy 281; two tasks active
08:32-08:37 and 09:50-10:00 (15 min); Σ active 296. Events: interruption 10:35; demand 10:22
(answered by t10 at 10:25), 11:50 (answered by t7 at 11:55), 13:25 (no episode starts after).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.analysis.metrics.paper import (
    MON,
    P1,
    paper_participants,
    paper_session_1,
    paper_sessions,
)
from tests.factories import TEMPLATE, at, drawn_study, plan, session, task
from workweave.analysis import metrics as M
from workweave.domain import Participant, Site
from workweave.domain.errors import ValidationError
from workweave.io.payscales import load_payscale
from workweave.services.metrics import compute

O1 = 300.0  # observed minutes, session 1


def _frac(x: float) -> float:
    return x / O1


# metric -> value (or key -> value) for session paper:1, worked out by hand
SESSION_1: dict[str, object] = {
    "share_observed": {
        "CLIN-DIRECT": _frac(110),
        "CLIN-INDIRECT": _frac(30),
        "CLIN-ADVICE": _frac(20),
        "LIST-MANAGE": _frac(10),
        "ADMIN": _frac(36),
        "BREAK": _frac(15),
        "STAFF-ROTA": _frac(25),
        "MEETING": _frac(40),
        "BUDGET": _frac(5),
        "SUPERVISE": _frac(5),
    },
    "share_task_time": {
        "CLIN-DIRECT": 110 / 296,
        "CLIN-INDIRECT": 30 / 296,
        "CLIN-ADVICE": 20 / 296,
        "LIST-MANAGE": 10 / 296,
        "ADMIN": 36 / 296,
        "BREAK": 15 / 296,
        "STAFF-ROTA": 25 / 296,
        "MEETING": 40 / 296,
        "BUDGET": 5 / 296,
        "SUPERVISE": 5 / 296,
    },
    # shared minutes count half: t1/t12 08:32-08:37, t3/t4 09:50-10:00
    "share_time_sliced": {
        "CLIN-DIRECT": _frac(45 + 2.5 + 60),
        "CLIN-INDIRECT": _frac(20 + 5),
        "CLIN-ADVICE": _frac(20),
        "LIST-MANAGE": _frac(10),
        "ADMIN": _frac(2.5 + 5 + 20 + 1),
        "BREAK": _frac(15),
        "STAFF-ROTA": _frac(25),
        "MEETING": _frac(40),
        "BUDGET": _frac(5),
        "SUPERVISE": _frac(5),
    },
    "share_with": {"patient": _frac(50 + 60), "alone": _frac(30), "carer/relative": _frac(60)},
    "share_how": {"face to face": _frac(50), "email/messaging": _frac(30)},
    "share_where": {"clinical area": _frac(50), "office": _frac(30 + 30)},
    "tasks_per_hour": 13 / 5,
    "task_duration_mean": 296 / 13,
    # durations sorted: 1 5 5 5 10 15 20 25 30 30 40 50 60
    "task_duration_median": 20.0,
    "task_duration_p90": 40 + 0.8 * 10,  # position 10.8
    "interruptions_per_hour": (4 + 1) / 5,  # four suspensions and one interruption event
    "suspensions_per_hour": 4 / 5,  # t1, t6 twice, t8
    "tasks_interrupted_pct": 100 * 3 / 13,  # t1, t6, t8
    "tasks_interrupted_repeat_pct": 100 * 1 / 13,  # t6
    "interrupted_not_resumed_pct": 100 * 1 / 13,  # t8
    "multitasking_pct": 100 * 15 / O1,
    "task_switches_per_hour": 2 / 5,  # suspensions naming their cause: t1 by t2, t8 by t9
    "multitask_starts_per_hour": 2 / 5,  # t12 (t1 active), t4 (t3 active)
    "domain_share_observed": {
        "clinical": _frac(160),
        "managerial": _frac(121),
        "professional": 0.0,
        "personal": _frac(15),
        "other": 0.0,
    },
    "domain_share_task_time": {
        "clinical": 160 / 296,
        "managerial": 121 / 296,
        "professional": 0.0,
        "personal": 15 / 296,
        "other": 0.0,
    },
    # foreground C M C M C C M M M (P) C C C M M C M M: nine changes
    "domain_switches_per_hour": 9 / 5,
    "mixed_domain_pct": 100 * 15 / O1,
    "undivided_clinical_pct": 100 * (45 + 20 + 60 + 20) / 160,
    # stretches 2 23 40 15 25 20 20 -> sorted 2 15 20 20 23 25 40
    "clinical_stretch_median": 20.0,
    "clinical_stretch_p10": 2 + 0.6 * 13,
    "clinical_stretch_p90": 25 + 0.4 * 15,
    # episodes 5 10 30 1 65 10
    "management_episodes_per_hour": 6 / 5,
    "management_episode_median": 10.0,
    "management_in_fragments_pct": 100 * 1 / 121,
    # managerial 121: own plan 20+40 (management) + 5 (t13 in SPA); DCC 10+30+1+5;
    # other planned 5 (t11 in SPA); outside 5 (t12)
    "compartmentalisation": 65 / 121,
    "leakage": {"clinical": 46 / 121, "other_planned": 5 / 121, "outside_contracted": 5 / 121},
    "takeover_ratio": 121 / 60,
    "clinical_displacement": (10 + 30 + 1 + 5) / 180,
    "management_outside_hours_per_8h": 8 * 5 / 270,
    "demand_response": 2 / 3,
    # time-sliced managerial minutes: 2.5 + 10 + 25 + 1 + 25 + 40 + 5 + 5 = 113.5
    "management_hours_per_fte_year": 113.5 / O1 * 1955.4,
    "management_cost_per_fte_year": 113.5 / O1 * (54_710 * (1 + 0.1438) + 0.15 * (54_710 - 5_000)),
}


@pytest.fixture(scope="module")
def paper_store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("paper") / "paper.sqlite"
    store, sid = drawn_study(path, paper_sessions(), paper_participants())
    yield store, sid
    store.close()


@pytest.fixture(scope="module")
def by_session(paper_store) -> pd.DataFrame:
    store, sid = paper_store
    return compute(store, study_id=sid, by="session", B=0)


def value(df: pd.DataFrame, metric: str, key: str | None = None, **group: str) -> float:
    rows = df[df["metric"] == metric]
    for k, v in group.items():
        rows = rows[rows[k] == v]
    rows = rows[rows["key"].isna()] if key is None else rows[rows["key"] == key]
    assert len(rows) == 1, f"{metric}[{key}] {group}: {len(rows)} rows"
    return float(rows["estimate"].iloc[0])


def test_every_metric_has_a_hand_value():
    assert set(SESSION_1) == set(M.REGISTRY)


@pytest.mark.parametrize("metric", sorted(SESSION_1))
def test_session_1_by_hand(by_session: pd.DataFrame, metric: str):
    expected = SESSION_1[metric]
    if isinstance(expected, dict):
        got_keys = set(
            by_session.loc[
                (by_session["metric"] == metric)
                & (by_session["session"] == "paper:1")
                & (by_session["estimate"] > 0),
                "key",
            ]
        )
        assert got_keys == {k for k, v in expected.items() if v > 0}
        for key, v in expected.items():
            assert value(by_session, metric, key, session="paper:1") == pytest.approx(v), key
    else:
        assert value(by_session, metric, session="paper:1") == pytest.approx(expected)


def test_session_1_counts(by_session: pd.DataFrame):
    row = by_session[
        (by_session["session"] == "paper:1") & (by_session["metric"] == "tasks_per_hour")
    ]
    assert row["n_participants"].item() == 1
    assert row["n_sessions"].item() == 1
    assert row["observed_hours"].item() == pytest.approx(5.0)
    assert row["flag"].item() == "fewer than 5 participants"


def test_nested_interruption_across_midnight_and_plan_boundary(by_session: pd.DataFrame):
    """paper:2, Friday 23:30 to Saturday 00:30 (60 min): u1 ADMIN 23:45-00:15 suspended
    23:50-00:05 by u2 CLIN-ADVICE, itself suspended 23:55-00:00 by u3 STAFF-ROTA. P1 has a
    management session Saturday 00:00-01:00 and nothing on Friday night."""
    s = {"session": "paper:2"}
    assert value(by_session, "share_observed", "ADMIN", **s) == pytest.approx(15 / 60)
    assert value(by_session, "share_observed", "CLIN-ADVICE", **s) == pytest.approx(10 / 60)
    assert value(by_session, "share_observed", "STAFF-ROTA", **s) == pytest.approx(5 / 60)
    assert value(by_session, "multitasking_pct", **s) == 0.0
    assert value(by_session, "tasks_interrupted_pct", **s) == pytest.approx(200 / 3)
    assert value(by_session, "task_switches_per_hour", **s) == pytest.approx(2.0)
    # foreground u1 M, u2 C, u3 M, u2 C, u1 M: four switches in one hour
    assert value(by_session, "domain_switches_per_hour", **s) == pytest.approx(4.0)
    assert value(by_session, "management_episodes_per_hour", **s) == pytest.approx(3.0)
    assert value(by_session, "clinical_stretch_median", **s) == pytest.approx(5.0)
    # managerial 20 min: u1 23:45-23:50 and u3 23:55-00:00 outside contract, u1 00:05-00:15
    # inside the Saturday management session
    assert value(by_session, "compartmentalisation", **s) == pytest.approx(0.5)
    assert value(by_session, "leakage", "outside_contracted", **s) == pytest.approx(0.5)
    assert value(by_session, "takeover_ratio", **s) == pytest.approx(20 / 30)
    assert value(by_session, "management_outside_hours_per_8h", **s) == pytest.approx(8 * 10 / 30)
    months = by_session.loc[by_session["session"] == "paper:2"]
    assert len(months)


def test_empty_session(by_session: pd.DataFrame):
    """paper:3: an hour observed with nothing recorded, by P2 (no job plan, no band)."""
    s = {"session": "paper:3"}
    assert value(by_session, "tasks_per_hour", **s) == 0.0
    assert value(by_session, "multitasking_pct", **s) == 0.0
    assert value(by_session, "domain_share_observed", "clinical", **s) == 0.0
    assert math.isnan(value(by_session, "task_duration_mean", **s))
    assert math.isnan(value(by_session, "task_duration_median", **s))
    assert math.isnan(value(by_session, "share_task_time", "ADMIN", **s))
    rows = by_session[(by_session["session"] == "paper:3")]
    plan_rows = rows[rows["metric"] == "compartmentalisation"]
    assert plan_rows["n_sessions"].item() == 0 and math.isnan(plan_rows["estimate"].item())
    assert "undefined" in plan_rows["flag"].item()
    cost = rows[rows["metric"] == "management_cost_per_fte_year"]
    assert cost["n_participants"].item() == 0


def test_study_is_the_ratio_of_sums(paper_store):
    store, sid = paper_store
    df = compute(store, study_id=sid, B=0)
    # observed: 300 + 60 + 60 minutes; tasks 13 + 3 + 0
    assert value(df, "tasks_per_hour") == pytest.approx(16 / 7)
    assert value(df, "share_observed", "ADMIN") == pytest.approx((36 + 15) / 420)
    # managerial minutes: 121 + 20; own plan 65 + 10
    assert value(df, "compartmentalisation") == pytest.approx(75 / 141)
    row = df[df["metric"] == "compartmentalisation"]
    assert row["n_sessions"].item() == 2 and row["observed_hours"].item() == pytest.approx(6.0)
    row = df[df["metric"] == "tasks_per_hour"]
    assert row["n_participants"].item() == 2 and row["n_sessions"].item() == 3
    assert row["observed_hours"].item() == pytest.approx(7.0)


def test_filters_and_source_session_ids(paper_store):
    store, sid = paper_store
    by_key = compute(store, study_id=sid, filter={"session": "paper:1"}, B=0)
    by_source = compute(store, study_id=sid, filter={"session": "1"}, B=0)
    pd.testing.assert_frame_equal(by_key, by_source)
    assert value(by_key, "tasks_per_hour") == pytest.approx(2.6)
    by_month = compute(store, study_id=sid, by="month", metrics="tasks_per_hour", B=0)
    assert list(by_month["month"]) == ["2025-01"]  # paper:2 starts on 31 January
    # a value no session has is an error naming the values that exist, not an empty result
    with pytest.raises(ValidationError, match=r"no participant 'nobody'; the study has: "):
        compute(store, study_id=sid, filter={"participant": "nobody"}, B=0)
    with pytest.raises(ValidationError, match=r"did you mean 'paper:1'"):
        compute(store, study_id=sid, filter={"session": "Paper:1"}, B=0)


def test_sessions_without_a_store_agree(by_session):
    tables = M.from_sessions(paper_sessions(), paper_participants(), templates=[TEMPLATE])
    direct = compute(tables, by="session", B=0)
    cols = ["session", "metric", "key", "estimate", "n_sessions", "observed_hours"]
    pd.testing.assert_frame_equal(
        direct[cols].reset_index(drop=True),
        by_session[cols].reset_index(drop=True),
        check_dtype=False,
    )


@pytest.mark.parametrize(
    ("day", "utc_start", "utc_end", "expected"),
    [
        # 30 March 2025: clocks go forward; 09:00-12:00 BST is 08:00-11:00 UTC
        ("2025-03-30", "07:30", "08:30", 0.5),
        # 26 October 2025: clocks go back; 09:00-12:00 GMT is 09:00-12:00 UTC
        ("2025-10-26", "08:30", "09:30", 0.5),
    ],
)
def test_job_plan_keeps_local_hours_across_daylight_saving(
    tmp_path: Path, day: str, utc_start: str, utc_end: str, expected: float
):
    p3 = Participant("P3", "S1", band="8a", job_plan=plan((6, "09:00", "12:00", "management")))
    s = session(
        "dst",
        "P3",
        at(day, "06:00"),
        at(day, "12:00"),
        [task("a", "ADMIN", at(day, utc_start), at(day, utc_end), seq=1)],
    )
    store, sid = drawn_study(tmp_path / "dst.sqlite", [s], [p3])
    df = compute(store, study_id=sid, metrics=["compartmentalisation", "takeover_ratio"], B=0)
    store.close()
    assert value(df, "compartmentalisation") == pytest.approx(expected)
    assert value(df, "takeover_ratio") == pytest.approx(60 / 180)


def test_site_time_zone_is_used_not_the_machines(tmp_path: Path):
    """A site in Rome: 09:00-10:00 local is 08:00-09:00 UTC in winter."""
    p = Participant("R1", "RM", band="7", job_plan=plan((0, "09:00", "10:00", "management")))
    s = session(
        "rome",
        "R1",
        at(MON, "07:00"),
        at(MON, "10:00"),
        [task("a", "ADMIN", at(MON, "08:00"), at(MON, "09:00"), seq=1)],
        site="RM",
        timezone="Europe/Rome",
    )
    store, sid = drawn_study(
        tmp_path / "rome.sqlite", [s], [p], sites=[Site("RM", "Rome", "Europe/Rome")]
    )
    df = compute(store, study_id=sid, metrics="compartmentalisation", B=0)
    store.close()
    assert value(df, "compartmentalisation") == pytest.approx(1.0)


def test_parameters_change_what_they_should(paper_store):
    store, sid = paper_store
    df = compute(
        store,
        study_id=sid,
        filter={"session": "paper:1"},
        metrics=["management_in_fragments_pct", "demand_response", "management_hours_per_fte_year"],
        params={"fragment_minutes": 6, "demand_window_minutes": 4, "share_basis": "observed"},
        B=0,
    )
    # fragments under 6 minutes: 5 (t12) and 1 (t10)
    assert value(df, "management_in_fragments_pct") == pytest.approx(100 * 6 / 121)
    # within 4 minutes only 10:22 -> 10:25 is answered
    assert value(df, "demand_response") == pytest.approx(1 / 3)
    assert value(df, "management_hours_per_fte_year") == pytest.approx(121 / 300 * 1955.4)


def test_pay_scale_is_selectable_and_stated(paper_store, tmp_path: Path):
    store, sid = paper_store
    custom = tmp_path / "testland-2030-31.yaml"
    custom.write_text(
        "nation: testland\nyear: 2030-31\ntitle: Testland 2030/31\nsource: invented\n"
        "bands: {'7': [10000, 20000]}\n"
        "on_costs: {employer_pension_rate: 0.1, employer_ni_rate: 0.0, "
        "employer_ni_threshold: 0}\n",
        encoding="utf-8",
    )
    df = compute(
        store,
        study_id=sid,
        filter={"session": "paper:1"},
        metrics="management_cost_per_fte_year",
        params={"payscale": str(custom)},
        B=0,
    )
    # pay point 3 of a two-point band reads as the top point
    assert value(df, "management_cost_per_fte_year") == pytest.approx(113.5 / 300 * 20000 * 1.1)
    assert df.attrs["payscale"]["title"] == "Testland 2030/31"
    default = load_payscale()
    assert default.bands["7"] == (47810.0, 50273.0, 54710.0)
    assert default.bands["8a"][0] == 55690.0 and default.bands["8a"][-1] == 62682.0
    assert set(default.bands) >= {"5", "6", "7", "8a", "8b", "8c", "8d"}
    assert default.employer_pension_rate == pytest.approx(0.1438)
    assert default.employer_ni_rate == pytest.approx(0.15)
    assert default.employer_ni_threshold == 5000
    assert "nhsemployers.org" in default.source


def test_unknown_names_are_refused(paper_store):
    from workweave.domain.errors import NotFoundError, ValidationError

    store, sid = paper_store
    with pytest.raises(ValidationError, match="no metric"):
        compute(store, study_id=sid, metrics="nonsense", B=0)
    with pytest.raises(ValidationError, match="cannot be grouped"):
        compute(store, study_id=sid, by="weather", B=0)
    with pytest.raises(ValidationError, match="cannot be filtered"):
        compute(store, study_id=sid, filter={"weather": "rain"}, B=0)
    with pytest.raises(ValidationError, match="parameter"):
        compute(store, study_id=sid, params={"nonsense": 1}, B=0)
    with pytest.raises(NotFoundError, match="pay scale"):
        compute(store, study_id=sid, params={"payscale": "atlantis-1999"}, B=0)


def test_poisson_interval_for_rates(paper_store):
    store, sid = paper_store
    df = compute(
        store,
        study_id=sid,
        filter={"session": "paper:1"},
        metrics=["tasks_per_hour", "multitasking_pct"],
        poisson=True,
        B=0,
    )
    rate = df[df["metric"] == "tasks_per_hour"].iloc[0]
    # 13 tasks in 5 hours: exact 95 % limits for a count of 13 are 6.922 and 22.230
    assert rate["poisson_low"] == pytest.approx(6.9218 / 5, rel=1e-3)
    assert rate["poisson_high"] == pytest.approx(22.2303 / 5, rel=1e-3)
    share = df[df["metric"] == "multitasking_pct"].iloc[0]
    assert np.isnan(share["poisson_low"])


def test_p1_is_the_participant_with_a_plan():
    assert P1.job_plan.weekly_hours == pytest.approx(6.0)
    assert paper_session_1().observed_seconds == 300 * 60


def test_every_store_backend_gives_the_same_numbers(store_location: str, by_session):
    """SQLite (read through Arrow) and PostgreSQL (read through Store.frame) agree."""
    store, sid = drawn_study(store_location, paper_sessions(), paper_participants())
    got = compute(store, study_id=sid, by="session", B=0)
    store.close()
    cols = ["session", "metric", "key", "estimate", "n_participants", "observed_hours"]
    pd.testing.assert_frame_equal(
        got[cols].reset_index(drop=True), by_session[cols].reset_index(drop=True)
    )
