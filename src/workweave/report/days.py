"""Shadowed days laid out for drawing: tasks in lanes, pauses, point events, planned sessions.

This module only arranges recorded instants for a picture (which lane a bar goes in, which
colour key it gets). It computes no metric: every number a report states comes from the
metric registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from workweave.domain.observation import Session
from workweave.domain.study import JobPlan
from workweave.domain.template import Template

MAX_LANES = 6
"""Tasks that would need a seventh lane share the sixth (a rare, crowded moment)."""


@dataclass(frozen=True)
class Bar:
    """One task: the lane it is drawn in, its span, and the parts when it was running."""

    lane: int
    start: datetime
    end: datetime
    key: str  # the colour key: a domain, or a category when the template maps none
    category: str
    active: tuple[tuple[datetime, datetime], ...]
    paused: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class Planned:
    start: datetime
    end: datetime
    category: str


@dataclass
class DayLayout:
    """Everything one day's picture needs, in UTC instants plus the zone to show them in."""

    day: date
    zone: ZoneInfo
    start: datetime
    end: datetime
    bars: list[Bar] = field(default_factory=list)
    lanes: int = 1
    interruptions: list[datetime] = field(default_factory=list)
    demands: list[datetime] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)  # observed
    sessions: int = 0

    @property
    def task_count(self) -> int:
        return len(self.bars)

    @property
    def crosses_midnight(self) -> bool:
        """True for a night: the day's record runs past midnight into the next local date."""
        return self.end.astimezone(self.zone).date() != self.day


def domain_lookup(templates: dict[str, Template]) -> Callable[[str | None, str], str]:
    """A function (template key, category) → domain, 'other' when unknown."""

    def lookup(template_key: str | None, category: str) -> str:
        t = templates.get(template_key or "")
        return t.domain_of(category) if t else "other"

    return lookup


def layout_day(
    sessions: Sequence[Session],
    key_of: Callable[[Session, str], str],
    *,
    job_plan: JobPlan | None = None,
) -> DayLayout:
    """Lay out the sessions of one participant on one local day (in the first one's zone)."""
    if not sessions:
        raise ValueError("a day needs at least one session")
    ordered = sorted(sessions, key=lambda s: (s.start, s.key))
    zone = ZoneInfo(ordered[0].timezone)
    start = ordered[0].start
    end = max(s.known_end for s in ordered)
    out = DayLayout(
        day=start.astimezone(zone).date(),
        zone=zone,
        start=start,
        end=end,
        sessions=len(ordered),
        windows=[(s.start, s.known_end) for s in ordered],
    )
    lane_ends: list[datetime] = []
    tasks = sorted(
        ((s, t) for s in ordered for t in s.tasks), key=lambda st: (st[1].start, st[1].seq)
    )
    for s, t in tasks:
        t_end = t.known_end
        lane = next((i for i, e in enumerate(lane_ends) if e <= t.start), None)
        if lane is None:
            if len(lane_ends) < MAX_LANES:
                lane_ends.append(t_end)
                lane = len(lane_ends) - 1
            else:
                lane = MAX_LANES - 1
                lane_ends[lane] = max(lane_ends[lane], t_end)
        else:
            lane_ends[lane] = t_end
        out.bars.append(
            Bar(
                lane=lane,
                start=t.start,
                end=t_end,
                key=key_of(s, t.category),
                category=t.category,
                active=tuple(t.active_intervals()),
                paused=tuple(t.suspended_intervals()),
            )
        )
    for s in ordered:
        # one marker per interruption event (suspensions of parallel tasks by one task at one
        # instant are one interruption), point events included
        out.interruptions.extend(e.at for e in s.interruption_events())
        out.demands.extend(e.at for e in s.events if e.kind == "demand")
    out.interruptions.sort()
    out.demands.sort()
    out.lanes = max(1, len(lane_ends))
    if job_plan is not None and job_plan.sessions:
        lo = datetime.combine(out.day, datetime.min.time(), tzinfo=zone)
        hi = max(lo + timedelta(days=1), end)  # a night shift: the plan up to its end too
        out.planned = [Planned(a, b, c) for a, b, c in job_plan.intervals(lo, hi, zone)]
    return out


def group_by_day(sessions: Iterable[Session]) -> dict[tuple[str, date], list[Session]]:
    """Sessions by (participant, local date of their start): a night shift belongs to the
    day it started on."""
    out: dict[tuple[str, date], list[Session]] = {}
    for s in sessions:
        d = s.start.astimezone(ZoneInfo(s.timezone)).date()
        out.setdefault((s.participant, d), []).append(s)
    return out


__all__ = [
    "MAX_LANES",
    "Bar",
    "DayLayout",
    "Planned",
    "domain_lookup",
    "group_by_day",
    "layout_day",
]
