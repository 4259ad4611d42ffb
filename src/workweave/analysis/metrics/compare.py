"""Comparison of two groups or periods: the difference with a bootstrap interval."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd


def compare(
    source: Any,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    study_id: int | None = None,
    study: str | None = None,
    metrics: Iterable[str] | str | None = None,
    seed: int | None = None,
    B: int = 2000,
    confidence: float = 0.95,
    params: Mapping[str, Any] | None = None,
    domains: Mapping[str, str] | None = None,
    min_participants: int = 5,
) -> pd.DataFrame:
    """Metrics of group `a` minus group `b` (each given as a filter, e.g. {"site": "A"} or
    {"month": ["2025-01", "2025-02"]}), with a cluster-bootstrap interval of the difference.
    Participants in both groups are resampled together (a paired comparison of periods)."""
    from workweave.analysis.metrics import Metrics, prepare

    own = not isinstance(source, Metrics)
    engine = (
        prepare(source, study_id=study_id, study=study, params=params, domains=domains)
        if own
        else source
    )
    try:
        return engine.compare(
            a,
            b,
            metrics=metrics,
            seed=seed,
            B=B,
            confidence=confidence,
            min_participants=min_participants,
        )
    finally:
        if own:
            engine.close()
