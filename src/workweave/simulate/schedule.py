"""Calendars, job plans, participants and the shadowing timetable of the synthetic study."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import numpy as np

from workweave.domain import JobPlan, JobPlanSession, Participant
from workweave.simulate.profiles import MANAGEMENT_SESSIONS, PAY_POINTS, SiteProfile, StaffSpec

NOON = time(12, 0)


# --- calendar -------------------------------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian calendar; anonymous algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    d = add_months(date(year, month, 1), 1) - timedelta(days=1)
    return d - timedelta(days=d.weekday())


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """Bank holidays in England and Wales (substitute days included; one-off extra holidays,
    such as coronations, are not)."""
    out = set()
    new_year = date(year, 1, 1)
    while new_year.weekday() >= 5:
        new_year += timedelta(days=1)
    out.add(new_year)
    easter = easter_sunday(year)
    out.add(easter - timedelta(days=2))
    out.add(easter + timedelta(days=1))
    out.add(_first_monday(year, 5))
    out.add(_last_monday(year, 5))
    out.add(_last_monday(year, 8))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday
        christmas, boxing = christmas + timedelta(days=2), boxing + timedelta(days=2)
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday, Christmas Tuesday
        christmas = christmas + timedelta(days=2)
    elif christmas.weekday() == 4:  # Friday: Boxing Day moves to Monday
        boxing = boxing + timedelta(days=2)
    out.update((christmas, boxing))
    return frozenset(out)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def working_days(start: date, end: date) -> list[date]:
    """Weekdays in [start, end) that are not bank holidays."""
    out = []
    d = start
    while d < end:
        if d.weekday() < 5 and d not in bank_holidays(d.year):
            out.append(d)
        d += timedelta(days=1)
    return out


# --- people ---------------------------------------------------------------------------------


def _shift(t: time, minutes: int) -> time:
    return (datetime.combine(date(2000, 1, 3), t) + timedelta(minutes=minutes)).time()


def build_job_plan(
    profile: SiteProfile, band: str, sessions: int, rng: np.random.Generator
) -> JobPlan:
    """A weekly job plan of `sessions` half-day sessions (10 = full time) for a band."""
    offset = int(rng.choice([-15, 0, 0, 15]))
    slots = [(wd, half) for wd in range(5) for half in (0, 1)]
    drop = 10 - max(1, min(10, sessions))
    if drop >= 2:
        off_day = int(rng.integers(5))
        slots = [s for s in slots if s[0] != off_day]
        drop -= 2
    while drop > 0:
        slots.pop(int(rng.integers(len(slots))))
        drop -= 1
    n = len(slots)
    mgmt = max(1, round(MANAGEMENT_SESSIONS.get(band, 2) * n / 10))
    cats = ["management"] * mgmt + ["SPA"]
    if band == "8b":
        cats.append("ED" if rng.random() < 0.5 else "ANR")
    elif band == "8a" and rng.random() < 0.5:
        cats.append("ANR")
    cats = cats[:n]
    cats += ["DCC"] * (n - len(cats))
    order = rng.permutation(n)
    out = []
    for slot, k in zip(slots, order, strict=True):
        wd, half = slot
        a, b = profile.am if half == 0 else profile.pm
        out.append(JobPlanSession(wd, _shift(a, offset), _shift(b, offset), cats[int(k)]))
    return JobPlan(tuple(out))


def participant_from_spec(
    profile: SiteProfile, spec: StaffSpec, code: str, cohort: int, rng: np.random.Generator
) -> Participant:
    plan = build_job_plan(profile, spec.band, spec.sessions, rng)
    return Participant(
        code=code,
        site=profile.code,
        profession=spec.profession,
        band=spec.band,
        pay_point=spec.pay_point,
        job_plan=plan,
        attributes=(("role", spec.role), ("cohort", str(cohort))),
    )


_ROLES = {
    "6": "Senior {p}, team coordinator",
    "7": "{P} team lead",
    "8a": "{P} service lead",
    "8b": "Head of {p} services",
}


def random_staff(profile: SiteProfile, rng: np.random.Generator) -> StaffSpec:
    """A clinician-manager for a further cohort: profession, band and pay point at random."""
    names = [p for p, _ in profile.professions]
    weights = np.array([w for _, w in profile.professions], dtype=float)
    prof = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    band = str(rng.choice(["6", "7", "7", "7", "8a", "8a", "8b"]))
    point = int(rng.integers(1, PAY_POINTS[band] + 1))
    sessions = int(rng.choice([10, 10, 10, 9, 8]))
    role = _ROLES[band].format(p=prof, P=prof[:1].upper() + prof[1:])
    return StaffSpec(prof, band, point, role, sessions)


# --- the shadowing timetable ----------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSession:
    """One shadowing session in the timetable (co-observed when it has two observers)."""

    day: date
    participant: int  # index into the cohort's participants
    kind: str  # 'full', 'am' or 'pm'
    observers: tuple[str, ...]


def day_halves(plan: JobPlan, weekday: int) -> tuple[bool, bool]:
    """Whether the job plan has a morning and an afternoon session on a weekday."""
    am = pm = False
    for s in plan.sessions:
        if s.weekday == weekday:
            if s.start < NOON:
                am = True
            else:
                pm = True
    return am, pm


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def session_bounds(plan: JobPlan, weekday: int, kind: str) -> tuple[int, int]:
    """The widest local window (minutes after midnight) a session of `kind` can take: the
    simulator starts at most 90 minutes before the day's first planned session (10 minutes
    before an afternoon one) and ends at most 120 minutes after the day's last (10 after a
    morning one)."""
    todays = sorted((s for s in plan.sessions if s.weekday == weekday), key=lambda s: s.start)
    observed = todays
    if kind == "am":
        observed = [s for s in todays if s.start < NOON] or todays
    elif kind == "pm":
        observed = [s for s in todays if s.start >= NOON] or todays
    lo = _minutes(observed[0].start) - (90 if observed[0] is todays[0] else 10)
    hi = _minutes(observed[-1].end) + (120 if observed[-1] is todays[-1] else 10)
    return lo, hi


TRAVEL_MINUTES = 15
"""Gap an observer needs between two sessions (to move between sites)."""


def plan_timetable(
    participants: list[Participant],
    sites: list[str],
    observers: list[str],
    observer_sites: dict[str, str],
    days: list[date],
    sessions_each: int,
    full_day_share: float,
    co_observed_share: float,
    rng: np.random.Generator,
) -> list[PlannedSession]:
    """Shadowing sessions spread over `days`, with no observer in two places at once.

    Each participant gets up to `sessions_each` sessions, one in each of that many equal
    stretches of their working days (a stretch where no observer is free is skipped).
    """
    busy: dict[date, list[tuple[int, int, str]]] = {}
    out: list[PlannedSession] = []
    for pi, p in enumerate(participants):
        halves_by_wd = [day_halves(p.job_plan, wd) for wd in range(7)]
        mine = [d for d in days if any(halves_by_wd[d.weekday()])]
        if not mine:
            continue
        k = min(sessions_each, len(mine))
        bounds = np.linspace(0, len(mine), k + 1)
        for j in range(k):
            lo, hi = int(bounds[j]), max(int(bounds[j]) + 1, int(bounds[j + 1]))
            chunk = mine[lo:hi]
            want_two = rng.random() < co_observed_share
            want_full = rng.random() < full_day_share
            prefer_am = rng.random() < 0.5
            for ci in rng.permutation(len(chunk)):
                d = chunk[int(ci)]
                am, pm = halves_by_wd[d.weekday()]
                if am and pm:
                    kind = "full" if want_full else ("am" if prefer_am else "pm")
                else:
                    kind = "am" if am else "pm"
                a, b = session_bounds(p.job_plan, d.weekday(), kind)
                taken = busy.get(d, ())
                free = [
                    o
                    for o in observers
                    if not any(
                        who == o and a < y + TRAVEL_MINUTES and x < b + TRAVEL_MINUTES
                        for x, y, who in taken
                    )
                ]
                need = 2 if want_two else 1
                if len(free) < need:
                    if want_two and free:
                        need = 1
                    else:
                        continue
                order = rng.permutation(len(free))
                ranked = sorted(
                    (free[int(i)] for i in order),
                    key=lambda o: observer_sites.get(o) != p.site,
                )
                chosen = tuple(ranked[:need])
                busy.setdefault(d, []).extend((a, b, o) for o in chosen)
                out.append(PlannedSession(d, pi, kind, chosen))
                break
    site_rank = {s: i for i, s in enumerate(sites)}
    out.sort(
        key=lambda s: (
            s.day,
            s.kind == "pm",
            site_rank.get(participants[s.participant].site, 0),
            s.participant,
        )
    )
    return out


def observers_needed(n_participants: int, sessions_each: int, n_days: int, co_share: float) -> int:
    """Observers a cohort needs so the timetable rarely runs out of free researchers."""
    per_day = n_participants * sessions_each * (1 + co_share) / max(1, n_days)
    return max(3, math.ceil(1.5 * per_day) + 1)
