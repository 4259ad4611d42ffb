"""The study report and the dashboard's figures at study scale: built once in the background
however many ask, a progress view (JSON status, meta refresh without JavaScript) until they are
built, then the result from the cache until the study's data change; a failed build shows its
error and can be retried; a restarted server answers from the disk cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.factories import WOMBAT_ROWS, write_wombat
from tests.web.support import (
    LiveServer,
    built_page,
    captured_session,
    launch_browser,
    live_server,
    sign_in,
    store_location,
    wait_until,
)
from workweave import report  # noqa: F401  (loaded before the timed-out requests below)
from workweave.domain import Study
from workweave.services import accounts
from workweave.services.builds import BuildKey, Builds, cache_dir_for
from workweave.services.studies import import_wombat
from workweave.web.building import builds_of

REPORT = "/studies/s1/report"
B0 = {"B": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("builds")
    for srv in live_server(store_location("sqlite", folder)):
        sid = srv.store.studies.id("s1")
        import_wombat(srv.store, sid, [write_wombat(folder, WOMBAT_ROWS)], timezone="UTC")
        srv.store.studies.create(Study("empty", "A study without sessions"))
        accounts.grant(srv.store, "res", "empty", "researcher")
        # builds in the server's own threads: a process per build only costs time here (the
        # services tests build in processes)
        srv.app.state.builds = Builds(cache_dir_for(srv.store.location), processes=False)
        yield srv


class Busy:
    """Keeps the app's build worker busy (a build that waits to be released), so that what is
    asked meanwhile is queued: the progress view is then certain to be seen."""

    def __init__(self, server: LiveServer) -> None:
        self.builds: Builds = builds_of(server.app)
        self.release = threading.Event()
        started = threading.Event()

        def hold(progress: Any) -> bytes:
            started.set()
            assert self.release.wait(120)
            return b""

        self.builds.start(BuildKey("test", "hold", (), str(id(self))), hold)
        assert started.wait(60)

    def __enter__(self) -> Busy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()


def client(server: LiveServer, user: str = "res") -> Any:
    c = server.client(user)
    c.timeout = 300  # a loaded machine: no timing is asserted here
    return c


def status(c: Any, path: str, **params: Any) -> dict[str, Any]:
    r = c.get(path, params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_report_shows_progress_then_the_report_built_once(server: LiveServer) -> None:
    c = client(server)
    with Busy(server) as busy:
        before = busy.builds.builds_started
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: c.get(REPORT, params=B0), range(4)))
        assert {r.status_code for r in answers} == {202}
        page = answers[0].text
        assert 'data-build-status="/api/studies/s1/builds/report?B=0"' in page
        assert "<progress" in page and "Building the study report" in page
        assert '<noscript><meta http-equiv="refresh"' in page  # works without JavaScript
        assert status(c, "/api/studies/s1/builds/report", B=0)["status"] == "queued"
        assert busy.builds.builds_started == before + 1  # four requests, one build
    r = built_page(c, REPORT, params=B0)
    assert r.status_code == 200 and "<html" in r.text and "Methods" in r.text
    s = status(c, "/api/studies/s1/builds/report", B=0)
    assert s["status"] == "done" and s["percent"] == 100
    assert busy.builds.builds_started == before + 1
    # cached: answered at once, no new build
    assert c.get(REPORT, params=B0).status_code == 200
    assert busy.builds.builds_started == before + 1
    # other options are another build
    assert status(c, "/api/studies/s1/builds/report", B=5)["status"] == "missing"
    assert server.client("obs1").get("/api/studies/s1/builds/report").status_code == 403


def test_new_data_rebuild_the_report(server: LiveServer) -> None:
    c = client(server)
    first = built_page(c, REPORT, params=B0)
    assert first.status_code == 200
    builds = builds_of(server.app)
    before = builds.builds_started
    captured_session(server, "P2")  # a session synced from a tablet
    with Busy(server):
        assert c.get(REPORT, params=B0).status_code == 202  # stale: built again
    again = built_page(c, REPORT, params=B0)
    assert again.status_code == 200 and builds.builds_started == before + 2  # + the hold


def test_a_failed_build_shows_its_error_and_can_be_retried(server: LiveServer) -> None:
    c = client(server)
    r = built_page(c, "/studies/empty/report", params=B0)
    assert r.status_code == 409
    assert "could not be built" in r.text and "has no sessions yet" in r.text
    assert 'href="/studies/empty/report?B=0&amp;retry=1"' in r.text
    assert "data-build-status" not in r.text
    builds = builds_of(server.app)
    before = builds.builds_started
    assert c.get("/studies/empty/report", params=B0).status_code == 409  # kept, not rebuilt
    assert builds.builds_started == before
    c.get("/studies/empty/report", params={"B": 0, "retry": 1})
    assert builds.builds_started == before + 1
    assert built_page(c, "/studies/empty/report", params=B0).status_code == 409


def test_the_dashboard_shows_progress_then_its_figures(server: LiveServer) -> None:
    c = client(server)
    captured_session(server, "P3")  # new data: the figures are not built yet
    with Busy(server):
        page = c.get("/studies/s1").text
        assert 'data-build-status="/api/studies/s1/builds/dashboard"' in page
        assert "Building the dashboard" in page and "Latest sessions" in page
        assert status(c, "/api/studies/s1/builds/dashboard")["status"] == "queued"
    wait_until(
        lambda: status(c, "/api/studies/s1/builds/dashboard")["status"] == "done",
        timeout=300,
        what="the dashboard's figures",
    )
    page = c.get("/studies/s1").text
    assert "data-build-status" not in page and 'data-metric="sessions"' in page
    assert "By site" in page
    # the JSON API waits for the same build and agrees with the page
    head = c.get("/api/studies/s1/metrics").json()
    assert head["summary"]["total"]["sessions"] >= 1


def test_a_restarted_server_answers_from_the_disk_cache(server: LiveServer) -> None:
    c = client(server)
    assert built_page(c, REPORT, params=B0).status_code == 200
    cache = builds_of(server.app).cache_dir
    assert cache is not None and any(cache.rglob("study-report-*.bin"))
    # what a restart loses: the registry and its memory
    server.app.state.builds = Builds(cache_dir_for(server.store.location), processes=False)
    r = c.get(REPORT, params=B0)
    assert r.status_code == 200 and "Methods" in r.text
    assert builds_of(server.app).builds_started == 0


@pytest.mark.slow
def test_the_browser_shows_progress_and_then_the_report(server: LiveServer) -> None:
    pw, browser = launch_browser()
    try:
        page = browser.new_context().new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, server, "res", "/studies/s1")
        captured_session(server, "P1")  # new data: the report is built afresh
        with Busy(server):
            page.goto(f"{server.url}{REPORT}?B=0")
            page.wait_for_selector("progress.build-bar")
            assert "Building the study report" in page.inner_text("main")
        page.wait_for_selector("text=Methods", timeout=300_000)
        assert page.locator("progress.build-bar").count() == 0
        assert not errors, errors
    finally:
        browser.close()
        pw.stop()
