"""The shared fold cases (``fold_cases/*.json``) through the Python fold
(``workweave.domain.capture``): every case's normalised session, and what only the server
computes (the session's bounds, the clock skew, the list of edits).
``tests/web/test_fold_browser.py`` runs the same cases through the browser's ``fold.js``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domain.capture.fold_normal import (
    actions,
    header,
    lines,
    load_cases,
    normalise,
    server_only,
)
from workweave.domain.capture import project

CASES = load_cases()
REQUIRED = {
    "reordered_delivery",
    "duplicated_actions",
    "undo",
    "interrupt_resume",
    "parallel_tasks",
    "events_and_notes",
    "across_midnight",
    "clock_skew",
}


def test_the_required_cases_are_there() -> None:
    assert {c["id"] for c in CASES} >= REQUIRED


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_python_fold(case: dict[str, Any]) -> None:
    p = project(header(case), actions(case))
    assert lines(normalise(p.session)) == lines(case["expected"])
    assert server_only(p) == case["server_only"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_any_delivery_order_gives_the_same_session(case: dict[str, Any]) -> None:
    log = actions(case)
    first = project(header(case), log)
    again = project(header(case), list(reversed(log)))
    assert normalise(again.session) == normalise(first.session)
    assert server_only(again) == server_only(first)
