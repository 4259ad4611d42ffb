"""Server-side sessions and throttled sign-in over HTTP: a logged-out cookie gets 401 (and a
page redirects to sign-in), the cookie carries only the session id, a password change and a
secret rotation end sessions, and wrong passwords lock the sign-in (429, also for unknown
names)."""

from __future__ import annotations

import json
from base64 import b64decode
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.web.support import LiveServer
from workweave.services import accounts


def _cookie_data(value: str) -> dict[str, object]:
    data = value.split(".")[0]
    loaded: dict[str, object] = json.loads(b64decode(data + "=" * (-len(data) % 4)))
    return loaded


def test_a_logged_out_cookie_is_refused(server: LiveServer) -> None:
    c = server.client("res")
    cookie = c.cookies.get("workweave_session")
    assert cookie and set(_cookie_data(cookie)) == {"sid"}  # nothing but the session id
    token = c.headers["X-CSRF-Token"]
    assert c.get("/api/me").status_code == 200
    assert c.post("/api/logout").status_code == 200
    # the old cookie, replayed with its CSRF token, no longer signs anyone in
    old = server.client()
    old.cookies.set("workweave_session", cookie)
    old.headers["X-CSRF-Token"] = token
    assert old.get("/api/me").status_code == 401
    r = old.get("/studies")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert old.post("/api/studies/s1/sites", json={"code": "X", "name": "X"}).status_code in (
        401,
        403,
    )


def test_page_sign_out_ends_the_session_on_the_server(server: LiveServer) -> None:
    c = server.client()
    token = c.headers.pop("X-CSRF-Token")  # as a browser posts a form: the token in a field
    r = c.post("/login", data={"name": "obs2", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    cookie = c.cookies.get("workweave_session")
    assert cookie
    me = c.get("/api/session").json()
    assert me["user"]["name"] == "obs2"
    r = c.post("/logout", data={"csrf_token": me["csrf"]})
    assert r.status_code == 303
    replay = server.client()
    replay.cookies.set("workweave_session", cookie)
    assert replay.get("/api/me").status_code == 401


def test_password_change_and_rotation_end_sessions(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_user(server.store, "temp2", "researcher", "first-kettle-harbour")
    one, two = server.client(), server.client()
    for c in (one, two):
        r = c.post("/api/login", json={"name": "temp2", "password": "first-kettle-harbour"})
        assert r.status_code == 200
        c.headers["X-CSRF-Token"] = r.json()["csrf"]
    assert one.headers["X-CSRF-Token"] != two.headers["X-CSRF-Token"]  # one token per session
    # changing the password on the account page ends the other session, not this one
    r = one.post(
        "/account/password",
        data={
            "current": "first-kettle-harbour",
            "new": "second-kettle-harbour",
            "again": "second-kettle-harbour",
            "csrf_token": one.headers["X-CSRF-Token"],
        },
    )
    assert r.status_code == 303
    assert one.get("/api/me").status_code == 200
    assert two.get("/api/me").status_code == 401
    # a weak new password is refused with the reason
    one.headers["X-CSRF-Token"] = one.get("/api/session").json()["csrf"]
    r = one.post(
        "/account/password",
        data={
            "current": "second-kettle-harbour",
            "new": "temp2temp2temp2",
            "again": "temp2temp2temp2",
            "csrf_token": one.headers["X-CSRF-Token"],
        },
    )
    assert "user name" in one.get("/account").text
    # rotating the secret ends every session
    monkeypatch.setenv(accounts.ENV_SECRET_FILE, str(tmp_path / "secret.key"))
    path, ended = accounts.rotate_secret(server.store)
    assert path == tmp_path / "secret.key" and ended >= 1
    assert one.get("/api/me").status_code == 401


def test_wrong_passwords_lock_the_sign_in(server: LiveServer) -> None:
    c = server.client()
    statuses = {}
    for name in ("obs1", "nobody-at-all"):
        seen = []
        for _ in range(7):
            r = c.post("/api/login", json={"name": name, "password": "not-the-password"})
            seen.append(r.status_code)
        statuses[name] = seen
        assert r.headers.get("retry-after") and "too many failed sign-ins" in r.json()["detail"]
    assert statuses["obs1"] == statuses["nobody-at-all"] == [401] * 5 + [429] * 2
    # the right password is refused while the lock lasts
    r = c.post("/api/login", json={"name": "obs1", "password": PASSWORD})
    assert r.status_code == 429
    r = c.post(
        "/login",
        data={"name": "obs1", "password": PASSWORD, "csrf_token": c.headers["X-CSRF-Token"]},
    )
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
