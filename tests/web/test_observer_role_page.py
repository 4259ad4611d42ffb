"""A researcher records the observer's role of a session on its page; others cannot."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests.web.support import LiveServer, captured_session, live_server, store_location


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("role")))


def test_researcher_sets_the_observer_role(server: LiveServer) -> None:
    key = captured_session(server)
    sid = server.store.studies.id("s1")
    page_url = f"/studies/s1/sessions/{quote(key, safe='')}"
    url = f"{page_url}/observer-role"
    c = server.client("res")
    token = c.headers.pop("X-CSRF-Token")
    page = c.get(page_url).text
    assert "Observer role: <strong>not recorded" in page and 'id="observer-role-form"' in page
    r = c.post(url, data={"role": "second", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == page_url
    assert server.store.sessions.load(sid, keys=[key])[0].observer_role == "second"
    page = c.get(page_url).text
    assert "Observer role: <strong>second" in page and "Observer role set to second" in page
    # a role that is not one is refused with a message; nothing changes
    c.post(url, data={"role": "boss" * 20, "csrf_token": token})
    assert "observer role must be one of" in c.get(page_url).text
    r = c.post(url, data={"role": "boss\x00", "csrf_token": token})
    assert r.status_code == 400 and "NUL character" in r.text
    assert server.store.sessions.load(sid, keys=[key])[0].observer_role == "second"
    c.post(url, data={"role": "", "csrf_token": token})
    assert server.store.sessions.load(sid, keys=[key])[0].observer_role is None
    # an observer sees the role but has no form, and the route refuses them
    o = server.client("obs1")
    assert 'id="observer-role-form"' not in o.get(page_url).text
    assert o.post(url, data={"role": "primary"}).status_code == 403
    assert server.store.sessions.load(sid, keys=[key])[0].observer_role is None
