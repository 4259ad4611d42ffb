"""``workweave serve`` and ``workweave user ...``, the demo sign-ins, and the 0003 migration."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.web.support import seed
from workweave.cli import app
from workweave.services import accounts
from workweave.services.accounts import prepare_demo_users
from workweave.store import Store

runner = CliRunner()
GRANT = ("user", "grant", "sam", "--study", "s1")


def test_user_commands(tmp_path: Path) -> None:
    store = str(tmp_path / "s.sqlite")
    st = Store.create(store)
    seed(st)
    r = runner.invoke(
        app,
        ["user", "add", "maria", "--role", "admin", "--password", "long-enough", "--store", store],
    )
    assert r.exit_code == 0, r.output
    assert "maria" in r.output and "admin" in r.output
    r = runner.invoke(
        app,
        ["user", "add", "sam", "--role", "observer", "--password", "long-enough", "--store", store],
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
        app, ["user", "add", "x", "--role", "boss", "--password", "long-enough", "--store", store]
    )
    assert r.exit_code == 2 and "role 'boss'" in r.output
    r = runner.invoke(app, ["user", "add", "y", "--password", "short", "--store", store])
    assert r.exit_code == 2 and "8 characters" in r.output
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
        app, ["user", "password", "sam", "--password", "another-one", "--store", store]
    )
    assert r.exit_code == 0
    assert accounts.authenticate(st, "sam", "another-one") is not None
    assert accounts.authenticate(st, "sam", "long-enough") is None


def test_serve_help() -> None:
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    for option in ("--store", "--host", "--port", "--study", "--secure-cookies"):
        assert option in r.output


def test_demo_sign_ins(tmp_path: Path) -> None:
    st = Store.create(tmp_path / "d.sqlite")
    sid = seed(st)
    info = prepare_demo_users(st, "s1")
    again = prepare_demo_users(st, "s1")  # running it again changes nothing
    assert info == again and info["study"] == "s1"
    roles = {u["role"]: u for u in info["users"]}
    assert set(roles) == {"admin", "researcher", "observer", "participant"}
    for u in info["users"]:
        assert accounts.authenticate(st, u["name"], u["password"]) is not None
    assert roles["participant"]["participant"] == "P1"
    assert all(c.given for c in accounts.consents(st, sid).values())
    assert len(accounts.consents(st, sid)) == 4


def test_migration_creates_the_web_tables(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from workweave.store import schema_web
    from workweave.store.engine import current_revision, head_revision
    from workweave.store.schema import metadata

    st = Store.create(tmp_path / "m.sqlite")
    assert current_revision(st.engine) == head_revision()
    with st.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    web_tables = set(schema_web.__all__)
    assert not [d for d in diff if any(t in str(d) for t in web_tables)], diff
