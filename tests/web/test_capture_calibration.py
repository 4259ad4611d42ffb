"""The capture client's calibration toggle, in Debian's Chromium against a live server: when
the study requires a passed calibration, an observer without one is refused a real session
(the reason is shown on the start screen) and can start a calibration session instead, whose
start action carries `calibration: true` to the server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.capture_support import actions, end_session, open_capture, settle, tap
from tests.web.support import LiveServer, launch_browser, live_server, store_location
from workweave.services import calibration

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("calibration")))


@pytest.fixture
def page(server: LiveServer) -> Iterator[Any]:
    pw, browser = launch_browser()
    try:
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        yield open_capture(context, server)
    finally:
        browser.close()
        pw.stop()


def test_a_calibration_session_starts_where_a_real_one_is_refused(
    server: LiveServer, page: Any
) -> None:
    sid = server.store.studies.id("s1")
    calibration.set_settings(server.store, sid, required=True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")

    # a real session: refused online, with the reason on the start screen
    page.click("button.cap-person[data-participant='P1']")
    page.wait_for_selector("text=calibration session")
    assert page.locator(".cap-cat").count() == 0

    # the toggle: pressed once (a double tap within the guard window counts once)
    toggle = page.locator("#calibration-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.dblclick()
    settle(page)
    assert toggle.get_attribute("aria-pressed") == "true"
    box = toggle.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44

    page.click("button.cap-person[data-participant='P1']")
    page.wait_for_selector(".cap-cat")
    start = next(a for a in actions(page) if a["type"] == "session_start")
    assert start["payload"].get("calibration") is True
    tap(page, "CLIN-DIRECT")
    end_session(page)
    assert not page.errors
