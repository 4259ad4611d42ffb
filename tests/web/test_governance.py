"""The web side of governance: sign-ins, failures and views of personal data are audited with
the user and the client's address; a participant withdraws their own consent; the admin page
lists and verifies the trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.support import LiveServer, live_server
from workweave.services import audit


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(str(tmp_path_factory.mktemp("gov") / "web.sqlite"))


def test_sign_ins_and_views_are_audited(server: LiveServer) -> None:
    anon = server.client(None)
    r = anon.post("/api/login", json={"name": "res", "password": "wrong-password"})
    assert r.status_code == 401
    res = server.client("res")
    assert res.get("/studies/s1/participants/P2").status_code == 200
    res.post("/api/logout")
    entries = audit.entries(server.store)
    failed = [e for e in entries if e.action == "signin.failure"][-1]
    assert failed.actor == "anonymous" and failed.origin == "127.0.0.1"
    assert failed.target == "user:res"
    view = [e for e in entries if e.action == "participant.view"][-1]
    assert (view.actor, view.origin, view.study, view.target) == (
        "res",
        "127.0.0.1",
        "s1",
        "participant:P2",
    )
    assert any(e.action == "signout" and e.actor == "res" for e in entries)


def test_a_participant_withdraws_and_leaves_the_figures(server: LiveServer) -> None:
    part = server.client("part")
    page = part.get("/me/s1/consent")
    assert page.status_code == 200 and "Withdraw my consent" in page.text
    r = part.post("/me/s1/consent/withdraw", data={"confirm": "yes"})
    assert r.status_code == 303
    assert "you have withdrawn" in part.get("/me/s1/consent").text.lower()
    sid = server.store.studies.id("s1")
    assert server.store.analytic.withdrawn(sid) == ["P1"]
    last = audit.entries(server.store, action="consent.record")[-1]
    assert last.actor == "part" and last.details == {"given": False}
    # another participant's page is not theirs to use
    assert server.client("res").get("/me/s1/consent").status_code == 403


def test_admin_page_lists_and_verifies(server: LiveServer) -> None:
    adm = server.client("adm")
    r = adm.get("/admin/audit", params={"verify": 1})
    assert r.status_code == 200 and "audit trail intact" in r.text
    assert server.client("res").get("/admin/audit").status_code == 403
