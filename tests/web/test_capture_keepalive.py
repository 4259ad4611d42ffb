"""A long quiet task does not end an observer's sign-in: while nothing waits to be sent, the
capture page asks the server for its session every 5 minutes (the server's idle limit is 30)."""

from __future__ import annotations

from typing import Any

from tests.web.capture_support import PHONE, collect_errors, settle, start
from tests.web.support import LiveServer, sign_in


def test_a_quiet_page_keeps_its_sign_in_alive(browser: Any, server: LiveServer) -> None:
    ctx = browser.new_context(viewport=PHONE, has_touch=True)
    try:
        page = ctx.new_page()
        page.clock.install()
        errors = collect_errors(page)
        sign_in(page, server, "obs1", "/capture/s1")
        page.wait_for_selector("body[data-ready='1']")
        start(page, "P1")
        page.tap(".cap-cat[data-category='ADMIN']")
        settle(page)
        pings: list[str] = []
        # the context sees requests the service worker answers too
        ctx.on("request", lambda r: pings.append(r.url) if r.url.endswith("/api/session") else None)
        page.clock.run_for(2 * 60 * 1000)
        page.wait_for_timeout(300)
        assert pings == []  # not before a quiet stretch
        page.clock.run_for(7 * 60 * 1000)
        for _ in range(40):  # the page's promises settle in real time
            if pings:
                break
            page.wait_for_timeout(250)
        assert pings  # after 5 minutes of quiet
        assert errors == []
    finally:
        ctx.close()
