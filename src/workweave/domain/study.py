"""Who and where: studies, sites, participants with their job plans, observers."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workweave.domain.errors import Problem, ValidationError
from workweave.domain.policy import DEFAULT_TIMEZONE
from workweave.domain.template import JOB_PLAN_CATEGORIES

PROFESSIONS: tuple[str, ...] = (
    "radiographer",
    "physiotherapist",
    "occupational therapist",
    "arts therapist",
    "speech and language therapist",
    "dietitian",
    "podiatrist",
    "nurse",
    "other",
)
"""Professions from template.md (plus nurse, for imported nursing studies)."""

BANDS: tuple[str, ...] = ("5", "6", "7", "8a", "8b", "8c", "8d", "9")
"""Agenda for Change bands that clinician-managers hold."""

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@ -]{0,63}$")


def check_code(code: str, what: str) -> str:
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValidationError(
            f"{what} code '{code}' must be 1-64 letters, digits or . _ : / @ - (pseudonymous)"
        )
    return code


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"unknown time zone '{name}' (use an IANA name such as Europe/London)"
        ) from None


@dataclass(frozen=True)
class Study:
    name: str
    title: str = ""
    description: str = ""
    synthetic: bool = False  # True for simulated studies: always shown as synthetic


@dataclass(frozen=True)
class Site:
    code: str
    name: str = ""
    timezone: str = DEFAULT_TIMEZONE
    description: str = ""

    def __post_init__(self) -> None:
        check_code(self.code, "site")
        check_timezone(self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Observer:
    code: str
    name: str = ""

    def __post_init__(self) -> None:
        check_code(self.code, "observer")


@dataclass(frozen=True)
class JobPlanSession:
    """One planned weekly session: e.g. Tuesday 09:00-12:45, management."""

    weekday: int  # 0 = Monday ... 6 = Sunday
    start: time
    end: time
    category: str

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValidationError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if self.end <= self.start:
            raise ValidationError(
                f"job-plan session on {WEEKDAYS[self.weekday]} ends ({self.end:%H:%M}) "
                f"before it starts ({self.start:%H:%M})"
            )
        if self.category not in JOB_PLAN_CATEGORIES:
            raise ValidationError(
                f"job-plan category '{self.category}' is not one of "
                f"{', '.join(JOB_PLAN_CATEGORIES)}"
            )

    @property
    def hours(self) -> float:
        return (_seconds(self.end) - _seconds(self.start)) / 3600


@dataclass(frozen=True)
class JobPlan:
    """A participant's weekly timetable of planned sessions, in the site's local time."""

    sessions: tuple[JobPlanSession, ...] = ()

    def __post_init__(self) -> None:
        ordered = sorted(self.sessions, key=lambda s: (s.weekday, s.start))
        problems = []
        for a, b in itertools.pairwise(ordered):
            if a.weekday == b.weekday and b.start < a.end:
                problems.append(
                    Problem(
                        f"sessions overlap on {WEEKDAYS[a.weekday]}: "
                        f"{a.start:%H:%M}-{a.end:%H:%M} and {b.start:%H:%M}-{b.end:%H:%M}"
                    )
                )
        if problems:
            raise ValidationError(problems)
        object.__setattr__(self, "sessions", tuple(ordered))

    @property
    def weekly_hours(self) -> float:
        """Contracted hours per week follow from the job plan."""
        return sum(s.hours for s in self.sessions)

    def hours_by_category(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.sessions:
            out[s.category] = out.get(s.category, 0.0) + s.hours
        return out

    def intervals(
        self, start: datetime, end: datetime, zone: ZoneInfo
    ) -> list[tuple[datetime, datetime, str]]:
        """Planned sessions as UTC-aware intervals that overlap [start, end), clipped to it.

        Weekday and clock times are read in the site's zone, so a session keeps its local hours
        across daylight-saving changes.
        """
        out: list[tuple[datetime, datetime, str]] = []
        day: date = start.astimezone(zone).date() - timedelta(days=1)
        last: date = end.astimezone(zone).date()
        while day <= last:
            for s in self.sessions:
                if s.weekday != day.weekday():
                    continue
                a = datetime.combine(day, s.start, tzinfo=zone)
                b = datetime.combine(day, s.end, tzinfo=zone)
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    out.append((lo, hi, s.category))
            day += timedelta(days=1)
        return out


@dataclass(frozen=True)
class Participant:
    code: str
    site: str
    profession: str = "other"
    band: str | None = None
    pay_point: int | None = None
    job_plan: JobPlan = field(default_factory=JobPlan)
    contracted_hours: float | None = None  # set explicitly when there is no job plan
    attributes: tuple[tuple[str, str], ...] = ()  # other attributes from a source (e.g. age)

    def __post_init__(self) -> None:
        check_code(self.code, "participant")
        if self.profession not in PROFESSIONS:
            raise ValidationError(
                f"participant {self.code}: profession '{self.profession}' is not one of "
                f"{', '.join(PROFESSIONS)}"
            )
        if self.band is not None and self.band not in BANDS:
            raise ValidationError(
                f"participant {self.code}: band '{self.band}' is not an Agenda for Change band "
                f"({', '.join(BANDS)})"
            )
        if self.pay_point is not None and not 1 <= self.pay_point <= 5:
            raise ValidationError(f"participant {self.code}: pay point must be 1 to 5")
        if self.contracted_hours is not None and not 0 < self.contracted_hours <= 80:
            raise ValidationError(
                f"participant {self.code}: contracted hours must be between 0 and 80 a week"
            )

    @property
    def weekly_hours(self) -> float | None:
        """Contracted weekly hours: from the job plan when there is one."""
        if self.job_plan.sessions:
            return self.job_plan.weekly_hours
        return self.contracted_hours


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second
