"""The web edge refuses what is not a number (NaN, Infinity, integers beyond 2**53, times past
the year 5138) with 422 instead of storing it or failing later with a 500; a study name with
surrounding spaces is stripped; a NUL character in any text (JSON or form) is refused at the
edge on both backends."""

from __future__ import annotations

import uuid

import pytest

from tests.web.support import LiveServer

JSON = {"content-type": "application/json"}


def _sync(action_t: str, payload: str = "{}") -> str:
    action = (
        f'{{"uuid": "{uuid.uuid4()}", "session": "{uuid.uuid4()}", "seq": 0, '
        f'"type": "session_start", "t": {action_t}, "payload": {payload}}}'
    )
    return f'{{"study": "s1", "actions": [{action}]}}'


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/sync", '{"study": "s1", "clock": NaN, "actions": []}'),
        ("/api/sync", '{"study": "s1", "clock": 99999999999999999999, "actions": []}'),
        ("/api/sync", _sync("Infinity")),
        ("/api/sync", _sync("1e309")),
        ("/api/sync", _sync("1700000000000", '{"participant": "P1", "x": NaN}')),
        ("/api/sync", _sync("1700000000000", '{"participant": "P1", "x": [1, -Infinity]}')),
        ("/api/studies/s1/sessions/k/corrections", '{"target": "t", "field": "f", "value": NaN}'),
        ("/api/studies/s1/participants", '{"code": "P9", "site": "RAD", "weekly_hours": NaN}'),
        (
            "/api/studies/s1/capture/start",
            '{"uuid": "u", "session": "s", "participant": "P1", "t": 1e20}',
        ),
    ],
)
def test_non_numbers_in_bodies_are_422(server: LiveServer, path: str, body: str) -> None:
    c = server.client("res")
    r = c.post(path, content=body, headers=JSON)
    assert r.status_code == 422, r.text
    assert "problems" in r.json()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e309", "-1", "1e9"])
def test_a_tolerance_that_is_not_a_number_of_seconds_is_refused(
    server: LiveServer, value: str
) -> None:
    c = server.client("res")
    assert c.get(f"/studies/s1/ior?tolerance={value}").status_code == 422
    assert c.get("/studies/s1/ior?tolerance=2.5").status_code == 200


def test_a_study_name_with_spaces_is_stripped(server: LiveServer) -> None:
    c = server.client("res")
    r = c.post("/api/studies", json={"name": "  spaced-study  "})
    assert r.status_code == 201 and r.json()["name"] == "spaced-study"
    r = c.post("/api/studies", json={"name": "two words"})
    assert r.status_code == 400 and "study name" in r.json()["detail"]


def test_a_nul_in_a_sign_in_name_is_refused_at_the_edge(server: LiveServer) -> None:
    c = server.client()
    r = c.post("/api/login", json={"name": "obs\u00001", "password": "wrong-password-x"})
    assert r.status_code == 422 and "NUL" in r.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/studies/s1/participants", '{"code": "P\\u00009", "site": "RAD"}'),
        ("/api/studies/s1/sites", '{"code": "X1", "name": "a\\u0000b"}'),
        (
            "/api/studies/s1/sessions/k/corrections",
            '{"target": "t", "field": "f", "value": "\\u0000"}',
        ),
        ("/api/sync", _sync("1700000000000", '{"participant": "P1", "note": "a\\u0000"}')),
    ],
)
def test_nul_in_json_text_is_422_on_both_backends(server: LiveServer, path: str, body: str) -> None:
    r = server.client("res").post(path, content=body, headers=JSON)
    assert r.status_code == 422, r.text
    assert "NUL" in r.text


def test_nul_in_a_form_field_is_a_clear_400(server: LiveServer) -> None:
    c = server.client("res")
    r = c.post("/studies/s1/sites", data={"code": "X2", "name": "a\x00b", "timezone": "UTC"})
    assert r.status_code == 400, r.text
    assert "NUL character" in r.text
