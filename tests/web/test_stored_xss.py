"""Stored cross-site scripting: script-like text saved in every free-text field a user can
fill (study title and description, site and observer names, consent notes, user
name, field notes, document titles and text, coding memos) and then every page
route of the app opened by an admin, who sees everything: no page may send the payload
unescaped. Page routes are found from the app itself, so a page added later is covered."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.support import LiveServer, live_server, store_location
from workweave.services import accounts, setup
from workweave.web.auth import route_roles

PAYLOADS = (
    "<script>alert('ww1')</script>",
    '"><img src=x onerror=alert("ww2")>',
    "'><svg onload=alert('ww3')>",
    "javascript:alert('ww4')",
)
RAW = (
    re.compile(r"<script>alert\('ww1'\)"),
    re.compile(r"<img src=x onerror=alert"),
    re.compile(r"<svg onload=alert"),
    re.compile(r"""(href|src|action)\s*=\s*["']?javascript:alert\('ww4'\)""", re.I),
)
TEXT = " ".join(PAYLOADS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("xss")))


def _store_payloads(server: LiveServer) -> dict[str, str]:
    """Every free-text field filled with the payloads; the path values to open pages with."""
    from workweave.io.codebooks import DEFAULT_CODEBOOK
    from workweave.services import qualitative as qual

    store = server.store
    sid = store.studies.id("s1")
    adm = accounts.user_by_name(store, "adm")
    assert adm is not None
    setup.create_study(store, adm, "xss-study", TEXT, TEXT)
    setup.add_site(store, sid, "XSS", TEXT, "Europe/London", TEXT)
    setup.add_observer(store, sid, "OBS-X", TEXT)
    setup.save_participant(store, sid, "PX", site="XSS", profession="other", new=True)
    accounts.record_consent(store, sid, "PX", given=True, by=None, form_version=TEXT, note=TEXT)
    accounts.add_user(store, "x-user", "observer", "x-password-123")
    # a captured session of P1 with a payload note (through the sync API, as a tablet sends)
    c = server.client("obs1")
    s = str(uuid.uuid4())
    t = 1_795_000_000_000

    def act(seq: int, kind: str, dt: int, payload: dict[str, Any]) -> dict[str, Any]:
        return {"uuid": str(uuid.uuid4()), "session": s, "seq": seq, "type": kind} | {
            "t": t + dt,
            "payload": payload,
        }

    actions = [
        act(0, "session_start", 0, {"participant": "P1"}),
        act(1, "task_start", 1000, {"task": "T1", "category": "ADMIN", "ends": []}),
        act(2, "note", 2000, {"text": TEXT}),
        act(3, "session_end", 60000, {}),
    ]
    r = c.post("/api/sync", json={"study": "s1", "clock": t + 61000, "actions": actions})
    assert r.status_code == 200 and not r.json()["rejected"], r.text
    qual.load_codebook(store, sid, DEFAULT_CODEBOOK)
    doc = qual.add_document_text(store, sid, TEXT, title=TEXT, participant="P1").document
    cb = qual.current_codebook(store, sid)
    code = next(x for x in cb.codes if x.codable)
    qual.add_coding(
        store, sid, document=doc.key, code=code.guid, start=0, end=8, coder="adm", memo=TEXT
    )
    qual.notes_to_documents(store, sid)
    return {
        "study": "s1",
        "key": f"capture:{s}",
        "code": "PX",
        "name": "ahp-clinician-manager",
        "version": "1",
        "document": doc.key,
    }


def _url(path: str, values: dict[str, str]) -> str:
    path = path.replace("/admin/users/{name}", "/admin/users/x-user")
    if "/documents/{key}" in path:
        path = path.replace("{key}", values["document"])
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def test_no_page_sends_a_stored_payload_unescaped(server: LiveServer) -> None:
    values = _store_payloads(server)
    clients = {"adm": server.client("adm"), "res": server.client("res")}
    pages = [
        path
        for (method, path), _ in sorted(route_roles(server.app).items())
        if method == "GET" and not path.startswith("/api/") and path != "/sw.js"
    ]
    opened, problems = 0, []
    for path in pages:
        url = _url(path, values)
        for name, c in clients.items():
            r = c.get(url)
            if r.status_code in (403, 303):
                continue
            opened += 1
            assert r.status_code < 500, f"{url}: {r.status_code}"
            problems += [f"{name} {url}: {p.pattern}" for p in RAW if p.search(r.text)]
    # the payloads reached the pages (escaped), so the check had something to find
    page = clients["adm"].get(f"/studies/s1/sessions/{values['key']}").text
    assert "&lt;script&gt;alert(" in page
    assert not problems, "\n".join(problems)
    assert opened >= 30, f"only {opened} pages opened"
    print(f"stored XSS: {len(PAYLOADS)} payloads, {len(pages)} page routes, {opened} pages opened")
