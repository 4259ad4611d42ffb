"""Building blocks: the interval logic every metric reads, as set-based DuckDB SQL.

Inputs (registered by the engine): ``sessions_in``, ``tasks_in``, ``susp_in``, ``dims_in``,
``events_in``, ``plans_in`` (job-plan sessions with a numeric category code),
``plan_blocks_in`` and ``plan_sessions_in`` (a dated plan such as a calendar: blocks
``[a, b)`` with a code, and the sessions such a plan covers), ``cats_in``
(category -> domain and job-plan code per template), ``pay_in`` (hourly cost per participant)
and ``fam_in`` (dimension names -> 'with' / 'how' / 'where'). Instants are epoch milliseconds,
UTC. No step loops over tasks: every block is a join, an aggregate or a window.

Blocks, in order:

``S``   sessions in scope: grouping keys, window ``[s0, s1)``, ``obs_ms``, job plan and pay.
``T``   tasks clipped to their session's window (a blank category reads ``(uncoded)``,
        `UNCODED`), with domain, job-plan code (``jp``),
        suspension counts, never-resumed flag, active time and first active instant.
``XE``  interruption events from suspensions: the suspensions of one session that name the
        same interrupting task (``by_key``) and start at the same instant are one event
        (``n_susp`` the tasks it suspended); a suspension naming no interrupting task is an
        event of its own (`workweave.domain.observation.Session.interruption_events`).
``P``   active pieces: each task's ``[start, end)`` minus the union of its suspensions
        (a per-task sweep over start/end and suspension boundaries with running sums),
        tasks without suspensions giving one piece.
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
``PS``  each piece crossed with the timeline segments it spans (by the row numbers of its
        own start and end events in ``W``, kept in ``ENDS``), so time can be weighted per
        segment (1/k, plan code).
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
        active at its start. The large intermediate tables are dropped once used.
``EV``  point events of sessions in scope; ``DM`` demand events inside session windows.

Job-plan category codes: 1 DCC, 2 SPA, 3 ANR, 4 ED, 5 management.
"""

from __future__ import annotations

PLAN_CODES: dict[str, int] = {"DCC": 1, "SPA": 2, "ANR": 3, "ED": 4, "management": 5}
UNCODED = "(uncoded)"
"""The category key of tasks recorded without a category."""

SESSIONS = """
CREATE OR REPLACE TEMP TABLE S AS
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
       strftime(timezone(s.timezone, to_timestamp(s.start_ms / 1000.0)), '%Y-%m') AS month,
       strftime(timezone(s.timezone, to_timestamp(s.start_ms / 1000.0)), '%G-W%V') AS week,
       strftime(timezone(s.timezone, to_timestamp(s.start_ms / 1000.0)), '%Y') || '-Q'
           || quarter(timezone(s.timezone, to_timestamp(s.start_ms / 1000.0))) AS quarter,
       s.start_ms::BIGINT AS s0,
       greatest(s.known_end_ms, s.start_ms)::BIGINT AS s1,
       (greatest(s.known_end_ms, s.start_ms) - s.start_ms)::DOUBLE AS obs_ms,
       s.timezone AS tz,
       coalesce(tp.tpl, 0) AS tpl,
       (jp.participant IS NOT NULL OR cal.session_id IS NOT NULL) AS has_plan,
       pay.hourly_cost
FROM sessions_in s
LEFT JOIN tpl_in tp
  ON tp.template = coalesce(CAST(s.template AS VARCHAR), '')
 AND tp.template_version = coalesce(CAST(s.template_version AS VARCHAR), '')
LEFT JOIN (SELECT DISTINCT participant FROM plans_in) jp
  ON jp.participant = CAST(s.participant AS VARCHAR)
LEFT JOIN pay_in pay ON pay.participant = CAST(s.participant AS VARCHAR)
LEFT JOIN plan_sessions_in cal ON cal.session_id = s.session_id
"""

TASKS = """
CREATE TYPE cat_t AS ENUM (
    SELECT DISTINCT category FROM (
        SELECT CASE WHEN trim(coalesce(CAST(category AS VARCHAR), '')) = '' THEN '(uncoded)'
                    ELSE CAST(category AS VARCHAR) END AS category FROM tasks_in
        UNION ALL SELECT '(uncoded)'
    ) ORDER BY 1
);
CREATE TYPE dom_t AS ENUM ('clinical', 'managerial', 'professional', 'personal', 'other');

CREATE OR REPLACE TEMP TABLE T0 AS
SELECT t.task_id::BIGINT AS task_id, t.session_id::BIGINT AS session_id,
       (CASE WHEN trim(coalesce(CAST(t.category AS VARCHAR), '')) = '' THEN '(uncoded)'
             ELSE CAST(t.category AS VARCHAR) END)::cat_t AS category,
       coalesce(c.domain, 'other')::dom_t AS domain, coalesce(c.jp, 0)::TINYINT AS jp,
       greatest(t.start_ms, S.s0)::BIGINT AS a0,
       greatest(least(t.known_end_ms, S.s1), greatest(t.start_ms, S.s0))::BIGINT AS b0,
       t.known_end_ms::BIGINT AS known_end,
       -- foreground priority: start, then recording order (start offsets held to ±8.7 years)
       greatest(least(t.start_ms::BIGINT - S.s0, 274877906944), -274877906944) * 16777216
           + least(greatest(t.seq::BIGINT, 0), 16777215) AS prio
FROM tasks_in t JOIN S ON S.session_id = t.session_id
LEFT JOIN cats_in c ON c.tpl = S.tpl AND c.category = CAST(t.category AS VARCHAR)
"""

SUSPENSIONS = """
CREATE OR REPLACE TEMP TABLE XN AS
SELECT x.task_id::BIGINT AS task_id, count(*) AS n_susp,
       bool_or(x.end_ms IS NULL OR x.end_ms >= t.known_end) AS not_resumed
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE XE AS
SELECT t.session_id, CAST(x.by_key AS VARCHAR) AS by_key, x.start_ms::BIGINT AS at,
       count(*) AS n_susp
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
WHERE x.by_key IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT t.session_id, NULL, x.start_ms::BIGINT, 1
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
WHERE x.by_key IS NULL;

CREATE OR REPLACE TEMP TABLE XS AS
SELECT x.task_id::BIGINT AS task_id,
       greatest(x.start_ms, t.a0)::BIGINT AS xs,
       least(coalesce(x.end_ms, t.b0), t.b0)::BIGINT AS xe
FROM susp_in x JOIN T0 t ON t.task_id = x.task_id
WHERE least(coalesce(x.end_ms, t.b0), t.b0) > greatest(x.start_ms, t.a0)
"""

PIECES = """
CREATE OR REPLACE TEMP TABLE P AS
WITH st AS (SELECT DISTINCT task_id FROM XS),
ev AS (
    SELECT task_id, a0 AS t, 1 AS dt, 0 AS ds FROM T0 SEMI JOIN st USING (task_id)
    UNION ALL SELECT task_id, b0, -1, 0 FROM T0 SEMI JOIN st USING (task_id)
    UNION ALL SELECT task_id, xs, 0, 1 FROM XS
    UNION ALL SELECT task_id, xe, 0, -1 FROM XS
),
g AS (SELECT task_id, t, sum(dt) AS dt, sum(ds) AS ds FROM ev GROUP BY ALL),
w AS (
    SELECT task_id, t, lead(t) OVER w AS nt, sum(dt) OVER w AS o, sum(ds) OVER w AS su,
           row_number() OVER w AS n
    FROM g WINDOW w AS (PARTITION BY task_id ORDER BY t
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT (t.task_id << 16) + w.n AS pid, t.task_id, t.session_id, w.t AS a, w.nt AS b,
       (w.nt - w.t)::DOUBLE AS len, t.category, t.domain, t.jp, t.prio,
       w.t = t.a0 AS starts_task
FROM w JOIN T0 t USING (task_id)
WHERE w.o = 1 AND w.su = 0 AND w.nt > w.t
UNION ALL
SELECT task_id << 16, task_id, session_id, a0, b0, (b0 - a0)::DOUBLE, category, domain, jp, prio,
       TRUE
FROM T0 ANTI JOIN st USING (task_id) WHERE b0 > a0
"""

TASKS_FULL = """
CREATE OR REPLACE TEMP TABLE T AS
SELECT t.task_id, t.session_id, t.category, t.domain, t.jp, t.a0, t.b0,
       coalesce(x.n_susp, 0) AS n_susp,
       coalesce(x.not_resumed, FALSE) AS not_resumed,
       CASE WHEN x.task_id IS NULL THEN (t.b0 - t.a0)::DOUBLE
            ELSE coalesce(p.active_ms, 0) END AS active_ms,
       CASE WHEN x.task_id IS NULL THEN CASE WHEN t.b0 > t.a0 THEN t.a0 END
            ELSE p.first_a END AS first_a
FROM T0 t
LEFT JOIN XN x USING (task_id)
LEFT JOIN (
    SELECT task_id, sum(len) AS active_ms, min(a) AS first_a
    FROM P SEMI JOIN XN USING (task_id) GROUP BY ALL
) p USING (task_id);

DROP TABLE T0;
DROP TABLE XS
"""

PLANS = """
CREATE OR REPLACE TEMP TABLE PL AS
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
"""

SWEEP = """
CREATE OR REPLACE TEMP TABLE W AS
WITH e AS (
    SELECT session_id, a AS t, pid,
           1 + ((domain = 'clinical')::BIGINT << 16) + ((domain = 'managerial')::BIGINT << 32)
               AS dd
    FROM P
    UNION ALL
    SELECT session_id, b, pid,
           -1 - ((domain = 'clinical')::BIGINT << 16) - ((domain = 'managerial')::BIGINT << 32)
    FROM P
    UNION ALL SELECT session_id, a, NULL, code::BIGINT << 48 FROM PL
    UNION ALL SELECT session_id, b, NULL, -(code::BIGINT << 48) FROM PL
    UNION ALL SELECT session_id, s0, NULL, 0 FROM S
    UNION ALL SELECT session_id, s1, NULL, 0 FROM S
)
SELECT session_id, t, pid, dd,
       (session_id << 32) + row_number() OVER w AS ix,
       lead(t) OVER w AS nt,
       sum(dd) OVER w AS kk
FROM e
WINDOW w AS (PARTITION BY session_id ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);

CREATE OR REPLACE TEMP TABLE WP AS
SELECT session_id, ix, t, nt, (nt - t)::DOUBLE AS len,
       (kk & 65535)::INT AS k, ((kk >> 16) & 65535)::INT AS kc,
       ((kk >> 32) & 65535)::INT AS km, (kk >> 48)::INT AS pc
FROM W WHERE nt > t;

CREATE OR REPLACE TEMP TABLE ENDS AS
SELECT s.pid, s.ix AS ia, e.ix AS ib
FROM (SELECT pid, ix FROM W WHERE dd > 0 AND pid IS NOT NULL) s
JOIN (SELECT pid, ix FROM W WHERE dd < 0 AND pid IS NOT NULL) e USING (pid);

DROP TABLE W
"""

PIECE_SEGMENTS = """
CREATE OR REPLACE TEMP TABLE PS AS
WITH ex AS (SELECT pid, unnest(range(ia, ib)) AS ix FROM ENDS)
SELECT p.session_id, p.category, p.domain, p.jp, p.prio,
       w.ix, w.t, w.len, w.k, w.pc, p.starts_task AND w.t = p.a AS task_start
FROM ex JOIN WP w USING (ix) JOIN P p USING (pid);

DROP TABLE ENDS
"""

FOREGROUND = """
CREATE OR REPLACE TEMP TABLE FG AS
SELECT session_id, t, t + len::BIGINT AS nt, len, k, category, domain
FROM PS WHERE k = 1
UNION ALL
SELECT any_value(session_id), any_value(t), any_value(t) + any_value(len)::BIGINT,
       any_value(len), any_value(k), arg_max(category, prio), arg_max(domain, prio)
FROM PS WHERE k > 1 GROUP BY ix
"""

EPISODES = """
CREATE OR REPLACE TEMP TABLE FGL AS
SELECT session_id, t, len, domain,
       coalesce(lag(nt) OVER w = t AND lag(domain) OVER w = domain
                AND (domain = 'managerial' OR lag(k) OVER w = 1), FALSE) AS joins,
       sum(len) OVER w - len AS before,
       sum(len) OVER (PARTITION BY session_id, domain = 'managerial') AS total
FROM FG WHERE domain = 'managerial' OR (domain = 'clinical' AND k = 1)
WINDOW w AS (PARTITION BY session_id, domain = 'managerial' ORDER BY t
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);

CREATE OR REPLACE TEMP TABLE RUNS AS
SELECT session_id, domain, t AS start,
       coalesce(lead(before) OVER w, total) - before AS len
FROM FGL WHERE NOT joins
WINDOW w AS (PARTITION BY session_id, domain = 'managerial' ORDER BY t);

DROP TABLE FGL;

CREATE OR REPLACE TEMP VIEW EP AS
SELECT session_id, start, len FROM RUNS WHERE domain = 'managerial';

CREATE OR REPLACE TEMP VIEW CS AS
SELECT session_id, start, len FROM RUNS WHERE domain = 'clinical'
"""

DIMENSIONS = """
CREATE OR REPLACE TEMP TABLE TD AS
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
"""

BOUTS = """
CREATE OR REPLACE TEMP TABLE CB AS
WITH o AS (
    SELECT session_id, category, a, b,
           max(b) OVER (PARTITION BY session_id, category ORDER BY a, b
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM P
),
g AS (
    SELECT session_id, category, a, b,
           sum(CASE WHEN reach IS NULL OR a > reach THEN 1 ELSE 0 END)
               OVER (PARTITION BY session_id, category ORDER BY a, b
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS bout
    FROM o
)
SELECT session_id, category, (max(b) - min(a))::DOUBLE AS len
FROM g GROUP BY session_id, category, bout
"""
"""``CB``: union bouts, the maximal intervals of each session covered by active pieces of one
category (pieces that overlap or touch merge)."""

CUBES = """
CREATE OR REPLACE TEMP TABLE PC AS
SELECT session_id, category, domain, jp, sum(len) AS len
FROM P GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE PSC AS
SELECT session_id, category, domain, jp, pc, sum(len) AS len, sum(len / k) AS sliced
FROM PS GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE WC AS
SELECT session_id, k, kc, km, pc, sum(len) AS len
FROM WP GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE TSK AS
SELECT session_id, least(k, 3) AS k, count(*) AS n
FROM PS WHERE task_start GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE WPX AS
SELECT * FROM WP
SEMI JOIN (SELECT session_id FROM T WHERE first_a IS DISTINCT FROM a0) USING (session_id);

DROP TABLE PS;
DROP TABLE P;
DROP TABLE WP
"""

EVENTS = """
CREATE OR REPLACE TEMP TABLE EV AS
SELECT e.session_id::BIGINT AS session_id, CAST(e.kind AS VARCHAR) AS kind,
       CAST(e.subtype AS VARCHAR) AS subtype, e.at_ms::BIGINT AS at
FROM events_in e JOIN S ON S.session_id = e.session_id;

CREATE OR REPLACE TEMP TABLE DM AS
SELECT EV.session_id, EV.at FROM EV JOIN S USING (session_id)
WHERE EV.kind = 'demand' AND EV.at >= S.s0 AND EV.at <= S.s1
"""

ORDER: tuple[tuple[str, str], ...] = (
    ("S", SESSIONS),
    ("T0", TASKS),
    ("XN", SUSPENSIONS),
    ("P", PIECES),
    ("T", TASKS_FULL),
    ("PL", PLANS),
    ("W", SWEEP),
    ("PS", PIECE_SEGMENTS),
    ("FG", FOREGROUND),
    ("EP", EPISODES),
    ("TD", DIMENSIONS),
    ("CB", BOUTS),
    ("CUBES", CUBES),
    ("EV", EVENTS),
)
"""The blocks in the order they are built (each statement may create several tables)."""

__all__ = ["ORDER", "PLAN_CODES", "UNCODED"]
