"""The passive engine: audit-log Parquet files in, the registry's tidy estimates out.

``PassiveMetrics(events, people, plans)`` runs the passive blocks and metric SQL of
`workweave.analysis.metrics.passive` over the event Parquet files, keeps the
per-participant-day sums, and estimates every metric per group with the same cluster
intervals as the shadowing metrics (`stats`: cluster-robust t on G − 1 degrees of freedom, or
the percentile cluster bootstrap), participants being the clusters.

The SQL runs on one of two engines (`workweave.analysis.metrics.engines`):

- ``duckdb`` (default): in process, one batch of participants at a time, so memory stays
  bounded however many events there are;
- ``spark``: the same SQL transpiled to Spark SQL by SQLGlot, on local Spark or a cluster
  (Spark Connect, ``spark_remote``), which reads the Parquet files itself, all participants
  at once.

Either way the per-participant-day sums come back to this process in the same shape and
order, and the estimates and intervals are computed here with numpy, so the same seed gives
the same figures on both engines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from workweave.analysis import duck
from workweave.analysis.metrics import choices, stats
from workweave.analysis.metrics.passive import (
    DAY_MS,
    PASSIVE_METRICS,
    PASSIVE_PARAMETERS,
    PLAN_KIND_OF,
    block_selects,
    block_sql,
    window_active_sql,
)
from workweave.analysis.metrics.registry import Metric
from workweave.domain.errors import ValidationError, WorkweaveError
from workweave.domain.policy import BOOTSTRAP_REPLICATES, FLAG_BELOW, INTERVAL_METHOD

GROUP_KEYS: tuple[str, ...] = ("study", "site", "profession", "band", "participant", "month")
"""What passive estimates can be grouped and filtered by."""
BATCH_EVENTS = 12_000_000
"""About this many events are windowed at once (participants are batched to fit)."""
HOUR = 3_600_000.0


def resolve_passive_parameters(overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    values = {n: float(p.default) for n, p in PASSIVE_PARAMETERS.items()}
    for name, value in (overrides or {}).items():
        if name not in PASSIVE_PARAMETERS:
            continue  # shadowing parameters pass through untouched
        values[name] = float(PASSIVE_PARAMETERS[name].check(value))
    if values["timeout_minutes"] <= 0:
        raise ValidationError("parameter timeout_minutes must be positive")
    if values["shift_gap_hours"] < 1:
        raise ValidationError("parameter shift_gap_hours must be at least 1 hour")
    if not 0 <= values["core_start_hour"] < values["core_end_hour"] <= 24:
        raise ValidationError("core hours must satisfy 0 <= core_start_hour < core_end_hour <= 24")
    return values


def plan_windows(
    plans: pd.DataFrame, participants: Iterable[str], params: Mapping[str, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(LP, LW): job-plan windows by weekday, and the windows intervals meet (plans and core
    hours, each copied onto the previous weekday shifted by a day)."""
    rows = []
    for r in plans.itertuples(index=False):
        kind = PLAN_KIND_OF.get(str(r.category))
        if kind is None:
            continue
        s, e = _ms_of_day(r.start_time), _ms_of_day(r.end_time)
        if e > s:
            rows.append((str(r.participant), int(r.weekday), s, e, kind))
    lp = pd.DataFrame(rows, columns=["participant", "wd", "start_ms", "end_ms", "kind"])
    cs = round(params["core_start_hour"] * HOUR)
    ce = round(params["core_end_hour"] * HOUR)
    core = [(str(p), wd, cs, ce, "core") for p in participants for wd in range(5)]
    base = pd.concat([lp, pd.DataFrame(core, columns=lp.columns)], ignore_index=True).astype(
        {"wd": "int64", "start_ms": "int64", "end_ms": "int64"}
    )
    nxt = base.copy()
    nxt["wd"] = (nxt["wd"] - 1) % 7
    nxt["start_ms"] += DAY_MS
    nxt["end_ms"] += DAY_MS
    lw = pd.concat([base, nxt], ignore_index=True)
    return lp.astype({"wd": "int64", "start_ms": "int64", "end_ms": "int64"}), lw


def _ms_of_day(value: Any) -> int:
    text = str(value)
    parts = [int(p) for p in text.split(":")[:3]] + [0, 0]
    return ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000


class PassiveMetrics:
    """Audit-log events (Parquet files), participants and job plans, ready for estimates.

    events: Parquet file paths (or globs) with the columns of ``io.auditlogs.SCHEMA``;
    people: participant, site, profession, band; plans: participant, weekday, start_time,
    end_time, category. The per-participant-day sums are computed once, at construction.
    """

    def __init__(
        self,
        events: Sequence[str],
        *,
        people: pd.DataFrame,
        plans: pd.DataFrame,
        study: str = "study",
        params: Mapping[str, Any] | None = None,
        filter: Mapping[str, Any] | None = None,
        threads: int | None = None,
        memory_limit: str | None = None,
        batch_events: int = BATCH_EVENTS,
        metrics: Iterable[Metric] | None = None,
        engine: str = "duckdb",
        spark_remote: str | None = None,
    ) -> None:
        from workweave.analysis.metrics.engines import ENGINES

        if engine not in ENGINES:
            raise ValidationError(f"unknown engine '{engine}' (choose from: {', '.join(ENGINES)})")
        if spark_remote and engine != "spark":
            raise ValidationError("--spark-remote goes with the spark engine")
        self.engine = engine
        self.params = resolve_passive_parameters(params)
        self.study = study
        self.filter = _check_filter(filter)
        self.timings: dict[str, float] = {}
        self.metrics = list(metrics) if metrics is not None else list(PASSIVE_METRICS)
        self.people = _people(people, study)
        self.con = duck.connect(threads=threads, memory_limit=memory_limit)
        con = self.con
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        files = [str(f) for f in events]
        self.n_events = 0
        self.parts: dict[str, list[pd.DataFrame]] = {}
        if not files:
            return
        if engine == "spark":
            runner: _Runner = _SparkRunner(con, spark_remote)
            batch_events = 0  # Spark partitions the work itself: all participants at once
        else:
            runner = _DuckDBRunner(con)
        try:
            started = time.perf_counter()
            runner.events("LE_ALL", files)
            counts = runner.fetch(
                "SELECT participant, COUNT(*) AS n FROM LE_ALL GROUP BY participant"
            )
            self.timings["count"] = time.perf_counter() - started
            self.n_events = int(counts["n"].sum()) if len(counts) else 0
            self._run(runner, counts, plans, batch_events)
        except WorkweaveError:
            raise
        except Exception as exc:
            if engine != "spark":
                raise
            from workweave.analysis.metrics.engines import spark_error

            where = spark_remote or "local Spark"
            raise WorkweaveError(f"the spark engine ({where}) failed: {spark_error(exc)}") from None
        finally:
            runner.close()

    # -- per-participant-day sums -----------------------------------------------------------------
    def _run(
        self, runner: _Runner, counts: pd.DataFrame, plans: pd.DataFrame, batch_events: int
    ) -> None:
        counts = counts.astype({"participant": str}).sort_values("participant")
        known = set(self.people["participant"])
        counts = counts[counts["participant"].isin(known)]
        lp, lw = plan_windows(plans, counts["participant"], self.params)
        runner.put("LP", lp)
        runner.put("LW", lw)
        blocks = block_selects(self.params)
        needed = {b for m in self.metrics for b in m.blocks}
        batches = (
            _batches(counts, batch_events)
            if batch_events > 0
            else [[str(p) for p in counts["participant"]]]
        )
        for members in batches:
            runner.put("LBATCH", pd.DataFrame({"participant": pd.Series(members, dtype=object)}))
            runner.view(
                "LE",
                "SELECT * FROM LE_ALL WHERE participant IN (SELECT participant FROM LBATCH)",
            )
            for name, sql in blocks:
                if name in needed or name in ("LX", "LI", "LSH"):
                    started = time.perf_counter()
                    runner.table(name, sql)
                    self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
            started = time.perf_counter()
            done: dict[str, pd.DataFrame] = {}  # the same SQL serves several metrics

            def run(sql: str, done: dict[str, pd.DataFrame] = done) -> pd.DataFrame:
                if sql not in done:
                    done[sql] = _tidy(runner.fetch(sql))
                return done[sql]

            for m in self.metrics:
                num, den = m.sql_for({})
                self.parts.setdefault(f"{m.id}:num", []).append(run(num))
                if den is not None:
                    self.parts.setdefault(f"{m.id}:den", []).append(run(den))
            self.parts.setdefault("days", []).append(
                run(
                    "SELECT participant, day, COUNT(*) AS shifts FROM LSH GROUP BY participant, day"
                )
            )
            self.parts.setdefault("active", []).append(
                run("SELECT participant, day, SUM(len) AS v FROM LI GROUP BY participant, day")
            )
            self.timings["metric sql"] = (
                self.timings.get("metric sql", 0.0) + time.perf_counter() - started
            )
            for name in ("LX", "LI", "LSH", "LO", "LD"):
                runner.drop(name)

    def _frame(self, name: str) -> pd.DataFrame:
        parts = [p for p in self.parts.get(name, []) if len(p)]
        if not parts:
            return pd.DataFrame(columns=["participant", "day", "key", "v"])
        return pd.concat(parts, ignore_index=True)

    # -- estimates -----------------------------------------------------------------------------
    def compute(
        self,
        *,
        by: Sequence[str] | str | None = None,
        metrics: Iterable[str] | str | None = None,
        seed: int | None = None,
        B: int = BOOTSTRAP_REPLICATES,
        confidence: float = 0.95,
        flag_below: int = FLAG_BELOW,
        interval: str = INTERVAL_METHOD,
    ) -> pd.DataFrame:
        """One row per group × metric (× key): estimate, interval, n, hours and flag, as the
        shadowing registry gives (n_sessions counts shifts, observed_hours active hours)."""
        group_by = _check_by(by)
        chosen = _choose(metrics, self.metrics)
        stats.check_interval(interval)
        if not 0 < confidence < 1:
            raise ValidationError("confidence must be between 0 and 1")
        attrs = self.people.set_index("participant")
        rows: list[dict[str, Any]] = []
        cache: dict[str, pd.DataFrame] = {}

        def grouped(name: str) -> pd.DataFrame:
            if name not in cache:
                cache[name] = self._with_groups(self._frame(name), attrs)
            return cache[name]

        active = grouped("active")
        shifts = grouped("days")
        groups = (
            active[list(group_by)].drop_duplicates().sort_values(list(group_by))
            if len(active)
            else pd.DataFrame(columns=list(group_by))
        )
        has_plan = set(attrs.index[attrs["has_plan"]])
        for label in groups.itertuples(index=False):
            label = tuple(label)
            sel = _select(active, group_by, label)
            for m in chosen:
                cls_people = (
                    set(sel["participant"]) & has_plan
                    if m.eligible == "job_plan"
                    else set(sel["participant"])
                )
                people = np.array(sorted(cls_people), dtype=object)
                num = _select(grouped(f"{m.id}:num"), group_by, label)
                num = num[num["participant"].isin(cls_people)]
                n_part = len(people)
                sub_active = sel[sel["participant"].isin(cls_people)]
                sub_shifts = _select(shifts, group_by, label)
                base = dict(zip(group_by, label, strict=True)) | {
                    "label": m.label,
                    "unit": m.unit,
                    "n_participants": n_part,
                    "n_sessions": int(
                        sub_shifts.loc[sub_shifts["participant"].isin(cls_people), "shifts"].sum()
                    ),
                    "observed_hours": float(sub_active["v"].sum()) / HOUR,
                }
                rng = stats.group_rng(seed, (m.id, *label))
                if m.kind == "quantile":
                    qe, ql, qh = _quantile(m, num, people, rng, B, confidence)
                    rows.append(base | {"metric": m.id, "key": None} | _est(qe, ql, qh))
                    continue
                den = _select(grouped(f"{m.id}:den"), group_by, label)
                den = den[den["participant"].isin(cls_people)]
                keys: list[str | None] = list(m.keys) if m.keys else [None]
                N = np.zeros((n_part, len(keys)))
                pos = pd.Series(np.arange(n_part), index=pd.Index(people, dtype=object))
                if len(num):
                    kidx = {k: j for j, k in enumerate(keys)}
                    kcol = (
                        num["key"].astype(object).where(num["key"].notna(), None)
                        if "key" in num
                        else pd.Series([None] * len(num), index=num.index, dtype=object)
                    )
                    col = np.array(
                        [kidx.get(None if k is None else str(k), -1) for k in kcol],
                        dtype=np.int64,
                    )
                    i = pos.reindex(num["participant"].to_numpy()).to_numpy(dtype=np.int64)
                    ok = col >= 0
                    np.add.at(N, (i[ok], col[ok]), num["v"].to_numpy(dtype=float)[ok])
                D = np.zeros((n_part, 1))
                if len(den):
                    i = pos.reindex(den["participant"].to_numpy()).to_numpy(dtype=np.int64)
                    np.add.at(D, (i, np.zeros(len(i), dtype=np.int64)), den["v"].to_numpy(float))
                D = np.repeat(D, len(keys), axis=1)
                scale = m.scale_for({})
                tot_d = D.sum(axis=0)
                est: np.ndarray = np.where(
                    tot_d > 0, N.sum(axis=0) / np.where(tot_d > 0, tot_d, 1), np.nan
                )
                if B > 0 and n_part >= 2:
                    if interval == "percentile":
                        w = stats.cluster_weights(rng, n_part, B)
                        lo, hi = stats.percentile_interval(
                            stats.ratio_replicates(w, N, D), confidence
                        )
                    else:
                        lo, hi = stats.ratio_t_interval(N, D, confidence)
                else:
                    lo, hi = np.full(len(keys), np.nan), np.full(len(keys), np.nan)
                for j, k in enumerate(keys):
                    rows.append(
                        base
                        | {"metric": m.id, "key": k}
                        | _est(est[j] * scale, lo[j] * scale, hi[j] * scale)
                    )
        cols = [
            *group_by,
            "metric",
            "key",
            "label",
            "unit",
            "estimate",
            "ci_low",
            "ci_high",
            "n_participants",
            "n_sessions",
            "observed_hours",
        ]
        out = pd.DataFrame(rows, columns=cols)
        few = out["n_participants"] < flag_below
        undefined = out["estimate"].isna()
        out["flag"] = np.where(
            few & undefined,
            f"fewer than {flag_below} participants; undefined",
            np.where(
                few, f"fewer than {flag_below} participants", np.where(undefined, "undefined", "")
            ),
        )
        out.attrs["parameters"] = dict(self.params)
        out.attrs["bootstrap"] = {
            "B": B,
            "seed": seed,
            "confidence": confidence,
            "interval": interval,
        }
        out.attrs["filter"] = dict(self.filter)
        out.attrs["study"] = self.study
        out.attrs["by"] = list(group_by)
        out.attrs["events"] = self.n_events
        return out

    def _with_groups(self, frame: pd.DataFrame, attrs: pd.DataFrame) -> pd.DataFrame:
        if not len(frame):
            cols = [*frame.columns, *GROUP_KEYS]
            return pd.DataFrame(columns=list(dict.fromkeys(cols)))
        f = frame.copy()
        f["participant"] = f["participant"].astype(str)
        f = f[f["participant"].isin(attrs.index)]
        for k in ("study", "site", "profession", "band"):
            f[k] = f["participant"].map(attrs[k])
        days = pd.to_numeric(f["day"]).to_numpy(dtype="int64")
        f["month"] = pd.to_datetime(days * DAY_MS, unit="ms").strftime("%Y-%m")
        for key, values in self.filter.items():
            f = f[f[key].astype(str).isin(values)]
        return f

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> PassiveMetrics:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Runner:
    """Where the passive SQL (DuckDB dialect) runs: inputs in, blocks built, results out as
    pandas frames on the driver."""

    def events(self, name: str, files: Sequence[str]) -> None:
        raise NotImplementedError

    def put(self, name: str, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def view(self, name: str, sql: str) -> None:
        raise NotImplementedError

    def table(self, name: str, sql: str) -> None:
        raise NotImplementedError

    def fetch(self, sql: str) -> pd.DataFrame:
        raise NotImplementedError

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        return None


EVENT_COLUMNS: tuple[str, ...] = ("participant", "ts_ms", "local_ms", "activity")


class _DuckDBRunner(_Runner):
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def events(self, name: str, files: Sequence[str]) -> None:
        src = "read_parquet([" + ", ".join(_lit(f) for f in files) + "])"
        self.view(name, f"SELECT {', '.join(EVENT_COLUMNS)} FROM {src}")

    def put(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(name, frame)

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def table(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")


class _SparkRunner(_Runner):
    """The passive SQL on Spark (`engines.SparkEngine`: SQLGlot transpilation, views private
    to this computation). Spark reads the Parquet files itself."""

    def __init__(self, con: duckdb.DuckDBPyConnection, remote: str | None) -> None:
        from workweave.analysis.metrics.engines import SparkEngine

        self.engine = SparkEngine(con, remote)

    def events(self, name: str, files: Sequence[str]) -> None:
        self.engine.parquet(name, files, EVENT_COLUMNS)

    def put(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        self.engine.put(name, pa.Table.from_pandas(frame, preserve_index=False))

    def view(self, name: str, sql: str) -> None:
        self.engine.view(name, sql)

    def table(self, name: str, sql: str) -> None:
        self.engine.create(name, sql)

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.engine.fetch(sql).to_pandas()

    def drop(self, name: str) -> None:
        self.engine.drop(name)

    def close(self) -> None:
        self.engine.close()


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """A per-participant-day result in one shape whatever the engine: participant as text, day
    and counts as integers, values as floats (sums of whole milliseconds, exact), rows sorted,
    so that what follows sees the same numbers in the same order."""
    f = frame.copy()
    if not len(f.columns):
        return f
    f["participant"] = f["participant"].astype(str)
    if "day" in f:
        f["day"] = pd.to_numeric(f["day"]).astype("int64")
    if "key" in f:
        f["key"] = f["key"].astype(object).where(f["key"].notna(), None)
    for c in ("v", "shifts"):
        if c in f:
            f[c] = pd.to_numeric(f[c]).astype("float64" if c == "v" else "int64")
    order = [c for c in ("participant", "day", "key", "v", "shifts") if c in f]
    keys = f[order].copy()
    if "key" in keys:
        keys["key"] = keys["key"].fillna("")
    idx = keys.sort_values(order, kind="stable").index
    return f.loc[idx].reset_index(drop=True)


def window_active(
    events: Sequence[str],
    windows: pd.DataFrame,
    *,
    params: Mapping[str, Any] | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Log-derived active time (ms) inside each window (session_id, participant, start_ms,
    end_ms; UTC), by the passive blocks' definition of activity (``WINDOW_ACTIVE``)."""
    values = resolve_passive_parameters(params)
    out = pd.DataFrame({"session_id": windows["session_id"], "log_active_ms": 0.0})
    files = [str(f) for f in events]
    if not files or not len(windows):
        return out
    con = duck.connect(threads=threads)
    try:
        sw = windows[["session_id", "participant", "start_ms", "end_ms"]].copy()
        sw["participant"] = sw["participant"].astype(str)
        con.register("SW", sw)
        lo = int(sw["start_ms"].min()) - DAY_MS
        hi = int(sw["end_ms"].max()) + DAY_MS
        src = "read_parquet([" + ", ".join(_lit(f) for f in files) + "])"
        con.execute(
            "CREATE OR REPLACE TEMP VIEW LE AS SELECT participant, ts_ms, local_ms, activity "
            f"FROM {src} WHERE participant IN (SELECT participant FROM SW) "
            f"AND ts_ms >= {lo} AND ts_ms <= {hi}"
        )
        con.execute(block_sql(values)[0][1])  # LX
        got = con.execute(window_active_sql(values)).df()
    finally:
        con.close()
    found = dict(zip(got["session_id"], got["v"].astype(float), strict=True))
    out["log_active_ms"] = [found.get(s, 0.0) for s in out["session_id"]]
    return out


def _est(est: float, lo: float, hi: float) -> dict[str, float]:
    return {"estimate": float(est), "ci_low": float(lo), "ci_high": float(hi)}


def _quantile(
    m: Metric,
    items: pd.DataFrame,
    people: np.ndarray,
    rng: np.random.Generator,
    B: int,
    confidence: float,
) -> tuple[float, float, float]:
    q = m.quantile or 0.5
    scale = m.scale_for({})
    vals = items["v"].to_numpy(dtype=float) if len(items) else np.zeros(0)
    if not vals.size:
        return math.nan, math.nan, math.nan
    est = stats.quantile(vals, q) * scale
    if B <= 0 or len(people) < 2:
        return est, math.nan, math.nan
    # resampled counts per value bin (the shadowing engine's method: no items are copied)
    pos = pd.Series(np.arange(len(people)), index=pd.Index(people, dtype=object))
    cluster = pos.reindex(items["participant"].to_numpy()).to_numpy(dtype=np.int64)
    order = np.argsort(vals, kind="stable")
    counts, uniq = stats.binned_counts(vals[order], cluster[order], len(people))
    w = stats.cluster_weights(rng, len(people), B)
    reps = stats.quantile_replicates(w, counts, uniq, q) * scale
    lo, hi = stats.percentile_interval(reps[:, None], confidence)
    return est, float(lo[0]), float(hi[0])


def _select(frame: pd.DataFrame, by: Sequence[str], label: tuple[Any, ...]) -> pd.DataFrame:
    if not len(frame):
        return frame
    mask = np.ones(len(frame), dtype=bool)
    for k, v in zip(by, label, strict=True):
        col = frame[k]
        mask &= (col.isna().to_numpy() & pd.isna(v)) | (col.to_numpy() == v)
    return frame[mask]


def _people(people: pd.DataFrame, study: str) -> pd.DataFrame:
    p = pd.DataFrame(
        {
            "participant": people["participant"].astype(str),
            "study": study,
            "site": people.get("site", pd.Series([None] * len(people))).astype(object),
            "profession": people.get("profession", pd.Series([None] * len(people))).astype(object),
            "band": people.get("band", pd.Series([None] * len(people))).astype(object),
        }
    )
    if "has_plan" in people:
        p["has_plan"] = people["has_plan"].astype(bool).to_numpy()
    else:
        p["has_plan"] = False
    return p.drop_duplicates("participant")


def _batches(counts: pd.DataFrame, limit: int) -> list[list[str]]:
    out: list[list[str]] = []
    cur: list[str] = []
    n = 0
    for p, c in zip(counts["participant"], counts["n"], strict=True):
        if cur and n + int(c) > limit:
            out.append(cur)
            cur, n = [], 0
        cur.append(str(p))
        n += int(c)
    if cur:
        out.append(cur)
    return out


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_by(by: Sequence[str] | str | None) -> tuple[str, ...]:
    return choices.group_keys(by, GROUP_KEYS, "passive metrics")


def _check_filter(filter: Mapping[str, Any] | None) -> dict[str, list[str]]:
    return choices.filter_values(filter, GROUP_KEYS, "passive metrics")


def _choose(metrics: Iterable[str] | str | None, available: Sequence[Metric]) -> list[Metric]:
    if metrics is None:
        return list(available)
    items = [metrics] if isinstance(metrics, str) else list(metrics)
    wanted = {i.strip().split("[", 1)[0] for item in items for i in str(item).split(",")}
    wanted.discard("")
    ids = {m.id for m in available}
    unknown = sorted(wanted - ids)
    if unknown:
        raise ValidationError(
            f"no passive metric '{unknown[0]}' (passive: {', '.join(sorted(ids))})"
        )
    return [m for m in available if m.id in wanted]


__all__ = [
    "GROUP_KEYS",
    "PassiveMetrics",
    "plan_windows",
    "resolve_passive_parameters",
    "window_active",
]
