"""Metrics count one record per co-observation group unless asked for every record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workweave.analysis import metrics as M
from workweave.domain.observation import Session, Suspension, Task
from workweave.domain.study import Participant
from workweave.services.metrics import compute

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def session(key: str, observer: str, minutes: int, role: str | None = None, n_susp: int = 0):
    susp = tuple(
        Suspension(T0 + timedelta(minutes=i + 1), T0 + timedelta(minutes=i + 1, seconds=30))
        for i in range(n_susp)
    )
    task = Task(
        key=f"{key}-1",
        category="CLIN-DIRECT",
        start=T0,
        end=T0 + timedelta(minutes=minutes),
        suspensions=susp,
        seq=1,
    )
    return Session(
        key=key,
        participant="P1",
        site="S",
        start=T0,
        end=T0 + timedelta(minutes=minutes),
        observer=observer,
        tasks=(task,),
        observer_role=role,
    )


@pytest.fixture
def tables():
    # the same hour seen by two observers (the second stored first), and the primary
    # observer's record has 2 interruptions, the second's 4
    sessions = [session("s-second", "O2", 60, "second", 4), session("s-primary", "O1", 60, None, 2)]
    return M.from_sessions(sessions, [Participant("P1", "S", "radiographer", "7", 2)])


def rows(df, metric="interruptions_per_hour"):
    return df[df["metric"] == metric].iloc[0]


def test_primary_counts_one_record_all_counts_both(tables) -> None:
    one = rows(compute(tables, metrics="interruptions_per_hour", B=0))
    # no record is 'primary': the earliest stored (lowest id: s-second) is counted
    assert one["n_sessions"] == 1 and one["observed_hours"] == pytest.approx(1.0)
    assert one["estimate"] == pytest.approx(4.0)
    both = rows(compute(tables, metrics="interruptions_per_hour", B=0, observers="all"))
    assert both["n_sessions"] == 2 and both["observed_hours"] == pytest.approx(2.0)
    assert both["estimate"] == pytest.approx(3.0)


def test_the_primary_role_wins_and_a_filter_comes_first() -> None:
    sessions = [session("a", "O2", 60, None, 4), session("b", "O1", 60, "primary", 2)]
    t = M.from_sessions(sessions, [Participant("P1", "S", "radiographer", "7", 2)])
    df = compute(t, metrics="interruptions_per_hour", B=0)
    assert rows(df)["estimate"] == pytest.approx(2.0)
    assert df.attrs["observers"] == "primary"
    # asking for one observer's sessions gives them, whatever their role
    df = compute(t, metrics="interruptions_per_hour", B=0, filter={"observer": "O2"})
    assert rows(df)["estimate"] == pytest.approx(4.0) and rows(df)["n_sessions"] == 1


def test_bad_observers_value_is_refused(tables) -> None:
    from workweave.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="observers must be one of"):
        compute(tables, metrics="interruptions_per_hour", B=0, observers="both")
