"""POST /api/sync on both backends: NaN/Infinity and NUL in a raw JSON body (422 at the edge;
the session can still start), and a session refused for lack of consent claimed by another
user, are refused with reasons (never 500)."""

from __future__ import annotations

import json
import uuid

from tests.web.support import LiveServer

T = 1_795_000_000_000


def _post(server: LiveServer, user: str, body: str):
    c = server.client(user)
    return c.post("/api/sync", content=body, headers={"Content-Type": "application/json"})


def test_non_finite_numbers_and_nul_in_the_body_are_refused(server: LiveServer) -> None:
    s = str(uuid.uuid4())
    for n, literal in enumerate(("Infinity", "NaN", "-Infinity", '"a\\u0000b"')):
        action = (
            f'{{"uuid": "{uuid.uuid4()}", "session": "{s}", "seq": {n + 1}, "type": "task_add", '
            f'"t": {T}, "payload": {{"task": "k{n}", "category": "ADMIN", "start": {T}, '
            f'"end": {literal}}}}}'
        )
        body = f'{{"study": "s1", "actions": [{action}]}}'
        r = _post(server, "obs1", body)
        # refused at the edge, the whole batch (422 naming the field), before anything is stored
        assert r.status_code == 422, r.text
        assert "actions[0].payload.end" in r.text and ("NaN" in r.text or "NUL" in r.text)
    start = {
        "uuid": str(uuid.uuid4()),
        "session": s,
        "seq": 0,
        "type": "session_start",
        "t": T,
        "payload": {"participant": "P1"},
    }
    r = _post(server, "obs1", json.dumps({"study": "s1", "actions": [start]}))
    assert r.status_code == 200 and not r.json()["rejected"], r.text


def test_a_refused_session_cannot_be_claimed_over_http(server: LiveServer) -> None:
    s = str(uuid.uuid4())

    def start(user: str, participant: str) -> dict:
        a = {
            "uuid": str(uuid.uuid4()),
            "session": s,
            "seq": 0,
            "type": "session_start",
            "t": T,
            "payload": {"participant": participant},
        }
        r = _post(server, user, json.dumps({"study": "s1", "actions": [a]}))
        assert r.status_code == 200, r.text
        return r.json()

    assert "consent" in start("obs1", "P4")["rejected"][0]["reason"]
    assert "only the person" in start("obs2", "P1")["rejected"][0]["reason"]
