"""What was observed: sessions, tasks with their parallel links and suspensions, point events
and notes. This is the canonical event model every source is normalised into.

All instants are timezone-aware datetimes in UTC; the session carries its site's zone for
local-time reasoning. Durations are seconds (floats).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workweave.domain.errors import ValidationError
from workweave.domain.policy import DEFAULT_TIMEZONE

MODES: tuple[str, ...] = ("shadowing", "self-report", "imported")
OBSERVER_ROLES: tuple[str, ...] = ("primary", "second")
"""An observer's role in a session: ``primary`` (the record rates and shares count when
several observers watched the same person at once) or ``second`` (an extra observer, for
reliability). None: not recorded."""
POINT_EVENT_KINDS: tuple[str, ...] = ("interruption", "demand", "behaviour")
"""``behaviour``: a point behaviour of an imported ethogram (BORIS), its code in ``subtype``;
no metric of ours counts it."""


def utc(dt: datetime) -> datetime:
    """An aware datetime in UTC; naive datetimes are refused (never the machine's zone)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValidationError(f"time {dt.isoformat()} has no time zone")
    return dt.astimezone(UTC)


@dataclass(frozen=True)
class Suspension:
    """A task was suspended from `start` until `end` (None: never resumed) by `by` (a task key)."""

    start: datetime
    end: datetime | None
    by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start))
        if self.end is not None:
            object.__setattr__(self, "end", utc(self.end))


@dataclass(frozen=True)
class ParallelLink:
    """The task ran in parallel with task `other` between `start` and `end`."""

    other: str
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, utc(value))


@dataclass(frozen=True)
class Task:
    """One recorded activity.

    `key` is unique within its session (for imports: the source's own task id). `end` is None
    only for a task left running when an incomplete session stopped.
    """

    key: str
    category: str
    start: datetime
    end: datetime | None
    subcategory: str | None = None
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    parallel: tuple[ParallelLink, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    ended_by: str | None = None
    seq: int = 0  # recording order within the session (ties in the foreground rule)

    def __post_init__(self) -> None:
        # multi-choice values are sets: keep one canonical order (by dimension, then value)
        object.__setattr__(
            self,
            "dimensions",
            tuple(sorted((k, tuple(sorted(set(v)))) for k, v in self.dimensions if v)),
        )
        object.__setattr__(self, "start", utc(self.start))
        if self.end is not None:
            object.__setattr__(self, "end", utc(self.end))
            if self.end < self.start:
                raise ValidationError(
                    f"task {self.key}: end {self.end:%Y-%m-%d %H:%M:%S} is before its start "
                    f"{self.start:%Y-%m-%d %H:%M:%S}"
                )
        for s in self.suspensions:
            if s.end is not None and s.end < s.start:
                raise ValidationError(f"task {self.key}: a suspension ends before it starts")

    @property
    def dims(self) -> dict[str, tuple[str, ...]]:
        return dict(self.dimensions)

    @property
    def known_end(self) -> datetime:
        """The last instant this task is known to have been running or suspended.

        For a task that never ended (incomplete session) this is the start of its open
        suspension, or its start: WOMBAT's convention, so that active time is what was seen.
        """
        if self.end is not None:
            return self.end
        last = self.start
        for s in self.suspensions:
            last = max(last, s.start if s.end is None else s.end)
        return last

    @property
    def elapsed_seconds(self) -> float | None:
        """end - start, or None for a task that never ended."""
        if self.end is None:
            return None
        return (self.end - self.start).total_seconds()

    def suspended_intervals(self) -> list[tuple[datetime, datetime]]:
        """Suspensions clipped to the task's span and merged where they overlap."""
        lo, hi = self.start, self.known_end
        spans = sorted(
            (max(s.start, lo), min(s.end if s.end is not None else hi, hi))
            for s in self.suspensions
        )
        merged: list[tuple[datetime, datetime]] = []
        for a, b in spans:
            if b <= a:
                continue
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def active_intervals(self) -> list[tuple[datetime, datetime]]:
        """The task's own time: [start, end) minus its suspensions."""
        out: list[tuple[datetime, datetime]] = []
        cur = self.start
        for a, b in self.suspended_intervals():
            if a > cur:
                out.append((cur, a))
            cur = max(cur, b)
        if self.known_end > cur:
            out.append((cur, self.known_end))
        return out

    @property
    def active_seconds(self) -> float:
        """Elapsed time minus time suspended by interruptions (WOMBAT's "total time")."""
        return sum((b - a).total_seconds() for a, b in self.active_intervals())

    @property
    def interrupted(self) -> bool:
        return bool(self.suspensions)

    @property
    def resumed(self) -> bool:
        """True when every suspension ended before the task did (it was taken up again)."""
        end = self.known_end
        return all(s.end is not None and s.end < end for s in self.suspensions)


@dataclass(frozen=True)
class InterruptionEvent:
    """One interruption: at `at`, by interrupting task `by` (None: not recorded, or an
    interruption point event), suspending the tasks keyed in `suspended` (none for a point
    event)."""

    at: datetime
    by: str | None
    suspended: tuple[str, ...]


@dataclass(frozen=True)
class PointEvent:
    kind: str  # 'interruption' or 'demand'
    at: datetime
    subtype: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in POINT_EVENT_KINDS:
            raise ValidationError(
                f"point event kind '{self.kind}' is not one of {', '.join(POINT_EVENT_KINDS)}"
            )
        object.__setattr__(self, "at", utc(self.at))


@dataclass(frozen=True)
class Note:
    at: datetime
    text: str
    key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", utc(self.at))


@dataclass(frozen=True)
class Session:
    """One continuous observation window of one participant by one observer (or by themself).

    `key` is unique within the study: for imports, the source's session id prefixed with the
    source name (e.g. ``wombat:52``).
    """

    key: str
    participant: str
    site: str
    start: datetime
    end: datetime | None
    mode: str = "shadowing"
    observer: str | None = None  # None: self-report
    complete: bool = True
    timezone: str = DEFAULT_TIMEZONE
    template: str | None = None  # "name@version"
    source: str | None = None  # e.g. 'wombat', 'capture', 'simulated'
    source_id: str | None = None  # the source's own session id (e.g. WOMBAT's '52')
    tasks: tuple[Task, ...] = ()
    events: tuple[PointEvent, ...] = ()
    notes: tuple[Note, ...] = ()
    clock_skew_seconds: float | None = None
    attributes: tuple[tuple[str, str], ...] = field(default=())
    observer_role: str | None = None  # one of OBSERVER_ROLES; None: not recorded

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValidationError(f"session mode '{self.mode}' is not one of {', '.join(MODES)}")
        if self.observer_role is not None and self.observer_role not in OBSERVER_ROLES:
            raise ValidationError(
                f"session {self.key}: observer role '{self.observer_role}' is not one of "
                f"{', '.join(OBSERVER_ROLES)}"
            )
        object.__setattr__(self, "start", utc(self.start))
        if self.end is not None:
            object.__setattr__(self, "end", utc(self.end))
            if self.end < self.start:
                raise ValidationError(f"session {self.key} ends before it starts")
        if self.mode == "shadowing" and self.observer is None:
            raise ValidationError(f"session {self.key}: a shadowing session needs an observer")
        keys = [t.key for t in self.tasks]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise ValidationError(f"session {self.key}: task id {dup} appears twice")

    @property
    def known_end(self) -> datetime:
        """The session's end, or for an incomplete session the last instant seen in it."""
        if self.end is not None:
            return self.end
        last = self.start
        for t in self.tasks:
            last = max(last, t.known_end)
        for e in self.events:
            last = max(last, e.at)
        return last

    @property
    def observed_seconds(self) -> float:
        return (self.known_end - self.start).total_seconds()

    def interruption_events(self) -> list[InterruptionEvent]:
        """The session's interruptions as events, in time order.

        Suspensions that name the same interrupting task and start at the same instant are
        one event, however many running tasks it suspended; a suspension that names no
        interrupting task is an event of its own; each interruption point event is one
        event. The metric registry counts the same events (``interruptions_per_hour``).
        """
        grouped: dict[tuple[str, datetime], list[str]] = {}
        out: list[InterruptionEvent] = []
        for t in self.tasks:
            for x in t.suspensions:
                if x.by is None:
                    out.append(InterruptionEvent(x.start, None, (t.key,)))
                else:
                    grouped.setdefault((x.by, x.start), []).append(t.key)
        out.extend(InterruptionEvent(at, by, tuple(keys)) for (by, at), keys in grouped.items())
        out.extend(
            InterruptionEvent(e.at, None, ()) for e in self.events if e.kind == "interruption"
        )
        out.sort(key=lambda e: (e.at, e.by or "", e.suspended))
        return out

    def interruption_count(self) -> int:
        """Interruption events (see `interruption_events`), not suspensions."""
        return len(self.interruption_events())

    def suspension_count(self) -> int:
        """Suspensions recorded on tasks (one interruption may suspend several tasks)."""
        return sum(len(t.suspensions) for t in self.tasks)


def sessions_overlap(a: Session, b: Session) -> bool:
    return a.start < b.known_end and b.start < a.known_end


def by_key(tasks: Iterable[Task]) -> dict[str, Task]:
    return {t.key: t for t in tasks}
