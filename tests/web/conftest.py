"""Fixtures the web tests share: one Chromium per test module, and a live server on each
backend (SQLite always, PostgreSQL when configured). A module that needs another server (a
seeded one, SQLite only) defines its own `server`, which takes precedence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.support import LiveServer, launch_browser, live_server, store_location


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pw, b = launch_browser()
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from live_server(store_location(request.param, tmp_path_factory.mktemp("web")))
