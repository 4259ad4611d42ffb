"""iCalendar reading: recurrence in the event's own zone, exceptions, all-day, malformed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workweave.domain.errors import ValidationError
from workweave.domain.planned import PlannedBlock, timeline
from workweave.io.calendar import Mapping, read_calendar, read_mapping

LONDON = ZoneInfo("Europe/London")


def ics(tmp_path: Path, *events: str, name: str = "c.ics") -> Path:
    body = "\n".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT" for e in events)
    path = tmp_path / name
    path.write_text(f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}\nEND:VCALENDAR\n")
    return path


WEEKLY = """
UID:clinic
DTSTART;TZID=Europe/London:20240318T090000
DTEND;TZID=Europe/London:20240318T120000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4
EXDATE;TZID=Europe/London:20240401T090000
SUMMARY:Fracture clinic
"""
MOVED = """
UID:clinic
RECURRENCE-ID;TZID=Europe/London:20240325T090000
DTSTART;TZID=Europe/London:20240325T100000
DTEND;TZID=Europe/London:20240325T130000
SUMMARY:Fracture clinic (moved)
"""


def test_weekly_series_keeps_local_hours_across_the_clock_change(tmp_path: Path) -> None:
    cal = read_calendar(ics(tmp_path, WEEKLY, MOVED), zone=LONDON)
    got = [(i.start.astimezone(UTC), i.title) for i in cal.instances]
    assert got == [
        (datetime(2024, 3, 18, 9, tzinfo=UTC), "Fracture clinic"),
        (datetime(2024, 3, 25, 10, tzinfo=UTC), "Fracture clinic (moved)"),  # override
        # 1 April excluded by EXDATE; 8 April is BST: 09:00 local is 08:00 UTC
        (datetime(2024, 4, 8, 8, tzinfo=UTC), "Fracture clinic"),
    ]


def test_cancelled_instance_rdate_and_all_day(tmp_path: Path) -> None:
    cancel = """
UID:clinic
RECURRENCE-ID;TZID=Europe/London:20240318T090000
DTSTART;TZID=Europe/London:20240318T090000
DTEND;TZID=Europe/London:20240318T120000
STATUS:CANCELLED
SUMMARY:Fracture clinic
"""
    extra = WEEKLY.replace("SUMMARY", "RDATE;TZID=Europe/London:20240320T140000\nSUMMARY")
    leave = "UID:leave\nDTSTART;VALUE=DATE:20240319\nSUMMARY:Annual leave"
    cal = read_calendar(ics(tmp_path, extra, cancel, leave), zone=LONDON)
    starts = [i.start.astimezone(LONDON).strftime("%m-%d %H:%M") for i in cal.instances]
    assert starts == ["03-20 14:00", "03-25 09:00", "04-08 09:00"]
    assert cal.cancelled == 1 and cal.all_day == 1


def test_floating_times_are_read_in_the_given_zone(tmp_path: Path) -> None:
    ev = "UID:x\nDTSTART:20240701T090000\nDTEND:20240701T100000\nSUMMARY:Audit"
    (inst,) = read_calendar(ics(tmp_path, ev), zone=LONDON).instances
    assert inst.start.astimezone(UTC) == datetime(2024, 7, 1, 8, tzinfo=UTC)


def test_period_clips_and_unbounded_series_needs_an_end(tmp_path: Path) -> None:
    ev = "UID:x\nDTSTART:20240101T090000Z\nDTEND:20240101T100000Z\nRRULE:FREQ=DAILY\nSUMMARY:Huddle"
    path = ics(tmp_path, ev)
    with pytest.raises(ValidationError, match="repeats without end"):
        read_calendar(path, zone=LONDON)
    cal = read_calendar(
        path,
        zone=LONDON,
        start=datetime(2024, 2, 1, tzinfo=UTC),
        end=datetime(2024, 2, 8, tzinfo=UTC),
    )
    assert len(cal.instances) == 7


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("hello", "not an iCalendar file"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n", "DTSTART"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\n"
            "DTEND:20240101T090000Z\nEND:VEVENT\nEND:VCALENDAR\n",
            "ends before it starts",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\n"
            "DTEND:20240101T110000Z\nRRULE:FREQ=SOMETIMES\nEND:VEVENT\nEND:VCALENDAR\n",
            "event 1",
        ),
    ],
)
def test_malformed_calendars_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.ics"
    path.write_text(text)
    with pytest.raises(ValidationError) as exc:
        read_calendar(path, zone=LONDON)
    assert reason in exc.value.describe()


def test_mapping_yaml_and_csv(tmp_path: Path) -> None:
    y = tmp_path / "m.yaml"
    y.write_text(
        "default: ignore\nrules:\n"
        "  - title: Fracture clinic\n    category: dcc\n"
        "  - regex: '(?i)^mdt'\n    category: management\n"
        "  - calendar_category: Teaching\n    category: SPA\n"
    )
    m = read_mapping(y)
    assert m.classify("  fracture   CLINIC ", ()) == "DCC"
    assert m.classify("MDT Tuesday", ()) == "management"
    assert m.classify("Lecture", ("Teaching",)) == "SPA"
    assert m.classify("Lunch", ()) is None and m.default == "ignore"
    c = tmp_path / "m.csv"
    c.write_text("match,pattern,category\nregex,clinic,DCC\ndefault,,error\n")
    m = read_mapping(c)
    assert m.classify("Hand clinic", ()) == "DCC" and m.classify("Lunch", ()) is None
    assert Mapping().classify("x", ("Management",)) == "management"  # no mapping file


def test_malformed_mapping_names_rows(tmp_path: Path) -> None:
    c = tmp_path / "m.csv"
    c.write_text("match,pattern,category\nregex,(,DCC\ntitle,Clinic,clinical\nsoundex,x,DCC\n")
    with pytest.raises(ValidationError) as exc:
        read_mapping(c)
    text = exc.value.describe()
    assert "not a regular expression" in text and "'clinical' is not one of" in text
    assert "'soundex' is not title" in text
    y = tmp_path / "m.yaml"
    y.write_text("rules: {a: 1}\n")
    with pytest.raises(ValidationError, match="list 'rules'"):
        read_mapping(y)


def test_overlaps_resolve_to_the_later_block() -> None:
    clinic = PlannedBlock(0, 100, "DCC", "clinic")
    meeting = PlannedBlock(40, 60, "management", "meeting")
    assert timeline([clinic, meeting]) == [(0, 40, "DCC"), (40, 60, "management"), (60, 100, "DCC")]
    assert timeline([PlannedBlock(0, 10, "SPA"), PlannedBlock(10, 20, "SPA")]) == [(0, 20, "SPA")]
