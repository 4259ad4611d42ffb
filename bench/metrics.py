"""Benchmark of the metric engine: the full registry on N synthetic tasks.

    .venv/bin/python bench/metrics.py                 # 1,000,000 tasks
    .venv/bin/python bench/metrics.py 10000000 --no-store
    .venv/bin/python bench/metrics.py 200000 --by site
    .venv/bin/python bench/metrics.py 100000 --no-store --engine spark   # local Spark

The canonical tables are generated directly with numpy (not through the simulator, which
builds domain objects and is too slow for tens of millions of tasks): sessions of 3.75 hours
at four sites, tasks of the default AHP template with interruptions (a suspension and an
interrupting task) and multitasking (an overlapping task), dimension values, interruption
and demand events, participants with bands, pay points and weekly job plans. The numbers
are SYNTHETIC and mean nothing; only the times do.

Printed: tasks, seconds to generate, to load (from a SQLite store, unless --no-store), a bare
DuckDB GROUP BY scan of the task table in the same process (the floor), the time budget alone
(share of observed time by category per session, no bootstrap, on a fresh engine: only the
blocks it reads are built), the full registry (load into the engine, build the blocks, every
metric with 95 % bootstrap intervals) and its ratio to the scan, two steps no full registry
can skip (joining dimension values to their tasks; one sweep over each session's ordered task
endpoints) run alone on the raw tables, with their ratio to the scan, and the peak resident
memory of the process (resource.getrusage). ``--memory-limit 4GB`` caps DuckDB's memory for
the full registry (larger working tables spill to its temp directory: less memory, more
time).
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workweave.analysis import duck
from workweave.analysis import metrics as M
from workweave.domain.errors import ValidationError
from workweave.io.templates import DEFAULT_TEMPLATE, builtin_template
from workweave.services import metrics as metrics_service

SITES = ("north", "south", "east", "west")
BANDS = ("6", "7", "7", "8a", "8a", "8b")
WITH = ("patient", "own team clinician", "other professional", "senior manager", "alone")
HOW = ("face to face", "phone", "email/messaging", "clinical system (EHR/RIS)")
WHERE = ("clinical area", "office", "corridor/transit", "meeting room")
DAY_MS = 86_400_000
MIN_MS = 60_000


def generate(
    n_tasks: int, seed: int = 1, tasks_per_session: int = 60
) -> dict[str, pd.DataFrame | pa.Table]:
    """Canonical tables (as ``Store.frame`` returns them; the large ones as Arrow tables) with
    about `n_tasks` tasks."""
    rng = np.random.default_rng(seed)
    template = builtin_template(DEFAULT_TEMPLATE)
    codes = np.array([c.code for c in template.categories], dtype=object)
    weights = np.array([6, 4, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 3, 1, 1, 1, 1, 1, 1, 1, 1.0])
    weights = weights[: len(codes)] / weights[: len(codes)].sum()

    n_sessions = max(1, round(n_tasks / tasks_per_session))
    n_people = max(8, n_sessions // 60)
    blocks_per = max(1, round(tasks_per_session / 1.3))
    nb = n_sessions * blocks_per
    sess = np.repeat(np.arange(n_sessions), blocks_per)

    # sessions: weekdays of 2025, starting 08:00-12:00 local (UTC in winter, UTC+1 in summer)
    part = rng.integers(0, n_people, n_sessions)
    day = rng.integers(0, 365, n_sessions)
    day = day - (day + 2) % 7 * ((day + 2) % 7 >= 5)  # Sat/Sun moved back to Friday/Thursday
    start = (
        1_735_689_600_000
        + day * DAY_MS
        + 8 * 3_600_000
        + rng.integers(0, 4 * 60, n_sessions) * MIN_MS
    )
    length = 225 * MIN_MS

    dur = (rng.exponential(150_000, nb) + 5_000).astype(np.int64)
    gap = (rng.exponential(20_000, nb) * (rng.random(nb) < 0.4)).astype(np.int64)
    step = dur + gap
    cs = np.cumsum(step)
    first = np.r_[0, np.flatnonzero(np.diff(sess)) + 1]
    off = cs - np.repeat(cs[first] - step[first], blocks_per) - step
    a = start[sess] + off
    kind = rng.random(nb)
    intr = kind < 0.15
    mult = (kind >= 0.15) & (kind < 0.30)
    ia = a[intr] + (dur[intr] * rng.random(intr.sum())).astype(np.int64)
    idur = (rng.exponential(40_000, intr.sum()) + 2_000).astype(np.int64)
    b = a + dur
    b[intr] += idur
    ma = a[mult] + (dur[mult] * rng.random(mult.sum())).astype(np.int64)
    mdur = (rng.exponential(60_000, mult.sum()) + 2_000).astype(np.int64)

    t_start = np.concatenate([a, ia, ma])
    t_end = np.concatenate([b, ia + idur, ma + mdur])
    t_sess = np.concatenate([sess, sess[intr], sess[mult]])
    order = np.lexsort((t_start, t_sess))
    n = len(order)
    task_id = np.empty(n, dtype=np.int64)
    task_id[order] = np.arange(1, n + 1)
    t_start, t_end, t_sess = t_start[order], t_end[order], t_sess[order]
    s_end = np.maximum(start + length, np.zeros(n_sessions, dtype=np.int64))
    np.maximum.at(s_end, t_sess, t_end)

    cat_index = rng.choice(len(codes), size=n, p=weights).astype(np.int32)
    ids = np.arange(1, n + 1)
    tasks = pa.table(
        {
            "task_id": ids,
            "session_id": t_sess + 1,
            "task_key": pc.cast(pa.array(ids), pa.string()),
            "seq": np.arange(n),
            "category": pa.DictionaryArray.from_arrays(cat_index, pa.array(list(codes))),
            "subcategory": pa.nulls(n, pa.string()),
            "start_ms": t_start,
            "end_ms": t_end,
            "known_end_ms": t_end,
            "ended_by": pa.nulls(n, pa.string()),
        }
    )
    suspensions = pa.table(
        {
            "task_id": task_id[:nb][intr],
            "start_ms": ia,
            "end_ms": ia + idur,
            "by_key": pc.cast(pa.array(task_id[nb : nb + intr.sum()]), pa.string()),
        }
    )
    sessions = pd.DataFrame(
        {
            "session_id": np.arange(1, n_sessions + 1),
            "session_key": [f"sim:{i}" for i in range(1, n_sessions + 1)],
            "source_id": None,
            "source": "bench",
            "mode": np.where(rng.random(n_sessions) < 0.9, "shadowing", "self-report"),
            "participant": [f"P{p:05d}" for p in part],
            "profession": "physiotherapist",
            "band": np.array(BANDS, dtype=object)[part % len(BANDS)],
            "site": np.array(SITES, dtype=object)[part % len(SITES)],
            "observer": [f"O{o}" for o in rng.integers(0, 12, n_sessions)],
            "start_ms": start,
            "end_ms": s_end,
            "known_end_ms": s_end,
            "complete": True,
            "timezone": "Europe/London",
            "template": DEFAULT_TEMPLATE,
            "template_version": template.version,
        }
    )

    # dimensions: one 'where', one or two 'with whom', one 'how' for half of the tasks
    def dim(task_ids: np.ndarray, name: str, options: tuple[str, ...]) -> pa.Table:
        k = len(task_ids)
        return pa.table(
            {
                "task_id": task_ids,
                "dimension": pa.DictionaryArray.from_arrays(
                    np.zeros(k, dtype=np.int32), pa.array([name])
                ),
                "value": pa.DictionaryArray.from_arrays(
                    rng.integers(0, len(options), k).astype(np.int32), pa.array(list(options))
                ),
            }
        )

    tid = np.arange(1, n + 1)
    dims = pa.concat_tables(
        [
            dim(tid, "where", WHERE),
            dim(tid, "with_whom", WITH),
            dim(tid[rng.random(n) < 0.3], "with_whom", ("student",)),
            dim(tid[rng.random(n) < 0.5], "how", HOW),
        ]
    )
    n_ev = n_sessions * 2
    ev_sess = rng.integers(0, n_sessions, n_ev)
    events = pd.DataFrame(
        {
            "session_id": ev_sess + 1,
            "kind": np.where(rng.random(n_ev) < 0.5, "interruption", "demand"),
            "subtype": None,
            "at_ms": start[ev_sess] + rng.integers(0, length, n_ev),
        }
    )
    people = pd.DataFrame(
        {
            "participant": [f"P{p:05d}" for p in range(n_people)],
            "site": np.array(SITES, dtype=object)[np.arange(n_people) % len(SITES)],
            "profession": "physiotherapist",
            "band": np.array(BANDS, dtype=object)[np.arange(n_people) % len(BANDS)],
            "pay_point": rng.integers(1, 4, n_people),
            "contracted_hours": 37.5,
        }
    )
    plan_rows = []
    cats = ("DCC", "DCC", "management", "DCC", "SPA")
    for p in range(n_people):
        for wd in range(5):
            for half_day, (s, e) in enumerate((("09:00", "12:45"), ("13:30", "17:15"))):
                c = cats[(p + wd * 2 + half_day) % len(cats)]
                plan_rows.append((f"P{p:05d}", wd, s, e, c))
    plans = pd.DataFrame(
        plan_rows, columns=["participant", "weekday", "start_time", "end_time", "category"]
    )
    return {
        "sessions": sessions,
        "tasks": tasks,
        "suspensions": suspensions,
        "task_dimensions": dims,
        "point_events": events,
        "participants": people,
        "job_plans": plans,
    }


def _list(table: pd.DataFrame | pa.Table, column: str) -> list[object]:
    col = table[column]
    return col.to_pylist() if isinstance(col, pa.ChunkedArray) else col.tolist()


def write_store(frames: dict[str, pd.DataFrame | pa.Table], folder: Path) -> tuple[object, int]:
    """The generated tables written into a new SQLite store (raw inserts, no domain objects)."""
    from workweave.domain.study import Study
    from workweave.store import Store

    path = folder / "bench.sqlite"
    store = Store.create(path)
    sid = store.studies.create(Study(name="bench", synthetic=True))
    store.studies.save_template(builtin_template(DEFAULT_TEMPLATE))
    store.close()
    con = sqlite3.connect(path)
    s = frames["sessions"]
    con.executemany(
        "INSERT INTO sites (id, study_id, code, name, timezone, description) VALUES (?,?,?,?,?,?)",
        [(i + 1, sid, c, c, "Europe/London", "") for i, c in enumerate(SITES)],
    )
    site_id = {c: i + 1 for i, c in enumerate(SITES)}
    people = frames["participants"]
    con.executemany(
        "INSERT INTO participants (id, study_id, site_id, code, profession, band, pay_point, "
        "contracted_hours, attributes) VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                i + 1,
                sid,
                site_id[r.site],
                r.participant,
                r.profession,
                r.band,
                int(r.pay_point),
                r.contracted_hours,
                "{}",
            )
            for i, r in enumerate(people.itertuples(index=False))
        ],
    )
    pid = {c: i + 1 for i, c in enumerate(people["participant"])}
    con.executemany(
        "INSERT INTO job_plan_sessions (participant_id, weekday, start_time, end_time, category) "
        "VALUES (?,?,?,?,?)",
        [
            (pid[r.participant], r.weekday, r.start_time, r.end_time, r.category)
            for r in frames["job_plans"].itertuples(index=False)
        ],
    )
    observers = sorted(set(s["observer"]))
    con.executemany(
        "INSERT INTO observers (id, study_id, code, name) VALUES (?,?,?,?)",
        [(i + 1, sid, o, "") for i, o in enumerate(observers)],
    )
    oid = {o: i + 1 for i, o in enumerate(observers)}
    tpl = con.execute("SELECT id FROM templates").fetchone()[0]
    con.executemany(
        "INSERT INTO sessions (id, study_id, key, participant_id, site_id, observer_id, "
        "template_id, mode, start_ms, end_ms, known_end_ms, complete, timezone, source, "
        "attributes, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            (
                int(r.session_id),
                sid,
                r.session_key,
                pid[r.participant],
                site_id[r.site],
                oid[r.observer],
                tpl,
                r.mode,
                int(r.start_ms),
                int(r.end_ms),
                int(r.known_end_ms),
                1,
                r.timezone,
                r.source,
                "{}",
                "",
            )
            for r in s.itertuples(index=False)
        ),
    )
    t = frames["tasks"]
    con.executemany(
        "INSERT INTO tasks (id, session_id, key, seq, category, start_ms, end_ms, known_end_ms) "
        "VALUES (?,?,?,?,?,?,?,?)",
        zip(
            _list(t, "task_id"),
            _list(t, "session_id"),
            _list(t, "task_key"),
            _list(t, "seq"),
            _list(t, "category"),
            _list(t, "start_ms"),
            _list(t, "end_ms"),
            _list(t, "known_end_ms"),
            strict=True,
        ),
    )
    d = frames["task_dimensions"]
    con.executemany(
        "INSERT INTO task_dimensions (task_id, dimension, value) VALUES (?,?,?)",
        zip(_list(d, "task_id"), _list(d, "dimension"), _list(d, "value"), strict=True),
    )
    x = frames["suspensions"]
    con.executemany(
        "INSERT INTO suspensions (task_id, start_ms, end_ms, by_key) VALUES (?,?,?,?)",
        zip(
            _list(x, "task_id"),
            _list(x, "start_ms"),
            _list(x, "end_ms"),
            _list(x, "by_key"),
            strict=True,
        ),
    )
    e = frames["point_events"]
    con.executemany(
        "INSERT INTO point_events (session_id, kind, subtype, at_ms) VALUES (?,?,?,?)",
        zip(
            _list(e, "session_id"),
            _list(e, "kind"),
            _list(e, "subtype"),
            _list(e, "at_ms"),
            strict=True,
        ),
    )
    con.commit()
    con.close()
    return Store.open(path), sid


def bare_scan(tables: M.Tables) -> float:
    """Seconds for one GROUP BY scan of the task table in an in-process DuckDB (the floor the
    registry's time is compared with): per session, tasks and summed task time."""
    import duckdb

    con = duckdb.connect()
    con.register("tasks_in", tables["tasks"])
    started = time.perf_counter()
    con.execute(
        "SELECT session_id, count(*) AS n, sum(known_end_ms - start_ms) AS ms "
        "FROM tasks_in GROUP BY session_id"
    ).fetchall()
    took = time.perf_counter() - started
    con.close()
    return took


def floor_steps(tables: M.Tables) -> dict[str, float]:
    """Seconds for two steps no full registry can skip, run on the raw input tables in a fresh
    in-process DuckDB with the engine's settings: joining each dimension value to its task
    (the 'with whom', 'how' and 'where' shares need the task's time and session), and one
    sweep over the ordered task endpoints of each session (a running count of active tasks:
    the least any multitasking, time-sliced or foreground measure needs)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.register("tasks_in", tables["tasks"])
    con.register("dims_in", tables["task_dimensions"])
    steps = {
        "dimension join": "SELECT t.session_id, d.dimension, d.value, "
        "sum(t.known_end_ms - t.start_ms) AS ms FROM dims_in d "
        "JOIN tasks_in t ON t.task_id = d.task_id GROUP BY ALL",
        "one sweep": "SELECT session_id, t, sum(dd) OVER (PARTITION BY session_id ORDER BY t "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS k FROM ("
        "SELECT session_id, start_ms AS t, 1 AS dd FROM tasks_in UNION ALL "
        "SELECT session_id, known_end_ms, -1 FROM tasks_in)",
    }
    took = {}
    for name, sql in steps.items():
        started = time.perf_counter()
        con.execute(f"CREATE TEMP TABLE x AS {sql}")
        took[name] = time.perf_counter() - started
        con.execute("DROP TABLE x")
    con.close()
    return took


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tasks", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--boot", type=int, default=2000, help="bootstrap replicates")
    ap.add_argument("--by", default="study", help="grouping (default: the whole study)")
    ap.add_argument("--no-store", action="store_true", help="skip writing and loading a store")
    ap.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    ap.add_argument("--spark-remote", default=None, help="Spark Connect address (sc://...)")
    ap.add_argument(
        "--memory-limit",
        default=None,
        help="DuckDB memory_limit for the full registry (e.g. 4GB: larger working tables are "
        "spilled to DuckDB's temp directory; default: DuckDB's own, 80%% of RAM)",
    )
    args = ap.parse_args(argv)
    try:
        duck.check_memory_limit(args.memory_limit)
    except ValidationError as exc:
        sys.exit(str(exc))

    t0 = time.perf_counter()
    frames = generate(args.tasks, seed=args.seed)
    t1 = time.perf_counter()
    n_tasks = len(frames["tasks"])
    print(
        f"tasks: {n_tasks:,}  sessions: {len(frames['sessions']):,}  "
        f"participants: {len(frames['participants']):,}"
    )
    print(f"generate: {t1 - t0:.2f} s")
    if args.no_store:
        tables = M.from_frames(frames, study="bench", templates=[builtin_template()])
        del frames
    else:
        with tempfile.TemporaryDirectory(prefix="workweave-bench-") as tmp:
            tw = time.perf_counter()
            store, sid = write_store(frames, Path(tmp))
            del frames
            print(f"write store: {time.perf_counter() - tw:.2f} s (not part of the timing)")
            tl = time.perf_counter()
            tables = M.from_store(store, sid)
            print(f"load from store: {time.perf_counter() - tl:.2f} s")
            store.close()
    scan = bare_scan(tables)
    print(f"bare DuckDB GROUP BY scan of the task table: {scan:.3f} s")
    opts = {"engine": args.engine, "spark_remote": args.spark_remote}
    if args.engine == "spark":  # start the session outside the timings
        from workweave.analysis.metrics.engines import spark_session

        spark_session(args.spark_remote)
    tb = time.perf_counter()
    with metrics_service.prepare(tables, **opts) as budget_engine:
        budget = budget_engine.time_budget(by="session")
    budget_s = time.perf_counter() - tb
    print(f"time budget by session ({len(budget):,} rows, engine {args.engine}): {budget_s:.2f} s")
    t2 = time.perf_counter()
    engine = metrics_service.prepare(tables, memory_limit=args.memory_limit, **opts)
    t3 = time.perf_counter()
    result = engine.compute(by=args.by, seed=args.seed, B=args.boot)
    t4 = time.perf_counter()
    print(f"load (engine {args.engine}): {t3 - t2:.2f} s")
    print("  " + ", ".join(f"{k} {v:.2f}" for k, v in engine.timings.items()))
    print(
        f"compute {len(M.METRICS)} metrics ({len(result):,} rows, B={args.boot}): {t4 - t3:.2f} s"
    )
    full = t4 - t2
    print(f"full registry (load + blocks + compute): {full:.2f} s for {n_tasks:,} tasks")
    print(f"ratio to the bare scan: {full / scan:.1f}x")
    steps = floor_steps(tables)
    both = sum(steps.values())
    print(
        "two steps every full registry needs, on the raw tables: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())
        + f"; together {both:.2f} s = {both / scan:.1f}x the bare scan"
    )
    print(f"peak memory: {peak_mib():,.0f} MiB")
    engine.close()


if __name__ == "__main__":
    sys.exit(main())
