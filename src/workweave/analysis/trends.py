"""A year in the life of a service: registry metrics by period and site, and the change in a
metric after a dated site event.

Pure computation over a prepared `Metrics` engine (no store, no I/O): the estimates and
their intervals are the registry's own (``Metrics.compute(by=[site, period])``), and the
change after an event is the registry's paired comparison (``Metrics.compare``) of the
site's periods wholly after the event with those wholly before it (a period that contains
the event's date is left out of both). docs/trends.md states the method.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from workweave.analysis.metrics.engine import Metrics
from workweave.domain.errors import ValidationError

PERIODS: tuple[str, ...] = ("month", "quarter", "week")
"""The periods metrics can be followed by (grouping keys of the registry's engine)."""
TREND_METRICS: tuple[tuple[str, str | None], ...] = (
    ("domain_share_observed", "managerial"),
    ("interruptions_per_hour", None),
    ("clinical_displacement", None),
    ("leakage", "outside_contracted"),
)
"""The metrics the study report follows over time (id, key)."""


@dataclass(frozen=True)
class Event:
    """A dated site event (as `workweave.store.events.SiteEvent` carries it)."""

    site: str
    day: date
    label: str
    kind: str = "other"


def check_period(period: str) -> str:
    p = str(period).strip().lower()
    if p not in PERIODS:
        raise ValidationError(f"unknown period '{p[:30]}' (choose from: {', '.join(PERIODS)})")
    return p


def period_start(label: str, period: str) -> date:
    """The first day of a period label: '2026-03' (month), '2026-Q2', '2026-W14' (ISO)."""
    if period == "month":
        y, m = label.split("-")
        return date(int(y), int(m), 1)
    if period == "quarter":
        y, q = label.split("-Q")
        return date(int(y), 3 * int(q) - 2, 1)
    y, w = label.split("-W")
    return date.fromisocalendar(int(y), int(w), 1)


def period_end(label: str, period: str) -> date:
    """The day after the period's last day."""
    start = period_start(label, period)
    if period == "week":
        return start + timedelta(days=7)
    months = 1 if period == "month" else 3
    m = start.month - 1 + months
    return date(start.year + m // 12, m % 12 + 1, 1)


def by_period(
    engine: Metrics,
    period: str,
    *,
    metrics: Iterable[str] | None = None,
    seed: int | None = None,
    B: int = 500,
    sites: bool = True,
) -> pd.DataFrame:
    """The registry's estimates by site (when `sites`) and period, with ``period_start``."""
    p = check_period(period)
    ids = sorted({m for m, _ in TREND_METRICS} if metrics is None else set(metrics))
    by = ["site", p] if sites else [p]
    df = engine.compute(by=by, metrics=ids, seed=seed, B=B)
    df = df.rename(columns={p: "period"})
    df["period_start"] = [period_start(str(x), p) for x in df["period"]]
    df.attrs["period"] = p
    return df


def periods_around(labels: Sequence[str], period: str, day: date) -> tuple[list[str], list[str]]:
    """(periods wholly before `day`, periods starting on or after it); a period containing
    the day is in neither."""
    before = [x for x in labels if period_end(x, period) <= day]
    after = [x for x in labels if period_start(x, period) >= day]
    return sorted(before), sorted(after)


def event_effects(
    engine: Metrics,
    events: Sequence[Event],
    period: str,
    *,
    metrics: Iterable[tuple[str, str | None]] = TREND_METRICS,
    seed: int | None = None,
    B: int = 500,
) -> pd.DataFrame:
    """For each event and metric: the site's estimate after the event minus before it, with
    the registry's paired cluster-bootstrap interval. Columns: site, date, label, metric, key,
    before, after, difference, ci_low, ci_high, n_participants_before/after, periods_before,
    periods_after, flag. An event with no whole period on one side gives no rows."""
    p = check_period(period)
    wanted = list(metrics)
    ids = sorted({m for m, _ in wanted})
    rows: list[dict[str, object]] = []
    seen = engine.compute(by=["site", p], metrics=["tasks_per_hour"], B=0)
    for ev in events:
        present = seen.loc[seen["site"] == ev.site, p].astype(str).unique()
        before, after = periods_around(list(present), p, ev.day)
        if not before or not after:
            continue
        cmp = engine.compare(
            {"site": ev.site, p: after}, {"site": ev.site, p: before}, metrics=ids, seed=seed, B=B
        )
        for m, k in wanted:
            sel = cmp["metric"] == m
            sel &= cmp["key"].isna() if k is None else cmp["key"] == k
            if not sel.any():
                continue
            r = cmp[sel].iloc[0]
            rows.append(
                {
                    "site": ev.site,
                    "date": ev.day,
                    "label": ev.label,
                    "metric": m,
                    "key": k,
                    "unit": r["unit"],
                    "before": r["estimate_b"],
                    "after": r["estimate_a"],
                    "difference": r["difference"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "n_participants_before": int(r["n_participants_b"]),
                    "n_participants_after": int(r["n_participants_a"]),
                    "periods_before": f"{before[0]} to {before[-1]}",
                    "periods_after": f"{after[0]} to {after[-1]}",
                    "flag": r["flag"],
                }
            )
    return pd.DataFrame(rows)


__all__ = [
    "PERIODS",
    "TREND_METRICS",
    "Event",
    "by_period",
    "check_period",
    "event_effects",
    "period_end",
    "period_start",
    "periods_around",
]
