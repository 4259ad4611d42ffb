"""Planned activity: dated blocks of a participant's plan (from a calendar), and the rule that
makes overlapping blocks one timeline.

A job plan says what a participant should do each week (`workweave.domain.study.JobPlan`); a
calendar says what was planned on each date. Each calendar event instance becomes a
`PlannedBlock` (UTC instants, a job-plan category). Calendars double-book; a plan timeline
needs one category at each instant, so `timeline` resolves overlaps by one stated rule: **the
block that starts later wins for the time it overlaps** (a meeting booked inside a clinic
list takes that hour from the list); blocks starting together: the shorter wins, then the
category order DCC, SPA, ANR, ED, management, then the title.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from workweave.domain.errors import ValidationError
from workweave.domain.template import JOB_PLAN_CATEGORIES


@dataclass(frozen=True)
class PlannedBlock:
    """One planned block: [start_ms, end_ms) in UTC milliseconds, a job-plan category."""

    start_ms: int
    end_ms: int
    category: str
    title: str = ""
    uid: str = ""
    recurrence_id: str = ""  # the instance's original start (ISO), for recurring events

    def __post_init__(self) -> None:
        if self.end_ms <= self.start_ms:
            raise ValidationError(f"planned block '{self.title}' ends before it starts")
        if self.category not in JOB_PLAN_CATEGORIES:
            raise ValidationError(
                f"planned category '{self.category}' is not one of {', '.join(JOB_PLAN_CATEGORIES)}"
            )


def _rank(b: PlannedBlock) -> tuple[int, int, int, str]:
    # the winner of an overlap sorts last: later start, then shorter, then category order
    return (
        b.start_ms,
        -(b.end_ms - b.start_ms),
        -JOB_PLAN_CATEGORIES.index(b.category),
        b.title,
    )


def timeline(blocks: list[PlannedBlock]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start_ms, end_ms, category) pieces covering the blocks' union, each
    instant taking the category of the winning block (see the module's rule); adjacent pieces
    of one category are joined."""
    if not blocks:
        return []
    ranked = sorted(blocks, key=_rank)
    order = {id(b): i for i, b in enumerate(ranked)}
    cuts = sorted({t for b in blocks for t in (b.start_ms, b.end_ms)})
    out: list[tuple[int, int, str]] = []
    # a sweep over the elementary intervals, keeping the blocks that cover each
    by_start = sorted(blocks, key=lambda b: b.start_ms)
    active: list[PlannedBlock] = []
    j = 0
    for a, b in itertools.pairwise(cuts):
        while j < len(by_start) and by_start[j].start_ms <= a:
            active.append(by_start[j])
            j += 1
        active = [x for x in active if x.end_ms > a]
        if not active:
            continue
        cat = max(active, key=lambda x: order[id(x)]).category
        if out and out[-1][1] == a and out[-1][2] == cat:
            out[-1] = (out[-1][0], b, cat)
        else:
            out.append((a, b, cat))
    return out


def merge_periods(periods: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of [from, to) periods, as sorted disjoint periods (touching ones joined)."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(periods):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


__all__ = ["PlannedBlock", "merge_periods", "timeline"]
