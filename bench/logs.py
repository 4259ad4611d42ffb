"""Benchmark: every passive metric over N simulated audit-log events (DuckDB over Parquet).

    .venv/bin/python bench/logs.py --events 10000000
    .venv/bin/python bench/logs.py --events 100000000 --dir /tmp/ww-logs-100m
    .venv/bin/python bench/logs.py --events 1000000 --engine spark

Simulates the events once into --dir (reused when it already holds that many), then runs the
passive engine in a child process (so its peak memory is its own) with DuckDB limited to
--threads threads and --memory-limit, and prints the time, the child's peak RSS and events/s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def simulate(folder: Path, events: int) -> None:
    from workweave.simulate.logs import simulate_logs

    marker = folder / "events.json"
    if marker.is_file() and json.loads(marker.read_text()).get("events") == events:
        print(f"reusing {events:,} simulated events in {folder}")
        return
    started = time.perf_counter()
    res = simulate_logs(folder, events=events, batch_events=2_000_000)
    took = time.perf_counter() - started
    marker.write_text(json.dumps({"events": res.events}))
    print(
        f"simulated {res.events:,} events of {len(res.participants)} participants in "
        f"{res.files} files: {took:.1f} s ({res.events / took:,.0f} events/s)"
    )


def measure(folder: Path, threads: int, memory_limit: str, engine: str = "duckdb") -> None:
    import pandas as pd

    from workweave.analysis.metrics.passive_engine import PassiveMetrics

    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    people = pd.read_csv(folder / "participants.csv", dtype=str).assign(has_plan=True)
    plans = pd.read_csv(folder / "jobplans.csv", dtype={"participant": str})
    started = time.perf_counter()
    with PassiveMetrics(
        files,
        people=people,
        plans=plans,
        threads=threads,
        memory_limit=None if memory_limit.lower() == "none" else memory_limit,
        engine=engine,
    ) as pm:
        built = time.perf_counter() - started
        res = pm.compute(seed=1)
        total = time.perf_counter() - started
        n = pm.n_events
        timings = pm.timings
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss / 1024**2  # KiB -> GiB
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {
                "events": n,
                "seconds": round(total, 1),
                "blocks_and_sql_seconds": round(built, 1),
                "estimates_seconds": round(total - built, 2),
                "peak_rss_gib": round(rss, 2),
                "cpu_seconds": round(cpu, 1),
                "events_per_second": round(n / total),
                "rows": len(res),
                "timings": {k: round(v, 1) for k, v in timings.items()},
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--memory-limit",
        default="3GB",
        help="DuckDB memory limit (as --memory-limit of 'workweave logs metrics'); 'none' for "
        "DuckDB's default, 80%% of the machine's memory",
    )
    ap.add_argument(
        "--engine",
        default="duckdb",
        help="duckdb, or spark (local Spark, started inside the timing; the peak RSS is then "
        "the Python driver's, not the JVM's)",
    )
    ap.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    folder = a.dir or Path(f"/tmp/workweave-bench-logs-{a.events}")
    if a.measure_only:
        measure(folder, a.threads, a.memory_limit, a.engine)
        return
    folder.mkdir(parents=True, exist_ok=True)
    simulate(folder, a.events)
    cmd = [
        sys.executable,
        __file__,
        "--measure-only",
        "--dir",
        str(folder),
        "--threads",
        str(a.threads),
        "--memory-limit",
        a.memory_limit,
        "--engine",
        a.engine,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(res.stderr)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    print(
        f"passive metrics ({a.engine}) over {got['events']:,} events, {a.threads} threads, "
        f"DuckDB memory limit {a.memory_limit}: {got['seconds']} s (blocks and metric SQL "
        f"{got['blocks_and_sql_seconds']} s, estimates and intervals "
        f"{got['estimates_seconds']} s), peak RSS {got['peak_rss_gib']} GiB, "
        f"{got['events_per_second']:,} events/s; CPU {got['cpu_seconds']} s (on a busy machine "
        "the wall-clock time is longer than the work)"
    )
    print("block timings (s):", got["timings"])


if __name__ == "__main__":
    main()
