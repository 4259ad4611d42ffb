"""Importing a participant's calendar as planned activity (docs/calendar.md).

The calendar's timed event instances in a period (`workweave.io.calendar.read_calendar`) are
mapped to job-plan categories (`read_mapping`; events mapped to ``ignore`` or matching no
rule are left out and listed) and replace the participant's planned activity starting in that
period (`store.planned.replace`): importing the same calendar again changes nothing. The
planned-versus-actual metrics read it with ``plan='calendar'`` (`workweave.services.metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.planned import PlannedBlock
from workweave.domain.time import to_ms
from workweave.io.calendar import IGNORE, Mapping, read_calendar, read_mapping
from workweave.services.audit import audited
from workweave.store import Store


@dataclass
class CalendarImport:
    """What a calendar import read and stored."""

    participant: str
    period: tuple[datetime, datetime]  # in the participant's site zone
    events: int
    instances: int
    blocks: int
    hours_by_category: dict[str, float]
    ignored: list[str] = field(default_factory=list)  # titles mapped to 'ignore'
    unmatched: list[str] = field(default_factory=list)  # titles no rule matched
    all_day: int = 0
    cancelled: int = 0
    no_duration: int = 0
    added: int = 0
    removed: int = 0
    unchanged: bool = False


@audited(
    "import.calendar", lambda *a, **k: f"participant:{a[3] if len(a) > 3 else k.get('participant')}"
)
def import_calendar(
    store: Store,
    study_id: int,
    path: str | Path,
    participant: str,
    *,
    mapping: str | Path | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> CalendarImport:
    """Import `path` as `participant`'s planned activity from `date_from` to `date_to`
    (inclusive dates in the participant's site time zone; default: the calendar's own
    first and last event). Refused with every problem listed, nothing changed, when the
    file, the mapping or any event is malformed, or an event matches no rule and the
    mapping's default is 'error'."""
    people = {p.code: p for p in store.studies.participants(study_id)}
    if participant not in people:
        raise NotFoundError(f"no participant '{participant}' in this study")
    sites = {s.code: s for s in store.studies.sites(study_id)}
    zone = sites[people[participant].site].zone
    rules = read_mapping(mapping) if mapping is not None else Mapping()
    if date_from and date_to and date_to < date_from:
        raise ValidationError("--to is before --from")
    lo = datetime.combine(date_from, time(0), tzinfo=zone) if date_from else None
    hi = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=zone) if date_to else None
    cal = read_calendar(path, zone=zone, start=lo, end=hi)
    src = Path(path).name
    if cal.period is None:  # no timed event at all, and no period given
        raise ValidationError(
            Problem("holds no timed event; give --from and --to to clear a period", src)
        )
    p_lo, p_hi = cal.period
    if lo is None:  # the calendar's own first day, from midnight
        p_lo = datetime.combine(p_lo.astimezone(zone).date(), time(0), tzinfo=zone)
    if hi is None:  # to the end of its last day
        p_hi = datetime.combine(
            p_hi.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone
        )
    from_ms, to_ms_ = to_ms(p_lo), to_ms(p_hi)
    assert from_ms is not None and to_ms_ is not None
    blocks: list[PlannedBlock] = []
    ignored: list[str] = []
    unmatched: list[str] = []
    problems: list[Problem] = []
    hours: dict[str, float] = {}
    for inst in cal.instances:
        target = rules.classify(inst.title, inst.categories)
        if target is None and rules.default not in ("error", IGNORE):
            target = rules.default
        if target is None:
            if rules.default == "error":
                problems.append(
                    Problem(
                        f"event UID {inst.uid[:80]} '{inst.title[:60]}' on "
                        f"{inst.start.astimezone(zone):%Y-%m-%d %H:%M} matches no rule of "
                        "the mapping (its default is error)",
                        src,
                    )
                )
            else:
                unmatched.append(inst.title)
            continue
        if target == IGNORE:
            ignored.append(inst.title)
            continue
        a = max(to_ms(inst.start.astimezone(UTC)) or 0, from_ms)
        b = min(to_ms(inst.end.astimezone(UTC)) or 0, to_ms_)
        if b <= a:
            continue
        blocks.append(PlannedBlock(a, b, target, inst.title, inst.uid, inst.recurrence_id))
        hours[target] = hours.get(target, 0.0) + (b - a) / 3_600_000
    if problems:
        raise ValidationError(problems[:200])
    write = store.planned.replace(study_id, participant, from_ms, to_ms_, blocks, source=src)
    return CalendarImport(
        participant=participant,
        period=(p_lo.astimezone(zone), p_hi.astimezone(zone)),
        events=cal.events,
        instances=len(cal.instances),
        blocks=len(blocks),
        hours_by_category=dict(sorted(hours.items())),
        ignored=ignored,
        unmatched=unmatched,
        all_day=cal.all_day,
        cancelled=cal.cancelled,
        no_duration=cal.no_duration,
        added=write.added,
        removed=write.removed,
        unchanged=write.unchanged,
    )


__all__ = ["CalendarImport", "import_calendar"]
