"""The shared fold cases (``tests/domain/capture/fold_cases/*.json``) through the browser's fold
(``static/capture/fold.js``) in Debian's Chromium: every case must give the normalised session
that the Python fold gives (``tests/domain/capture/test_fold_cases.py``). Skipped without
Chromium unless WORKWEAVE_REQUIRE_BROWSER=1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workweave
from tests.domain.capture.fold_normal import FOLD_NORMAL_JS, lines, load_cases
from tests.web.support import launch_browser

CASES = load_cases()
ORIGIN = "http://fold.test"
FILES = {
    "/fold.js": Path(workweave.__file__).parent / "web" / "static" / "capture" / "fold.js",
    "/fold_normal.js": FOLD_NORMAL_JS,
}


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    pw, browser = launch_browser()
    try:
        pg = browser.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))

        def serve(route: Any) -> None:
            path = route.request.url[len(ORIGIN) :].split("?")[0]
            if path in FILES:
                route.fulfill(
                    status=200,
                    content_type="text/javascript",
                    body=FILES[path].read_text(encoding="utf-8"),
                )
            elif path == "/":
                route.fulfill(status=200, content_type="text/html", body="<!doctype html>")
            else:
                route.fulfill(status=404, body="")

        pg.route(f"{ORIGIN}/**", serve)
        pg.goto(f"{ORIGIN}/")
        yield pg
        assert not errors, errors
    finally:
        browser.close()
        pw.stop()


RUN = """async (c) => {
  const fold = await import("/fold.js");
  const normal = await import("/fold_normal.js");
  return normal.runCase(fold, c);
}"""


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_browser_fold(page: Any, case: dict[str, Any]) -> None:
    got = page.evaluate(RUN, case)
    assert lines(got) == lines(case["expected"])
