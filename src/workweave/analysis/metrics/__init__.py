"""Metrics: one registry, one engine, the same numbers everywhere.

    >>> from workweave.analysis import metrics
    >>> metrics.compute(
    ...     store, study_id=1, payscale=payscale, default_template=template,
    ...     by=["site"], metrics=["compartmentalisation"], seed=1,
    ... )

``compute`` accepts a `Store` (with ``study_id`` or ``study``), an opened study
(``workweave.open(...)``), a `Tables` bundle, or a mapping of DataFrames named as the canonical
tables, with the `PayScale` of the cost metrics and the template that maps the categories of
sessions recorded without one (this package reads no files: ``workweave.services.metrics``
loads both and is what the command line, web app, API and reports call). The result is a tidy
DataFrame: one row per group × metric (× key) with ``estimate``, ``ci_low``, ``ci_high``,
``n_participants``, ``n_sessions``, ``observed_hours`` and ``flag``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from workweave.analysis.metrics.budget import OVERLAP
from workweave.analysis.metrics.compare import compare
from workweave.analysis.metrics.docs import list_frame, registry_markdown
from workweave.analysis.metrics.engine import GROUP_KEYS, Metrics, parse_assignments
from workweave.analysis.metrics.registry import (
    METRICS,
    PARAMETERS,
    REGISTRY,
    Metric,
    Parameter,
    get,
    resolve_parameters,
)
from workweave.analysis.metrics.tables import Tables, from_frames, from_sessions, from_store
from workweave.domain.payscale import PayScale
from workweave.domain.policy import BOOTSTRAP_REPLICATES, FLAG_BELOW, INTERVAL_METHOD
from workweave.domain.template import Template


def tables_of(source: Any, *, study_id: int | None = None, study: str | None = None) -> Tables:
    """The canonical tables of a store, an opened study, a `Tables` or a mapping of frames."""
    if isinstance(source, Tables):
        return source
    if isinstance(source, Mapping):
        return from_frames(source, study=study or "study")
    store = getattr(source, "store", None)
    if store is not None and hasattr(source, "study_id"):  # an opened study (StudyData)
        return from_store(store, source.study_id)
    if hasattr(source, "analytic") and hasattr(source, "studies"):  # a Store
        sid = study_id if study_id is not None else source.studies.id(study)
        return from_store(source, sid)
    raise TypeError(
        "metrics need a Store, an opened study, Tables or a mapping of DataFrames, "
        f"not {type(source).__name__}"
    )


def prepare(
    source: Any,
    *,
    payscale: PayScale,
    default_template: Template | None = None,
    study_id: int | None = None,
    study: str | None = None,
    filter: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    domains: Mapping[str, str] | None = None,
    observers: str | None = None,
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> Metrics:
    """Load a study's tables, ready for several computations (blocks are built as metrics
    need them, on the ``engine``: 'duckdb' or 'spark', see `engines`)."""
    return Metrics(
        tables_of(source, study_id=study_id, study=study),
        payscale=payscale,
        default_template=default_template,
        filter=filter,
        params=params,
        domains=domains,
        observers=observers,
        engine=engine,
        spark_remote=spark_remote,
    )


def compute(
    source: Any,
    *,
    payscale: PayScale | None = None,
    default_template: Template | None = None,
    study_id: int | None = None,
    study: str | None = None,
    by: Sequence[str] | str | None = None,
    filter: Mapping[str, Any] | None = None,
    metrics: Iterable[str] | str | None = None,
    seed: int | None = None,
    B: int = BOOTSTRAP_REPLICATES,
    confidence: float = 0.95,
    poisson: bool = False,
    params: Mapping[str, Any] | None = None,
    domains: Mapping[str, str] | None = None,
    flag_below: int = FLAG_BELOW,
    observers: str | None = None,
    interval: str = INTERVAL_METHOD,
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> pd.DataFrame:
    """Registry metrics of a study, grouped and filtered, with cluster-bootstrap intervals.

    by: any of study, site, profession, band, participant, observer, session, mode, month.
    filter: {key: value or [values]} on the same keys (``session`` also matches the source's
    own session id). metrics: ids (default: all). B: bootstrap replicates (0: no intervals).
    poisson: add exact Poisson intervals to rates per hour. params: metric parameters (see
    ``PARAMETERS``). domains: {category: domain} overrides of the templates' mapping.
    flag_below: flag estimates from fewer participants than this. observers: 'primary'
    (default: one record per co-observation group, ``workweave.analysis.coobservation``) or
    'all'. interval: ``t`` (the default: cluster-robust t interval on G − 1 degrees of
    freedom) or ``percentile`` (percentile cluster bootstrap); see ``stats``. payscale and
    default_template: as for `Metrics` (needed unless `source` is a prepared `Metrics`).
    """
    if isinstance(source, Metrics):
        if (
            filter
            or params
            or domains
            or payscale
            or default_template
            or observers
            or engine != "duckdb"
            or spark_remote
        ):
            raise ValueError(
                "filter, params, domains, observers, payscale, default_template and the "
                "engine belong to prepare() for a Metrics"
            )
        prepared = source
        own = False
    else:
        if payscale is None:
            raise ValueError("metrics of a study need its pay scale (payscale=...)")
        prepared = prepare(
            source,
            payscale=payscale,
            default_template=default_template,
            study_id=study_id,
            study=study,
            filter=filter,
            params=params,
            domains=domains,
            observers=observers,
            engine=engine,
            spark_remote=spark_remote,
        )
        own = True
    try:
        return prepared.compute(
            by=by,
            metrics=metrics,
            seed=seed,
            B=B,
            confidence=confidence,
            poisson=poisson,
            flag_below=flag_below,
            interval=interval,
        )
    finally:
        if own:
            prepared.close()


__all__ = [
    "GROUP_KEYS",
    "METRICS",
    "OVERLAP",
    "PARAMETERS",
    "REGISTRY",
    "Metric",
    "Metrics",
    "Parameter",
    "Tables",
    "compare",
    "compute",
    "from_frames",
    "from_sessions",
    "from_store",
    "get",
    "list_frame",
    "parse_assignments",
    "prepare",
    "registry_markdown",
    "resolve_parameters",
    "tables_of",
]
