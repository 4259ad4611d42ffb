"""Co-observer calibration over HTTP: the page and JSON of a real captured pair, who may see
them (the pair's observers, researchers, admins; never a participant), the study settings,
and a study that requires a passed calibration before real sessions."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.factories import switch_log
from tests.web.support import LiveServer

T0 = 1_795_000_000_000
DAY = [("ADMIN", 0, 600), ("DCC", 600, 1500), ("MEET", 1500, 2100), ("ADMIN", 2100, 2400)]
RECODED = [("ADMIN", 0, 600), ("MEET", 600, 1500), ("MEET", 1500, 2100), ("ADMIN", 2100, 2400)]


def record(
    c: httpx.Client,
    spec: list[tuple[str, int, int]],
    *,
    participant: str = "P1",
    offset: int = 0,
    **start: Any,
) -> dict[str, Any]:
    """Sync a whole session (start, switches, end); the answer of /api/sync."""
    t = T0 + offset * 1000
    actions = switch_log(spec, t, participant=participant, **start)
    r = c.post("/api/sync", json={"study": "s1", "clock": t, "actions": actions})
    assert r.status_code == 200, r.text
    return dict(r.json())


def key(answer: dict[str, Any]) -> str:
    assert not answer["rejected"], answer["rejected"]
    return str(answer["sessions"][0]["key"])


def test_calibration_required_before_real_sessions(server: LiveServer) -> None:
    res, obs1, obs2 = server.client("res"), server.client("obs1"), server.client("obs2")
    assert obs1.post("/api/studies/s1/calibration", json={"required": True}).status_code == 403
    r = res.post("/api/studies/s1/calibration", json={"required": True, "threshold": 0.8})
    assert r.status_code == 200 and r.json()["required"] and r.json()["threshold"] == 0.8
    assert r.json()["measure"] == "time_sliced_kappa"
    bad = res.post("/api/studies/s1/calibration", json={"threshold": 1.5})
    assert bad.status_code in (400, 422) and "threshold" in bad.text
    # a real session is refused with a reason the capture client shows; calibration is not
    start = {"uuid": str(uuid.uuid4()), "session": str(uuid.uuid4()), "participant": "P2"}
    r = obs1.post("/api/studies/s1/capture/start", json={**start, "t": T0})
    assert r.status_code == 409 and "calibration" in r.json()["detail"]
    refused = record(obs1, DAY, participant="P2")
    assert refused["rejected"] and "calibration" in refused["rejected"][0]["reason"]
    start = {"uuid": str(uuid.uuid4()), "session": str(uuid.uuid4()), "participant": "P2"}
    r = obs1.post("/api/studies/s1/capture/start", json={**start, "t": T0, "calibration": True})
    assert r.status_code == 200 and not r.json()["rejected"]
    # the trainee and the trainer shadow P1 together; both records synced, the pair passes
    a = key(record(obs1, DAY, calibration=True))
    b = key(record(obs2, DAY, offset=15, calibration=True))
    got = obs1.get(f"/api/studies/s1/sessions/{a}/calibration").json()
    assert got["session_b"] == b and got["passed"] and got["kappa"] == pytest.approx(1.0)
    assert got["calibration_a"] and got["calibration_b"] and got["partners"] == [b]
    assert sorted(got["recorded"]) == ["OBS-1", "OBS-2"]
    status = obs1.get("/api/studies/s1/calibration").json()
    assert {p["observer"] for p in status["passed"]} == {"OBS-1"}  # an observer sees their own
    assert len(res.get("/api/studies/s1/calibration").json()["passed"]) == 2
    key(record(obs1, DAY, participant="P3", offset=10_000))  # real sessions now allowed
    r = res.post("/api/studies/s1/calibration", json={"required": False})
    assert r.json()["required"] is False and r.json()["threshold"] == 0.8


def test_pages_and_roles_for_a_real_pair(server: LiveServer) -> None:
    obs1, obs2, res = server.client("obs1"), server.client("obs2"), server.client("res")
    adm, part = server.client("adm"), server.client("part")
    a = key(record(obs1, DAY, offset=50_000))
    b = key(record(obs2, RECODED, offset=50_010))
    page = f"/studies/s1/sessions/{a}/calibration"
    api = f"/api/studies/s1/sessions/{a}/calibration"
    # the session page links to the calibration of the pair
    html = obs1.get(f"/studies/s1/sessions/{a}").text
    assert 'id="calibration-link"' in html and f"/calibration?partner={quote(b, safe='')}" in html
    assert "calibration-link" in res.get(f"/studies/s1/sessions/{b}").text
    for c in (obs1, obs2, res, adm):
        r = c.get(page)
        assert r.status_code == 200, r.text
        html = r.text
        assert "✗ Not passed" in html and 'id="calibration-measures"' in html
        assert "NW_score" in html and "time_sliced_kappa" in html and "compared" in html
        assert 'role="img"' in html and 'class="disagreement"' in html
        assert 'id="calibration-disagreements"' in html and "DCC" in html and "MEET" in html
    assert part.get(page).status_code == 403
    assert part.get(api).status_code == 403
    got = res.get(api).json()
    assert got["passed"] is False and got["kappa"] < 0.8 and got["recorded"] == []
    assert got["disagreements"] == [{"start": 600, "end": 1500, "a": "DCC", "b": "MEET"}]
    assert got["track_b"][1] == {"start": 600, "end": 2100, "category": "MEET"}
    assert set(got["measures"]) >= {"pK1", "pAg1", "NK", "DCCCr", "NW_score"}
    # a pair the observer is not part of: researchers see it, that observer does not
    c = key(record(res, DAY, participant="P3", offset=80_000))
    d = key(record(obs2, DAY, participant="P3", offset=80_005))
    assert res.get(f"/studies/s1/sessions/{c}/calibration").status_code == 200
    assert obs2.get(f"/studies/s1/sessions/{d}/calibration").status_code == 200
    assert obs1.get(f"/studies/s1/sessions/{c}/calibration").status_code == 403
    assert obs1.get(f"/api/studies/s1/sessions/{d}/calibration").status_code == 403
    assert "calibration-link" not in obs1.get(f"/studies/s1/sessions/{c}").text
    # no partner: a page that says so, 404 from the API; bad input is refused cleanly
    e = key(record(obs1, DAY, participant="P2", offset=120_000))
    assert "has no co-observed session" in obs1.get(f"/studies/s1/sessions/{e}/calibration").text
    assert obs1.get(f"/api/studies/s1/sessions/{e}/calibration").status_code == 404
    assert obs1.get(f"{api}?partner={e}").status_code == 400
    assert obs1.get(f"{api}?tolerance=nan").status_code in (400, 422)
    assert res.get("/api/studies/s1/sessions/nope/calibration").status_code == 404


def test_settings_page(server: LiveServer) -> None:
    res, obs1 = server.client("res"), server.client("obs1")
    assert res.get("/studies/s1/calibration").status_code == 200
    assert obs1.get("/studies/s1/calibration").status_code == 403
    r = res.post("/studies/s1/calibration", data={"threshold": "0.85", "required": "yes"})
    assert r.status_code == 303
    html = res.get("/studies/s1/calibration").text
    assert 'value="0.85"' in html and "checked" in html
    r = res.post("/studies/s1/calibration", data={"threshold": "nan"})
    assert r.status_code == 303
    assert "threshold" in res.get("/studies/s1/calibration").text
    res.post("/studies/s1/calibration", data={"threshold": "0.8"})
    status = res.get("/api/studies/s1/calibration").json()
    assert status["threshold"] == 0.8 and status["required"] is False
