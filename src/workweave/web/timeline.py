"""The layout of a session's timeline: tasks as bars in lanes (parallel tasks stacked),
suspensions, point events and notes, positioned on one time axis.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness; bars also carry their category code as text, so colour is never the only
cue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workweave.domain.observation import Session
from workweave.domain.template import DOMAINS, Template
from workweave.domain.time import to_ms

DOMAIN_COLOURS: dict[str, str] = {
    "clinical": "#0072B2",  # blue
    "managerial": "#E69F00",  # orange
    "professional": "#009E73",  # bluish green
    "personal": "#CC79A7",  # reddish purple
    "other": "#7F7F7F",  # grey
}
DOMAIN_TEXT: dict[str, str] = {
    "clinical": "#FFFFFF",
    "managerial": "#000000",
    "professional": "#FFFFFF",
    "personal": "#000000",
    "other": "#FFFFFF",
}
EVENT_COLOUR = "#D55E00"  # vermillion
NOTE_COLOUR = "#56B4E9"  # sky blue

LANE_H = 34
LANE_GAP = 6
TOP = 58  # room for the axis and the event row
LEFT = 8


@dataclass
class Bar:
    key: str
    category: str
    label: str
    domain: str
    lane: int
    x: float
    w: float
    y: float
    start: str
    end: str
    ms: int  # the start as an instant (ms since the epoch): the order of tasks
    fill: str
    text: str
    open: bool
    gaps: list[tuple[float, float]] = field(default_factory=list)  # suspended spans (x, w)
    dims: list[tuple[str, str]] = field(default_factory=list)
    parallel: list[str] = field(default_factory=list)
    title: str = ""


@dataclass
class Mark:
    x: float
    at: str
    label: str
    kind: str
    text: str = ""
    key: str | None = None
    ms: int = 0  # the instant (ms since the epoch): the order of marks


@dataclass
class Layout:
    width: float
    height: float
    lanes: int
    bars: list[Bar]
    events: list[Mark]
    notes: list[Mark]
    ticks: list[tuple[float, str]]
    start: str
    end: str
    hours: float
    legend: list[tuple[str, str]]
    dated: bool = False  # the session crosses midnight: clock times carry their day

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def layout(
    session: Session,
    template: Template | None = None,
    *,
    px_per_minute: float = 6.0,
    min_width: float = 960.0,
) -> Layout:
    zone = ZoneInfo(session.timezone)
    s0 = session.start
    s1 = session.known_end
    for t in session.tasks:
        s1 = max(s1, t.known_end)
    minutes = max((s1 - s0).total_seconds() / 60, 1.0)
    scale = max(px_per_minute, (min_width - 2 * LEFT) / minutes)

    def x(dt: datetime) -> float:
        return LEFT + (dt - s0).total_seconds() / 60 * scale

    dated = crosses_midnight(session)

    def clock(dt: datetime) -> str:
        return local_clock(dt, zone, dated=dated)

    lane_end: list[datetime] = []
    bars: list[Bar] = []
    for t in sorted(session.tasks, key=lambda t: (t.start, t.seq)):
        end = t.end if t.end is not None else s1
        lane = next((i for i, e in enumerate(lane_end) if e <= t.start), len(lane_end))
        if lane == len(lane_end):
            lane_end.append(end)
        else:
            lane_end[lane] = end
        cat = template.category(t.category) if template else None
        domain = template.domain_of(t.category) if template else "other"
        bx = x(t.start)
        bw = max(x(end) - bx, 2.0)
        gaps = []
        for a, b in t.suspended_intervals():
            gaps.append((x(a), max(x(b) - x(a), 1.0)))
        dims = [(d, ", ".join(v)) for d, v in t.dimensions]
        label = cat.label if cat else t.category
        title = (
            f"{label} ({t.category}, {domain}) {clock(t.start)}–"
            f"{clock(t.end) if t.end else 'running'}"
        )
        if t.suspensions:
            title += f"; suspended {len(t.suspensions)}×"
        if t.parallel:
            title += f"; in parallel with {len(t.parallel)} task(s)"
        for d, v in dims:
            title += f"; {d}: {v}"
        bars.append(
            Bar(
                key=t.key,
                category=t.category,
                label=label,
                domain=domain,
                lane=lane,
                x=round(bx, 2),
                w=round(bw, 2),
                y=TOP + lane * (LANE_H + LANE_GAP),
                start=clock(t.start),
                end=clock(t.end) if t.end else "",
                ms=_instant(t.start),
                fill=DOMAIN_COLOURS.get(domain, DOMAIN_COLOURS["other"]),
                text=DOMAIN_TEXT.get(domain, "#FFFFFF"),
                open=t.end is None,
                gaps=[(round(a, 2), round(w, 2)) for a, w in gaps],
                dims=dims,
                parallel=[p.other for p in t.parallel],
                title=title,
            )
        )
    lanes = max(len(lane_end), 1)
    events = [
        Mark(
            round(x(e.at), 2),
            clock(e.at),
            f"{'Interruption' if e.kind == 'interruption' else 'Demand'}"
            + (f": {e.subtype}" if e.subtype else ""),
            e.kind,
            key=e.key,
            ms=_instant(e.at),
        )
        for e in session.events
    ]
    for t in session.tasks:  # suspensions are interruptions too: mark where they began
        for s in t.suspensions:
            events.append(
                Mark(
                    round(x(s.start), 2),
                    clock(s.start),
                    "Interruption",
                    "suspension",
                    ms=_instant(s.start),
                )
            )
    events.sort(key=lambda m: m.ms)  # by instant, never by clock text
    notes = sorted(
        (
            Mark(
                round(x(n.at), 2),
                clock(n.at),
                n.text[:80],
                "note",
                text=n.text,
                key=n.key,
                ms=_instant(n.at),
            )
            for n in session.notes
        ),
        key=lambda m: m.ms,
    )
    width = LEFT * 2 + minutes * scale
    ticks: list[tuple[float, str]] = []
    step = _tick_step(minutes * scale, minutes)
    first = s0.astimezone(zone).replace(second=0, microsecond=0)
    first += timedelta(minutes=(-first.minute) % step)
    # step in real time (UTC), label in local time: a clock change adds or drops a tick label,
    # never misplaces one
    tick = first.astimezone(UTC)
    if tick < s0:
        tick += timedelta(minutes=step)
    last_day = None
    while tick <= s1:
        local = tick.astimezone(zone)
        label = local.strftime("%H:%M")
        if dated and local.date() != last_day:  # the first tick and the first after midnight
            label = local.strftime("%a %H:%M")
            last_day = local.date()
        ticks.append((round(x(tick), 2), label))
        tick += timedelta(minutes=step)
    height = TOP + lanes * (LANE_H + LANE_GAP) + 24
    legend = [(d, DOMAIN_COLOURS[d]) for d in DOMAINS]
    return Layout(
        width=round(width, 2),
        height=height,
        lanes=lanes,
        bars=bars,
        events=events,
        notes=notes,
        ticks=ticks,
        start=s0.astimezone(zone).strftime(("%a " if dated else "") + "%Y-%m-%d %H:%M:%S %Z"),
        end=(
            session.end.astimezone(zone).strftime("%a %H:%M:%S %Z" if dated else "%H:%M:%S")
            if session.end
            else "open"
        ),
        hours=round((session.known_end - s0).total_seconds() / 3600, 2),
        legend=legend,
        dated=dated,
    )


def _instant(dt: datetime) -> int:
    ms = to_ms(dt)
    assert ms is not None
    return ms


def crosses_midnight(session: Session) -> bool:
    """True when the session (its tasks included) runs over more than one local date."""
    zone = ZoneInfo(session.timezone)
    end = max([session.known_end, *(t.known_end for t in session.tasks)])
    return session.start.astimezone(zone).date() != end.astimezone(zone).date()


def local_clock(dt: datetime, zone: ZoneInfo, *, dated: bool = False) -> str:
    """A local clock time, with its weekday when the times around it cross midnight
    ("Tue 23:41:05", "Wed 00:01:10")."""
    return dt.astimezone(zone).strftime("%a %H:%M:%S" if dated else "%H:%M:%S")


def _tick_step(width_px: float, minutes: float) -> int:
    for step in (1, 2, 5, 10, 15, 30, 60, 120):
        if width_px / max(minutes / step, 1) >= 70:
            return step
    return 240


__all__ = ["DOMAIN_COLOURS", "Layout", "crosses_midnight", "layout", "local_clock"]
