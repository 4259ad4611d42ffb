"""Benchmark: how fast POST /api/sync's ingest stores and projects a big batch.

One batch of 10,000 capture actions (a long day recorded offline, several times over) for one
session, ingested in one call on SQLite: the actions are stored, the session is projected from
its whole log and written to the canonical tables. Reports tasks per second (target: at least
5,000) and actions per second; then the same batch again (a replay: all duplicates).

    .venv/bin/python bench/sync_ingest.py [--actions 10000] [--store URL]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from workweave.domain.study import Participant, Site, Study
from workweave.services import accounts, capture
from workweave.store import Store

CATEGORIES = [
    "CLIN-DIRECT",
    "CLIN-INDIRECT",
    "LIST-MANAGE",
    "STAFF-ROTA",
    "ADMIN",
    "BUDGET",
    "MEETING",
    "GOVERNANCE",
    "EDUCATION",
    "TRANSIT",
]


def make_batch(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """A realistic mix: 70 % task starts (switches, some parallel, some interruptions with
    resumes), 14 % dimension choices, 6 % point events, 5 % notes, the rest ends."""
    rng = random.Random(seed)
    session = str(uuid.uuid4())
    t = 1_795_000_000_000
    out: list[dict[str, Any]] = []
    running: list[str] = []
    suspended: list[str] = []

    def add(type_: str, **payload: Any) -> None:
        out.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "session": session,
                "seq": len(out),
                "type": type_,
                "t": t,
                "payload": payload,
            }
        )

    add("session_start", participant="P1")
    while len(out) < n - 1:
        t += rng.randint(500, 90_000)
        r = rng.random()
        key = f"t{len(out)}"
        if r < 0.70:
            mode = rng.random()
            if mode < 0.1 and running:  # an interruption
                add(
                    "task_start",
                    task=key,
                    category=rng.choice(CATEGORIES),
                    ends=[],
                    suspends=[running[-1]],
                )
                suspended.append(running.pop())
            elif mode < 0.2:  # in parallel
                add("task_start", task=key, category=rng.choice(CATEGORIES), ends=[], suspends=[])
            else:  # a switch
                add(
                    "task_start",
                    task=key,
                    category=rng.choice(CATEGORIES),
                    ends=list(running),
                    suspends=[],
                )
                running.clear()
            running.append(key)
        elif r < 0.84 and running:
            add(
                "dims",
                task=running[-1],
                dimension="with_whom",
                values=[rng.choice(["patient", "alone", "senior manager"])],
            )
        elif r < 0.90:
            add("event", kind=rng.choice(["interruption", "demand"]), subtype="phone")
        elif r < 0.95:
            add("note", text=f"note {len(out)}")
        elif suspended:
            k = suspended.pop()
            add("resume", task=k, ends=list(running))
            running[:] = [k]
        elif running:
            add("task_end", task=running.pop())
    t += 1000
    add("session_end")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--actions", type=int, default=10_000)
    ap.add_argument("--store", help="a store URL (default: a new SQLite file)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    location = args.store or str(Path(tempfile.mkdtemp(prefix="ww-bench-")) / "bench.sqlite")
    store = Store.create(location)
    sid = store.studies.create(Study(f"bench-{uuid.uuid4().hex[:6]}"))
    with store.transaction() as conn:
        store.studies.add_sites(sid, [Site("S")], conn)
        store.studies.add_participants(sid, [Participant("P1", "S")], conn)
    accounts.record_consent(store, sid, "P1", given=True, by=None)
    name = f"bench-{uuid.uuid4().hex[:6]}"
    accounts.add_user(store, name, "admin", "bench-password")
    user = accounts.user_by_name(store, name)
    assert user is not None
    actor = capture.actor_of(store, user, sid)
    assert actor is not None

    batch = make_batch(args.actions)
    t0 = time.perf_counter()
    report = capture.ingest(store, sid, actor, batch, clock_ms=batch[-1]["t"])
    first = time.perf_counter() - t0
    assert not report.rejected, report.rejected[:3]
    tasks = report.sessions[0]["tasks"]
    t0 = time.perf_counter()
    again = capture.ingest(store, sid, actor, batch, clock_ms=batch[-1]["t"])
    replay = time.perf_counter() - t0
    assert not again.stored and len(again.duplicates) == len(batch)

    figures = {
        "store": "SQLite" if "://" not in location else location.split("://")[0],
        "actions": len(batch),
        "tasks": tasks,
        "events": report.sessions[0]["events"],
        "notes": report.sessions[0]["notes"],
        "seconds": round(first, 3),
        "tasks_per_second": round(tasks / first),
        "actions_per_second": round(len(batch) / first),
        "replay_seconds": round(replay, 3),
        "target_tasks_per_second": 5000,
    }
    met = "met" if figures["tasks_per_second"] >= 5000 else "NOT met"
    print(
        f"sync ingest on {figures['store']}: {len(batch)} actions ({tasks} tasks, "
        f"{figures['events']} events, {figures['notes']} notes) in {first:.3f} s = "
        f"{figures['tasks_per_second']:,} tasks/s, {figures['actions_per_second']:,} actions/s "
        f"(target >= 5,000 tasks/s: {met}); "
        f"replay of the whole batch (all duplicates): {replay:.3f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    store.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
