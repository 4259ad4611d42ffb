"""Phones: a participant's own pages (My report, the diary, My sessions and a session) have no
horizontal overflow at 360 CSS px: charts shrink to the screen, wide tables scroll inside
their own box (with a visible cue) or reflow. Debian's Chromium through Playwright."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.support import (
    LiveServer,
    captured_session,
    live_server,
    sign_in,
    store_location,
)

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("phone")))


@pytest.fixture(scope="module")
def seeded(server: LiveServer) -> str:
    """P1 shadowed twice (by obs1) and one diary day of their own; a session key of theirs."""
    key = captured_session(server, "P1")
    captured_session(server, "P2")
    captured_session(server, "P3")
    part = server.client("part")
    r = part.post(
        "/api/studies/s1/diary",
        json={
            "date": "2026-01-12",
            "entries": [
                {"category": "ADMIN", "start": "08:00", "end": "09:30", "dims": {}},
                {"category": "MEETING", "start": "09:30", "end": "10:15", "dims": {}},
            ],
        },
    )
    assert r.status_code == 200 and not r.json()["rejected"], r.text
    assert uuid.UUID(key.split(":", 1)[1])
    return key


def overflow(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
              const d = document.documentElement;
              const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > d.clientWidth + 1
                          && !e.closest('.scroll-x, .table-wrap'))
                .slice(0, 5).map(e => e.tagName + '.' + e.className);
              return {scroll: d.scrollWidth, client: d.clientWidth, wide};
            }"""
        )
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/me/s1/report?B=20",
        "/me/s1/diary",
        "/studies/s1/sessions",
        "session",
    ],
)
def test_no_horizontal_overflow_at_360_px(
    browser: Any, server: LiveServer, seeded: str, path: str
) -> None:
    if path == "session":
        path = f"/studies/s1/sessions/{seeded}"
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        sign_in(page, server, "part", "/studies/s1/sessions")
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("load")
        found = overflow(page)
        assert found["scroll"] <= found["client"], (path, found)
        # charts are drawn to the width of the screen, not beyond it
        for width in page.eval_on_selector_all(
            "figure.chart img", "els => els.map(e => e.getBoundingClientRect().width)"
        ):
            assert 0 < width <= PHONE["width"]
        # a box that scrolls sideways shows it: a shadow at its hidden side
        boxes = page.eval_on_selector_all(
            ".scroll-x, .table-wrap",
            """els => els.map(e => ({
                over: e.scrollWidth > e.clientWidth,
                cue: getComputedStyle(e).backgroundImage,
                width: e.getBoundingClientRect().width}))""",
        )
        for box in boxes:
            assert box["width"] <= PHONE["width"]
            if box["over"]:
                assert "radial-gradient" in box["cue"], (path, box)
        if "/sessions/" in path:  # the wide timeline scrolls, and says so in words too
            assert any(b["over"] for b in boxes)
            assert page.locator(".scroll-hint").first.is_visible()
        if path == "/studies/s1/sessions":  # the list reflows: one card per session
            assert boxes and not any(b["over"] for b in boxes), boxes
            modes = page.locator("table.reflow td[data-label='Mode']").all_inner_texts()
            assert sorted(m.split()[0] for m in modes) == ["self-report", "shadowing"]
    finally:
        context.close()


def test_my_report_keeps_the_diary_day_apart(server: LiveServer, seeded: str) -> None:
    from workweave.report.common import MODES_STATEMENT

    html = server.client("part").get("/me/s1/report?B=20").text
    assert MODES_STATEMENT in html
    assert "1 day observed, 1 day self-reported" in html
    assert html.count('id="fig-day-') == 1 and 'id="table-own-log"' in html
