"""``workweave serve`` and ``workweave user ...``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.factories import seed_users_study
from workweave.cli import app
from workweave.services import accounts
from workweave.store import Store

runner = CliRunner()
GRANT = ("user", "grant", "sam", "--study", "s1")


def test_user_commands(tmp_path: Path) -> None:
    store = str(tmp_path / "s.sqlite")
    st = Store.create(store)
    seed_users_study(st)
    r = runner.invoke(
        app,
        [
            "user",
            "add",
            "maria",
            "--role",
            "admin",
            "--password",
            "wren-kettle-hb",
            "--store",
            store,
        ],
    )
    assert r.exit_code == 0, r.output
    assert "maria" in r.output and "admin" in r.output
    r = runner.invoke(
        app,
        [
            "user",
            "add",
            "sam",
            "--role",
            "observer",
            "--password",
            "wren-kettle-hb",
            "--store",
            store,
        ],
    )
    assert r.exit_code == 0 and "workweave user grant sam" in r.output
    r = runner.invoke(
        app, ["user", "grant", "sam", "--study", "s1", "--role", "observer", "--store", store]
    )
    assert r.exit_code == 0 and "records as observer sam" in r.output, r.output
    r = runner.invoke(app, ["user", "list", "--store", store])
    assert r.exit_code == 0 and "s1 (observer)" in r.output
    # errors are for people: a message and exit code 2, nothing changed
    r = runner.invoke(
        app,
        [
            "user",
            "add",
            "x",
            "--role",
            "boss",
            "--password",
            "wren-kettle-hb",
            "--store",
            store,
        ],
    )
    assert r.exit_code == 2 and "role 'boss'" in r.output
    r = runner.invoke(app, ["user", "add", "y", "--password", "short", "--store", store])
    assert r.exit_code == 2 and "12 characters" in r.output
    r = runner.invoke(
        app,
        ["user", "grant", "sam", "--study", "s1", "--role", "participant", "--store", store],
    )
    assert r.exit_code == 2 and "participant code" in r.output
    r = runner.invoke(
        app,
        [*GRANT, "--role", "participant", "--code", "P2", "--store", store],
    )
    assert r.exit_code == 0 and "linked to participant P2" in r.output
    r = runner.invoke(
        app, ["user", "password", "sam", "--password", "another-wren-kettle", "--store", store]
    )
    assert r.exit_code == 0
    assert accounts.authenticate(st, "sam", "another-wren-kettle") is not None
    assert accounts.authenticate(st, "sam", "wren-kettle-hb") is None


def test_serve_help() -> None:
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    for option in ("--store", "--host", "--port", "--study", "--secure-cookies"):
        assert option in r.output


def test_web_rotate_secret_ends_sessions(tmp_path: Path) -> None:
    import os
    import stat

    os.environ.pop(accounts.ENV_SECRET_KEY, None)
    os.environ.pop(accounts.ENV_SECRET_FILE, None)
    store = str(tmp_path / "s.sqlite")
    st = Store.create(store)
    seed_users_study(st)
    old = accounts.secret_key(st)
    user = accounts.user_by_name(st, "res")
    assert user is not None
    sid = accounts.start_session(st, user)
    r = runner.invoke(app, ["web", "rotate-secret", "--store", store])
    assert r.exit_code == 0 and "1 web session(s) ended" in r.output, r.output
    key = tmp_path / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.read_text().strip() != old
    assert accounts.session_user(st, sid) is None
    r = runner.invoke(app, ["web", "end-sessions", "--user", "nobody", "--store", store])
    assert r.exit_code == 2 and "no user 'nobody'" in r.output
