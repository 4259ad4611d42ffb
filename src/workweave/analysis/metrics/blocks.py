"""Building blocks: the interval logic every metric reads, as set-based SQL over named tables.

Each block is one SELECT (`Block`), written once in DuckDB's dialect, over named input tables
and other blocks; the tables it reads are found in its SQL (`inputs`), so a computation builds
only the blocks its metrics reach. The engine runs a block on DuckDB as written, or on Spark
after SQLGlot has transpiled it (`workweave.analysis.metrics.engines`); the SQL keeps to what
both run alike (no enum types, no ASOF joins, ``generate_series`` with inclusive ends).
Blocks marked ``driver`` (``S`` and ``PL``: one row per session or planned interval, and the
only ones that read time zones) always run in the driver's DuckDB and are handed to the engine
as inputs, so local dates and daylight-saving changes follow one implementation. Other
modules add their blocks with `register`.

Inputs (registered by the engine): ``sessions_in``, ``tasks_in``, ``susp_in``, ``dims_in``,
``events_in``, ``plans_in`` (job-plan sessions with a numeric category code),
``plan_blocks_in`` and ``plan_sessions_in`` (a dated plan such as a calendar: blocks
``[a, b)`` with a code, and the sessions such a plan covers), ``cats_in``
(category -> domain and job-plan code per template), ``pay_in`` (hourly cost per participant)
and ``fam_in`` (dimension names -> 'with' / 'how' / 'where'). Instants are epoch milliseconds,
UTC. No step loops over tasks: every block is a join, an aggregate or a window.

Blocks, in order:

``S``   sessions in scope: grouping keys, window ``[s0, s1)``, ``obs_ms``, job plan and pay.
``CK``  the category key of each recorded category value (``raw``, with ``raw_null`` for a
        missing one) per template number ``tpl`` in scope: its category number ``cat``
        (numbered in the order of the category names, so ordering by ``cat`` orders by name),
        its domain number ``dom`` (`DOMAIN_CODES`; names in ``dom_in``) and job-plan code
        ``jp``. The large blocks carry these small integers, not strings.
``CN``  category numbers -> names (``cat``, ``category``), joined back in the per-session
        cubes (``PC``, ``PSC``) and by the time budget.
``T0``  tasks clipped to their session's window with their ``cat``, ``dom``, ``jp`` (one
        row of ``CK`` each), known end and foreground priority ``prio``.
``XN``  per task with suspensions: their count and whether one is never resumed.
``TX``  per suspended task: suspension count, never-resumed flag, whether suspensions cut
        its window (``cut``), the time suspended (``XU``) and its first active instant.
``T``   tasks clipped to their session's window (a blank category reads ``(uncoded)``,
        `UNCODED`), with domain, job-plan code (``jp``),
        suspension counts, never-resumed flag, active time and first active instant.
``XE``  interruption events from suspensions: the suspensions of one session that name the
        same interrupting task (``by_key``) and start at the same instant are one event
        (``n_susp`` the tasks it suspended); a suspension naming no interrupting task is an
        event of its own (`workweave.domain.observation.Session.interruption_events`).
``XS``  the suspensions clipped to their task's window.
``XR``  per task with suspensions inside its window: the runs of its suspensions (ordered by
        start; a running max of ends starts a new run where a suspension begins after it,
        so suspensions that overlap or touch are one run), each ``[rs, re)``.
``XU``  the length of a task's runs together: the union of its suspensions, so a task's active
        time is its span less this (`ACTIVE_MS`).
``PX``  the active pieces of the tasks with suspensions: the gaps of the task's window between
        its runs (before the first, between two, after the last), those of positive length;
        ``P`` adds the tasks without, one piece each.
``P``   active pieces: each task's ``[start, end)`` minus the union of its suspensions.
``PL``  planned job-plan intervals: each session's local dates (in the site's time zone)
        crossed with the participant's weekly sessions, local clock times turned into
        instants with ``timezone()`` (so sessions keep their local hours across daylight-
        saving changes), clipped to the session window; and dated planned blocks
        (``plan_blocks_in``) clipped to the window of the sessions their plan covers.
``W``   the timeline sweep: piece, plan and session boundaries as +/- events per session,
        ordered by time; one running sum (of the four counts packed into 16-bit fields of
        one integer) gives at every boundary the number of active tasks ``k``, of active
        clinical ``kc`` and managerial ``km`` tasks, and the code of the planned session in
        force ``pc`` (0 = outside contracted hours). ``WP`` keeps the segments of positive
        length ``[t, nt)``, where every event at ``t`` has been counted.
``ENDS`` each piece's row numbers of its own start and end events in ``W``, with the piece's
        attributes (so ``PS`` does not read ``P``, which can be dropped before it is built).
``PS``  each piece crossed with the timeline segments it spans (the rows of ``ENDS``), so
        time can be weighted per segment (1/k, plan code).
``FG``  the foreground timeline: for each segment with an active task, the active task that
        started most recently (ties: the later recorded), ``arg_max`` over ``PS`` (a segment
        with one active task needs no arg_max).
``EP``  management episodes: maximal runs of contiguous foreground segments whose task is
        managerial; a run starts where the previous such segment does not end at its start,
        and its length is the difference of running sums of segment lengths.
``CS``  clinical stretches: the same for runs of contiguous segments with exactly one active
        task, which is clinical.
``TD``  dimension values of tasks ('with', 'how', 'where'): the active time of the tasks
        carrying each value, per session.
``CB``  category bouts for the time budget: per session and category, the maximal
        intervals covered by active pieces of the category (pieces that overlap or touch
        merge): a running max of piece ends, a new bout where a piece starts after it.
``PC``, ``PSC``, ``WC``, ``TSK``  the same time summed per session and attribute, so that
        metrics scan small tables: active time of pieces by category/domain/job-plan code
        (``PC``); piece time and time-sliced piece time (``sliced`` = Σ len/k) by category,
        domain and planned session (``PSC``); timeline time by k, kc, km and planned session
        (``WC``); tasks that start active, by the number of tasks active then (``TSK``, k
        capped at 3). ``WPX`` keeps the segments of the sessions with a task that is not
        active at its start.
``EV``  point events of sessions in scope; ``DM`` demand events inside session windows.

Job-plan category codes: 1 DCC, 2 SPA, 3 ANR, 4 ED, 5 management.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp

from workweave.domain.template import DOMAINS

PLAN_CODES: dict[str, int] = {"DCC": 1, "SPA": 2, "ANR": 3, "ED": 4, "management": 5}
UNCODED = "(uncoded)"
"""The category key of tasks recorded without a category."""


@dataclass(frozen=True)
class Block:
    """One named table: a SELECT (DuckDB dialect) over input tables and other blocks.

    ``where`` is ``engine`` (run by the chosen engine) or ``driver`` (always run in the
    driver's DuckDB, then handed to the engine as an input)."""

    name: str
    sql: str
    where: Literal["engine", "driver"] = "engine"

    @property
    def inputs(self) -> frozenset[str]:
        return inputs(self.sql)


@functools.lru_cache(maxsize=1024)
def inputs(sql: str) -> frozenset[str]:
    """The tables a SELECT reads (its common table expressions set aside)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes)


BLOCKS: dict[str, Block] = {}
"""Every block by name (the shadowing blocks below; other modules `register` theirs)."""


def register(*blocks: Block) -> None:
    """Add blocks (a name may be defined once)."""
    for b in blocks:
        if b.name in BLOCKS and BLOCKS[b.name] != b:
            raise ValueError(f"block {b.name} is defined twice")
        BLOCKS[b.name] = b


def needed(tables: frozenset[str] | set[str]) -> list[str]:
    """The blocks that must exist before `tables` can be read, in an order that builds each
    after the blocks it reads (input tables that are not blocks are left out)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in BLOCKS:
            return
        seen.add(name)
        for dep in sorted(BLOCKS[name].inputs):
            visit(dep)
        order.append(name)

    for t in sorted(tables):
        visit(t)
    return order


@functools.lru_cache(maxsize=1)
def read_directly() -> frozenset[str]:
    """Blocks that metrics or the time budget read (kept while the engine is open)."""
    from workweave.analysis.metrics.budget import ITEMS
    from workweave.analysis.metrics.registry import METRICS

    names: set[str] = set()
    for m in METRICS:
        names |= inputs(m.sql.replace("{", "(").replace("}", ")"))
        if m.den_sql:
            names |= inputs(m.den_sql)
    for sql in ITEMS.values():
        names |= inputs(sql)
    return frozenset(names)


DOMAIN_CODES: dict[str, int] = {d: i for i, d in enumerate(DOMAINS, start=1)}
"""The number standing for each domain in the large blocks (``dom``; names in ``dom_in``)."""
CLINICAL = DOMAIN_CODES["clinical"]
MANAGERIAL = DOMAIN_CODES["managerial"]

ACTIVE_MS = "(t.b0 - t.a0)::DOUBLE - coalesce(x.suspended, 0)"
"""A task's active time: its clipped span less the union of its suspensions within it (``t``
a row of ``T0``, ``x`` its row of ``TX`` or ``XU``, if any). Equal, to the millisecond, to
the sum of its active pieces in ``P``."""

CATEGORY = (
    "CASE WHEN trim(coalesce(CAST({c} AS VARCHAR), '')) = '' THEN '(uncoded)' "
    "ELSE CAST({c} AS VARCHAR) END"
)

register(
    Block(
        "S",
        """
SELECT s.session_id::BIGINT AS session_id,
       {study} AS study,
       coalesce(CAST(s.session_key AS VARCHAR), '') AS session,
       coalesce(CAST(s.source_id AS VARCHAR), CAST(s.session_key AS VARCHAR), '') AS source_id,
       coalesce(CAST(s.participant AS VARCHAR), '') AS participant,
       coalesce(CAST(s.site AS VARCHAR), '') AS site,
       coalesce(CAST(s.profession AS VARCHAR), '') AS profession,
       coalesce(CAST(s.band AS VARCHAR), '') AS band,
       coalesce(CAST(s.observer AS VARCHAR), '(self)') AS observer,
       coalesce(CAST(s.mode AS VARCHAR), '') AS mode,
       strftime(s.local_start, '%Y-%m') AS month,
       strftime(s.local_start, '%G-W%V') AS week,
       strftime(s.local_start, '%Y') || '-Q' || quarter(s.local_start) AS quarter,
       s.start_ms::BIGINT AS s0,
       greatest(s.known_end_ms, s.start_ms)::BIGINT AS s1,
       (greatest(s.known_end_ms, s.start_ms) - s.start_ms)::DOUBLE AS obs_ms,
       s.timezone AS tz,
       coalesce(tp.tpl, 0) AS tpl,
       (jp.participant IS NOT NULL OR cal.session_id IS NOT NULL) AS has_plan,
       pay.hourly_cost
FROM (  -- the local start, converted once per session
    SELECT *, timezone(timezone, to_timestamp(start_ms / 1000.0)) AS local_start
    FROM sessions_in
) s
LEFT JOIN tpl_in tp
  ON tp.template = coalesce(CAST(s.template AS VARCHAR), '')
 AND tp.template_version = coalesce(CAST(s.template_version AS VARCHAR), '')
LEFT JOIN (SELECT DISTINCT participant FROM plans_in) jp
  ON jp.participant = CAST(s.participant AS VARCHAR)
LEFT JOIN pay_in pay ON pay.participant = CAST(s.participant AS VARCHAR)
LEFT JOIN plan_sessions_in cal ON cal.session_id = s.session_id
""",
        "driver",
    ),
    Block(
        "CK",
        f"""
WITH r AS (SELECT DISTINCT CAST(category AS VARCHAR) AS raw FROM tasks_in),
n AS (SELECT raw, {CATEGORY.format(c="raw")} AS category FROM r),
c AS (
    SELECT category, CAST(row_number() OVER (ORDER BY category) AS INT) AS cat
    FROM (SELECT DISTINCT category FROM n) u
),
tp AS (SELECT DISTINCT tpl FROM S)
SELECT tp.tpl, coalesce(n.raw, '') AS raw, n.raw IS NULL AS raw_null, c.cat, c.category,
       CAST(coalesce(d.dom, {DOMAIN_CODES["other"]}) AS TINYINT) AS dom,
       CAST(coalesce(k.jp, 0) AS TINYINT) AS jp
FROM n JOIN c ON c.category = n.category
CROSS JOIN tp
LEFT JOIN cats_in k ON k.tpl = tp.tpl AND k.category = n.raw
LEFT JOIN dom_in d ON d.domain = k.domain
""",
    ),
    Block("CN", "SELECT DISTINCT cat, category FROM CK"),
    Block(
        "T0",
        """
SELECT t.task_id::BIGINT AS task_id, t.session_id::BIGINT AS session_id,
       k.cat, k.dom, k.jp,
       greatest(t.start_ms, S.s0)::BIGINT AS a0,
       greatest(least(t.known_end_ms, S.s1), greatest(t.start_ms, S.s0))::BIGINT AS b0,
       t.known_end_ms::BIGINT AS known_end,
       -- foreground priority: start, then recording order (start offsets held to ±8.7 years)
       greatest(least(t.start_ms::BIGINT - S.s0, 274877906944), -274877906944) * 16777216
           + least(greatest(t.seq::BIGINT, 0), 16777215) AS prio
FROM tasks_in t JOIN S ON S.session_id = t.session_id
LEFT JOIN CK k  -- exactly one row for each task (LEFT: joined after S, not S × CK first)
  ON k.tpl = S.tpl AND k.raw = coalesce(CAST(t.category AS VARCHAR), '')
 AND k.raw_null = (t.category IS NULL)
""",
    ),
    Block(
        "XN",
        """
SELECT x.task_id::BIGINT AS task_id, count(*) AS n_susp,
       bool_or(x.end_ms IS NULL OR x.end_ms >= t.known_end) AS not_resumed
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
GROUP BY ALL
""",
    ),
    Block(
        "XE",
        """
SELECT t.session_id, CAST(x.by_key AS VARCHAR) AS by_key, x.start_ms::BIGINT AS at,
       count(*) AS n_susp
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
WHERE x.by_key IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT t.session_id, NULL, x.start_ms::BIGINT, 1
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
WHERE x.by_key IS NULL
""",
    ),
    Block(
        "XS",
        """
SELECT x.task_id::BIGINT AS task_id,
       greatest(x.start_ms, t.a0)::BIGINT AS xs,
       least(coalesce(x.end_ms, t.b0), t.b0)::BIGINT AS xe
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
WHERE least(coalesce(x.end_ms, t.b0), t.b0) > greatest(x.start_ms, t.a0)
""",
    ),
    Block(
        "XR",
        """
WITH o AS (
    SELECT task_id, xs, xe,
           max(xe) OVER (PARTITION BY task_id ORDER BY xs, xe
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM XS
),
r AS (
    SELECT task_id, xs, xe,
           sum(CASE WHEN reach IS NULL OR xs > reach THEN 1 ELSE 0 END)
               OVER (PARTITION BY task_id ORDER BY xs, xe
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
    FROM o
)
SELECT task_id, run, min(xs) AS rs, max(xe) AS re FROM r GROUP BY task_id, run
""",
    ),
    Block(
        "XU",
        "SELECT task_id, CAST(sum(re - rs) AS DOUBLE) AS suspended FROM XR GROUP BY task_id",
    ),
    Block(
        "PX",
        """
WITH r AS (
    SELECT task_id, run, rs, re, lead(rs) OVER (PARTITION BY task_id ORDER BY rs) AS next_rs
    FROM XR
),
g AS (  -- the gap after each run (to the next run, or to the task's end), and before the first
    SELECT task_id, run AS n, re AS a, next_rs AS b FROM r
    UNION ALL
    SELECT task_id, 0, NULL, rs FROM r WHERE run = 1
)
SELECT (k.task_id << 16) + g.n AS pid, k.task_id, k.session_id,
       coalesce(g.a, k.a0) AS a, coalesce(g.b, k.b0) AS b,
       (coalesce(g.b, k.b0) - coalesce(g.a, k.a0))::DOUBLE AS len,
       k.cat, k.dom, k.jp, k.prio, g.a IS NULL AS starts_task
FROM g JOIN T0 k ON k.task_id = g.task_id
WHERE coalesce(g.b, k.b0) > coalesce(g.a, k.a0)
""",
    ),
    Block(
        "P",
        """
SELECT * FROM PX
UNION ALL
SELECT task_id << 16, task_id, session_id, a0, b0, (b0 - a0)::DOUBLE, cat, dom, jp, prio, TRUE
FROM T0 ANTI JOIN (SELECT DISTINCT task_id FROM XS) st USING (task_id) WHERE b0 > a0
""",
    ),
    Block(
        "TX",
        """
WITH st AS (SELECT DISTINCT task_id FROM XS),
px AS (SELECT task_id, min(a) AS first_a FROM PX GROUP BY task_id)
SELECT x.task_id, x.n_susp, x.not_resumed, st.task_id IS NOT NULL AS cut,
       u.suspended, px.first_a
FROM XN x LEFT JOIN st ON st.task_id = x.task_id LEFT JOIN px ON px.task_id = x.task_id
LEFT JOIN XU u ON u.task_id = x.task_id
""",
    ),
    Block(
        "T",
        f"""
SELECT t.task_id, t.session_id, t.cat, t.dom, t.jp, t.a0, t.b0,
       coalesce(x.n_susp, 0) AS n_susp,
       coalesce(x.not_resumed, FALSE) AS not_resumed,
       {ACTIVE_MS} AS active_ms,
       CASE WHEN x.cut THEN x.first_a WHEN t.b0 > t.a0 THEN t.a0 END AS first_a
FROM T0 t LEFT JOIN TX x ON x.task_id = t.task_id
""",
    ),
    Block(
        "PL",
        """
WITH d AS (
    SELECT session_id, participant, tz, s0, s1,
           unnest(generate_series(
               timezone(tz, to_timestamp(s0 / 1000.0))::DATE,
               timezone(tz, to_timestamp(s1 / 1000.0))::DATE,
               INTERVAL 1 DAY))::DATE AS day
    FROM S WHERE has_plan
),
x AS (
    SELECT d.session_id, d.s0, d.s1, j.code,
           epoch_ms(timezone(d.tz, d.day + j.start_time)) AS pa,
           epoch_ms(timezone(d.tz, d.day + j.end_time)) AS pb
    FROM d JOIN plans_in j
      ON j.participant = d.participant AND j.weekday = isodow(d.day) - 1
)
SELECT session_id, greatest(pa, s0) AS a, least(pb, s1) AS b, code
FROM x WHERE least(pb, s1) > greatest(pa, s0)
UNION ALL  -- dated planned blocks (a calendar), already without overlaps
SELECT S.session_id, greatest(c.a, S.s0), least(c.b, S.s1), c.code
FROM S JOIN plan_blocks_in c ON c.participant = S.participant
WHERE S.has_plan AND least(c.b, S.s1) > greatest(c.a, S.s0)
""",
        "driver",
    ),
    Block(
        "W",
        f"""
WITH e AS (
    SELECT session_id, a AS t, pid,
           1 + ((dom = {CLINICAL})::BIGINT << 16) + ((dom = {MANAGERIAL})::BIGINT << 32) AS dd
    FROM P
    UNION ALL
    SELECT session_id, b, pid,
           -1 - ((dom = {CLINICAL})::BIGINT << 16) - ((dom = {MANAGERIAL})::BIGINT << 32)
    FROM P
    UNION ALL SELECT session_id, a, NULL, code::BIGINT << 48 FROM PL
    UNION ALL SELECT session_id, b, NULL, -(code::BIGINT << 48) FROM PL
    UNION ALL SELECT session_id, s0, NULL, 0 FROM S
    UNION ALL SELECT session_id, s1, NULL, 0 FROM S
)
SELECT session_id, t, pid, dd,
       (session_id << 32) + row_number() OVER w AS ix,
       lead(t) OVER w AS nt,
       sum(dd) OVER wr AS kk
FROM e
WINDOW w AS (PARTITION BY session_id ORDER BY t),
       wr AS (PARTITION BY session_id ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
""",
    ),
    Block(
        "WP",
        """
SELECT session_id, ix, t, nt, (nt - t)::DOUBLE AS len,
       (kk & 65535)::INT AS k, ((kk >> 16) & 65535)::INT AS kc,
       ((kk >> 32) & 65535)::INT AS km, (kk >> 48)::INT AS pc
FROM W WHERE nt > t
""",
    ),
    Block(
        "ENDS",
        """
SELECT s.pid, s.ix AS ia, e.ix AS ib, p.session_id, p.cat, p.dom, p.jp, p.prio, p.a,
       p.starts_task
FROM (SELECT pid, ix FROM W WHERE dd > 0 AND pid IS NOT NULL) s
JOIN (SELECT pid, ix FROM W WHERE dd < 0 AND pid IS NOT NULL) e ON e.pid = s.pid
JOIN P p ON p.pid = s.pid
""",
    ),
    Block(
        "PS",
        """
WITH ex AS (
    SELECT session_id, cat, dom, jp, prio, a, starts_task,
           unnest(generate_series(ia, ib - 1)) AS ix
    FROM ENDS
)
SELECT ex.session_id, ex.cat, ex.dom, ex.jp, ex.prio,
       w.ix, w.t, w.len, w.k, w.pc, ex.starts_task AND w.t = ex.a AS task_start
FROM ex JOIN WP w ON w.ix = ex.ix
""",
    ),
    Block(
        "FG",
        """
SELECT session_id, t, t + len::BIGINT AS nt, len, k, cat, dom
FROM PS WHERE k = 1
UNION ALL
SELECT any_value(session_id), any_value(t), any_value(t) + any_value(len)::BIGINT,
       any_value(len), any_value(k), arg_max(cat, prio), arg_max(dom, prio)
FROM PS WHERE k > 1 GROUP BY ix
""",
    ),
    Block(
        "RUNS",
        f"""
WITH fgl AS (
    SELECT session_id, t, len, dom,
           coalesce(lag(nt) OVER w = t AND lag(dom) OVER w = dom
                    AND (dom = {MANAGERIAL} OR lag(k) OVER w = 1), FALSE) AS joins,
           -len + sum(len) OVER wr AS before,
           sum(len) OVER (PARTITION BY session_id, dom = {MANAGERIAL}) AS total
    FROM FG WHERE dom = {MANAGERIAL} OR (dom = {CLINICAL} AND k = 1)
    WINDOW w AS (PARTITION BY session_id, dom = {MANAGERIAL} ORDER BY t),
           wr AS (PARTITION BY session_id, dom = {MANAGERIAL} ORDER BY t
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT session_id, dom, t AS start,
       coalesce(lead(before) OVER w, total) - before AS len
FROM fgl WHERE NOT joins
WINDOW w AS (PARTITION BY session_id, dom = {MANAGERIAL} ORDER BY t)
""",
    ),
    Block("EP", f"SELECT session_id, start, len FROM RUNS WHERE dom = {MANAGERIAL}"),
    Block("CS", f"SELECT session_id, start, len FROM RUNS WHERE dom = {CLINICAL}"),
    Block(
        "TD",
        """
WITH fam AS (
    SELECT d.dimension, f.family
    FROM (SELECT DISTINCT dimension FROM dims_in) d
    JOIN fam_in f ON lower(CAST(d.dimension AS VARCHAR)) = f.dimension
)
SELECT t.session_id, fam.family, CAST(d.value AS VARCHAR) AS value,
       sum(t.active_ms) AS active_ms
FROM dims_in d
JOIN fam ON fam.dimension = d.dimension
JOIN T t ON t.task_id = d.task_id
GROUP BY ALL
""",
    ),
    Block(
        "CB",
        """
WITH o AS (
    SELECT session_id, cat, a, b,
           max(b) OVER (PARTITION BY session_id, cat ORDER BY a, b
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM P
),
g AS (
    SELECT session_id, cat, a, b,
           sum(CASE WHEN reach IS NULL OR a > reach THEN 1 ELSE 0 END)
               OVER (PARTITION BY session_id, cat ORDER BY a, b
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS bout
    FROM o
)
SELECT session_id, cat, (max(b) - min(a))::DOUBLE AS len
FROM g GROUP BY session_id, cat, bout
""",
    ),
    Block(
        "PC",
        """
WITH x AS (SELECT session_id, cat, dom, jp, sum(len) AS len FROM P GROUP BY ALL)
SELECT x.session_id, n.category, d.domain, x.jp, x.len
FROM x JOIN CN n ON n.cat = x.cat JOIN dom_in d ON d.dom = x.dom
""",
    ),
    Block(
        "PSC",
        """
WITH x AS (
    SELECT session_id, cat, dom, jp, pc, sum(len) AS len, sum(len / k) AS sliced
    FROM PS GROUP BY ALL
)
SELECT x.session_id, n.category, d.domain, x.jp, x.pc, x.len, x.sliced
FROM x JOIN CN n ON n.cat = x.cat JOIN dom_in d ON d.dom = x.dom
""",
    ),
    Block("WC", "SELECT session_id, k, kc, km, pc, sum(len) AS len FROM WP GROUP BY ALL"),
    Block(
        "TSK",
        "SELECT session_id, least(k, 3) AS k, count(*) AS n FROM PS WHERE task_start GROUP BY ALL",
    ),
    Block(
        "WPX",
        "SELECT * FROM WP SEMI JOIN "
        "(SELECT session_id FROM T WHERE first_a IS DISTINCT FROM a0) x USING (session_id)",
    ),
    Block(
        "EV",
        """
SELECT e.session_id::BIGINT AS session_id, CAST(e.kind AS VARCHAR) AS kind,
       CAST(e.subtype AS VARCHAR) AS subtype, e.at_ms::BIGINT AS at
FROM events_in e JOIN S ON S.session_id = e.session_id
""",
    ),
    Block(
        "DM",
        "SELECT EV.session_id, EV.at FROM EV JOIN S USING (session_id) "
        "WHERE EV.kind = 'demand' AND EV.at >= S.s0 AND EV.at <= S.s1",
    ),
)

DRIVER_INPUTS: tuple[str, ...] = ("sessions_in", "tpl_in", "plans_in", "pay_in")
"""Inputs only driver blocks read (never sent to an engine)."""

__all__ = [
    "BLOCKS",
    "DRIVER_INPUTS",
    "PLAN_CODES",
    "UNCODED",
    "Block",
    "inputs",
    "needed",
    "register",
]
