"""Site events on the web: researchers list, add and remove them; observers cannot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.support import LiveServer, live_server, store_location


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("events")))


def test_researcher_manages_site_events(server: LiveServer) -> None:
    sid = server.store.studies.id("s1")
    site = server.store.studies.sites(sid)[0].code
    url = "/studies/s1/events"
    c = server.client("res")
    token = c.headers.pop("X-CSRF-Token")
    assert "No site events yet" in c.get(url).text
    form = {"site": site, "date": "2026-04-01", "kind": "merger", "label": "Teams merged"}
    r = c.post(url, data={**form, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == url
    page = c.get(url).text
    assert "Teams merged" in page and "2026-04-01" in page
    # a bad event is refused with the reasons; nothing is added
    c.post(url, data={**form, "date": "someday", "label": "", "csrf_token": token})
    page = c.get(url).text
    assert "Nothing was added" in page and "not a date" in page
    events = server.store.events.list(sid)
    assert len(events) == 1
    # observers may not see or change them
    o = server.client("obs1")
    assert o.get(url).status_code == 403
    assert o.post(f"{url}/{events[0].id}/remove").status_code == 403
    r = c.post(f"{url}/{events[0].id}/remove", data={"csrf_token": token})
    assert r.status_code == 303 and server.store.events.list(sid) == []
