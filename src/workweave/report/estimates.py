"""The report's window on the metric registry: estimates come only from here.

Every metric a report shows is computed by the registry's engine
(`workweave.analysis.metrics`), once per breakdown, with the report's seed and number of
bootstrap replicates. This module caches those tables, applies the small-number rule, and
formats values for people; it never computes a metric itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workweave.analysis.metrics import REGISTRY, Metric
from workweave.domain.policy import FLAG_BELOW
from workweave.services import metrics as metrics_service
from workweave.store import Store

OVERALL = "All participants"

BREAKDOWN_LABELS = {
    "study": "the whole study",
    "site": "site",
    "profession": "profession",
    "band": "Agenda for Change band",
    "participant": "participant",
    "observer": "observer",
    "mode": "mode of recording",
    "month": "month",
    "quarter": "quarter",
    "week": "week",
}

KEY_LABELS: dict[str, dict[str, str]] = {
    "leakage": {
        "clinical": "in planned clinical sessions",
        "other_planned": "in other planned sessions",
        "outside_contracted": "outside contracted hours",
    },
    "domain_share_observed": {},
    "domain_share_task_time": {},
}

Progress = Callable[[str], None]


class Estimates:
    """Registry estimates for one study, computed on demand and cached per breakdown."""

    def __init__(
        self,
        store: Store,
        study_id: int,
        *,
        seed: int,
        B: int,
        progress: Progress | None = None,
        observers: str | None = None,
        filter: dict[str, Any] | None = None,
    ) -> None:
        self.seed = int(seed)
        self.B = int(B)
        self._progress = progress
        self.observers = observers
        self._engine = metrics_service.prepare(
            store, study_id=study_id, observers=observers, filter=filter
        )
        self._cache: dict[str, pd.DataFrame] = {}

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> Estimates:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def table(self, by: str | None) -> pd.DataFrame:
        """Every registry metric for one breakdown (None: the whole study), with a ``group``
        column holding the group's label."""
        key = by or "study"
        if key not in self._cache:
            if self._progress:
                self._progress(
                    "computing metrics"
                    + ("" if key == "study" else f" by {BREAKDOWN_LABELS.get(key, key)}")
                )
            df = self._engine.compute(
                by=None if key == "study" else key,
                seed=self.seed,
                B=self.B,
                flag_below=FLAG_BELOW,
            )
            df = df.copy()
            df["group"] = OVERALL if key == "study" else df[key].astype(str)
            self._cache[key] = df
        return self._cache[key]

    @property
    def engine(self) -> Any:
        """The prepared registry engine (for trends and comparisons)."""
        return self._engine

    def items(self, metric: str) -> pd.DataFrame:
        """The per-item table of a quantile metric (one row per task, stretch or episode),
        exactly the rows its estimate is taken over (``Metrics.items``)."""
        key = f"items:{metric}"
        if key not in self._cache:
            self._cache[key] = self._engine.items(metric)
        return self._cache[key]

    def per_participant(self) -> pd.DataFrame:
        """Every registry metric per participant (with the site), without intervals: the
        input of the styles analysis."""
        key = "per-participant"
        if key not in self._cache:
            if self._progress:
                self._progress("computing metrics per participant")
            self._cache[key] = self._engine.compute(
                by=["site", "participant"], B=0, flag_below=FLAG_BELOW
            )
        return self._cache[key]

    def attrs(self) -> dict[str, Any]:
        """The engine's statement of its parameters, pay scale and bootstrap settings."""
        return dict(self.table(None).attrs)


# -- lookups ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    estimate: float | None
    low: float | None
    high: float | None
    n_participants: int
    n_sessions: int
    observed_hours: float
    flag: str

    @property
    def defined(self) -> bool:
        return self.estimate is not None


def value(df: pd.DataFrame, group: str, metric: str, key: str | None = None) -> Value | None:
    """One estimate of a computed table, or None when the table has no such row."""
    rows = df[(df["group"] == group) & (df["metric"] == metric)]
    rows = rows[rows["key"].isna()] if key is None else rows[rows["key"] == key]
    if not len(rows):
        return None
    r = rows.iloc[0]
    return Value(
        _num(r["estimate"]),
        _num(r["ci_low"]),
        _num(r["ci_high"]),
        int(r["n_participants"]),
        int(r["n_sessions"]),
        float(r["observed_hours"]),
        str(r["flag"] or ""),
    )


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def metric_info(metric_id: str) -> Metric:
    return REGISTRY[metric_id]


def key_label(metric: str, key: str | None) -> str:
    if key is None:
        return ""
    return KEY_LABELS.get(metric, {}).get(key, key)


# -- formatting ---------------------------------------------------------------------------------


def display_scale(unit: str) -> tuple[float, str]:
    """How to show values of a unit: multiply by this, then append this suffix."""
    u = unit.strip().lower()
    if u == "proportion":
        return 100.0, " %"
    if u == "%":
        return 1.0, " %"
    return 1.0, ""


def axis_label(unit: str) -> str:
    u = unit.strip().lower()
    if u in ("proportion", "%"):
        return "%"
    return unit


def fmt(v: float | None, unit: str) -> str:
    """A value for people: percentages to 1 decimal, money to the pound, rates to 2 d.p."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    scale, suffix = display_scale(unit)
    x = v * scale
    u = unit.strip().lower()
    if suffix:
        return f"{x:.1f}{suffix}"
    if u.startswith("£"):
        return f"£{x:,.0f}"
    if "fte-year" in u or "per fte" in u:
        return f"{x:,.0f}"
    if u == "minutes":
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_with_unit(v: float | None, unit: str) -> str:
    s = fmt(v, unit)
    if s == "—":
        return s
    u = unit.strip().lower()
    if u in ("proportion", "%") or u.startswith("£"):
        return s
    rest = unit[2:] if u.startswith("£ ") else unit
    return f"{s} {rest}"


def fmt_ci(low: float | None, high: float | None, unit: str) -> str:
    if low is None or high is None:
        return ""
    return f"95 % CI {fmt(low, unit)} to {fmt(high, unit)}"


__all__ = [
    "BREAKDOWN_LABELS",
    "OVERALL",
    "Estimates",
    "Value",
    "axis_label",
    "display_scale",
    "fmt",
    "fmt_ci",
    "fmt_with_unit",
    "key_label",
    "metric_info",
    "value",
]
