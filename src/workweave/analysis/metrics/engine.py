"""The metric engine: canonical tables in, a tidy table of estimates out.

``Metrics(tables)`` loads the tables into an in-process DuckDB database and builds the shared
blocks once (`workweave.analysis.metrics.blocks`); ``compute(by=..., metrics=...)`` runs the
registry's SQL for the metrics asked for, one numerator and denominator per session, sums them
over each group and participant, and adds cluster-bootstrap intervals (`stats`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from workweave.analysis import coobservation, duck
from workweave.analysis.metrics import blocks, budget, choices, engines, stats
from workweave.analysis.metrics.registry import (
    METRICS,
    PARAMETERS,
    REGISTRY,
    Metric,
    get,
    resolve_parameters,
)
from workweave.analysis.metrics.tables import Tables, check_domains, empty, to_pandas
from workweave.domain.errors import ValidationError
from workweave.domain.observation import MODES
from workweave.domain.payscale import PayScale
from workweave.domain.planned import PlannedBlock, timeline
from workweave.domain.policy import BOOTSTRAP_REPLICATES, FLAG_BELOW, INTERVAL_METHOD
from workweave.domain.template import Template

GROUP_KEYS: tuple[str, ...] = (
    "study",
    "site",
    "profession",
    "band",
    "participant",
    "observer",
    "session",
    "mode",
    "month",
    "week",
    "quarter",
)
"""What estimates can be grouped and filtered by (``month`` 2026-01, ISO ``week`` 2026-W01 and
``quarter`` 2026-Q1 of the session's start in its own time zone). A ``session`` filter also
matches the source's own session id (e.g. WOMBAT's)."""

CLASSES: tuple[str, ...] = ("all", "job_plan", "pay", "demand")
RESULT_COLUMNS: tuple[str, ...] = (
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
    "flag",
)
_NONE = "\x1fnone"  # stands for "no key" while matching keys in pandas
NO_DOMAINS = "no category is mapped to a domain"
"""Why a domain-based metric is undefined for a group whose sessions' templates map every
category to 'other' (e.g. WOMBAT exports, whose templates carry no domains)."""
HOUR = 3_600_000.0


def _lit(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class Metrics:
    """A study's canonical tables, loaded and prepared for computing registry metrics.

    ``payscale`` gives the salaries and on-costs of the cost metrics (the caller loads the
    one the ``payscale`` parameter names; ``workweave.services.metrics`` does). Sessions
    whose template has no categories in the tables take their categories' domains and
    job-plan codes from ``default_template``.
    """

    def __init__(
        self,
        tables: Tables,
        *,
        payscale: PayScale,
        default_template: Template | None = None,
        filter: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        domains: Mapping[str, str] | None = None,
        threads: int | None = None,
        memory_limit: str | None = None,
        observers: str | None = None,
        engine: str = "duckdb",
        spark_remote: str | None = None,
    ) -> None:
        self.tables = tables
        self.observers = coobservation.check_observers(observers)
        self.params = resolve_parameters(params)
        self.payscale = payscale
        self.filter = _check_filter(filter)
        self.con = duck.connect(threads=threads, memory_limit=memory_limit)
        self.con.execute("SET TimeZone = 'UTC'")
        # the working tables live in memory for one computation: never pause to checkpoint
        # (compress) them, and let operators run without keeping insertion order
        self.con.execute("SET checkpoint_threshold = '1TB'")
        self.con.execute("SET preserve_insertion_order = false")
        self.timings: dict[str, float] = {}
        self._block_s = 0.0  # seconds spent building blocks (kept apart from "metric sql")
        self._itemsets: dict[str, int] = {}  # an items query -> its number in ITEMS
        self._built: set[str] = set()
        self._on_engine: set[str] = set()
        self._done: set[str] = set()
        self._register(domains or {}, default_template)
        self._build()
        try:
            self.engine: engines.Engine = engines.make_engine(
                engine, self.con, spark_remote=spark_remote
            )
        except BaseException:
            self.con.close()
            raise

    # -- loading -------------------------------------------------------------------------------
    def _register(self, domains: Mapping[str, str], default_template: Template | None) -> None:
        f = self.tables.frames
        con = self.con
        for name, view in (
            ("sessions", "sessions_in"),
            ("tasks", "tasks_in"),
            ("suspensions", "susp_in"),
            ("task_dimensions", "dims_in"),
            ("point_events", "events_in"),
        ):
            con.register(view + "_raw", f[name])
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS {_typed(f[name], name, view + '_raw')}"
            )
        tpl, cats = self._categories(domains, default_template)
        con.register("tpl_in", tpl)
        con.register("cats_in", cats)
        con.register("plans_raw", self._plans())
        con.execute(
            "CREATE OR REPLACE TEMP VIEW plans_in AS SELECT participant, weekday::INT AS weekday, "
            "CAST(start_time AS TIME) AS start_time, CAST(end_time AS TIME) AS end_time, code "
            "FROM plans_raw"
        )
        blocks_in, plan_sessions = self._dated_plan()
        con.register("plan_blocks_in", blocks_in)
        con.register("plan_sessions_in", plan_sessions)
        con.register("pay_in", self._pay())
        fam = [
            (name.lower(), family)
            for family in ("with", "how", "where")
            for name in self.params[f"{family}_dimensions"]
        ]
        con.register("fam_in", pd.DataFrame(fam, columns=["dimension", "family"]))
        con.register(
            "dom_in",
            pd.DataFrame(
                {
                    "dom": pd.Series(list(blocks.DOMAIN_CODES.values()), dtype="int8"),
                    "domain": pd.Series(list(blocks.DOMAIN_CODES), dtype=object),
                }
            ),
        )

    def _categories(
        self, domains: Mapping[str, str], default_template: Template | None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(templates in use with a number, their categories' domain and job-plan code)."""
        overrides = check_domains(domains)
        cats = to_pandas(self.tables["categories"])
        sessions = to_pandas(self.tables["sessions"])
        pairs: set[tuple[str, str]] = set()
        if len(sessions):
            tv = sessions[["template", "template_version"]].astype(object)
            tv = tv.where(tv.notna(), "")
            pairs = {(str(a), str(b)) for a, b in tv.drop_duplicates().itertuples(index=False)}
        known: dict[tuple[str, str], dict[str, tuple[str, str | None]]] = {}
        for r in cats.itertuples(index=False):
            key = (str(r.template or ""), str(r.template_version or ""))
            known.setdefault(key, {})[str(r.category)] = (
                str(r.domain),
                None if pd.isna(r.job_plan) else r.job_plan,
            )
        default_map = (
            {c.code: (c.domain, c.job_plan) for c in default_template.categories}
            if default_template is not None
            else None
        )
        rows: list[tuple[int, str, str, int]] = []
        tpls = []
        for n, pair in enumerate(sorted(pairs), start=1):
            tpls.append((pair[0], pair[1], n))
            found = known.get(pair)
            if not found and default_map is None:
                name = "@".join(p for p in pair if p) or "no template"
                raise ValidationError(
                    f"sessions recorded with {name} have no categories in the tables, and no "
                    "default template was given to map their categories to domains"
                )
            mapping = dict(found or default_map or {})
            for code, dom in overrides.items():
                jp = mapping.get(code, (dom, None))[1]
                mapping[code] = (dom, jp)
            rows.extend(
                (n, code, dom, blocks.PLAN_CODES.get(jp or "", 0))
                for code, (dom, jp) in mapping.items()
            )
        return (
            pd.DataFrame(tpls, columns=["template", "template_version", "tpl"]),
            pd.DataFrame(rows, columns=["tpl", "category", "domain", "jp"]),
        )

    def _plans(self) -> pd.DataFrame:
        jp = to_pandas(self.tables["job_plans"])
        out = pd.DataFrame(
            {
                "participant": jp["participant"].astype(object),
                "weekday": jp["weekday"].astype("Int64"),
                "start_time": jp["start_time"].astype(str),
                "end_time": jp["end_time"].astype(str),
                "code": jp["category"].map(blocks.PLAN_CODES).fillna(0).astype(int),
            }
        )
        return out[out["code"] > 0]

    def _dated_plan(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A dated plan (``plan_blocks`` within ``plan_periods``, e.g. a calendar): its blocks
        made one timeline per participant (`workweave.domain.planned.timeline`: the block
        starting later wins an overlap) with numeric codes, and the sessions it covers (those
        lying wholly within a covered period of their participant)."""
        f = self.tables.frames
        periods = to_pandas(f["plan_periods"]) if "plan_periods" in f else empty("plan_periods")
        raw = to_pandas(f["plan_blocks"]) if "plan_blocks" in f else empty("plan_blocks")
        rows: list[tuple[str, int, int, int]] = []
        for code, g in raw.groupby("participant", sort=False):
            pieces = timeline(
                [
                    PlannedBlock(int(r.start_ms), int(r.end_ms), str(r.category))
                    for r in g.itertuples(index=False)
                ]
            )
            rows.extend((str(code), a, b, blocks.PLAN_CODES[c]) for a, b, c in pieces)
        plan = pd.DataFrame(rows, columns=["participant", "a", "b", "code"]).astype(
            {"participant": object, "a": "int64", "b": "int64", "code": "int64"}
        )
        covered: list[int] = []
        if len(periods):
            sessions = to_pandas(self.tables["sessions"])
            by_person: dict[str, list[tuple[int, int]]] = {}
            for r in periods.itertuples(index=False):
                by_person.setdefault(str(r.participant), []).append((int(r.from_ms), int(r.to_ms)))
            for r in sessions.itertuples(index=False):
                s0, s1 = int(r.start_ms), max(int(r.known_end_ms), int(r.start_ms))
                if any(a <= s0 and s1 <= b for a, b in by_person.get(str(r.participant), ())):
                    covered.append(int(r.session_id))
        return plan, pd.DataFrame({"session_id": pd.Series(covered, dtype="int64")})

    def _pay(self) -> pd.DataFrame:
        people = to_pandas(self.tables["participants"])
        p = self.params
        rows = []
        for r in people.itertuples(index=False):
            band = None if pd.isna(r.band) else str(r.band)
            point = None if pd.isna(r.pay_point) else int(r.pay_point)
            salary = self.payscale.salary(band, point, p["default_pay_point"])
            if salary is None:
                continue
            mult = self.payscale.on_cost_multiplier(
                salary,
                pension_rate=p["employer_pension_rate"],
                ni_rate=p["employer_ni_rate"],
                ni_threshold=p["employer_ni_threshold"],
            )
            rows.append((r.participant, salary * mult / p["paid_hours_per_year"]))
        return pd.DataFrame(rows, columns=["participant", "hourly_cost"]).astype(
            {"participant": object, "hourly_cost": float}
        )

    def _build(self) -> None:
        """The sessions in scope (``S``, filtered) and the driver's own tables; the other blocks
        are built when a computation first reads them (`_need`)."""
        con = self.con
        started = time.perf_counter()
        self._make("S", self.con)
        self._apply_filter()
        self._one_record_per_group()
        self._built.add("S")
        self.timings["S"] = time.perf_counter() - started
        con.execute("CREATE TYPE metric_t AS ENUM (" + ", ".join(_lit(m.id) for m in METRICS) + ")")
        con.execute("CREATE TYPE class_t AS ENUM (" + ", ".join(map(_lit, CLASSES)) + ")")
        for t in ("NUM", "DEN"):
            extra = "key VARCHAR, " if t == "NUM" else ""
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {t} (metric metric_t, class class_t, "
                f"session_id BIGINT, {extra}v DOUBLE)"
            )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE ITEMS (itemset INTEGER, session_id BIGINT, v DOUBLE)"
        )

    def _make(self, name: str, con: duckdb.DuckDBPyConnection) -> None:
        sql = blocks.BLOCKS[name].sql.replace("{study}", _lit(self.tables.study))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def _need(self, tables: Iterable[str], keep: frozenset[str] = frozenset()) -> None:
        """Build the blocks that `tables` read (and they themselves, when blocks), each once:
        driver blocks in the driver's DuckDB, the others on the engine, after handing the
        engine the inputs it has not got yet."""
        order: list[str] = []  # the blocks to build, each after those it reads

        def visit(name: str) -> None:
            if name in self._built or name in order or name not in blocks.BLOCKS:
                return
            for dep in sorted(blocks.BLOCKS[name].inputs):
                visit(dep)
            order.append(name)

        for t in sorted(set(tables)):
            visit(t)
        order = _schedule(order)
        for name in order:
            block = blocks.BLOCKS[name]
            started = time.perf_counter()
            if block.where == "driver":
                self._make(name, self.con)
            else:
                for dep in block.inputs:
                    self._to_engine(dep)
                self.engine.create(name, block.sql.replace("{study}", _lit(self.tables.study)))
                self._on_engine.add(name)
            self._built.add(name)
            took = time.perf_counter() - started
            self.timings[name] = self.timings.get(name, 0.0) + took
            self._block_s += took
            self._drop_intermediates(order, keep)

    def _drop_intermediates(self, order: Sequence[str], keep: frozenset[str]) -> None:
        """Drop the engine blocks of this request (`order`) that no metric reads once every
        block of the request reading them is built (a later computation that needs one again
        rebuilds it), to keep memory down; `keep`: blocks the caller reads next."""
        for name in order:
            block = blocks.BLOCKS[name]
            if (
                name not in self._built
                or block.where == "driver"
                or name in keep
                or name in blocks.read_directly()
            ):
                continue
            readers = [r for r in order if name in blocks.BLOCKS[r].inputs]
            if readers and all(r in self._built for r in readers):
                self.engine.drop(name)
                self._built.discard(name)
                self._on_engine.discard(name)

    def _to_engine(self, name: str) -> None:
        """Hand the engine a driver table or an input (once)."""
        if name in self._on_engine:
            return
        if not self.engine.shares_driver:
            self.engine.put(name, self.con.sql(f"SELECT * FROM {name}").to_arrow_table())
        self._on_engine.add(name)

    def _fetch(self, name: str, sql: str) -> None:
        """The result of a SELECT over blocks, readable as `name` on the driver."""
        self._need(blocks.inputs(sql), keep=blocks.inputs(sql))
        for dep in blocks.inputs(sql):
            if dep not in blocks.BLOCKS:
                self._to_engine(dep)
        self.engine.to_driver(name, sql)

    def _eligibility(self) -> None:
        """``EL``: the sessions each class of metrics counts (all; with a job plan; with a pay
        rate; with demand events)."""
        if "EL" in self._built:
            return
        self._fetch("DMS", "SELECT DISTINCT session_id FROM DM")
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE EL AS
            SELECT session_id, 'all'::class_t AS class FROM S
            UNION ALL SELECT session_id, 'job_plan' FROM S WHERE has_plan
            UNION ALL SELECT session_id, 'pay' FROM S WHERE hourly_cost IS NOT NULL
            UNION ALL SELECT session_id, 'demand' FROM DMS
            """
        )
        self._built.add("EL")

    def _apply_filter(self) -> None:
        self._check_values(self.filter)
        cond = _conditions(self.filter)
        if cond:
            self.con.execute(f"DELETE FROM S WHERE NOT ({cond})")

    def _check_values(self, filter: Mapping[str, Sequence[str]]) -> None:
        """Refuse a filter value that no session has (an empty result would look like one),
        naming the values that exist."""
        for key, values in filter.items():
            if key in ("study", "mode"):  # modes are checked against the known ones
                continue
            if key == "session":
                rows = self.con.execute(
                    "SELECT DISTINCT CAST(session AS VARCHAR) FROM S UNION "
                    "SELECT DISTINCT CAST(source_id AS VARCHAR) FROM S"
                ).fetchall()
            else:
                rows = self.con.execute(f"SELECT DISTINCT CAST({key} AS VARCHAR) FROM S").fetchall()
            present = [r[0] for r in rows if r[0] is not None]
            for value in values:
                if value not in present:
                    raise ValidationError(choices.unknown(key, value, present))

    def _one_record_per_group(self) -> None:
        """With observers='primary', keep one record of each co-observation group among the
        sessions the filter kept (`workweave.analysis.coobservation`)."""
        if self.observers == "all":
            return
        # only sessions that overlap another kept session of their participant can be
        # co-observed (in a pair); every other session is a group of its own and is counted.
        # Ordered by start, a session overlaps an earlier one when the latest end before it
        # lies after its start, and a later one when the next start lies before its end.
        kept = self.con.execute(
            """
            WITH k AS (
                SELECT * FROM sessions_in
                WHERE session_id IN (SELECT session_id FROM S) AND observer IS NOT NULL
            ),
            o AS (
                SELECT session_id,
                       max(greatest(known_end_ms, start_ms)) OVER (
                           PARTITION BY participant ORDER BY start_ms, session_id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach,
                       lead(start_ms) OVER (
                           PARTITION BY participant ORDER BY start_ms, session_id) AS nxt,
                       start_ms, greatest(known_end_ms, start_ms) AS e
                FROM k
            )
            SELECT * FROM k WHERE session_id IN (
                SELECT session_id FROM o WHERE reach > start_ms OR nxt < e
            )
            """
        ).df()
        counted = coobservation.counted_ids(kept, self.observers)
        dropped = sorted({int(x) for x in kept["session_id"]} - counted)
        if dropped:
            self.con.register("dropped_in", pd.DataFrame({"session_id": dropped}))
            self.con.execute(
                "DELETE FROM S WHERE session_id IN (SELECT session_id FROM dropped_in)"
            )
            self.con.unregister("dropped_in")

    # -- per-session parts ---------------------------------------------------------------------
    def _ensure(self, metrics: Sequence[Metric]) -> None:
        num, den = [], []
        # every block the metrics read, built in one request (so intermediates are dropped
        # once, when nothing asked for still reads them)
        wanted: set[str] = set()
        for m in metrics:
            if m.id not in self._done:
                for q in m.sql_for(self.params):
                    if q:
                        wanted |= blocks.inputs(q)
        self._need(wanted)
        for m in metrics:
            if m.id in self._done:
                continue
            n_sql, d_sql = m.sql_for(self.params)
            if m.kind == "ratio":
                num.append(
                    f"SELECT CAST({_lit(m.id)} AS VARCHAR) AS metric, "
                    f"CAST({_lit(m.eligible)} AS VARCHAR) AS class, "
                    f"CAST(session_id AS BIGINT) AS session_id, CAST(key AS VARCHAR) AS key, "
                    f"CAST(v AS DOUBLE) AS v FROM ({n_sql}) q"
                )
                den.append(
                    f"SELECT CAST({_lit(m.id)} AS VARCHAR) AS metric, "
                    f"CAST({_lit(m.eligible)} AS VARCHAR) AS class, "
                    f"CAST(session_id AS BIGINT) AS session_id, CAST(v AS DOUBLE) AS v "
                    f"FROM ({d_sql}) q"
                )
            elif n_sql not in self._itemsets:
                self._itemsets[n_sql] = len(self._itemsets)
                self._fetch(
                    "ITEMS_NEW",
                    f"SELECT CAST(session_id AS BIGINT) AS session_id, CAST(v AS DOUBLE) AS v "
                    f"FROM ({n_sql}) q",
                )
                self.con.execute(
                    f"INSERT INTO ITEMS SELECT {self._itemsets[n_sql]}, session_id, v "
                    "FROM ITEMS_NEW"
                )
            self._done.add(m.id)
        # DuckDB runs one query for all of them; Spark one per metric (its planner is slow on
        # one plan holding dozens of unions)
        size = max(len(num), 1) if self.engine.batch else 1
        for i in range(0, len(num), size):
            self._fetch("NUM_NEW", " UNION ALL ".join(num[i : i + size]))
            self.con.execute("INSERT INTO NUM SELECT * FROM NUM_NEW")
            self._fetch("DEN_NEW", " UNION ALL ".join(den[i : i + size]))
            self.con.execute("INSERT INTO DEN SELECT * FROM DEN_NEW")

    # -- groups --------------------------------------------------------------------------------
    def _groups_by(self, group_by: tuple[str, ...]) -> pd.DataFrame:
        cols = ", ".join(group_by)
        con = self.con
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE G AS SELECT (row_number() OVER (ORDER BY {cols}) - 1)"
            f"::BIGINT AS gid, {cols} FROM (SELECT DISTINCT {cols} FROM S)"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE SG AS SELECT S.session_id, S.obs_ms, G.gid, "
            "(dense_rank() OVER (ORDER BY S.participant) - 1)::BIGINT AS pidx "
            f"FROM S JOIN G USING ({cols})"
        )
        return con.execute(f"SELECT {cols} FROM G ORDER BY gid").df()

    def _groups_of(self, filters: Sequence[Mapping[str, Any]]) -> None:
        """Groups given by filters (a session may fall in several)."""
        parts = []
        for g, f in enumerate(filters):
            checked = _check_filter(f)
            self._check_values(checked)
            cond = _conditions(checked) or "TRUE"
            parts.append(
                f"SELECT session_id, obs_ms, participant, {g}::BIGINT AS gid FROM S WHERE {cond}"
            )
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE SG AS SELECT session_id, obs_ms, gid, "
            "(dense_rank() OVER (ORDER BY participant) - 1)::BIGINT AS pidx FROM ("
            + " UNION ALL ".join(parts)
            + ")"
        )

    # -- estimation ----------------------------------------------------------------------------
    def _estimate(self, chosen: list[Metric], n_groups: int) -> _Estimates:
        """Point estimates per group (ratio of sums, quantiles of items) and the per-participant
        sums the bootstrap needs, for the groups in SG."""
        con = self.con
        ids = [m.id for m in chosen]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE SGE AS SELECT EL.session_id, EL.class, SG.gid, "
            "SG.pidx, SG.obs_ms FROM EL JOIN SG USING (session_id)"
        )
        part_num = con.execute(
            "SELECT e.gid, n.class, e.pidx, n.metric, n.key, sum(n.v) AS v FROM NUM n "
            "JOIN SGE e USING (session_id, class) GROUP BY ALL"
        ).df()
        part_num["metric"] = part_num["metric"].astype(str)
        part_num["class"] = part_num["class"].astype(str)
        keys_found: dict[str, list[str]] = {}
        for mid, key in (
            part_num.loc[part_num["key"].notna(), ["metric", "key"]]
            .drop_duplicates()
            .itertuples(index=False)
        ):
            keys_found.setdefault(mid, []).append(key)
        columns: list[tuple[Metric, str | None]] = []
        for m in chosen:
            if m.key is None:
                columns.append((m, None))
            else:
                ks = list(m.keys) if m.keys else sorted(keys_found.get(m.id, []))
                columns.extend((m, k) for k in ks)
        e = _Estimates(chosen, columns, n_groups, self.params)

        cnt = con.execute(
            "SELECT gid, class, count(DISTINCT pidx) AS np, count(*) AS ns, sum(obs_ms) AS obs "
            "FROM SGE GROUP BY ALL"
        ).df()
        if len(cnt):
            gi = cnt["gid"].to_numpy(int)
            ci = np.array([CLASSES.index(str(c)) for c in cnt["class"]], dtype=int)
            e.n_part[gi, ci] = cnt["np"].to_numpy(float)
            e.n_sess[gi, ci] = cnt["ns"].to_numpy(float)
            e.obs[gi, ci] = cnt["obs"].to_numpy(float)

        # per participant sums (the group totals are their sums)
        part_num["j"] = _col_positions(part_num, e.col_index)
        e.part_num = part_num[part_num["j"] >= 0]
        e.part_den = con.execute(
            "SELECT e.gid, d.class, e.pidx, d.metric, sum(d.v) AS v FROM DEN d "
            "JOIN SGE e USING (session_id, class) GROUP BY ALL"
        ).df()
        e.part_den["metric"] = e.part_den["metric"].astype(str)
        e.part_den["class"] = e.part_den["class"].astype(str)
        e.part_den["m"] = e.part_den["metric"].map({mid: i for i, mid in enumerate(ids)})
        e.part_den = e.part_den[e.part_den["m"].notna()].astype({"m": int})
        np.add.at(
            e.num_tot,
            (e.part_num["gid"].to_numpy(int), e.part_num["j"].to_numpy(int)),
            e.part_num["v"].to_numpy(float),
        )
        den_tot = np.zeros((n_groups, len(chosen)))
        np.add.at(
            den_tot,
            (e.part_den["gid"].to_numpy(int), e.part_den["m"].to_numpy(int)),
            e.part_den["v"].to_numpy(float),
        )
        e.den_cols = den_tot[:, e.metric_of]
        with np.errstate(divide="ignore", invalid="ignore"):
            e.est = (
                np.where(
                    e.den_cols > 0, e.num_tot / np.where(e.den_cols > 0, e.den_cols, 1.0), np.nan
                )
                * e.scale
            )
        e.members = {
            (int(g), str(c)): np.sort(d["pidx"].to_numpy(np.int64))
            for (g, c), d in con.execute("SELECT DISTINCT gid, class, pidx FROM SGE")
            .df()
            .astype({"class": str})
            .groupby(["gid", "class"], sort=False)
        }
        # quantile metrics: items per group
        for jq in np.flatnonzero(e.is_quant):
            sql, _ = columns[jq][0].sql_for(self.params)
            e.item_cols.setdefault(sql, []).append(int(jq))
        for sql, jjs in e.item_cols.items():
            arr = con.execute(
                "SELECT SG.gid, SG.pidx, i.v FROM ITEMS i JOIN SG USING (session_id) "
                "WHERE i.itemset = $1 ORDER BY SG.gid, i.v, SG.pidx",
                [self._itemsets[sql]],
            ).fetchnumpy()
            gid = np.asarray(arr["gid"], dtype=np.int64)
            pix = np.asarray(arr["pidx"], dtype=np.int64)
            val = np.asarray(arr["v"], dtype=np.float64)
            bounds = np.searchsorted(gid, np.arange(n_groups + 1))
            e.items[sql] = (pix, val, bounds)
            for g in range(n_groups):
                vals = val[bounds[g] : bounds[g + 1]]
                for jj in jjs:
                    q = columns[jj][0].quantile or 0.5
                    e.est[g, jj] = stats.quantile_sorted(vals, q) * e.scale[jj]
        # domain-based metrics of groups without a domain mapping are undefined, not 0
        mapped = np.zeros(n_groups, dtype=bool)
        found = con.execute(
            "SELECT DISTINCT SG.gid FROM SG JOIN S USING (session_id) "
            "SEMI JOIN (SELECT tpl FROM cats_in WHERE domain <> 'other') c USING (tpl)"
        ).fetchnumpy()["gid"]
        mapped[np.asarray(found, dtype=np.int64)] = True
        needs = np.array([m.needs_domains for m, _ in columns], dtype=bool)
        e.no_domains = ~mapped[:, None] & needs[None, :]
        e.est[e.no_domains] = np.nan
        return e

    def compute(
        self,
        *,
        by: Sequence[str] | str | None = None,
        metrics: Iterable[str] | str | None = None,
        seed: int | None = None,
        B: int = BOOTSTRAP_REPLICATES,
        confidence: float = 0.95,
        poisson: bool = False,
        flag_below: int = FLAG_BELOW,
        interval: str = INTERVAL_METHOD,
    ) -> pd.DataFrame:
        """One row per group × metric (× key): estimate, interval, n and flag.

        interval: ``t`` (cluster-robust t on G − 1 degrees of freedom) or ``percentile``
        (percentile cluster bootstrap); see `workweave.analysis.metrics.stats`."""
        group_by = _check_by(by)
        chosen = _choose(metrics)
        _check_stats(B, confidence, interval)
        started = time.perf_counter()
        blocks_before = self._block_s
        self._ensure(chosen)
        self._eligibility()
        self.timings["metric sql"] = time.perf_counter() - started - (self._block_s - blocks_before)
        started = time.perf_counter()
        groups = self._groups_by(group_by)
        n_groups = len(groups)
        labels = [tuple(r) for r in groups.itertuples(index=False)]
        e = self._estimate(chosen, n_groups)
        self.timings["estimates"] = time.perf_counter() - started
        started = time.perf_counter()
        lo = np.full(e.est.shape, np.nan)
        hi = np.full(e.est.shape, np.nan)
        if B > 0:
            for g in range(n_groups):
                for c in range(len(CLASSES)):
                    cols_c = np.flatnonzero(e.class_of == c)
                    if not len(cols_c) or e.n_part[g, c] < 2:
                        continue
                    pidx = e.members.get((g, CLASSES[c]), np.zeros(0, dtype=np.int64))
                    lo[g, cols_c], hi[g, cols_c] = e.interval(
                        g,
                        c,
                        cols_c,
                        pidx,
                        stats.group_rng(seed, labels[g], c),
                        B,
                        confidence,
                        interval,
                    )
        lo[e.no_domains] = np.nan
        hi[e.no_domains] = np.nan
        out = pd.DataFrame(
            {k: np.repeat(groups[k].to_numpy(object), e.J) for k in group_by}
            | e.describe(n_groups)
            | {
                "estimate": e.est.ravel(),
                "ci_low": lo.ravel(),
                "ci_high": hi.ravel(),
                "n_participants": e.n_part[:, e.class_of].ravel().astype(int),
                "n_sessions": e.n_sess[:, e.class_of].ravel().astype(int),
                "observed_hours": e.obs[:, e.class_of].ravel() / HOUR,
            }
        )
        out["flag"] = _flags(
            out["n_participants"].to_numpy(), e.est.ravel(), flag_below, e.no_domains.ravel()
        )
        self.timings["bootstrap"] = time.perf_counter() - started
        if poisson:
            plo, phi = stats.poisson_interval(e.num_tot, e.den_cols / HOUR, confidence)
            rate = e.count_rate[None, :] & ~e.no_domains
            out["poisson_low"] = np.where(rate, plo, np.nan).ravel()
            out["poisson_high"] = np.where(rate, phi, np.nan).ravel()
        self._attrs(out, B, seed, confidence, interval)
        out.attrs["by"] = list(group_by)
        return out

    def time_budget(
        self, *, by: Sequence[str] | str | None = None, overlap: str = "sum"
    ) -> pd.DataFrame:
        """Per group and category: bouts, total, mean and SD duration (minutes) and % of
        observed time (`workweave.analysis.metrics.budget`; ``overlap`` 'sum' or 'union')."""
        if overlap not in budget.OVERLAP:
            raise ValidationError(
                f"unknown overlap '{overlap}' (choose from: {', '.join(budget.OVERLAP)})"
            )
        group_by = _check_by(by)
        light = overlap == "sum" and "T" not in self._built
        self._fetch("BI", budget.LIGHT_SUM if light else budget.ITEMS[overlap])
        self._fetch("CNB", "SELECT cat, category FROM CN")
        groups = self._groups_by(group_by)
        agg = self.con.execute(budget.aggregate_sql()).fetchnumpy()
        grp = self.con.execute(budget.GROUPS_SQL).fetchnumpy()
        # the grid: every group × every category found in scope, by group then category name
        present = np.unique(np.asarray(agg["cat"], dtype=np.int64))
        names = dict(
            self.con.execute(
                "SELECT cat, category FROM CNB WHERE cat IN (SELECT unnest($1::BIGINT[]))",
                [present.tolist()],
            ).fetchall()
        )
        cats = sorted((str(names[int(c)]), int(c)) for c in present if int(c) in names)
        cat_pos = np.full(int(present.max()) + 1 if len(present) else 1, -1, dtype=np.int64)
        for pos, (_, c) in enumerate(cats):
            cat_pos[c] = pos
        n_cat = len(cats)
        ggid = np.asarray(grp["gid"], dtype=np.int64)
        g_pos = np.full(len(groups), -1, dtype=np.int64)
        g_pos[ggid] = np.arange(len(ggid))
        n = len(ggid) * n_cat
        bouts = np.zeros(n, dtype=np.int64)
        total = np.zeros(n)
        mean = np.full(n, np.nan)
        sd = np.full(n, np.nan)
        if n:
            acat = cat_pos[np.asarray(agg["cat"], dtype=np.int64)]
            keep = acat >= 0
            at = g_pos[np.asarray(agg["gid"], dtype=np.int64)[keep]] * n_cat + acat[keep]
            bouts[at] = np.asarray(agg["bouts"], dtype=np.int64)[keep]
            total[at] = np.asarray(agg["total"], dtype=np.float64)[keep]
            mean[at] = _floats(agg["mean"])[keep]
            sd[at] = _floats(agg["sd"])[keep]
        gid = np.repeat(ggid, n_cat)
        obs = np.repeat(np.asarray(grp["obs"], dtype=np.float64), n_cat)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(obs > 0, 100.0 * total / obs, np.nan)
        category = pd.Series([name for name, _ in cats], dtype="str").array
        if light:  # T's parts, kept for this query only
            for name in sorted(blocks.inputs(budget.LIGHT_SUM) - blocks.read_directly()):
                self.engine.drop(name)
                self._built.discard(name)
                self._on_engine.discard(name)
        out = pd.DataFrame(
            {k: groups[k].array.take(gid) for k in group_by}
            | {
                "category": category.take(np.tile(np.arange(n_cat), len(ggid))),
                "bouts": bouts,
                "total_min": total / 60_000.0,
                "mean_min": mean / 60_000.0,
                "sd_min": sd / 60_000.0,
                "pct_observed": pct,
                "n_participants": np.repeat(np.asarray(grp["np"], dtype=np.int64), n_cat),
                "n_sessions": np.repeat(np.asarray(grp["ns"], dtype=np.int64), n_cat),
                "observed_hours": obs / HOUR,
            }
        )
        out.attrs["by"] = list(group_by)
        out.attrs["overlap"] = overlap
        out.attrs["filter"] = dict(self.filter)
        out.attrs["study"] = self.tables.study
        return out

    def compare(
        self,
        a: Mapping[str, Any],
        b: Mapping[str, Any],
        *,
        metrics: Iterable[str] | str | None = None,
        seed: int | None = None,
        B: int = BOOTSTRAP_REPLICATES,
        confidence: float = 0.95,
        flag_below: int = FLAG_BELOW,
        interval: str = INTERVAL_METHOD,
    ) -> pd.DataFrame:
        """Group (or period) a minus group b, per metric, with a bootstrap interval.

        Participants are resampled within strata: only in a, only in b, in both (resampled
        once for both sides, so a comparison of periods of the same people is paired).
        interval ``t``: the difference ± t × the replicates' SE, on G − k degrees of freedom
        (G participants resampled in k non-empty strata); ``percentile``: the replicates'
        percentile interval.
        """
        chosen = _choose(metrics)
        _check_stats(B, confidence, interval)
        self._ensure(chosen)
        self._eligibility()
        self._groups_of([a, b])
        e = self._estimate(chosen, 2)
        diff = e.est[0] - e.est[1]
        no_domains = e.no_domains[0] | e.no_domains[1]
        lo = np.full(e.J, np.nan)
        hi = np.full(e.J, np.nan)
        if B > 0:
            label = (repr(sorted(a.items())), repr(sorted(b.items())))
            for c in range(len(CLASSES)):
                cols_c = np.flatnonzero(e.class_of == c)
                pa = e.members.get((0, CLASSES[c]), np.zeros(0, dtype=np.int64))
                pb = e.members.get((1, CLASSES[c]), np.zeros(0, dtype=np.int64))
                if not len(cols_c) or not len(pa) or not len(pb):
                    continue
                union = np.union1d(pa, pb)
                in_a, in_b = np.isin(union, pa), np.isin(union, pb)
                rng = stats.group_rng(seed, label, c)
                w = np.zeros((B, len(union)))
                for stratum in (in_a & ~in_b, ~in_a & in_b, in_a & in_b):
                    idx = np.flatnonzero(stratum)
                    w[:, idx] = stats.cluster_weights(rng, len(idx), B)
                ra = e.replicates(0, c, cols_c, pa, w[:, in_a])
                rb = e.replicates(1, c, cols_c, pb, w[:, in_b])
                if interval == "percentile":
                    lo[cols_c], hi[cols_c] = stats.percentile_interval(ra - rb, confidence)
                else:
                    strata = sum(1 for s in (in_a & ~in_b, ~in_a & in_b, in_a & in_b) if s.any())
                    lo[cols_c], hi[cols_c] = stats.replicate_t_interval(
                        diff[cols_c], ra - rb, len(union), confidence, strata
                    )
        cls = e.class_of
        out = pd.DataFrame(
            e.describe(1)
            | {
                "estimate_a": e.est[0],
                "estimate_b": e.est[1],
                "difference": diff,
                "ci_low": lo,
                "ci_high": hi,
                "n_participants_a": e.n_part[0, cls].astype(int),
                "n_participants_b": e.n_part[1, cls].astype(int),
                "n_sessions_a": e.n_sess[0, cls].astype(int),
                "n_sessions_b": e.n_sess[1, cls].astype(int),
                "observed_hours_a": e.obs[0, cls] / HOUR,
                "observed_hours_b": e.obs[1, cls] / HOUR,
            }
        )
        fewest = np.minimum(e.n_part[0, cls], e.n_part[1, cls])
        out.loc[no_domains, ["ci_low", "ci_high"]] = np.nan
        out["flag"] = _flags(fewest, diff, flag_below, no_domains)
        self._attrs(out, B, seed, confidence, interval)
        out.attrs["a"] = dict(a)
        out.attrs["b"] = dict(b)
        return out

    def _attrs(
        self, out: pd.DataFrame, B: int, seed: int | None, confidence: float, interval: str
    ) -> None:
        out.attrs["parameters"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()
        }
        out.attrs["payscale"] = {
            "name": self.payscale.name,
            "title": self.payscale.title,
            "source": self.payscale.source,
            "on_costs": self.payscale.on_cost_source,
        }
        out.attrs["bootstrap"] = {
            "B": B,
            "seed": seed,
            "confidence": confidence,
            "interval": interval,
        }
        out.attrs["filter"] = dict(self.filter)
        out.attrs["observers"] = self.observers
        out.attrs["study"] = self.tables.study

    def items(self, metric: str) -> pd.DataFrame:
        """The items a quantile metric is computed from (one row per task, undivided clinical
        stretch or management episode...), in the metric's unit: ``session_id``, the grouping
        keys of the session and ``value``. The same rows the estimate's quantile is taken
        over (the registry's SQL, the filter and co-observation rule of this engine)."""
        m = get(metric)
        if m.kind != "quantile":
            raise ValidationError(
                f"metric '{metric}' is a ratio: it has no items (quantile metrics have them)"
            )
        self._ensure([m])
        sql, _ = m.sql_for(self.params)
        keys = ", ".join(f"S.{k}" for k in GROUP_KEYS if k not in ("study", "session"))
        df = self.con.execute(
            f"SELECT i.session_id, {keys}, i.v * $2 AS value FROM ITEMS i "
            "JOIN S USING (session_id) WHERE i.itemset = $1 ORDER BY i.session_id, value",
            [self._itemsets[sql], m.scale_for(self.params)],
        ).df()
        df.attrs.update(metric=m.id, unit=m.unit, label=m.label)
        return df

    def close(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.close()
        self.con.close()

    def __enter__(self) -> Metrics:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Estimates:
    """Point estimates and bootstrap inputs for the groups in SG (G groups × J columns)."""

    def __init__(
        self,
        chosen: list[Metric],
        columns: list[tuple[Metric, str | None]],
        n_groups: int,
        params: Mapping[str, Any],
    ) -> None:
        self.chosen = chosen
        self.columns = columns
        self.J = len(columns)
        self.col_index = {(m.id, _NONE if k is None else k): j for j, (m, k) in enumerate(columns)}
        self.metric_of = np.array([chosen.index(m) for m, _ in columns], dtype=int)
        self.is_quant = np.array([m.kind == "quantile" for m, _ in columns], dtype=bool)
        self.class_of = np.array(
            [CLASSES.index("all" if m.kind == "quantile" else m.eligible) for m, _ in columns],
            dtype=int,
        )
        self.scale = np.array([m.scale_for(params) for m, _ in columns], dtype=float)
        self.count_rate = np.array([m.count_rate for m, _ in columns], dtype=bool)
        self.n_part = np.zeros((n_groups, len(CLASSES)))
        self.n_sess = np.zeros((n_groups, len(CLASSES)))
        self.obs = np.zeros((n_groups, len(CLASSES)))
        self.num_tot = np.zeros((n_groups, self.J))
        self.den_cols = np.zeros((n_groups, self.J))
        self.est = np.full((n_groups, self.J), np.nan)
        self.no_domains = np.zeros((n_groups, self.J), dtype=bool)
        self.part_num = pd.DataFrame()
        self.part_den = pd.DataFrame()
        self.members: dict[tuple[int, str], np.ndarray] = {}
        self.item_cols: dict[str, list[int]] = {}
        self.items: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._num_by: dict[int, pd.DataFrame] | None = None
        self._den_by: dict[int, pd.DataFrame] | None = None
        self._binned: dict[tuple[str, int, bytes], tuple[np.ndarray, ...]] = {}

    def describe(self, n_groups: int) -> dict[str, np.ndarray]:
        def tile(values: list[Any]) -> np.ndarray:
            return np.tile(np.array(values, dtype=object), n_groups)

        return {
            "metric": tile([m.id for m, _ in self.columns]),
            "key": tile([k for _, k in self.columns]),
            "label": tile([m.label for m, _ in self.columns]),
            "unit": tile([m.unit for m, _ in self.columns]),
        }

    def interval(
        self,
        g: int,
        c: int,
        cols: np.ndarray,
        pidx: np.ndarray,
        rng: np.random.Generator,
        B: int,
        confidence: float,
        method: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interval bounds of group g's columns `cols` (all of class c) by `method`."""
        if method == "percentile":
            w = stats.cluster_weights(rng, len(pidx), B)
            return stats.percentile_interval(self.replicates(g, c, cols, pidx, w), confidence)
        lo = np.full(len(cols), np.nan)
        hi = np.full(len(cols), np.nan)
        ratio = ~self.is_quant[cols]
        if ratio.any():
            rcols = cols[ratio]
            N, D = self.cluster_sums(g, c, rcols, pidx)
            rlo, rhi = stats.ratio_t_interval(N, D[:, self.metric_of[rcols]], confidence)
            lo[ratio] = rlo * self.scale[rcols]
            hi[ratio] = rhi * self.scale[rcols]
        if (~ratio).any():
            qcols = cols[~ratio]
            w = stats.cluster_weights(rng, len(pidx), B)
            reps = self.replicates(g, c, qcols, pidx, w)
            est = self.est[g, qcols]
            qlo, qhi = stats.replicate_t_interval(est, reps, len(pidx), confidence)
            # a quantile lies within the range of its items
            for pos, jj in enumerate(qcols):
                sql = next(s for s, js in self.item_cols.items() if jj in js)
                _, val, bounds = self.items[sql]
                vals = val[bounds[g] : bounds[g + 1]]
                if vals.size and not np.isnan(qlo[pos]):
                    qlo[pos] = max(qlo[pos], vals[0] * self.scale[jj])
                    qhi[pos] = min(qhi[pos], vals[-1] * self.scale[jj])
            lo[~ratio], hi[~ratio] = qlo, qhi
        return lo, hi

    def cluster_sums(
        self, g: int, c: int, rcols: np.ndarray, pidx: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-participant numerators (len(pidx) × len(rcols)) of group g's ratio columns
        `rcols` of class c, and denominators (len(pidx) × metrics chosen)."""
        if self._num_by is None:
            self._num_by = dict(tuple(self.part_num.groupby("gid", sort=False)))
            self._den_by = dict(tuple(self.part_den.groupby("gid", sort=False)))
        local = np.full(self.J, -1, dtype=int)
        local[rcols] = np.arange(len(rcols))
        N = np.zeros((len(pidx), len(rcols)))
        D = np.zeros((len(pidx), len(self.chosen)))
        gn = self._num_by.get(g)
        if gn is not None:
            sub = gn[gn["class"] == CLASSES[c]]
            cc = local[sub["j"].to_numpy(int)]
            keep = cc >= 0
            rows = np.searchsorted(pidx, sub["pidx"].to_numpy(np.int64))
            np.add.at(N, (rows[keep], cc[keep]), sub["v"].to_numpy(float)[keep])
        gd = (self._den_by or {}).get(g)
        if gd is not None:
            sub = gd[gd["class"] == CLASSES[c]]
            rows = np.searchsorted(pidx, sub["pidx"].to_numpy(np.int64))
            np.add.at(D, (rows, sub["m"].to_numpy(int)), sub["v"].to_numpy(float))
        return N, D

    def replicates(
        self, g: int, c: int, cols: np.ndarray, pidx: np.ndarray, w: np.ndarray
    ) -> np.ndarray:
        """B × len(cols) replicate estimates of group g's columns of class c, for weights w
        over the participants `pidx` (sorted)."""
        B = w.shape[0]
        out = np.full((B, len(cols)), np.nan)
        ratio = ~self.is_quant[cols]
        rcols = cols[ratio]
        if len(rcols):
            N, D = self.cluster_sums(g, c, rcols, pidx)
            reps = stats.ratio_replicates(w, N, D[:, self.metric_of[rcols]])
            out[:, np.flatnonzero(ratio)] = reps * self.scale[rcols]
        for pos in np.flatnonzero(~ratio):
            jj = int(cols[pos])
            sql = next(s for s, js in self.item_cols.items() if jj in js)
            pix, val, bounds = self.items[sql]
            vals = val[bounds[g] : bounds[g + 1]]
            if not vals.size or not len(pidx):
                continue
            # the resampled counts serve every quantile of these items and weights
            key = (sql, g, pidx.tobytes())
            cached = self._binned.get(key)
            if cached is None or cached[0] is not w:
                local = np.full(int(max(pidx.max(), pix.max(initial=0))) + 1, 0, dtype=np.int64)
                local[pidx] = np.arange(len(pidx))
                rows = local[pix[bounds[g] : bounds[g + 1]]]
                counts, uniq = stats.binned_counts(vals, rows, len(pidx))
                cached = (w, stats.resampled_cumcounts(w, counts), uniq)
                self._binned = {key: cached}
            _, cum, uniq = cached
            q = self.columns[jj][0].quantile or 0.5
            out[:, pos] = stats.quantiles_from_cumcounts(cum, uniq, q) * self.scale[jj]
        return out


_SQL_TYPES = {"Int64": "BIGINT", "boolean": "BOOLEAN", "float64": "DOUBLE", "object": "VARCHAR"}


def _schedule(names: Sequence[str]) -> list[str]:
    """`names` (blocks, each after those it reads) reordered so that the readers of the
    earliest-built table of the list come first: an intermediate's readers are built soon
    after it, so it can be dropped before the next large table is built."""
    todo = list(names)
    pos: dict[str, int] = {}
    out: list[str] = []
    while todo:
        ready = [n for n in todo if not (blocks.BLOCKS[n].inputs & set(todo))]

        def age(n: str) -> tuple[int, int]:
            built = [pos[d] for d in blocks.BLOCKS[n].inputs if d in pos]
            return (min(built) if built else len(names), todo.index(n))

        pick = min(ready, key=age)
        pos[pick] = len(out)
        out.append(pick)
        todo.remove(pick)
    return out


def _floats(column: Any) -> np.ndarray:
    """A fetched numeric column as floats, NULL as NaN."""
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column.astype(np.float64), np.nan)
    return np.asarray(column, dtype=np.float64)


def _typed(frame: Any, name: str, raw: str) -> str:
    """The SELECT reading canonical table `name` (registered as `raw`) with its columns' types
    fixed: identifiers and instants BIGINT, text VARCHAR (dictionary-encoded columns decoded),
    so that every engine receives the same types whatever the frame held."""
    from workweave.analysis.metrics.tables import TABLE_COLUMNS, _dtype

    names = getattr(frame, "column_names", None)
    present = set(names if names is not None else getattr(frame, "columns", []))
    cols = []
    for c in TABLE_COLUMNS[name]:
        t = _SQL_TYPES[_dtype(c)]
        cols.append(
            f'CAST("{c}" AS {t}) AS "{c}"' if c in present else f'CAST(NULL AS {t}) AS "{c}"'
        )
    return f"SELECT {', '.join(cols)} FROM {raw}"


def _conditions(filter: Mapping[str, Sequence[str]]) -> str:
    conds = []
    for key, values in filter.items():
        vals = ", ".join(_lit(v) for v in values)
        if key == "session":
            conds.append(f"(session IN ({vals}) OR source_id IN ({vals}))")
        else:
            conds.append(f"CAST({key} AS VARCHAR) IN ({vals})")
    return " AND ".join(conds)


def _check_stats(B: int, confidence: float, interval: str = INTERVAL_METHOD) -> None:
    if B < 0:
        raise ValidationError("the number of bootstrap replicates must not be negative")
    if not 0 < confidence < 1:
        raise ValidationError("confidence must be between 0 and 1")
    if interval not in stats.INTERVAL_METHODS:
        raise ValidationError(
            f"unknown interval method '{interval}' "
            f"(choose from: {', '.join(stats.INTERVAL_METHODS)})"
        )


def _flags(
    n_participants: np.ndarray,
    estimate: np.ndarray,
    flag_below: int,
    no_domains: np.ndarray | None = None,
) -> np.ndarray:
    """Each estimate's flag: from fewer than `flag_below` participants, undefined (with the
    reason when it is known: no domain mapping), both."""
    flags = np.full(len(estimate), "", dtype=object)
    few = np.asarray(n_participants) < flag_below
    undefined = np.isnan(np.asarray(estimate, dtype=float))
    reason = np.full(len(estimate), "undefined", dtype=object)
    if no_domains is not None:
        reason[np.asarray(no_domains, dtype=bool)] = f"undefined: {NO_DOMAINS}"
    flags[few] = f"fewer than {flag_below} participants"
    flags[undefined & few] = f"fewer than {flag_below} participants; " + reason[undefined & few]
    flags[undefined & ~few] = reason[undefined & ~few]
    return flags


def _col_positions(df: pd.DataFrame, col_index: Mapping[tuple[str, str], int]) -> np.ndarray:
    if not len(df):
        return np.zeros(0, dtype=int)
    # one lookup per distinct (metric, key), not per row
    keys = df["key"].astype(object).where(df["key"].notna(), _NONE)
    pairs = pd.MultiIndex.from_arrays([df["metric"].astype(object), keys])
    codes, uniq = pd.factorize(pairs)
    found = np.fromiter((col_index.get(u, -1) for u in uniq), dtype=int, count=len(uniq))
    return found[codes]


def _check_by(by: Sequence[str] | str | None) -> tuple[str, ...]:
    return choices.group_keys(by, GROUP_KEYS)


def _check_filter(filter: Mapping[str, Any] | None) -> dict[str, list[str]]:
    out = choices.filter_values(filter, GROUP_KEYS)
    if bad := [v for v in out.get("mode", []) if v not in MODES]:
        raise ValidationError(f"no session mode '{bad[0]}' (choose from: {', '.join(MODES)})")
    return out


def _choose(metrics: Iterable[str] | str | None) -> list[Metric]:
    if metrics is None:
        return list(METRICS)
    items = [metrics] if isinstance(metrics, str) else list(metrics)
    wanted = {get(i).id for item in items for i in str(item).split(",") if i.strip()}
    return [m for m in METRICS if m.id in wanted]


def parse_assignments(items: Iterable[str], what: str = "filter") -> dict[str, list[str]]:
    """``key=value`` strings (values may be comma-separated) as a mapping."""
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"{what} '{item}' is not key=value")
        out.setdefault(key.strip(), []).extend(
            v.strip() for v in value.split(",") if v.strip() != ""
        )
    return out


__all__ = [
    "CLASSES",
    "GROUP_KEYS",
    "PARAMETERS",
    "REGISTRY",
    "RESULT_COLUMNS",
    "Metrics",
    "parse_assignments",
]
