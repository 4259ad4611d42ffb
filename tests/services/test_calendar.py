"""A calendar as the plan: import, re-import, refusals, and the planned-versus-actual metrics."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.factories import at, drawn_study, plan, session, task
from workweave.domain import Participant
from workweave.domain.errors import ValidationError
from workweave.services import calendar as cal
from workweave.services import metrics as ms

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:mgmt
DTSTART;TZID=Europe/London:20240318T100000
DTEND;TZID=Europe/London:20240318T120000
RRULE:FREQ=WEEKLY;COUNT=2
SUMMARY:Management time
END:VEVENT
BEGIN:VEVENT
UID:lunch
DTSTART;TZID=Europe/London:20240318T120000
DTEND;TZID=Europe/London:20240318T123000
SUMMARY:Lunch
END:VEVENT
END:VCALENDAR
"""
PB_METRICS = ["compartmentalisation", "leakage", "takeover_ratio"]


@pytest.fixture
def study(tmp_path: Path):
    t0 = at("2024-03-18", "09:00")  # a Monday in GMT
    s = session(
        "s1",
        "P1",
        t0,
        t0 + timedelta(hours=4),
        [
            task("a", "CLIN-DIRECT", t0, t0 + timedelta(hours=1), seq=1),
            task("b", "MEETING", t0 + timedelta(hours=1), t0 + timedelta(hours=2), seq=2),
            task("c", "ADMIN", t0 + timedelta(hours=3), t0 + timedelta(hours=4), seq=3),
        ],
    )
    p = Participant("P1", "S1", "radiographer", "7", job_plan=plan((0, "09:00", "13:00", "DCC")))
    st, sid = drawn_study(tmp_path / "s.sqlite", [s], [p])
    (tmp_path / "c.ics").write_text(ICS)
    (tmp_path / "m.yaml").write_text(
        "rules:\n  - regex: '(?i)management'\n    category: management\n"
        "  - title: Lunch\n    category: ignore\n"
    )
    yield st, sid, tmp_path
    st.close()


def estimates(st, sid, plan_: str) -> dict[str, float]:
    df = ms.compute(st, study_id=sid, metrics=PB_METRICS, B=0, plan=plan_)
    assert df.attrs["plan"] == plan_
    return {
        f"{r.metric}[{r.key}]" if isinstance(r.key, str) else r.metric: r.estimate
        for r in df.itertuples()
    }


def test_import_is_idempotent_and_feeds_the_metrics(study) -> None:
    st, sid, d = study
    res = cal.import_calendar(st, sid, d / "c.ics", "P1", mapping=d / "m.yaml")
    assert res.blocks == 2 and res.hours_by_category == {"management": 4.0}
    assert res.ignored == ["Lunch"] and res.added == 2
    again = cal.import_calendar(st, sid, d / "c.ics", "P1", mapping=d / "m.yaml")
    assert again.unchanged and len(st.planned.blocks(sid)) == 2
    job = estimates(st, sid, "jobplan")  # the job plan says Monday 09-13 is clinical
    assert job["compartmentalisation"] == 0 and job["leakage[clinical]"] == 1
    calendar = estimates(st, sid, "calendar")  # the calendar says 10-12 is management
    assert calendar["compartmentalisation"] == pytest.approx(0.5)  # MEETING in, ADMIN out
    assert calendar["leakage[outside_contracted]"] == pytest.approx(0.5)
    assert calendar["takeover_ratio"] == pytest.approx(1.0)  # 2 h managerial / 2 h planned


def test_sessions_outside_the_calendar_period_have_no_plan(study) -> None:
    st, sid, d = study
    cal.import_calendar(
        st,
        sid,
        d / "c.ics",
        "P1",
        mapping=d / "m.yaml",
        date_from=date(2024, 3, 25),
        date_to=date(2024, 3, 31),
    )
    df = ms.compute(st, study_id=sid, metrics=["compartmentalisation"], B=0, plan="calendar")
    assert df["n_sessions"].iloc[0] == 0  # the 18 March session is not covered


def test_refusals_change_nothing(study) -> None:
    st, sid, d = study
    (d / "strict.csv").write_text(
        "match,pattern,category\nregex,Management,management\ndefault,,error\n"
    )
    with pytest.raises(ValidationError, match="matches no rule"):
        cal.import_calendar(st, sid, d / "c.ics", "P1", mapping=d / "strict.csv")
    (d / "bad.ics").write_text(ICS.replace("DTSTART;TZID=Europe/London:20240318T120000\n", ""))
    with pytest.raises(ValidationError, match="no DTSTART"):
        cal.import_calendar(st, sid, d / "bad.ics", "P1", mapping=d / "m.yaml")
    assert st.planned.blocks(sid) == []
    assert st.analytic.frame("plan_periods", sid).empty
    with pytest.raises(ValidationError, match="unknown plan"):
        ms.compute(st, study_id=sid, plan="rota")
