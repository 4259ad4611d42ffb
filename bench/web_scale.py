"""The web app on a large study: time to first byte, time until built and cached view time of
the dashboard and the study report page; the report again after a restart (disk cache); and
optionally ``workweave metrics --by site`` (wall time and peak memory, /usr/bin/time -v).

    workweave simulate --tasks 1000000 --name million --store /tmp/big   # once, minutes
    .venv/bin/python bench/web_scale.py --store /tmp/big --study million [--metrics]

It serves the store with ``workweave serve`` on a free port, lets it load its libraries
(``--settle`` seconds), signs in as a researcher it adds to the study (``bench-researcher``),
and starts from an empty build cache. ``--first-view-only`` times the first views alone.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

WORKWEAVE = Path(sys.executable).with_name("workweave")
USER, PASSWORD = "bench-researcher", "bench-researcher-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(store_arg: str, study: str, keep_cache: bool = False) -> str:
    """The store's location; the bench user exists and is a researcher in the study; the
    build cache is empty."""
    from workweave.domain.errors import ValidationError
    from workweave.services import accounts
    from workweave.services.builds import cache_dir_for
    from workweave.store import Store
    from workweave.workspace import resolve_store

    location, _, _ = resolve_store(store_arg)
    store = Store.open(location)
    try:
        with contextlib.suppress(ValidationError):  # added by an earlier run
            accounts.add_user(store, USER, "researcher", PASSWORD)
        with contextlib.suppress(ValidationError):
            accounts.grant(store, USER, study, "researcher")
        if not keep_cache:
            shutil.rmtree(cache_dir_for(store.location), ignore_errors=True)
    finally:
        store.close()
    return location


class Server:
    def __init__(self, location: str, study: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                str(WORKWEAVE),
                "serve",
                "--store",
                location,
                "--study",
                study,
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(self.url + "/healthz", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.3)

    def client(self) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=600)
        token = c.get("/api/session").json()["csrf"]
        r = c.post(
            "/api/login",
            json={"name": USER, "password": PASSWORD},
            headers={"X-CSRF-Token": token},
        )
        r.raise_for_status()
        return c

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def timed_get(c: httpx.Client, path: str) -> tuple[float, float, int, int]:
    """(time to first byte, time to the whole body, status, body size)."""
    t0 = time.perf_counter()
    with c.stream("GET", path) as r:
        ttfb = time.perf_counter() - t0
        body = r.read()
    return ttfb, time.perf_counter() - t0, r.status_code, len(body)


def until_built(c: httpx.Client, status_path: str, t0: float) -> tuple[float, list[str]]:
    """Poll a build's status until done: (seconds since t0, the stages seen)."""
    stages: list[str] = []
    while True:
        s = c.get(status_path).json()
        if not stages or stages[-1] != f"{s['percent']:>3} % {s['stage']}":
            stages.append(f"{s['percent']:>3} % {s['stage']}")
        if s["status"] == "done":
            return time.perf_counter() - t0, stages
        if s["status"] in ("failed", "missing"):
            raise SystemExit(f"the build {s['status']}: {s.get('error')}")
        time.sleep(0.5)


def page(c: httpx.Client, name: str, path: str, status_path: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    ttfb, total, status, _ = timed_get(c, path)
    print(f"{name}: first view {status} in {ttfb:.2f} s (first byte), {total:.2f} s (whole page)")
    built, stages = until_built(c, status_path, t0)
    print(f"{name}: built {built:.1f} s after the first request; progress seen:")
    for s in stages:
        print(f"    {s}")
    cached = [timed_get(c, path) for _ in range(5)]
    best = min(x[1] for x in cached)
    median = statistics.median(x[1] for x in cached)
    print(
        f"{name}: cached view {cached[-1][2]} ({cached[-1][3]:,} bytes) best {best:.3f} s, "
        f"median {median:.3f} s of 5"
    )
    return {"ttfb": ttfb, "built": built, "cached": median}


def metrics_by_site(location: str, study: str) -> None:
    done = subprocess.run(
        [
            "/usr/bin/time",
            "-v",
            str(WORKWEAVE),
            "metrics",
            "--by",
            "site",
            "--store",
            location,
            "--study",
            study,
        ],
        capture_output=True,
        text=True,
    )
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    print(
        f"metrics --by site: exit {done.returncode}, wall {wall.group(1) if wall else '?'}, "
        f"peak memory {int(rss.group(1)) / 1024:.0f} MB"
        if rss
        else "peak memory ?"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", required=True, help="workspace folder, SQLite file or URL")
    ap.add_argument("--study", required=True)
    ap.add_argument("--B", type=int, default=500, help="bootstrap replicates of the report")
    ap.add_argument("--metrics", action="store_true", help="also time metrics --by site")
    ap.add_argument(
        "--settle",
        type=float,
        default=20,
        help="seconds to let a started server load its libraries before the first view",
    )
    ap.add_argument(
        "--first-view-only",
        action="store_true",
        help="only the first views' time to first byte (the builds are not waited for)",
    )
    ap.add_argument(
        "--keep-cache",
        action="store_true",
        help="keep the results built by an earlier run (the first views are then cached ones)",
    )
    args = ap.parse_args()
    location = prepare(args.store, args.study, args.keep_cache)
    base = f"/studies/{args.study}"
    server = Server(location, args.study)
    time.sleep(args.settle)
    if args.first_view_only:
        try:
            c = server.client()
            for name, path in (("dashboard", base), ("report", f"{base}/report?B={args.B}")):
                ttfb, total, status, _ = timed_get(c, path)
                print(f"{name}: first view {status} in {ttfb:.3f} s (first byte), {total:.3f} s")
        finally:
            server.stop()
        return
    try:
        c = server.client()
        page(c, "dashboard", base, f"/api{base}/builds/dashboard")
        page(c, "report", f"{base}/report?B={args.B}", f"/api{base}/builds/report?B={args.B}")
    finally:
        server.stop()
    server = Server(location, args.study)
    time.sleep(args.settle)
    try:
        c = server.client()
        for name, path in (("dashboard", base), ("report", f"{base}/report?B={args.B}")):
            _, total, status, _ = timed_get(c, path)
            print(f"{name} after a restart: {status} in {total:.3f} s (disk cache)")
    finally:
        server.stop()
    if args.metrics:
        metrics_by_site(location, args.study)


if __name__ == "__main__":
    main()
