"""Shared fixtures: stores on SQLite (always) and PostgreSQL (when a server is configured), and
the external test data in ../shared (tests that need it skip cleanly when it is absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WORKWEAVE_SHARED", REPO.parent / "shared"))
WOMBAT_DIR = SHARED / "data" / "wombat-nurse-study"
PG_URL = os.environ.get("WORKWEAVE_TEST_PG_URL")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Parallel by default: one pytest-xdist worker per CPU (`-n auto`), a module's tests all on
    one worker (`--dist loadfile`), so that its module fixtures (a simulated study, a live
    server, a browser) are built once. `-n N` and `--dist` choose otherwise, `-n 0` runs in one
    process, and `-p no:xdist` leaves xdist out."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return
    if config.option.numprocesses is None:
        config.option.numprocesses = "auto"
    if config.option.numprocesses != 0 and config.option.dist == "no":
        config.option.dist = "loadfile"


@pytest.fixture(autouse=True)
def _duckdb_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test inherits or leaks DuckDB limits: ``--threads``/``--memory-limit`` set them in
    the environment of the (in-process) command, and this puts it back afterwards."""
    monkeypatch.setenv("WORKWEAVE_THREADS", "")
    monkeypatch.setenv("WORKWEAVE_MEMORY_LIMIT", "")


def wombat_files() -> list[Path]:
    return sorted(p for p in WOMBAT_DIR.glob("*.csv") if p.name != "ior-examples.csv")


@pytest.fixture
def wombat_paths() -> list[Path]:
    files = wombat_files()
    if not files:
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    return files


def _worker_database(url: str) -> str:
    """The PostgreSQL test database for this pytest-xdist worker: the configured database for
    a run without workers, else `<database>_<worker>`, created on first use, so that parallel
    workers never reset each other's schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from workweave.store.engine import store_url

    base = make_url(store_url(url))
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from workweave.store.engine import store_url

    engine = create_engine(store_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def postgres_or_skip() -> str:
    """A freshly reset PostgreSQL test database, or a skip when no server is configured
    (a failure when WORKWEAVE_REQUIRE_PG is set)."""
    if not PG_URL:
        if os.environ.get("WORKWEAVE_REQUIRE_PG"):
            pytest.fail("WORKWEAVE_REQUIRE_PG is set but WORKWEAVE_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL server configured (set WORKWEAVE_TEST_PG_URL)")
    url = _worker_database(PG_URL)
    reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store location on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.sqlite")
    else:
        yield postgres_or_skip()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh workspace folder (SQLite) as the current directory."""
    from workweave.services.studies import init_workspace

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKWEAVE_STORE", raising=False)
    store, _ = init_workspace(tmp_path, study="test")
    store.close()
    return tmp_path


@pytest.fixture(scope="session")
def spark_ready() -> None:
    """One local SparkSession for the whole test run (small data: one shuffle partition), or
    a skip without a Java runtime (a failure when WORKWEAVE_REQUIRE_SPARK=1, as in CI)."""
    from workweave.analysis.metrics.engines import java_available, spark_session

    if not java_available():
        if os.environ.get("WORKWEAVE_REQUIRE_SPARK") == "1":
            pytest.fail("WORKWEAVE_REQUIRE_SPARK=1 but no Java runtime is installed")
        pytest.skip("no Java runtime: the spark engine cannot run here")
    os.environ.setdefault("WORKWEAVE_SPARK_PARTITIONS", "1")  # small data: few tasks per stage
    spark_session()
