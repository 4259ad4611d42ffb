"""Use cases of the metric registry: the engine with its pay scale and default template loaded.

The engine (`workweave.analysis.metrics`) reads no files; here the pay scale the ``payscale``
parameter names (a shipped scale such as ``england-2025-26``, or a YAML file) and the built-in
default template are loaded and handed to it. The command line, the web app, the Python API and
the reports compute metrics through these functions (docs/metrics.md).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from workweave.analysis import metrics as registry_engine
from workweave.analysis.metrics import Metrics, resolve_parameters
from workweave.analysis.metrics.tables import empty as empty_table
from workweave.domain.errors import ValidationError
from workweave.domain.payscale import PayScale
from workweave.domain.policy import BOOTSTRAP_REPLICATES, FLAG_BELOW, INTERVAL_METHOD
from workweave.domain.template import Template
from workweave.io.payscales import load_payscale
from workweave.io.templates import DEFAULT_TEMPLATE, builtin_template


def payscale_for(params: Mapping[str, Any] | None = None) -> PayScale:
    """The pay scale the metric parameters name (default: the registry's default scale)."""
    return load_payscale(resolve_parameters(params)["payscale"])


PLANS: tuple[str, ...] = ("jobplan", "calendar")
"""What the planned-versus-actual metrics read as the plan: the weekly job plans, or the
planned activity imported from calendars (docs/calendar.md)."""


def with_plan(
    source: Any, plan: str = "jobplan", *, study_id: int | None = None, study: str | None = None
) -> Any:
    """The canonical tables of `source` with `plan` as the plan: 'jobplan' (the weekly job
    plans, the default) or 'calendar' (the participants' imported calendars: dated blocks
    and the periods they cover; job plans are then not read). A `Metrics` is returned as is
    (its plan was chosen when it was prepared)."""
    if plan not in PLANS:
        raise ValidationError(f"unknown plan '{plan}' (choose from: {', '.join(PLANS)})")
    if isinstance(source, Metrics):
        return source
    tables = registry_engine.tables_of(source, study_id=study_id, study=study)
    if plan == "jobplan":
        tables.frames.pop("plan_blocks", None)
        tables.frames.pop("plan_periods", None)
        return tables
    store = getattr(source, "store", None) or (source if hasattr(source, "analytic") else None)
    if store is not None:
        sid = getattr(source, "study_id", None)
        if sid is None:
            sid = study_id if study_id is not None else store.studies.id(study)
        blocks = store.analytic.frame("planned_activity", sid)
        tables.frames["plan_blocks"] = blocks[["participant", "start_ms", "end_ms", "category"]]
        tables.frames["plan_periods"] = store.analytic.frame("plan_periods", sid)
    tables.frames["job_plans"] = empty_table("job_plans")
    return tables


@functools.lru_cache(maxsize=1)
def default_template() -> Template:
    """The template whose categories map sessions recorded without a known template."""
    return builtin_template(DEFAULT_TEMPLATE)


def prepare(
    source: Any,
    *,
    study_id: int | None = None,
    study: str | None = None,
    filter: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    domains: Mapping[str, str] | None = None,
    payscale: PayScale | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    observers: str | None = None,
    plan: str = "jobplan",
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> Metrics:
    """A study's tables loaded and prepared for several computations (``.compute``,
    ``.compare``; close it when done). ``source``: a Store (with ``study_id`` or ``study``),
    an opened study, a `Tables` or a mapping of DataFrames. ``payscale`` overrides the one
    the ``payscale`` parameter names. ``observers``: 'primary' (default: one record per
    co-observation group) or 'all' (``workweave.analysis.coobservation``). ``plan``: what
    planned-versus-actual metrics read as the plan, 'jobplan' or 'calendar' (`with_plan`).
    ``engine``: 'duckdb' (in process, the default) or 'spark' (local Spark, or the Spark
    Connect address ``spark_remote``); see ``workweave.analysis.metrics.engines``.
    ``threads``, ``memory_limit`` (e.g. '4GB'): the DuckDB limits (``workweave.analysis.duck``;
    default: ``WORKWEAVE_THREADS``, ``WORKWEAVE_MEMORY_LIMIT``, else DuckDB's own)."""
    m = Metrics(
        with_plan(source, plan, study_id=study_id, study=study),
        payscale=payscale if payscale is not None else payscale_for(params),
        default_template=default_template(),
        filter=filter,
        params=params,
        domains=domains,
        threads=threads,
        memory_limit=memory_limit,
        observers=observers,
        engine=engine,
        spark_remote=spark_remote,
    )
    m.plan = plan  # type: ignore[attr-defined]
    return m


def compute(
    source: Any,
    *,
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
    interval: str = INTERVAL_METHOD,
    payscale: PayScale | None = None,
    observers: str | None = None,
    plan: str = "jobplan",
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> pd.DataFrame:
    """Registry metrics of a study, grouped and filtered, with cluster-bootstrap intervals
    (see ``workweave.analysis.metrics.compute`` for the arguments; ``observers``: 'primary',
    the default, counts one record per co-observation group, 'all' every record; ``plan``:
    'jobplan', the default, or 'calendar', the plan of the planned-versus-actual metrics,
    recorded in the result's ``attrs['plan']``; ``engine`` 'duckdb' or 'spark', with
    ``spark_remote`` a Spark Connect address)."""
    passive = _passive_request(source, metrics)
    if passive is not None:
        from workweave.services import logs

        ids, rest = passive
        store = source if hasattr(source, "logs") else source.store
        sid = getattr(source, "study_id", study_id)
        parts = [
            logs.compute(
                store,
                store.studies.id(study) if sid is None else sid,
                by=by,
                filter=filter,
                metrics=ids,
                params=params,
                seed=seed,
                B=B,
                confidence=confidence,
                flag_below=flag_below,
                interval=interval,
                engine=engine,
                spark_remote=spark_remote,
            )
        ]
        if rest:
            shadow = compute(
                source, study_id=study_id, study=study, by=by, filter=filter, metrics=rest,
                seed=seed, B=B, confidence=confidence, poisson=poisson, params=params,
                domains=domains, flag_below=flag_below, interval=interval, payscale=payscale,
                observers=observers, plan=plan, engine=engine,
                spark_remote=spark_remote,
            )  # fmt: skip
            parts.insert(0, shadow)
        return pd.concat(parts, ignore_index=True)
    options: dict[str, Any] = {
        "by": by,
        "metrics": metrics,
        "seed": seed,
        "B": B,
        "confidence": confidence,
        "poisson": poisson,
        "flag_below": flag_below,
        "interval": interval,
    }
    if isinstance(source, Metrics):
        out = registry_engine.compute(
            source, filter=filter, params=params, domains=domains, observers=observers, **options
        )
        out.attrs["plan"] = getattr(source, "plan", "jobplan")
        return out
    out = registry_engine.compute(
        with_plan(source, plan, study_id=study_id, study=study),
        payscale=payscale if payscale is not None else payscale_for(params),
        default_template=default_template(),
        study_id=study_id,
        study=study,
        filter=filter,
        params=params,
        domains=domains,
        observers=observers,
        engine=engine,
        spark_remote=spark_remote,
        **options,
    )
    out.attrs["plan"] = plan
    return out


def _passive_request(
    source: Any, metrics: Iterable[str] | str | None
) -> tuple[list[str], list[str]] | None:
    """(passive ids, other ids) when a store's passive metrics are asked for by name."""
    from workweave.analysis.metrics.passive import is_passive

    store = source if hasattr(source, "logs") else getattr(source, "store", None)
    if metrics is None or not hasattr(store, "logs"):
        return None
    items = [metrics] if isinstance(metrics, str) else list(metrics)
    ids = [i.strip() for item in items for i in str(item).split(",") if i.strip()]
    passive = [i for i in ids if is_passive(i)]
    if not passive:
        return None
    return passive, [i for i in ids if not is_passive(i)]


def compare(
    source: Any,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    study_id: int | None = None,
    study: str | None = None,
    metrics: Iterable[str] | str | None = None,
    seed: int | None = None,
    B: int = BOOTSTRAP_REPLICATES,
    confidence: float = 0.95,
    params: Mapping[str, Any] | None = None,
    domains: Mapping[str, str] | None = None,
    flag_below: int = FLAG_BELOW,
    interval: str = INTERVAL_METHOD,
    payscale: PayScale | None = None,
    observers: str | None = None,
    plan: str = "jobplan",
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> pd.DataFrame:
    """Metrics of group `a` minus group `b`, with a cluster-bootstrap interval of the
    difference (see ``workweave.analysis.metrics.compare``; ``plan`` as for `compute`)."""
    options: dict[str, Any] = {
        "metrics": metrics,
        "seed": seed,
        "B": B,
        "confidence": confidence,
        "flag_below": flag_below,
        "interval": interval,
    }
    if isinstance(source, Metrics):
        return registry_engine.compare(source, a, b, **options)
    return registry_engine.compare(
        with_plan(source, plan, study_id=study_id, study=study),
        a,
        b,
        payscale=payscale if payscale is not None else payscale_for(params),
        default_template=default_template(),
        study_id=study_id,
        study=study,
        params=params,
        domains=domains,
        observers=observers,
        engine=engine,
        spark_remote=spark_remote,
        **options,
    )


def time_budget(
    source: Any,
    *,
    study_id: int | None = None,
    study: str | None = None,
    by: Sequence[str] | str | None = None,
    filter: Mapping[str, Any] | None = None,
    overlap: str = "sum",
    domains: Mapping[str, str] | None = None,
    engine: str = "duckdb",
    spark_remote: str | None = None,
) -> pd.DataFrame:
    """The time budget of a study: per group and category, bouts, total, mean and SD
    duration and % of observed time; ``overlap`` 'sum' (overlapping tasks of a category count
    in full) or 'union' (each instant once per category). See
    ``workweave.analysis.metrics.budget``."""
    if isinstance(source, Metrics):
        return source.time_budget(by=by, overlap=overlap)
    engine_ = prepare(
        source,
        study_id=study_id,
        study=study,
        filter=filter,
        domains=domains,
        engine=engine,
        spark_remote=spark_remote,
    )
    try:
        return engine_.time_budget(by=by, overlap=overlap)
    finally:
        engine_.close()


def registry_markdown(payscale: PayScale | None = None) -> str:
    """docs/metrics.md, describing the default pay scale unless another is given."""
    return registry_engine.registry_markdown(payscale if payscale is not None else payscale_for())


__all__ = [
    "PLANS",
    "compare",
    "compute",
    "default_template",
    "payscale_for",
    "prepare",
    "registry_markdown",
    "time_budget",
    "with_plan",
]
