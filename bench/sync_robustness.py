"""Sync robustness on a live server: many tablets, replays, reordering, duplicates, kill -9.

Starts the web app as a real uvicorn process (a separate process, as `workweave serve` runs it)
on a store, sets up a study with participants and one observer account per tablet through the
services, then lets N tablets (threads, each with its own signed-in HTTP client) record one
capture session each (the realistic action mix of `bench/sync_ingest.py`) and sync it in small
batches, with:

* replays: a batch sent twice in a row (the second answer must be all duplicates);
* reordering: neighbouring batches swapped, and for a third of the tablets the batch holding
  `session_start` sent late (actions arrive before their session has started);
* duplicates: actions of batches already sent put into later batches, and an action twice in
  one batch.

When half of the batches have been acknowledged the server is killed with SIGKILL and started
again on the same store; the tablets retry (connection errors, 5xx, 503) until every batch is
acknowledged (every action of it listed as stored or duplicate). Then, as a researcher, it
reads every session back through the API and compares it with the fold of all the session's
actions (`workweave.domain.capture.project`): its stored action log, and its tasks (key,
category, times, dimensions, suspensions, parallel links). Prints the figures; exits 1 if any
action or task is lost, duplicated or different, or a batch was refused.

    .venv/bin/python bench/sync_robustness.py                      # SQLite file
    .venv/bin/python bench/sync_robustness.py --store postgresql://workweave:workweave@127.0.0.1:5432/DB

A PostgreSQL database may already hold a store: the run uses its own study and user names.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_ingest import make_batch

from workweave.domain.capture import Action, Header, project
from workweave.domain.study import Participant, Site, Study
from workweave.services import accounts
from workweave.store import Store

PASSWORD = "wren-kettle-harbour-42"
PARTICIPANTS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    location: str
    port: int
    folder: Path
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start uvicorn; seconds until /healthz answers."""
        env = {
            **os.environ,
            "WORKWEAVE_STORE": self.location,
            "WORKWEAVE_SECRET_FILE": str(self.folder / "secret.key"),
        }
        env.pop("WORKWEAVE_SECRET_KEY", None)
        t0 = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "workweave.web.app:app_from_environment",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=out,
                stderr=out,
            )
        while time.monotonic() - t0 < 120:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited: see {self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.proc.kill()
        raise SystemExit("the server did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: int = 0
    requests: int = 0
    retries: int = 0
    connection_errors: int = 0
    status: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    stored: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def sign_in(url: str, name: str, stats: Stats) -> httpx.Client:
    """A client signed in as `name`, retrying while the server is down or busy (503, 429)."""
    delay = 0.2
    while True:
        c = httpx.Client(base_url=url, timeout=120)
        try:
            token = c.get("/api/session").json()["csrf"]
            r = c.post(
                "/api/login",
                json={"name": name, "password": PASSWORD},
                headers={"X-CSRF-Token": token},
            )
            with stats.lock:
                stats.status[f"sign-in {r.status_code}"] += 1
            if r.status_code == 200:
                c.headers["X-CSRF-Token"] = r.json()["csrf"]
                return c
            if r.status_code not in (429, 503) and r.status_code < 500:
                raise SystemExit(f"sign-in of {name}: {r.status_code} {r.text[:200]}")
        except httpx.TransportError:
            with stats.lock:
                stats.connection_errors += 1
        c.close()
        time.sleep(delay + random.random() * delay)
        delay = min(delay * 1.5, 3.0)


@dataclass
class Tablet:
    index: int
    user: str
    participant: str
    actions: list[dict[str, Any]]
    plan: list[list[dict[str, Any]]]  # the batches in the order they are sent
    intended_duplicates: int

    @property
    def session(self) -> str:
        return str(self.actions[0]["session"])


def plan_tablet(
    index: int, user: str, participant: str, n_actions: int, batch_size: int, seed: int
) -> Tablet:
    rng = random.Random(seed * 1000 + index)
    actions = make_batch(n_actions, seed=seed * 1000 + index)
    actions[0]["payload"] = {"participant": participant}
    for a in actions:  # action ids are unique in the whole store: fresh ones on every run
        a["uuid"] = str(uuid.uuid4())
    batches = [actions[i : i + batch_size] for i in range(0, len(actions), batch_size)]
    order = list(range(len(batches)))
    for i in range(0, len(order) - 1):  # neighbours swapped
        if rng.random() < 0.3:
            order[i], order[i + 1] = order[i + 1], order[i]
    if index % 3 == 0 and len(order) > 3:  # the session's start arrives late
        order.remove(0)
        order.insert(3, 0)
    plan: list[list[dict[str, Any]]] = []
    sent: list[dict[str, Any]] = []
    dups = 0
    for b in order:
        batch = list(batches[b])
        if sent and rng.random() < 0.2:  # actions already sent, again
            extra = rng.sample(sent, min(len(sent), rng.randint(1, 3)))
            batch += extra
            dups += len(extra)
        if rng.random() < 0.1:  # an action twice in one batch
            batch.append(rng.choice(batch))
            dups += 1
        rng.shuffle(batch)
        plan.append(batch)
        sent.extend(batches[b])
        if rng.random() < 0.2:  # a replay: the same batch again
            plan.append(list(batch))
            dups += len(batch)
    return Tablet(index, user, participant, actions, plan, dups)


def run_tablet(url: str, study: str, tab: Tablet, stats: Stats, start: threading.Event) -> None:
    start.wait()
    client = sign_in(url, tab.user, stats)
    try:
        for batch in tab.plan:
            uuids = {a["uuid"] for a in batch}
            delay = 0.1
            while True:
                body = {"study": study, "clock": int(time.time() * 1000), "actions": batch}
                try:
                    r = client.post("/api/sync", json=body)
                except httpx.TransportError:
                    with stats.lock:
                        stats.connection_errors += 1
                        stats.retries += 1
                    time.sleep(delay + random.random() * delay)
                    delay = min(delay * 1.5, 2.0)
                    continue
                with stats.lock:
                    stats.requests += 1
                    stats.status[f"sync {r.status_code}"] += 1
                if r.status_code == 200:
                    out = r.json()
                    with stats.lock:
                        stats.duplicates += len(out["duplicates"])
                        stats.stored += len(out["stored"])
                    if out["rejected"]:
                        with stats.lock:
                            stats.rejected.extend(out["rejected"])
                        break
                    if uuids <= set(out["stored"]) | set(out["duplicates"]):
                        with stats.lock:
                            stats.acked += 1
                        break
                    with stats.lock:
                        stats.failures.append(f"tablet {tab.index}: a batch not fully answered")
                    break
                if r.status_code == 401:  # the session ended (it should not): sign in again
                    client.close()
                    client = sign_in(url, tab.user, stats)
                elif r.status_code < 500 and r.status_code != 429:
                    with stats.lock:
                        stats.failures.append(f"tablet {tab.index}: {r.status_code} {r.text[:200]}")
                    break
                with stats.lock:
                    stats.retries += 1
                time.sleep(delay + random.random() * delay)
                delay = min(delay * 1.5, 2.0)
    finally:
        client.close()


def _ms(iso: str | None) -> int | None:
    return None if iso is None else round(datetime.fromisoformat(iso).timestamp() * 1000)


def _dms(at: datetime | None) -> int | None:
    return None if at is None else round(at.timestamp() * 1000)


def expected_tasks(tab: Tablet, study: str) -> list[tuple[Any, ...]]:
    acts = [
        Action(a["uuid"], a["session"], a["seq"], a["type"], a["t"], a["payload"])
        for a in tab.actions
    ]
    header = Header(
        key=f"capture:{tab.session}",
        uuid=tab.session,
        participant=tab.participant,
        site="S",
        mode="shadowing",
        observer=tab.user,
        timezone="Europe/London",
        template=None,
    )
    session = project(header, acts).session
    return [
        (
            t.key,
            t.category,
            t.subcategory,
            _dms(t.start),
            _dms(t.end),
            tuple((d, tuple(v)) for d, v in t.dimensions),
            tuple((_dms(s.start), _dms(s.end), s.by) for s in t.suspensions),
            tuple(sorted((p.other, _dms(p.start), _dms(p.end)) for p in t.parallel)),
            t.ended_by,
        )
        for t in session.tasks
    ]


def stored_tasks(detail: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            t["key"],
            t["category"],
            t["subcategory"],
            _ms(t["start"]),
            _ms(t["end"]),
            tuple((d, tuple(sorted(v))) for d, v in sorted(t["dimensions"].items()) if v),
            tuple((_ms(s["start"]), _ms(s["end"]), s["by"]) for s in t["suspensions"]),
            tuple(sorted((p["other"], _ms(p["start"]), _ms(p["end"])) for p in t["parallel"])),
            t["ended_by"],
        )
        for t in detail["tasks"]
    ]


def setup(location: str, tablets: int, tag: str) -> tuple[str, list[str], str]:
    """A study, its participants (consented) and one observer account per tablet, and a
    researcher to read the sessions back; (study, observer names, researcher name)."""
    store = Store.create(location)
    study = f"sync-{tag}"
    sid = store.studies.create(Study(study, "Sync robustness"))
    codes = [f"P{i:02d}" for i in range(1, PARTICIPANTS + 1)]
    with store.transaction() as conn:
        store.studies.add_sites(sid, [Site("S", "Site", "Europe/London")], conn)
        store.studies.add_participants(sid, [Participant(c, "S") for c in codes], conn)
    for c in codes:
        accounts.record_consent(store, sid, c, given=True, by=None)
    observers = [f"obs{i:02d}-{tag}" for i in range(tablets)]
    for name in observers:
        accounts.add_user(store, name, "observer", PASSWORD)
        accounts.grant(store, name, study, "observer", code=name)
    researcher = f"res-{tag}"
    accounts.add_user(store, researcher, "researcher", PASSWORD)
    accounts.grant(store, researcher, study, "researcher")
    store.close()
    return study, observers, researcher


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", help="a store URL or SQLite path (default: a new SQLite file)")
    ap.add_argument("--tablets", type=int, default=50)
    ap.add_argument("--actions", type=int, default=200, help="actions per session")
    ap.add_argument("--batch", type=int, default=8, help="actions per batch")
    ap.add_argument("--kill-at", type=float, default=0.5, help="fraction acknowledged, then kill")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ww-syncrob-"))
    location = args.store or str(folder / "sync.sqlite")
    backend = "PostgreSQL" if "://" in location else "SQLite"
    tag = uuid.uuid4().hex[:6]
    study, observers, researcher = setup(location, args.tablets, tag)
    tabs = [
        plan_tablet(
            i, observers[i], f"P{i % PARTICIPANTS + 1:02d}", args.actions, args.batch, args.seed
        )
        for i in range(args.tablets)
    ]
    total_batches = sum(len(t.plan) for t in tabs)
    server = Server(location, free_port(), folder)
    first_start = server.start()
    stats = Stats()
    go = threading.Event()
    threads = [
        threading.Thread(target=run_tablet, args=(server.url, study, t, stats, go), daemon=True)
        for t in tabs
    ]
    for th in threads:
        th.start()
    t0 = time.monotonic()
    go.set()
    killed_at = None
    restart = 0.0
    try:
        while any(th.is_alive() for th in threads):
            if killed_at is None and stats.acked >= args.kill_at * total_batches:
                killed_at = stats.acked
                server.kill9()
                restart = server.start()
            time.sleep(0.05)
        took = time.monotonic() - t0
        if killed_at is None:  # everything went through before the mark: kill anyway
            server.kill9()
            restart = server.start()
            killed_at = stats.acked

        # read every session back as the researcher
        reader = sign_in(server.url, researcher, stats)
        sent_actions = sum(len(t.actions) for t in tabs)
        expected_n = stored_n = lost = duplicated = extra = differ = 0
        actions_lost = actions_extra = 0
        for tab in tabs:
            key = f"capture:{tab.session}"
            r = reader.get(f"/api/studies/{study}/sessions/{key}")
            want = expected_tasks(tab, study)
            expected_n += len(want)
            if r.status_code != 200:
                lost += len(want)
                stats.failures.append(f"tablet {tab.index}: session {r.status_code}")
                continue
            got = stored_tasks(r.json())
            stored_n += len(got)
            want_by = {w[0]: w for w in want}
            keys = Counter(g[0] for g in got)
            duplicated += sum(n - 1 for n in keys.values() if n > 1)
            extra += sum(1 for k in keys if k not in want_by)
            lost += sum(1 for k in want_by if k not in keys)
            got_by = {g[0]: g for g in got}
            differ += sum(1 for k, w in want_by.items() if k in got_by and got_by[k] != w)
            log = reader.get(f"/api/studies/{study}/sessions/{key}/actions").json()
            log_uuids = Counter(a["uuid"] for a in log)
            sent = {a["uuid"] for a in tab.actions}
            actions_lost += len(sent - set(log_uuids))
            actions_extra += sum(n - 1 for n in log_uuids.values()) + len(set(log_uuids) - sent)
        reader.close()
    finally:
        server.stop()

    tracebacks = server.log.read_text(errors="replace").count("Traceback")
    figures = {
        "backend": backend,
        "tablets": args.tablets,
        "sessions": len(tabs),
        "actions_sent": sent_actions,
        "batches_planned": total_batches,
        "batches_acknowledged": stats.acked,
        "requests": stats.requests,
        "duplicates_intended": sum(t.intended_duplicates for t in tabs),
        "duplicates_refused": stats.duplicates,
        "stored": stats.stored,
        "rejected": len(stats.rejected),
        "killed_after_batches": killed_at,
        "restart_seconds": round(restart, 2),
        "first_start_seconds": round(first_start, 2),
        "connection_errors": stats.connection_errors,
        "retries": stats.retries,
        "statuses": dict(sorted(stats.status.items())),
        "server_tracebacks": tracebacks,
        "tasks_expected": expected_n,
        "tasks_stored": stored_n,
        "tasks_lost": lost,
        "tasks_duplicated": duplicated + extra,
        "tasks_different": differ,
        "actions_lost": actions_lost,
        "actions_duplicated": actions_extra,
        "seconds": round(took, 1),
    }
    print(
        f"sync robustness on {backend}: {len(tabs)} tablets, {sent_actions} actions in "
        f"{total_batches} batches ({stats.requests} requests, {stats.retries} retries, "
        f"{stats.connection_errors} connection errors, statuses {figures['statuses']}); "
        f"kill -9 after {killed_at} acknowledged batches, back in {restart:.1f} s (first start "
        f"{first_start:.1f} s); "
        f"duplicates refused {stats.duplicates} (sent on purpose {figures['duplicates_intended']})"
        f", actions stored {stats.stored}, rejected {len(stats.rejected)}; "
        f"tasks expected {expected_n}, stored {stored_n}, lost {lost}, duplicated "
        f"{duplicated + extra}, different {differ}; actions lost {actions_lost}, duplicated "
        f"{actions_extra}; server tracebacks {tracebacks}; {took:.1f} s"
    )
    for line in stats.failures[:10]:
        print("  failure:", line)
    for rej in stats.rejected[:5]:
        print("  rejected:", rej)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    bad = (
        lost
        or duplicated
        or extra
        or differ
        or actions_lost
        or actions_extra
        or stats.rejected
        or stats.failures
        or stats.acked != total_batches
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
