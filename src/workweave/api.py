"""The Python API: ``workweave.open(path_or_url)`` returns a study whose tables come back as
pandas (default) or polars DataFrames.

    >>> import workweave
    >>> study = workweave.open("demo/workweave.sqlite")
    >>> study.tasks().head()
    >>> study.summary()["total"]["tasks"]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from workweave.domain.errors import ValidationError
from workweave.domain.observation import Session
from workweave.domain.study import Participant, Study
from workweave.services import studies as svc
from workweave.store import TABLES, Store

Backend = Literal["pandas", "polars"]


class StudyData:
    """One study in a store. Table methods return DataFrames of the canonical tables."""

    def __init__(self, store: Store, study_id: int, backend: Backend = "pandas") -> None:
        if backend not in ("pandas", "polars"):
            raise ValidationError(f"backend must be 'pandas' or 'polars', not '{backend}'")
        self.store = store
        self.study_id = study_id
        self.backend: Backend = backend
        self.info: Study = store.studies.get(study_id)

    @property
    def name(self) -> str:
        return self.info.name

    def __repr__(self) -> str:
        synthetic = ", SYNTHETIC" if self.info.synthetic else ""
        return f"<workweave study {self.name!r} in {self.store.location}{synthetic}>"

    def table(self, name: str) -> Any:
        """A canonical table by name: one of ``workweave.api.TABLE_NAMES``."""
        df = self.store.analytic.frame(name, self.study_id)
        if self.backend == "polars":
            import polars as pl

            return pl.from_pandas(df)
        return df

    def sessions(self) -> Any:
        return self.table("sessions")

    def tasks(self) -> Any:
        return self.table("tasks")

    def task_dimensions(self) -> Any:
        return self.table("task_dimensions")

    def suspensions(self) -> Any:
        return self.table("suspensions")

    def parallel_links(self) -> Any:
        return self.table("parallel_links")

    def point_events(self) -> Any:
        return self.table("point_events")

    def notes(self) -> Any:
        return self.table("notes")

    def participants(self) -> Any:
        return self.table("participants")

    def job_plans(self) -> Any:
        return self.table("job_plans")

    def summary(self, observers: str = "primary") -> dict[str, Any]:
        """Sessions, tasks, observed hours and interruptions, overall and by group.
        observers: 'primary' (one record per co-observation group) or 'all'."""
        return svc.summary(self.store, self.study_id, observers=observers)

    def metrics(
        self,
        by: list[str] | str | None = None,
        filter: dict[str, Any] | None = None,
        metric: list[str] | str | None = None,
        seed: int | None = None,
        B: int = 2000,
        observers: str = "primary",
        engine: str = "duckdb",
        spark_remote: str | None = None,
        **options: Any,
    ) -> Any:
        """Registry metrics as a tidy table: one row per group × metric (× key) with estimate,
        ci_low, ci_high, n_participants, n_sessions, observed_hours and flag.

        by: study, site, profession, band, participant, observer, session, mode, month,
        week, quarter.
        filter: {key: value or [values]}. metric: ids (default: all; see
        ``workweave.analysis.metrics.REGISTRY``). seed, B: the cluster bootstrap. observers:
        'primary' (default: sessions several observers recorded at once count once, see
        ``workweave.analysis.coobservation``) or 'all' (every record). engine: 'duckdb'
        (in process, the default) or 'spark' (local Spark; or a cluster, given spark_remote
        ``sc://host:port``, docs/scale.md): the same estimates and intervals. Other
        options (poisson, confidence, interval, params, domains, flag_below, payscale, plan:
        'jobplan' or 'calendar', see docs/calendar.md) go to
        ``workweave.services.metrics.compute``.
        """
        from workweave.services.metrics import compute

        df = compute(
            self,
            by=by,
            filter=filter,
            metrics=metric,
            seed=seed,
            B=B,
            observers=observers,
            engine=engine,
            spark_remote=spark_remote,
            **options,
        )
        if self.backend == "polars":
            import polars as pl

            return pl.from_pandas(df)
        return df

    def time_budget(
        self,
        by: list[str] | str | None = None,
        filter: dict[str, Any] | None = None,
        overlap: str = "sum",
        engine: str = "duckdb",
        spark_remote: str | None = None,
    ) -> Any:
        """The time budget: per group and category, bouts, total_min, mean_min, sd_min,
        pct_observed, n_participants, n_sessions and observed_hours. overlap: 'sum'
        (overlapping tasks of one category count in full, as share_observed) or 'union'
        (each instant once per category; a bout is a stretch with a task of it active).
        engine, spark_remote: as for `metrics`."""
        from workweave.services.metrics import time_budget

        df = time_budget(
            self,
            by=by,
            filter=filter,
            overlap=overlap,
            engine=engine,
            spark_remote=spark_remote,
        )
        if self.backend == "polars":
            import polars as pl

            return pl.from_pandas(df)
        return df

    def styles(self, seed: int = 2025, **options: Any) -> Any:
        """Styles of clinician-management (docs/styles.md): participants clustered by their
        work profile. Returns a `workweave.analysis.styles.StylesResult`: ``.styles`` (size,
        stability, means, standardised differences), ``.assignments`` (participant -> style),
        ``.criterion`` (silhouette by k) and ``.notes``. Options: suppress_below, B,
        observers."""
        from workweave.services.styles import styles

        return styles(self.store, self.study_id, seed=seed, **options)

    def trends(self, period: str = "quarter", seed: int | None = None, **options: Any) -> Any:
        """Metrics by site and period (month, quarter or week) with intervals, the site
        events and each event's change after minus before (docs/trends.md): a dict of
        DataFrames ``by_period``, ``events`` and ``effects``. Options: B, observers."""
        from workweave.services.styles import trends

        return trends(self.store, self.study_id, period=period, seed=seed, **options)

    def ior(self, a: str, b: str, *, fragment_order: str = "iorapp") -> dict[str, Any]:
        """Inter-observer reliability of two sessions (source ids such as '52', or keys): the
        ten IORapp-compatible measures with counts and warnings (docs/ior.md)."""
        from workweave.services.reliability import ior_for_pair

        return ior_for_pair(
            self.store, self.study_id, a, b, fragment_order=fragment_order
        ).as_dict()

    def ior_table(
        self, *, tolerance_seconds: float = 0, participant: str = "code", **options: Any
    ) -> Any:
        """IOR of every co-observed pair (same participant, different observers, overlapping
        times; `tolerance_seconds` allows for device clocks that disagree)."""
        from workweave.services.reliability import ior_study_table

        df = ior_study_table(
            self.store,
            self.study_id,
            tolerance_seconds=tolerance_seconds,
            participant=participant,
            **options,
        )
        if self.backend == "polars":
            import polars as pl

            return pl.from_pandas(df)
        return df

    def load_sessions(
        self, *, keys: list[str] | None = None, source_ids: list[str] | None = None
    ) -> list[Session]:
        """Sessions as domain objects (tasks with their suspensions and parallel links)."""
        return self.store.sessions.load(self.study_id, keys=keys, source_ids=source_ids)

    def participant_records(self) -> list[Participant]:
        return self.store.studies.participants(self.study_id)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> StudyData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


TABLE_NAMES = tuple(TABLES)


def open_study(
    path_or_url: str | Path, study: str | None = None, *, backend: Backend = "pandas"
) -> StudyData:
    """Open a study in a store (a workspace folder, a SQLite file or a PostgreSQL URL)."""
    from workweave.workspace import named_workspace

    ws = named_workspace(path_or_url)
    if ws is not None:
        store = Store.open(ws.store)
        return StudyData(store, store.studies.id(study or ws.study), backend)
    store = Store.open(path_or_url)
    return StudyData(store, store.studies.id(study), backend)
