"""Headline figures for a study's dashboard.

The web app computes no metric itself: the figures come from the metric registry
(``workweave.services.metrics.compute``) when it is installed, and otherwise from the study
summary (``workweave.services.studies.summary``). Either way the summary's table by site is
shown too.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable
from typing import Any

from workweave.analysis.metrics.headline import HEADLINE_METRICS, SHOWN_KEYS
from workweave.domain.errors import NotFoundError
from workweave.services.setup import data_version
from workweave.services.studies import summary
from workweave.store import TABLES, Store

_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
_lock = threading.Lock()


def _fmt(value: float, unit: str) -> tuple[str, str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—", ""
    if unit == "proportion":
        return f"{value * 100:.1f}", "%"
    if unit == "%":
        return f"{value:.1f}", "%"
    if unit.startswith("per"):
        return f"{value:.2f}", unit
    return (f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"), unit


def _tables(metrics: Any, store: Store, study_id: int) -> Any:
    """The study's canonical tables, read through the store's own connections.

    (Reading a SQLite store with a second copy of the SQLite library in the same process, as
    a driver bundling its own would, is unsafe while the server holds connections to the
    file: closing one copy's connection drops the other's locks. The web server therefore
    hands the registry DataFrames.)"""
    frames = {name: store.analytic.frame(name, study_id) for name in TABLES}
    templates = []
    pairs = frames["sessions"][["template", "template_version"]].dropna().drop_duplicates()
    for name, version in pairs.itertuples(index=False):
        try:
            templates.append(store.studies.template(name, version))
        except NotFoundError:
            continue
    return metrics.from_frames(frames, study=store.studies.get(study_id).name, templates=templates)


def _registry_headline(store: Store, study_id: int) -> list[dict[str, Any]] | None:
    try:
        metrics = importlib.import_module("workweave.analysis.metrics")
        compute = importlib.import_module("workweave.services.metrics").compute
    except (ImportError, AttributeError):
        return None
    try:
        df = compute(_tables(metrics, store, study_id), metrics=list(HEADLINE_METRICS), B=0)
    except Exception:  # another component: the dashboard falls back to the summary
        return None
    items = []
    order = {m: i for i, m in enumerate(HEADLINE_METRICS)}
    rows = sorted(df.to_dict("records"), key=lambda r: order.get(r["metric"], 99))
    for r in rows:
        key = r.get("key")
        key = None if key is None or (isinstance(key, float) and math.isnan(key)) else str(key)
        if r["metric"] in SHOWN_KEYS and key not in SHOWN_KEYS[r["metric"]]:
            continue
        value, unit = _fmt(r["estimate"], str(r.get("unit") or ""))
        detail = (
            f"{int(r['n_participants'])} participant(s), {int(r['n_sessions'])} session(s), "
            f"{float(r['observed_hours']):.1f} h"
        )
        if isinstance(r.get("flag"), str) and r["flag"]:
            detail += f" · {r['flag']}"
        items.append(
            {
                "id": f"{r['metric']}[{key}]" if key else r["metric"],
                "label": f"{r['label']}: {key}" if key else r["label"],
                "value": value,
                "unit": unit,
                "detail": detail,
                "n_participants": int(r["n_participants"]),
            }
        )
    return items or None


def _summary_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    tot = data["total"]
    return [
        {
            "id": "sessions",
            "label": "Sessions",
            "value": tot["sessions"],
            "unit": "",
            "detail": f"{tot['incomplete_sessions']} incomplete",
        },
        {"id": "tasks", "label": "Tasks", "value": tot["tasks"], "unit": "", "detail": ""},
        {
            "id": "observed_hours",
            "label": "Observed",
            "value": round(tot["observed_hours"], 1),
            "unit": "h",
            "detail": "",
        },
        {
            "id": "interruptions",
            "label": "Interruptions",
            "value": tot["interruptions"],
            "unit": "",
            "detail": "recorded",
        },
    ]


def compute_headline(
    store: Store, study_id: int, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """The dashboard's figures, built afresh (`progress` hears each stage): what `headline`
    returns and the background build of the dashboard (``services.builds``) keeps."""
    say = progress or (lambda _s: None)
    say("summarising sessions, tasks and hours")
    data = summary(store, study_id)
    totals = _summary_items(data)
    say("computing the headline metrics")
    items = _registry_headline(store, study_id) if data["total"]["sessions"] else None
    return {
        "source": "metrics" if items is not None else "summary",
        "items": items if items is not None else totals,
        "totals": totals,
        "summary": data,
    }


def headline(store: Store, study_id: int) -> dict[str, Any]:
    """{'source': 'metrics' or 'summary', 'items': [{id, label, value, unit, detail}],
    'totals': the summary's items, 'summary': the study summary}."""
    version = data_version(store, study_id)
    with _lock:
        if version in _cache:
            return _cache[version]
    result = compute_headline(store, study_id)
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[version] = result
    return result


__all__ = ["HEADLINE_METRICS", "compute_headline", "headline"]
