"""Connecting to a store: a SQLite file (default, WAL mode) or a PostgreSQL URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.pool import ConnectionPoolEntry

from workweave.domain.errors import NotFoundError, WorkweaveError


class StoreError(WorkweaveError):
    """The store cannot be reached, or is not a workweave store."""


def store_url(path_or_url: str | Path) -> str:
    """A SQLAlchemy URL for a file path or a database URL (postgresql:// uses pg8000)."""
    text = str(path_or_url)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    try:
        url = make_url(text)
    except ArgumentError:
        raise StoreError(f"'{text}' is not a database URL or a file path") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+pg8000")
    elif not url.drivername.startswith(("postgresql", "sqlite")):
        raise StoreError(f"unsupported database '{url.drivername}': use SQLite or PostgreSQL")
    return url.render_as_string(hide_password=False)


def make_engine(path_or_url: str | Path, *, must_exist: bool = False) -> Engine:
    url = store_url(path_or_url)
    if url.startswith("sqlite:///"):
        file = Path(url.removeprefix("sqlite:///"))
        if must_exist and not file.exists():
            raise NotFoundError(f"no store at {file} (run 'workweave init' to make one)")
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "workweave.store:migrations")
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except (OperationalError, SADatabaseError) as exc:
        raise StoreError(f"cannot open the store: {exc.orig}") from None


def migrate(engine: Engine) -> None:
    """Bring the store's schema up to date (creates it in an empty database)."""
    cfg = _alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except (OperationalError, SADatabaseError) as exc:
        raise StoreError(f"cannot set up the store: {exc.orig}") from None
