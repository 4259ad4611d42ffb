"""BORIS-compatible time budget and Cohen's kappa, beside our own definitions.

These reproduce what BORIS (Friard & Gamba 2016, version 10.0.2) computes, so that figures
from a BORIS project imported into workweave can be checked against BORIS's own output. Our own
time budget (``metrics --time-budget``) and time-sliced kappa (``ior --kappa``) differ; every
difference is listed, with a worked example, in docs/boris.md.

The input is BORIS's own view of an observation: per subject, state bouts (start, stop, on the
observation's timeline, in integer milliseconds as BORIS rounds them) and point events, plus
the observation window (BORIS's "full observation": 0 to the observation length).

Time budget (BORIS ``time_budget_analysis`` with the whole observation as interval): per
subject and behaviour, the number of occurrences; for a state behaviour its total duration,
mean and sample standard deviation (n - 1; none for one bout) of the bout durations, and the
total as a per cent of the observation length (one decimal); a point behaviour has a count
only. Rounded as BORIS rounds (3 decimals, 1 for the per cent).

Cohen's kappa (BORIS ``irr.cohen_kappa``, "time-unit" kappa of Bakeman & Quera 2011, p. 77):
time points t = first, first + u, ... while t <= last, where first is the earliest start and
last the latest stop of any event of either observation (both observations on their own
timelines, time 0 to time 0), u the time unit. At each point and for each subject, an
observation's code is the list of (subject, behaviour[, modifiers]) of every state bout with
start <= t <= stop (both ends included: a bout ending where the next starts counts at both)
and of every point event within u/2 of t; the empty list (no behaviour) is a code like any
other, and a combination of behaviours is one code. Kappa = (agreements - chance) / (n -
chance) over the contingency table of the two codes, 1 when n equals the chance agreements,
rounded to 3 decimals.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

Code = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Bout:
    behaviour: str
    start_ms: int
    stop_ms: int
    modifiers: str = ""


@dataclass(frozen=True)
class PointOccurrence:
    behaviour: str
    at_ms: int
    modifiers: str = ""


@dataclass
class BorisObservation:
    """One observation as BORIS sees it: per subject, its state bouts and point events."""

    name: str
    length_ms: int  # the observation length (window 0 .. length)
    bouts: dict[str, list[Bout]] = field(default_factory=dict)
    points: dict[str, list[PointOccurrence]] = field(default_factory=dict)
    start_ms: int = 0

    @property
    def subjects(self) -> list[str]:
        return sorted(set(self.bouts) | set(self.points))


@dataclass(frozen=True)
class BudgetRow:
    observation: str
    subject: str
    behaviour: str
    kind: str  # 'state' or 'point'
    occurrences: int
    total_s: float | None  # None for a point behaviour (BORIS: NA)
    mean_s: float | None
    sd_s: float | None  # None for fewer than 2 bouts
    percent_of_observation: float | None
    observation_s: float


def time_budget(
    observations: Iterable[BorisObservation], *, group: bool = False
) -> list[BudgetRow]:
    """BORIS's time budget of each observation (or, with `group`, of all of them together:
    totals over all bouts, per cent of the summed observation lengths)."""
    obs = list(observations)
    blocks = [obs] if group else [[o] for o in obs]
    rows: list[BudgetRow] = []
    for block in blocks:
        name = "all" if group else block[0].name
        total_ms = sum(o.length_ms - o.start_ms for o in block)
        subjects = sorted({s for o in block for s in o.subjects})
        for subj in subjects:
            durations: dict[str, list[float]] = {}
            counts: Counter[str] = Counter()
            for o in block:
                for b in o.bouts.get(subj, []):
                    if o.start_ms <= b.start_ms and b.stop_ms <= o.length_ms:
                        # BORIS subtracts the two times as floats, then rounds
                        durations.setdefault(b.behaviour, []).append(
                            b.stop_ms / 1000 - b.start_ms / 1000
                        )
                for p in o.points.get(subj, []):
                    if o.start_ms <= p.at_ms <= o.length_ms:
                        counts[p.behaviour] += 1
            for beh in sorted(set(durations) | set(counts)):
                if beh in durations:
                    d = durations[beh]
                    total = round(sum(d), 3)
                    pct = (
                        round(total / (total_ms / 1000) * 100, 1) if total and total_ms > 0 else 0.0
                    )
                    rows.append(
                        BudgetRow(
                            observation=name,
                            subject=subj,
                            behaviour=beh,
                            kind="state",
                            occurrences=len(d),
                            total_s=total,
                            mean_s=round(statistics.mean(d), 3),
                            sd_s=round(statistics.stdev(d), 3) if len(d) > 1 else None,
                            percent_of_observation=pct,
                            observation_s=total_ms / 1000,
                        )
                    )
                else:
                    rows.append(
                        BudgetRow(
                            observation=name,
                            subject=subj,
                            behaviour=beh,
                            kind="point",
                            occurrences=counts[beh],
                            total_s=None,
                            mean_s=None,
                            sd_s=None,
                            percent_of_observation=None,
                            observation_s=total_ms / 1000,
                        )
                    )
    return rows


@dataclass(frozen=True)
class KappaResult:
    kappa: float
    n: int  # time points x subjects
    agreements: int
    chance: float
    interval_s: float
    first_s: float
    last_s: float
    codes: int  # distinct codes in the contingency table


def _codes(
    obs: BorisObservation,
    subject: str,
    first_ms: int,
    n_points: int,
    unit_ms: int,
    include_modifiers: bool,
) -> list[list[tuple[str, ...]]]:
    """The code at each time point: the state bouts covering it, then the point events within
    half a unit, each in one canonical order (behaviour, modifiers)."""
    states: list[list[tuple[str, ...]]] = [[] for _ in range(n_points)]
    points: list[list[tuple[str, ...]]] = [[] for _ in range(n_points)]

    def item(beh: str, mods: str) -> tuple[str, ...]:
        return (subject, beh, mods) if include_modifiers else (subject, beh)

    for b in obs.bouts.get(subject, []):
        # first k with t_k >= start and last k with t_k <= stop (t_k = first + k * unit)
        k0 = max(0, -((first_ms - b.start_ms) // unit_ms))
        k1 = min(n_points - 1, (b.stop_ms - first_ms) // unit_ms)
        for k in range(k0, k1 + 1):
            states[k].append(item(b.behaviour, b.modifiers))
    half = (unit_ms / 1000) / 2
    for p in obs.points.get(subject, []):
        centre = (p.at_ms - first_ms) // unit_ms
        at = p.at_ms / 1000
        for k in range(max(0, centre - 1), min(n_points - 1, centre + 2) + 1):
            # BORIS compares floats: abs(start - t) <= interval / 2
            if abs(at - (first_ms + k * unit_ms) / 1000) <= half:
                points[k].append(item(p.behaviour, p.modifiers))
    return [sorted(s) + sorted(p) for s, p in zip(states, points, strict=True)]


def cohen_kappa(
    a: BorisObservation,
    b: BorisObservation,
    *,
    interval_s: float = 1.0,
    subjects: Sequence[str] | None = None,
    include_modifiers: bool = False,
) -> KappaResult:
    """BORIS's time-unit Cohen's kappa of two observations (see the module docstring).

    `subjects`: the subjects compared (BORIS's selection); default: every subject of either
    observation. A subject coded in neither observation would add agreeing empty codes."""
    if not math.isfinite(interval_s) or interval_s < 0.001:
        raise ValueError("the time unit must be at least 0.001 s")
    unit_ms = round(interval_s * 1000)
    if abs(unit_ms - interval_s * 1000) > 1e-6:
        raise ValueError("the time unit must be a whole number of milliseconds")
    subs = list(subjects) if subjects is not None else sorted(set(a.subjects) | set(b.subjects))
    times = [
        t
        for o in (a, b)
        for s in subs
        for t in (
            [x for bt in o.bouts.get(s, []) for x in (bt.start_ms, bt.stop_ms)]
            + [p.at_ms for p in o.points.get(s, [])]
        )
    ]
    if not times:
        raise ValueError("the observations have no events for the subjects compared")
    first_ms, last_ms = min(times), max(times)
    # BORIS steps an exact decimal time and compares it with the float of the last stop
    last_exact = Decimal(last_ms / 1000)
    n_points = (last_ms - first_ms) // unit_ms + 1
    while n_points > 0 and Decimal(first_ms + (n_points - 1) * unit_ms) / 1000 > last_exact:
        n_points -= 1
    while Decimal(first_ms + n_points * unit_ms) / 1000 <= last_exact:
        n_points += 1
    table: Counter[tuple[Code, Code]] = Counter()
    for s in subs:
        ca = _codes(a, s, first_ms, n_points, unit_ms, include_modifiers)
        cb = _codes(b, s, first_ms, n_points, unit_ms, include_modifiers)
        for x, y in zip(ca, cb, strict=True):
            table[(tuple(x), tuple(y))] += 1  # one code: the list as a whole
    n = sum(table.values())
    rows: Counter[Code] = Counter()
    cols: Counter[Code] = Counter()
    agree = 0
    for (ra, rb), c in table.items():
        rows[ra] += c
        cols[rb] += c
        if ra == rb:
            agree += c
    chance = sum(rows[c] * cols[c] / n for c in rows)
    kappa = 1.0 if not (n - chance) else round((agree - chance) / (n - chance), 3)
    return KappaResult(
        kappa=kappa,
        n=n,
        agreements=agree,
        chance=chance,
        interval_s=unit_ms / 1000,
        first_s=first_ms / 1000,
        last_s=last_ms / 1000,
        codes=len(set(rows) | set(cols)),
    )


def budget_table(rows: Sequence[BudgetRow]) -> list[Mapping[str, object]]:
    """The rows as plain records (for JSON and CSV)."""
    return [
        {
            "observation": r.observation,
            "subject": r.subject,
            "behaviour": r.behaviour,
            "kind": r.kind,
            "occurrences": r.occurrences,
            "total_s": r.total_s,
            "mean_s": r.mean_s,
            "sd_s": r.sd_s,
            "percent_of_observation": r.percent_of_observation,
            "observation_s": r.observation_s,
        }
        for r in rows
    ]


__all__ = [
    "BorisObservation",
    "Bout",
    "BudgetRow",
    "KappaResult",
    "PointOccurrence",
    "budget_table",
    "cohen_kappa",
    "time_budget",
]
