"""Styles of clinician-management and trends by period for a study: the registry's engine
prepared over the observed sessions, handed to `workweave.analysis.styles` and
`workweave.analysis.trends` (what the Python API and the study report show)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workweave.analysis.styles import StylesResult, find_styles
from workweave.analysis.trends import Event, by_period, event_effects
from workweave.domain.observation import MODES
from workweave.domain.policy import SUPPRESS_BELOW
from workweave.services import metrics as metrics_service
from workweave.store import Store

OBSERVED = [m for m in MODES if m != "self-report"]


def styles(
    store: Store,
    study_id: int,
    *,
    seed: int = 2025,
    suppress_below: int = SUPPRESS_BELOW,
    B: int = 100,
    observers: str | None = None,
) -> StylesResult:
    """The styles of the study's observed participants (docs/styles.md)."""
    with metrics_service.prepare(
        store, study_id=study_id, filter={"mode": OBSERVED}, observers=observers
    ) as engine:
        per = engine.compute(by=["site", "participant"], B=0)
    return find_styles(per, seed=seed, suppress_below=suppress_below, B=B)


def trends(
    store: Store,
    study_id: int,
    *,
    period: str = "quarter",
    seed: int | None = None,
    B: int = 500,
    observers: str | None = None,
) -> dict[str, Any]:
    """The followed metrics by site and period, the study's site events, and each event's
    change (after minus before) with its interval (docs/trends.md)."""
    events = store.events.list(study_id)
    with metrics_service.prepare(
        store, study_id=study_id, filter={"mode": OBSERVED}, observers=observers
    ) as engine:
        table = by_period(engine, period, seed=seed, B=B)
        effects = event_effects(
            engine, [Event(e.site, e.day, e.label, e.kind) for e in events], period, seed=seed, B=B
        )
    return {
        "by_period": table,
        "events": pd.DataFrame(
            [(e.id, e.site, e.day, e.kind, e.label) for e in events],
            columns=["id", "site", "date", "kind", "label"],
        ),
        "effects": effects,
    }


__all__ = ["styles", "trends"]
