"""Comparison of two groups or periods: the difference with a bootstrap interval."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from workweave.domain.payscale import PayScale
from workweave.domain.policy import BOOTSTRAP_REPLICATES, FLAG_BELOW, INTERVAL_METHOD
from workweave.domain.template import Template


def compare(
    source: Any,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    payscale: PayScale | None = None,
    default_template: Template | None = None,
    study_id: int | None = None,
    study: str | None = None,
    metrics: Iterable[str] | str | None = None,
    seed: int | None = None,
    B: int = BOOTSTRAP_REPLICATES,
    confidence: float = 0.95,
    params: Mapping[str, Any] | None = None,
    domains: Mapping[str, str] | None = None,
    flag_below: int = FLAG_BELOW,
    observers: str | None = None,
    interval: str = INTERVAL_METHOD,
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> pd.DataFrame:
    """Metrics of group `a` minus group `b` (each given as a filter, e.g. {"site": "A"} or
    {"month": ["2025-01", "2025-02"]}), with a cluster-bootstrap interval of the difference.
    Participants in both groups are resampled together (a paired comparison of periods).
    payscale and default_template: as for `Metrics` (needed unless `source` is a prepared
    `Metrics`). observers: 'primary' (default) or 'all', as for ``compute``."""
    from workweave.analysis.metrics import Metrics, prepare

    own = not isinstance(source, Metrics)
    if own:
        if payscale is None:
            raise ValueError("metrics of a study need its pay scale (payscale=...)")
        prepared = prepare(
            source,
            payscale=payscale,
            default_template=default_template,
            study_id=study_id,
            study=study,
            params=params,
            domains=domains,
            observers=observers,
            engine=engine,
            spark_remote=spark_remote,
        )
    else:
        prepared = source
    try:
        return prepared.compare(
            a,
            b,
            metrics=metrics,
            seed=seed,
            B=B,
            confidence=confidence,
            flag_below=flag_below,
            interval=interval,
        )
    finally:
        if own:
            prepared.close()
