"""Shared helpers for the web tests: a real uvicorn server in a thread over a store seeded with
study s1 (``tests.factories.seed_users_study``), sign-in and a captured session over HTTP, and
Debian's Chromium through Playwright (skipped cleanly when it is absent)."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import postgres_or_skip
from tests.factories import PASSWORD, seed_users_study
from workweave.store import Store

CHROMIUM = os.environ.get("WORKWEAVE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """The web app served by uvicorn on 127.0.0.1 in a background thread."""

    location: str
    store: Store = field(init=False)
    url: str = field(init=False)
    requests: list[tuple[float, str, str]] = field(default_factory=list)

    def start(self) -> LiveServer:
        import uvicorn

        from workweave.web import create_app

        self.store = Store.create(self.location)
        # a PostgreSQL store has no folder for its secret file: a secret for this server
        secret = secrets.token_urlsafe(48) if "://" in self.location else None
        self.app = create_app(self.location, secret_key=secret)
        log = self.requests

        async def recorder(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                log.append((time.monotonic(), scope["method"], scope["path"]))
            await self.app(scope, receive, send)

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            recorder, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.store.close()
        self.store.close()

    def client(self, user: str | None = None) -> httpx.Client:
        """An HTTP client, signed in as `user` when given; its CSRF token is in headers."""
        c = httpx.Client(base_url=self.url, timeout=20, follow_redirects=False)
        token = c.get("/api/session").json()["csrf"]
        if user is not None:
            r = c.post(
                "/api/login",
                json={"name": user, "password": PASSWORD},
                headers={"X-CSRF-Token": token},
            )
            assert r.status_code == 200, r.text
            token = r.json()["csrf"]
        c.headers["X-CSRF-Token"] = token
        return c


def store_location(backend: str, tmp: Path) -> str:
    """A fresh, empty store on a backend: a SQLite file, or the shared PostgreSQL test
    database (reset; skipped when no server is configured unless WORKWEAVE_REQUIRE_PG=1)."""
    if backend == "sqlite":
        return str(tmp / "web.sqlite")
    return postgres_or_skip()


def live_server(location: str) -> Iterator[LiveServer]:
    server = LiveServer(location).start()
    seed_users_study(server.store)
    try:
        yield server
    finally:
        server.stop()


def captured_session(server: LiveServer, participant: str = "P1") -> str:
    """Record a short session as obs1 over HTTP; its key."""
    c = server.client("obs1")
    s = str(uuid.uuid4())
    t = 1_795_000_000_000
    actions = [
        {
            "uuid": str(uuid.uuid4()),
            "session": s,
            "seq": 0,
            "type": "session_start",
            "t": t,
            "payload": {"participant": participant},
        },
        {
            "uuid": str(uuid.uuid4()),
            "session": s,
            "seq": 1,
            "type": "task_start",
            "t": t + 5000,
            "payload": {"task": "T1", "category": "ADMIN", "ends": [], "suspends": []},
        },
        {
            "uuid": str(uuid.uuid4()),
            "session": s,
            "seq": 2,
            "type": "session_end",
            "t": t + 65000,
            "payload": {},
        },
    ]
    r = c.post("/api/sync", json={"study": "s1", "clock": t + 66000, "actions": actions})
    assert r.status_code == 200 and not r.json()["rejected"], r.text
    return f"capture:{s}"


# -- the browser ---------------------------------------------------------------------------------


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("WORKWEAVE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"WORKWEAVE_REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (set WORKWEAVE_CHROMIUM)")
    return CHROMIUM


def launch_browser() -> tuple[Any, Any]:
    """(playwright, browser): Debian's Chromium, headless."""
    path = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    return pw, browser


def sign_in(page: Any, server: LiveServer, user: str, next_path: str) -> None:
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server.url}{next_path}")


def wait_until(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def built_page(client: httpx.Client, path: str, params: dict[str, Any] | None = None) -> Any:
    """GET a page that is built in the background (the study report, the dashboard) until it
    is no longer the progress view (202); the final response."""
    deadline = time.monotonic() + 300
    while True:
        r = client.get(path, params=params)
        if r.status_code != 202:
            return r
        assert 'data-build-status="' in r.text, r.text[:500]
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was not built in time")
        time.sleep(0.2)
