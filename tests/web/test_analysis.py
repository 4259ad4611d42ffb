"""The analysis pages: a study's inter-observer reliability, the study report and a
participant's own report, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import WOMBAT_ROWS, wombat_edit, write_wombat
from tests.web.support import (
    LiveServer,
    built_page,
    captured_session,
    live_server,
    store_location,
)
from workweave.services.studies import import_wombat


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("analysis")
    location = store_location("sqlite", folder)
    for srv in live_server(location):
        other = [
            wombat_edit(r, "observer id", "3").replace(",52,", ",58,").replace("2_52_", "3_58_")
            for r in WOMBAT_ROWS
        ]
        sid = srv.store.studies.id("s1")
        import_wombat(
            srv.store,
            sid,
            [write_wombat(folder, WOMBAT_ROWS), write_wombat(folder, other, "b.csv")],
            timezone="Europe/London",
        )
        yield srv


def test_reliability_page_lists_the_co_observed_pair(server: LiveServer) -> None:
    r = server.client("res").get("/studies/s1/ior")
    assert r.status_code == 200
    assert 'id="ior-table"' in r.text and "1 co-observed pair" in r.text
    assert "<td>52</td><td>58</td>" in r.text
    assert server.client("obs1").get("/studies/s1/ior").status_code == 403
    r = server.client("res").get("/studies/s1/ior", params={"match": "nonsense"})
    assert r.status_code == 200 and "is not one of" in r.text


def test_study_report_is_served_to_researchers(server: LiveServer) -> None:
    r = built_page(server.client("res"), "/studies/s1/report", params={"B": 0})
    assert r.status_code == 200
    assert "Methods" in r.text and "<html" in r.text
    assert server.client("part").get("/studies/s1/report").status_code == 403
    assert server.client("res").get("/studies/s1/report", params={"B": 99999}).status_code == 400


def test_participant_sees_only_their_own_report(server: LiveServer) -> None:
    captured_session(server, "P1")
    r = server.client("part").get("/me/s1/report", params={"B": 0})
    assert r.status_code == 200, r.text[:300]
    assert "P1" in r.text
    assert "01:co01" not in r.text and "P2" not in r.text
    assert server.client("res").get("/me/s1/report").status_code == 403


def test_nav_links(server: LiveServer) -> None:
    page = server.client("res").get("/studies/s1").text
    assert 'href="/studies/s1/ior"' in page and 'href="/studies/s1/report"' in page
    assert 'href="/me/s1/report"' in server.client("part").get("/me/s1/diary").text
