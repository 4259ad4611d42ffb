"""Calendars (iCalendar, RFC 5545) as planned activity, and the mapping of events to job-plan
categories.

`read_calendar` parses a ``.ics`` file with the ``icalendar`` package and expands recurring
events with ``python-dateutil``'s ``rruleset``: RRULE (several allowed), RDATE, EXDATE, and
instances moved or changed by a VEVENT with the same UID and a RECURRENCE-ID, or cancelled by
one with ``STATUS:CANCELLED``. Recurrences are expanded in the event's own time zone (its
TZID), so a weekly 09:00 clinic stays at 09:00 local time across daylight-saving changes;
times without a zone ("floating") are read in the zone given (the participant's site's).
Rules:

- **All-day events** (DTSTART a date, not a date-time: leave, on-call days, reminders) are not
  planned blocks: they are counted and left out.
- Events with ``STATUS:CANCELLED`` (a whole series, or one instance through its
  RECURRENCE-ID) are left out; ``TRANSP:TRANSPARENT`` events are kept (they are still planned).
- An event without DTEND or DURATION lasts no time and is left out (counted).
- ``RANGE=THISANDFUTURE`` on a RECURRENCE-ID is read as a change of that one instance.

`read_mapping` reads the mapping from event titles (exact or regular expression) and calendar
CATEGORIES to job-plan categories (DCC, SPA, ANR, ED, management) or ``ignore``; the first
rule that matches wins.

Bounds: files over `MAX_BYTES`, more than `MAX_EVENTS` events or `MAX_INSTANCES` instances
in the period are refused; every problem names the event (its number in the file, UID and
title) and nothing is returned when there is any.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import yaml

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.template import JOB_PLAN_CATEGORIES

MAX_BYTES = 20_000_000
MAX_EVENTS = 50_000
MAX_INSTANCES = 200_000
MAX_STEPS = 2_000_000  # recurrence steps walked through, whatever the period
MAX_TITLE = 500
IGNORE = "ignore"
TARGETS: tuple[str, ...] = (*JOB_PLAN_CATEGORIES, IGNORE)
_TARGET = {t.lower(): t for t in TARGETS}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class EventInstance:
    """One occurrence of a calendar event: aware start and end, what it is called."""

    start: datetime
    end: datetime
    title: str
    categories: tuple[str, ...]
    uid: str
    recurrence_id: str = ""  # the occurrence's original start (UTC ISO) for recurring events


@dataclass
class CalendarRead:
    """The instances of a calendar within a period, and what was left out."""

    path: str
    instances: list[EventInstance]
    events: int = 0
    all_day: int = 0
    cancelled: int = 0
    no_duration: int = 0
    period: tuple[datetime, datetime] | None = None


# -- the mapping ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str  # title | regex | category
    pattern: str
    target: str  # a job-plan category or 'ignore'
    regex: re.Pattern[str] | None = None

    def matches(self, title: str, categories: tuple[str, ...]) -> bool:
        if self.kind == "title":
            return _norm(title) == _norm(self.pattern)
        if self.kind == "category":
            return any(_norm(c) == _norm(self.pattern) for c in categories)
        assert self.regex is not None
        return self.regex.search(title[:MAX_TITLE]) is not None


@dataclass(frozen=True)
class Mapping:
    """Rules in order (the first match wins) and what an event matching none becomes:
    'ignore' (the default: left out and listed), 'error' (refused) or a category."""

    rules: tuple[Rule, ...] = ()
    default: str = IGNORE

    def classify(self, title: str, categories: tuple[str, ...]) -> str | None:
        """The job-plan category of an event, 'ignore', or None when no rule matches (the
        caller applies `default`)."""
        for r in self.rules:
            if r.matches(title, categories):
                return r.target
        if not self.rules:  # no mapping: a calendar category named like a job-plan category
            for c in categories:
                if _norm(c) in _TARGET and _TARGET[_norm(c)] != IGNORE:
                    return _TARGET[_norm(c)]
        return None


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


_KINDS = {"title": "title", "regex": "regex", "title_regex": "regex", "category": "category"}
_KINDS["calendar_category"] = "category"


def _rule(
    kind: str, pattern: Any, target: Any, src: str, n: int
) -> tuple[Rule | None, list[Problem]]:
    problems = []
    k = _KINDS.get(str(kind).strip().lower())
    if k is None:
        problems.append(Problem(f"'{kind}' is not title, regex or category", src, n, "match"))
    if not isinstance(pattern, str) or not pattern.strip():
        problems.append(Problem("is empty", src, n, "pattern"))
    elif len(pattern) > MAX_TITLE:
        problems.append(Problem(f"is longer than {MAX_TITLE} characters", src, n, "pattern"))
    t = _TARGET.get(str(target).strip().lower()) if target is not None else None
    if t is None:
        problems.append(
            Problem(f"'{target}' is not one of {', '.join(TARGETS)}", src, n, "category")
        )
    rx = None
    if k == "regex" and isinstance(pattern, str) and pattern.strip():
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            problems.append(Problem(f"not a regular expression: {exc}", src, n, "pattern"))
    if problems or k is None or t is None:
        return None, problems
    return Rule(k, str(pattern), t, rx), []


def read_mapping(path: str | Path) -> Mapping:
    """A mapping from YAML (``rules: [{title|regex|category: ..., category: ...}]``,
    ``default: ignore|error|CATEGORY``) or CSV (columns ``match``, ``pattern``, ``category``;
    a row ``default,,VALUE`` sets the default)."""
    path = Path(path)
    src = path.name
    try:
        if path.stat().st_size > 1_000_000:
            raise ValidationError(Problem("is larger than 1 MB", src))
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(Problem("no such file", str(path))) from None
    except UnicodeDecodeError:
        raise ValidationError(Problem("not a UTF-8 text file", src)) from None
    problems: list[Problem] = []
    rules: list[Rule] = []
    default: Any = IGNORE
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationError(Problem(f"not valid YAML: {exc}", src)) from None
        if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
            raise ValidationError(
                Problem("must be a mapping with a list 'rules' (and optionally 'default')", src)
            )
        default = data.get("default", IGNORE)
        for n, item in enumerate(data.get("rules") or [], start=1):
            if not isinstance(item, dict):
                problems.append(Problem("is not a mapping", src, n, "rules"))
                continue
            kinds = [k for k in item if k != "category"]
            if len(kinds) != 1:
                problems.append(
                    Problem(
                        "needs exactly one of title, regex, calendar_category and a category",
                        src,
                        n,
                        "rules",
                    )
                )
                continue
            rule, errs = _rule(kinds[0], item[kinds[0]], item.get("category"), src, n)
            problems.extend(errs)
            if rule:
                rules.append(rule)
    elif path.suffix.lower() == ".csv":
        rows = list(csv.reader(text.splitlines()))
        header = [h.strip().lower() for h in rows[0]] if rows else []
        if header[:3] != ["match", "pattern", "category"]:
            raise ValidationError(Problem("the header must be match,pattern,category", src, 0))
        for n, row in enumerate(rows[1:], start=1):
            if not any(c.strip() for c in row):
                continue
            if len(row) != 3:
                problems.append(Problem(f"has {len(row)} fields, the header has 3", src, n))
                continue
            if row[0].strip().lower() == "default":
                default = row[2].strip()
                continue
            rule, errs = _rule(row[0], row[1], row[2], src, n)
            problems.extend(errs)
            if rule:
                rules.append(rule)
    else:
        raise ValidationError(Problem("a mapping is a .yaml, .yml or .csv file", src))
    d = str(default).strip()
    if d.lower() == "error":
        d = "error"
    elif d.lower() in _TARGET:
        d = _TARGET[d.lower()]
    else:
        problems.append(
            Problem(f"default '{default}' is not error or one of {', '.join(TARGETS)}", src)
        )
    if problems:
        raise ValidationError(problems)
    return Mapping(tuple(rules), d)


# -- the calendar ------------------------------------------------------------------------------


@dataclass
class _Event:
    n: int
    uid: str
    title: str
    categories: tuple[str, ...]
    start: datetime | date
    end: datetime | date | None
    cancelled: bool
    component: Any
    recurrence_id: datetime | date | None = None
    overrides: list[_Event] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"event {self.n} (UID {self.uid[:80]}, '{self.title[:60]}')"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return _CONTROL.sub("", str(value)).strip()


def _categories(component: Any) -> tuple[str, ...]:
    raw = component.get("CATEGORIES")
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        out.extend(_text(c) for c in getattr(item, "cats", [item]))
    return tuple(c for c in out if c)


def _aware(value: datetime | date, zone: tzinfo) -> datetime | date:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def _dts(component: Any, name: str, zone: tzinfo) -> list[datetime | date]:
    raw = component.get(name)
    if raw is None:
        return []
    out: list[datetime | date] = []
    for item in raw if isinstance(raw, list) else [raw]:
        for d in getattr(item, "dts", [item]):
            v = d.dt
            if isinstance(v, tuple):  # a PERIOD: its start
                v = v[0]
            out.append(_aware(v, zone))
    return out


def _utc_key(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.isoformat()


def read_calendar(
    path: str | Path,
    *,
    zone: tzinfo,
    start: datetime | None = None,
    end: datetime | None = None,
) -> CalendarRead:
    """The timed event instances of a calendar file that overlap [start, end) (aware
    datetimes). Without `start`/`end` the period is that of the events themselves; a
    series repeating without end then needs `end`."""
    from dateutil.rrule import rruleset, rrulestr
    from icalendar import Calendar

    path = Path(path)
    src = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValidationError(
                Problem(f"is {size:,} bytes; calendars over {MAX_BYTES:,} are refused", src)
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(Problem("no such file", str(path))) from None
    except IsADirectoryError:
        raise ValidationError(Problem("is a folder, not a calendar file", str(path))) from None
    if not raw.strip():
        raise ValidationError(Problem("the file is empty", src))
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(Problem(f"not UTF-8 text (byte {exc.start})", src)) from None
    if not raw.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"BEGIN:VCALENDAR"):
        raise ValidationError(
            Problem("not an iCalendar file: it does not start with BEGIN:VCALENDAR", src)
        )
    try:
        cal = Calendar.from_ical(raw)
    except Exception as exc:  # icalendar raises ValueError and others on malformed input
        raise ValidationError(Problem(f"not a readable iCalendar file: {exc}", src)) from None
    if isinstance(cal, list):
        raise ValidationError(Problem("holds several calendars; give one", src))
    problems: list[Problem] = []
    result = CalendarRead(path=str(path), instances=[])
    masters: dict[str, _Event] = {}
    overrides: list[_Event] = []
    for n, comp in enumerate(cal.walk("VEVENT"), start=1):
        if n > MAX_EVENTS:
            raise ValidationError(Problem(f"holds more than {MAX_EVENTS:,} events", src))
        uid = _text(comp.get("UID")) or f"(no UID: event {n})"
        title = _text(comp.get("SUMMARY"))[:MAX_TITLE]
        ev_where = f"event {n} (UID {uid[:80]}, '{title[:60]}')"
        for err in getattr(comp, "errors", []) or []:
            problems.append(Problem(f"{ev_where}: {err[0]}: {err[1]}", src))
        dtstart = comp.get("DTSTART")
        if dtstart is None:
            problems.append(Problem(f"{ev_where}: has no DTSTART", src))
            continue
        try:
            s = _aware(dtstart.dt, zone)
            if comp.get("DTEND") is not None:
                e: datetime | date | None = _aware(comp.get("DTEND").dt, zone)
            elif comp.get("DURATION") is not None:
                e = s + comp.get("DURATION").dt
            else:
                e = None
            rid_prop = comp.get("RECURRENCE-ID")
            rid = _aware(rid_prop.dt, zone) if rid_prop is not None else None
        except Exception as exc:
            problems.append(Problem(f"{ev_where}: unreadable date or time: {exc}", src))
            continue
        if isinstance(s, datetime) != isinstance(e, datetime) and e is not None:
            problems.append(Problem(f"{ev_where}: DTSTART and DTEND are of different types", src))
            continue
        if e is not None and e < s:
            problems.append(Problem(f"{ev_where}: ends before it starts", src))
            continue
        status = _text(comp.get("STATUS")).upper()
        ev = _Event(n, uid, title, _categories(comp), s, e, status == "CANCELLED", comp, rid)
        if rid is not None:
            overrides.append(ev)
        elif uid in masters:
            problems.append(Problem(f"{ev_where}: UID also used by event {masters[uid].n}", src))
        else:
            masters[uid] = ev
    for ov in overrides:
        m = masters.get(ov.uid)
        if m is None:  # an instance whose series is not in the file: an event of its own
            masters[f"{ov.uid}\x00{ov.n}"] = ov
        else:
            m.overrides.append(ov)
    result.events = len(masters)
    if problems:
        raise ValidationError(problems)

    timed = [m for m in masters.values() if isinstance(m.start, datetime)]
    lo = start
    hi = end
    if lo is None and timed:
        firsts = [m.start for m in timed] + [o.start for m in timed for o in m.overrides]
        lo = min(d for d in firsts if isinstance(d, datetime))
    unbounded = [
        m for m in timed if any("COUNT" not in r and "UNTIL" not in r for r in _rules(m.component))
    ]
    if hi is None and unbounded:
        raise ValidationError(
            [
                Problem(f"{m.where}: repeats without end; give the period's end (--to)", src)
                for m in unbounded[:20]
            ]
        )
    instances: list[EventInstance] = []
    steps = 0
    for m in masters.values():
        if not isinstance(m.start, datetime):
            result.all_day += 1 + len(m.overrides)
            continue
        if m.cancelled:
            result.cancelled += 1
            continue
        duration = (m.end - m.start) if m.end is not None else timedelta(0)
        rules = _rules(m.component)
        occurrences: Iterator[datetime]
        if rules or m.component.get("RDATE") is not None:
            rs = rruleset()
            try:
                for r in rules:
                    rs.rrule(rrulestr(r, dtstart=m.start, ignoretz=False))
                for d in _dts(m.component, "RDATE", zone):
                    if isinstance(d, datetime):
                        rs.rdate(d)
                for d in _dts(m.component, "EXDATE", zone):
                    if isinstance(d, datetime):
                        rs.exdate(d)
                if not rules:
                    rs.rdate(m.start)  # RDATE alone: DTSTART is the first instance
            except (ValueError, TypeError) as exc:
                problems.append(Problem(f"{m.where}: recurrence rule not usable: {exc}", src))
                continue
            occurrences = iter(rs)
        else:
            occurrences = iter([m.start])
        moved = {_utc_key(o.recurrence_id): o for o in m.overrides if o.recurrence_id}
        seen_rids: set[str] = set()
        try:
            for occ in occurrences:
                steps += 1
                if steps > MAX_STEPS:
                    raise ValidationError(
                        Problem(
                            f"{m.where}: more than {MAX_STEPS:,} recurrences to walk "
                            "through; give a shorter period (--from/--to)",
                            src,
                        )
                    )
                if hi is not None and occ >= hi:
                    break
                key = _utc_key(occ)
                series = bool(rules) or m.component.get("RDATE") is not None
                moved_here = moved.get(key)
                if moved_here is not None:
                    seen_rids.add(key)
                    if moved_here.cancelled:
                        result.cancelled += 1
                        continue
                    inst = _from_override(moved_here, key, duration)
                else:
                    inst = EventInstance(
                        occ, occ + duration, m.title, m.categories, m.uid, key if series else ""
                    )
                if lo is not None and inst.end <= lo:
                    continue
                _keep(inst, instances, result, src)
        except TypeError as exc:  # aware and naive instants mixed in one series
            problems.append(Problem(f"{m.where}: mixes times with and without a zone: {exc}", src))
            continue
        for key, ov in moved.items():  # moved instances whose original start is not generated
            if key in seen_rids or ov.cancelled or not isinstance(ov.start, datetime):
                continue
            inst = _from_override(ov, key, duration)
            if (lo is None or inst.end > lo) and (hi is None or inst.start < hi):
                _keep(inst, instances, result, src)
    if problems:
        raise ValidationError(problems)
    if lo is not None:
        last = max((i.end for i in instances), default=lo)
        result.period = (lo, hi if hi is not None else max(last, lo))
    result.instances = sorted(instances, key=lambda i: (i.start, i.end, i.uid))
    return result


def _rules(component: Any) -> list[str]:
    raw = component.get("RRULE")
    if raw is None:
        return []
    return [r.to_ical().decode() for r in (raw if isinstance(raw, list) else [raw])]


def _from_override(ov: _Event, key: str, duration: timedelta) -> EventInstance:
    s = ov.start
    e = ov.end if ov.end is not None else s + duration
    return EventInstance(s, e, ov.title, ov.categories, ov.uid, key)  # type: ignore[arg-type]


def _keep(inst: EventInstance, out: list[EventInstance], result: CalendarRead, src: str) -> None:
    if inst.end <= inst.start:
        result.no_duration += 1
        return
    if len(out) >= MAX_INSTANCES:
        raise ValidationError(
            Problem(
                f"more than {MAX_INSTANCES:,} event instances in the period; give a shorter "
                "period (--from/--to)",
                src,
            )
        )
    out.append(inst)


def summarise(values: Iterable[str], limit: int = 10) -> str:
    """'a, b, c and 4 more' of distinct values in order."""
    distinct = list(dict.fromkeys(values))
    text = ", ".join(f"'{v}'" for v in distinct[:limit])
    return text + (f" and {len(distinct) - limit} more" if len(distinct) > limit else "")


__all__ = [
    "IGNORE",
    "MAX_BYTES",
    "MAX_INSTANCES",
    "TARGETS",
    "CalendarRead",
    "EventInstance",
    "Mapping",
    "Rule",
    "read_calendar",
    "read_mapping",
    "summarise",
]
