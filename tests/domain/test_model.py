from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workweave.domain import (
    JobPlan,
    JobPlanSession,
    Participant,
    Session,
    Site,
    Suspension,
    Task,
    ValidationError,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def task(
    start: float, end: float | None, *susp: tuple[float, float | None], key: str = "t"
) -> Task:
    return Task(
        key=key,
        category="X",
        start=at(start),
        end=None if end is None else at(end),
        suspensions=tuple(Suspension(at(a), None if b is None else at(b)) for a, b in susp),
    )


def test_active_time_is_elapsed_minus_suspensions() -> None:
    t = task(0, 100, (10, 30), (50, 60))
    assert t.elapsed_seconds == 100
    assert t.active_seconds == 70
    assert t.active_intervals() == [(at(0), at(10)), (at(30), at(50)), (at(60), at(100))]
    assert t.interrupted and t.resumed


def test_overlapping_and_nested_suspensions_count_once() -> None:
    t = task(0, 100, (10, 50), (20, 30), (40, 70))
    assert t.suspended_intervals() == [(at(10), at(70))]
    assert t.active_seconds == 40


def test_suspension_running_to_the_end_is_not_resumed() -> None:
    t = task(0, 60, (20, 60))
    assert t.active_seconds == 20
    assert not t.resumed


def test_unfinished_task_counts_active_time_up_to_what_was_seen() -> None:
    # WOMBAT: a task left running when an incomplete session stopped, interrupted at 133 s
    t = task(0, None, (133, None))
    assert t.elapsed_seconds is None
    assert t.known_end == at(133)
    assert t.active_seconds == 133
    assert task(0, None).active_seconds == 0


def test_suspension_outside_the_task_is_clipped() -> None:
    assert task(10, 20, (0, 15)).active_seconds == 5


def test_task_ending_before_start_is_refused() -> None:
    with pytest.raises(ValidationError, match="before its start"):
        task(10, 5)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        Task(key="t", category="X", start=datetime(2026, 1, 1), end=None)


def test_session_rules() -> None:
    with pytest.raises(ValidationError, match="needs an observer"):
        Session(key="s", participant="P", site="S", start=at(0), end=at(10))
    with pytest.raises(ValidationError, match="appears twice"):
        Session(
            key="s",
            participant="P",
            site="S",
            start=at(0),
            end=at(10),
            observer="O",
            tasks=(task(0, 1, key="a"), task(1, 2, key="a")),
        )
    s = Session(
        key="s",
        participant="P",
        site="S",
        start=at(0),
        end=None,
        observer="O",
        complete=False,
        tasks=(task(0, 50, (10, 20), key="a"), task(40, None, key="b")),
    )
    assert s.known_end == at(50)
    assert s.observed_seconds == 50
    assert s.interruption_count() == 1
    selfr = Session(key="d", participant="P", site="S", start=at(0), end=at(5), mode="self-report")
    assert selfr.observer is None


def test_job_plan_hours_and_overlap() -> None:
    plan = JobPlan(
        (
            JobPlanSession(0, time(9), time(12, 45), "DCC"),
            JobPlanSession(0, time(13, 30), time(17, 15), "management"),
            JobPlanSession(2, time(9), time(12, 45), "SPA"),
        )
    )
    assert plan.weekly_hours == pytest.approx(11.25)
    assert plan.hours_by_category() == {"DCC": 3.75, "management": 3.75, "SPA": 3.75}
    with pytest.raises(ValidationError, match="overlap"):
        JobPlan(
            (
                JobPlanSession(1, time(9), time(12), "DCC"),
                JobPlanSession(1, time(11), time(13), "SPA"),
            )
        )
    with pytest.raises(ValidationError, match="not one of"):
        JobPlanSession(1, time(9), time(12), "meetings")
    with pytest.raises(ValidationError, match="before it starts"):
        JobPlanSession(1, time(12), time(9), "DCC")


def test_job_plan_intervals_keep_local_hours_across_daylight_saving() -> None:
    london = ZoneInfo("Europe/London")
    plan = JobPlan((JobPlanSession(4, time(9), time(12), "management"),))  # Fridays
    # 27 March 2026 (GMT) and 3 April 2026 (BST, after the change on 29 March)
    start = datetime(2026, 3, 26, tzinfo=UTC)
    end = datetime(2026, 4, 5, tzinfo=UTC)
    got = plan.intervals(start, end, london)
    assert [(a.astimezone(UTC).hour, b.astimezone(UTC).hour) for a, b, _ in got] == [
        (9, 12),
        (8, 11),
    ]
    assert all(c == "management" for _, _, c in got)


def test_participant_contracted_hours_follow_the_job_plan() -> None:
    plan = JobPlan(tuple(JobPlanSession(d, time(9), time(16, 30), "DCC") for d in range(5)))
    p = Participant(
        code="RAD-01", site="TH", profession="radiographer", band="7", pay_point=2, job_plan=plan
    )
    assert p.weekly_hours == pytest.approx(37.5)
    assert Participant(code="X", site="S", contracted_hours=30).weekly_hours == 30
    with pytest.raises(ValidationError, match="band"):
        Participant(code="X", site="S", band="12")
    with pytest.raises(ValidationError, match="profession"):
        Participant(code="X", site="S", profession="surgeon")
    with pytest.raises(ValidationError, match="pseudonymous"):
        Participant(code="", site="S")


def test_site_time_zone_is_checked() -> None:
    assert Site("TH", timezone="Europe/London").zone.key == "Europe/London"
    with pytest.raises(ValidationError, match="unknown time zone"):
        Site("TH", timezone="Mars/Olympus")


intervals = st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 400) | st.none()), max_size=6)


@given(st.integers(0, 500), st.integers(0, 1000), intervals)
def test_active_time_property(start: int, length: int, raw: list[tuple[int, int | None]]) -> None:
    end = start + length
    susp = [(a, None if d is None else a + d) for a, d in raw]
    t = task(start, end, *susp)
    # brute force on whole seconds
    suspended = set()
    for a, b in susp:
        suspended.update(range(max(a, start), min(end if b is None else b, end)))
    expected = sum(1 for s in range(start, end) if s not in suspended)
    assert t.active_seconds == expected
    assert 0 <= t.active_seconds <= t.elapsed_seconds
