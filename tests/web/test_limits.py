"""Request body limits and the CSRF check never buffering a body it will refuse: at the ASGI
level (counting the bytes the app pulls from the client) and over HTTP on a live server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import LiveServer
from workweave.web import create_app
from workweave.web.limits import BodyLimits, KiB, MiB

CHUNK = 64 * KiB


def _call(
    app: Any,
    path: str,
    *,
    length: int | None,
    total: int,
    headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
    content_type: bytes = b"application/x-www-form-urlencoded",
) -> tuple[int, int]:
    """Send a POST of `total` bytes (in 64 KiB chunks) straight to the ASGI app; (status,
    bytes the app read)."""
    read = 0
    status = 0
    hdrs = [(b"content-type", content_type), *headers]
    if length is not None:
        hdrs.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": hdrs,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= total:
            return {"type": "http.disconnect"}
        n = min(CHUNK, total - read)
        read += n
        return {"type": "http.request", "body": b"a" * n, "more_body": read < total}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    asyncio.run(app(scope, receive, send))
    return status, read


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(str(tmp_path_factory.mktemp("limits") / "w.sqlite"), secret_key="s" * 48)


def test_a_large_anonymous_body_is_refused_unread(app: Any) -> None:
    status, read = _call(app, "/login", length=100 * MiB, total=100 * MiB)
    assert (status, read) == (413, 0)
    status, read = _call(app, "/api/login", length=65 * KiB, total=65 * KiB)
    assert (status, read) == (413, 0)


def test_a_chunked_anonymous_body_is_cut_off_at_the_limit(app: Any) -> None:
    anonymous = BodyLimits().anonymous
    status, read = _call(
        app, "/login", length=None, total=100 * MiB, headers=[(b"x-csrf-token", b"t")]
    )
    assert status in (403, 413) and read == 0  # no session: refused before reading
    # with a session (anonymous, from GET /login) the form is read, up to the limit only
    cookie = _anonymous_cookie(app)
    status, read = _call(app, "/login", length=None, total=100 * MiB, headers=[cookie])
    assert status == 413 and read <= anonymous + CHUNK


def test_csrf_refuses_before_reading_without_session_or_token(app: Any) -> None:
    status, read = _call(app, "/login", length=1000, total=1000)
    assert (status, read) == (403, 0)  # no session cookie
    cookie = _anonymous_cookie(app)
    status, read = _call(
        app, "/api/login", length=1000, total=1000, headers=[cookie], content_type=b"text/json"
    )
    assert (status, read) == (403, 0)  # JSON without the header token


def _anonymous_cookie(app: Any) -> tuple[bytes, bytes]:
    """The cookie of an anonymous session with a CSRF token (as GET /login makes it)."""
    from base64 import b64encode

    from itsdangerous import TimestampSigner

    data = b64encode(json.dumps({"csrf": "anonymous-token"}).encode())
    value = TimestampSigner(app.state.secret_key).sign(data).decode()
    return (b"cookie", f"workweave_session={value}".encode())


def test_limits_over_http(server: LiveServer, tmp_path: Path) -> None:
    anon = server.client()
    big_form = {"name": "x", "password": "y" * (100 * KiB)}
    r = anon.post("/login", data={**big_form, "csrf_token": anon.headers["X-CSRF-Token"]})
    assert r.status_code == 413 and "64 KiB" in r.text
    # signed in: 1 MiB of JSON is fine, 3 MiB is not (outside the upload routes)
    c = server.client("res")
    padding = "x" * MiB
    r = c.post(
        "/api/studies/s1/sessions/nosuch/corrections", json={"target": padding, "field": "f"}
    )
    assert r.status_code != 413
    r = c.post(
        "/api/studies/s1/sessions/nosuch/corrections", json={"target": padding * 3, "field": "f"}
    )
    assert r.status_code == 413 and "2 MiB" in r.json()["detail"]
    # uploads may be larger, for signed-in users only
    r = c.post("/api/sync", json={"study": "s1", "actions": [], "pad": padding * 3})
    assert r.status_code == 200, r.text
    r = anon.post("/api/sync", json={"study": "s1", "actions": [], "pad": padding})
    assert r.status_code == 413
    # after sign-out the larger limits end with the session
    c.post("/api/logout")
    r = c.post("/api/sync", json={"study": "s1", "actions": [], "pad": padding})
    assert r.status_code == 413
