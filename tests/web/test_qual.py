"""The qualitative pages over HTTP and in a real browser: documents added by pasting and by
upload, codings by two coders, memos, deletion, the code analysis (co-occurrence, participants
per site), quote downloads, field notes linked to their session, and who may see them."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import (
    LiveServer,
    live_server,
    sign_in,
    store_location,
    wait_until,
)
from workweave.domain.qualitative import Codebook
from workweave.services import qualitative as qual

# an emoji (two UTF-16 code units, one code point) before the passages to code
TEXT = (
    "Interview with P1 🙂 about the week.\n"
    "We spend Monday on the rota and staffing gaps.\n"
    "Budget meetings take the afternoon, and the list overruns."
)
ROTA = "the rota and staffing gaps"
BUDGET = "Budget meetings take the afternoon"


def utf16(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-16-le")) // 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("qual")))


def study_id(server: LiveServer) -> int:
    sid = server.store.studies.id("s1")
    assert sid is not None
    return sid


def codebook(server: LiveServer) -> Codebook:
    res = server.client("res")
    r = res.post("/studies/s1/codebook/starter", data={})
    assert r.status_code == 303
    return qual.current_codebook(server.store, study_id(server))


def two_codes(cb: Codebook) -> tuple[Any, Any]:
    codable = [c for c in cb.walk() if c.codable]
    return codable[0], codable[1]


def add_text(server: LiveServer, title: str, text: str = TEXT, participant: str = "P1") -> str:
    res = server.client("res")
    r = res.post(
        "/studies/s1/documents",
        data={"title": title, "participant": participant, "text": text.replace("\n", "\r\n")},
    )
    assert r.status_code == 303, r.text
    key = r.headers["location"].rsplit("/", 1)[-1]
    assert r.headers["location"] == f"/studies/s1/documents/{key}"
    return key


def code(client: Any, key: str, code: str, passage: str, memo: str = "") -> dict[str, Any]:
    i = TEXT.index(passage)
    r = client.post(
        f"/studies/s1/documents/{key}/codings",
        json={
            "code": code,
            "start": utf16(TEXT, i),
            "end": utf16(TEXT, i + len(passage)),
            "memo": memo,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["coding"]  # type: ignore[no-any-return]


def test_documents_codings_memos_and_analysis(server: LiveServer) -> None:
    sid = study_id(server)
    cb = codebook(server)
    a, b = two_codes(cb)
    key = add_text(server, "Interview one")
    doc = qual.get_document(server.store, sid, key)
    assert doc.text == TEXT  # the form's CRLF line ends are stored as LF
    assert doc.participant == "P1" and doc.site == "RAD"

    res, adm = server.client("res"), server.client("adm")
    listing = res.get("/studies/s1/documents")
    assert listing.status_code == 200 and "Interview one" in listing.text
    assert "Interview one" not in res.get("/studies/s1/documents?participant=P2").text
    assert "Interview one" in res.get("/studies/s1/documents?site=RAD&kind=transcript").text

    first = code(res, key, a.guid, ROTA, memo="rota work")
    code(res, key, b.guid, "rota and staffing")  # overlaps the first: co-occurs
    code(adm, key, a.guid, BUDGET)
    # positions come back in UTF-16 and are stored as code points
    i = TEXT.index(ROTA)
    assert (first["start"], first["end"]) == (utf16(TEXT, i), utf16(TEXT, i + len(ROTA)))
    assert first["coder"] == "res" and first["code_name"] == cb.path(a.guid)
    stored = {c.key: c for c in qual.list_codings(server.store, sid, document=key)}
    assert (stored[first["key"]].start, stored[first["key"]].end) == (i, i + len(ROTA))
    assert {c.coder for c in stored.values()} == {"res", "adm"}

    # a span beyond the text, an unknown code: refused with a reason
    bad = res.post(
        f"/studies/s1/documents/{key}/codings", json={"code": a.guid, "start": 5, "end": 9999}
    )
    assert bad.status_code == 400 and bad.json()["detail"]
    unknown = res.post(
        f"/studies/s1/documents/{key}/codings", json={"code": "nope", "start": 0, "end": 4}
    )
    assert unknown.status_code in (400, 404)

    # the coding page: my codings by default, another coder's or all on request
    mine = res.get(f"/studies/s1/documents/{key}")
    assert mine.status_code == 200
    assert mine.text.count('<tr data-coding="') == 2
    assert 'id="qual-text"' in mine.text and a.name in mine.text
    theirs = res.get(f"/studies/s1/documents/{key}?coder=adm")
    assert theirs.text.count('<tr data-coding="') == 1 and BUDGET in theirs.text
    every = res.get(f"/studies/s1/documents/{key}?coder=*")
    assert every.text.count('<tr data-coding="') == 3
    # the text box holds the text exactly (the browser's offsets count from its start)
    box = re.search(r'<div id="qual-text"[^>]*>(.*?)</div>', every.text, re.S)
    assert box is not None
    plain = re.sub(r"<[^>]+>", "", box.group(1))
    assert plain.replace("&amp;", "&").replace("&#39;", "'") == TEXT

    # memo (form) and delete (form and JSON)
    r = res.post(
        f"/studies/s1/documents/{key}/codings/{first['key']}/memo",
        data={"memo": "rota planning\r\nby hand"},
    )
    assert r.status_code == 303
    memo = {c.key: c.memo for c in qual.list_codings(server.store, sid, document=key)}
    assert memo[first["key"]] == "rota planning\nby hand"
    r = res.post(
        f"/studies/s1/documents/{key}/codings/{first['key']}/memo",
        json={"memo": "rota planning"},
    )
    assert r.status_code == 200 and r.json()["memo"] == "rota planning"
    extra = code(res, key, b.guid, BUDGET)
    r = res.post(f"/studies/s1/documents/{key}/codings/{extra['key']}/delete", json={})
    assert r.status_code == 200 and r.json() == {"deleted": extra["key"]}
    assert extra["key"] not in {c.key for c in qual.list_codings(server.store, sid)}
    gone = res.post(f"/studies/s1/documents/{key}/codings/{extra['key']}/delete", json={})
    assert gone.status_code == 404

    # the analysis page
    page = res.get("/studies/s1/codes")
    assert page.status_code == 200 and 'id="cooccurrence"' in page.text
    matrix = page.text.split('id="cooccurrence"', 1)[1].split("</table>", 1)[0]
    assert cb.path(a.guid) in matrix and cb.path(b.guid) in matrix
    assert 'class="num hit">1<' in matrix  # a and b overlap once (same coder)
    sites = page.text.split('id="participants-by-site"', 1)[1].split("</table>", 1)[0]
    assert "suppressed" in sites and "&lt;3" in sites  # one participant: suppressed
    for by in ("site", "profession", "participant"):
        assert res.get(f"/studies/s1/codes?by={by}").status_code == 200
    only_adm = res.get("/studies/s1/codes?coder=adm").text
    assert "by adm." in only_adm and "/codes/quotes?code=" in only_adm
    assert res.get("/studies/s1/codes?by=nonsense").status_code == 200  # problem shown

    # quotes: csv with the passage, docx and html downloads
    r = res.get(f"/studies/s1/codes/quotes?code={a.guid}&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert {ROTA, BUDGET} <= {row["text"] for row in rows}
    r = res.get(f"/studies/s1/codes/quotes?code={a.guid}&format=csv&coder=adm")
    assert [row["text"] for row in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")))] == [BUDGET]
    assert res.get(f"/studies/s1/codes/quotes?code={a.guid}&format=docx").content[:2] == b"PK"
    assert ROTA in res.get(f"/studies/s1/codes/quotes?code={a.guid}&format=html").text
    assert res.get(f"/studies/s1/codes/quotes?code={a.guid}&format=pdf").status_code == 400
    assert res.get("/studies/s1/codes/quotes").status_code == 400


def test_upload_and_refusals(server: LiveServer, tmp_path: Path) -> None:
    res = server.client("res")
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWe cover the rota on Mondays.\n"
    r = res.post(
        "/studies/s1/documents",
        data={"participant": "P3", "title": ""},
        files={"file": ("interview P3.vtt", vtt.encode(), "text/vtt")},
    )
    assert r.status_code == 303 and "/documents/" in r.headers["location"]
    doc = qual.get_document(server.store, study_id(server), r.headers["location"].split("/")[-1])
    assert doc.title == "interview_P3" and doc.site == "PHY" and doc.cues
    assert "rota on Mondays" in doc.text
    bad = res.post(
        "/studies/s1/documents",
        data={"participant": "P3"},
        files={"file": ("notes.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert bad.status_code == 303 and bad.headers["location"] == "/studies/s1/documents"
    assert ".pdf" in res.get("/studies/s1/documents").text  # the reason is flashed
    empty = res.post("/studies/s1/documents", data={"title": "x", "text": "   "})
    assert empty.status_code == 303 and "no text" in res.get("/studies/s1/documents").text


@pytest.mark.parametrize("user", ["obs1", "part"])
def test_observers_and_participants_are_refused(server: LiveServer, user: str) -> None:
    key = add_text(server, f"Refusal {user}")
    c = server.client(user)
    for path in (
        "/studies/s1/documents",
        f"/studies/s1/documents/{key}",
        "/studies/s1/codes",
        "/studies/s1/codes/quotes?code=x&format=csv",
    ):
        assert c.get(path).status_code == 403, path
    r = c.post(f"/studies/s1/documents/{key}/codings", json={"code": "x", "start": 0, "end": 3})
    assert r.status_code == 403
    assert c.post("/studies/s1/documents/notes", data={}).status_code == 403


def captured_session_with_note(server: LiveServer) -> str:
    obs = server.client("obs1")
    s = str(uuid.uuid4())
    t = 1_795_000_000_000
    actions = [
        ("session_start", 0, {"participant": "P2"}),
        ("task_start", 5000, {"task": "T1", "category": "ADMIN", "ends": [], "suspends": []}),
        ("note", 20000, {"text": "Rota rewritten twice before lunch", "key": "N1"}),
        ("session_end", 65000, {}),
    ]
    body = [
        {"uuid": str(uuid.uuid4()), "session": s, "seq": i, "type": k, "t": t + dt, "payload": p}
        for i, (k, dt, p) in enumerate(actions)
    ]
    r = obs.post("/api/sync", json={"study": "s1", "clock": t + 70000, "actions": body})
    assert r.status_code == 200 and not r.json()["rejected"], r.text
    return f"capture:{s}"


def test_field_notes_link_to_their_session(server: LiveServer) -> None:
    sid = study_id(server)
    cb = codebook(server)
    a, _ = two_codes(cb)
    session = captured_session_with_note(server)
    res = server.client("res")
    r = res.post("/studies/s1/documents/notes", data={})
    assert r.status_code == 303
    notes = [
        d for d in qual.list_documents(server.store, sid, kind="field-note") if d.session == session
    ]
    assert len(notes) == 1
    note = notes[0]
    page = res.get(f"/studies/s1/documents/{note.key}")
    link = re.search(r'href="([^"]+)" id="session-link"', page.text)
    assert link is not None
    anchor = "t=2026-11-18T"
    assert link.group(1).startswith(f"/studies/s1/sessions/capture%3A{session[8:]}#{anchor}")
    r = res.post(
        f"/studies/s1/documents/{note.key}/codings",
        json={"code": a.guid, "start": 0, "end": 4},
    )
    assert r.status_code == 200
    timeline = res.get(link.group(1).split("#")[0])
    assert timeline.status_code == 200 and 'id="coded-notes"' in timeline.text
    fragment = link.group(1).split("#")[1]
    assert f'id="{fragment}"' in timeline.text and a.name in timeline.text
    # observers see the session without the codes
    obs = server.client("obs1").get(link.group(1).split("#")[0])
    assert obs.status_code == 200 and 'id="coded-notes"' not in obs.text


# -- in a real browser ---------------------------------------------------------------------------


SELECT_JS = """([needle]) => {
  const box = document.getElementById('qual-text');
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const i = node.data.indexOf(needle);
    if (i >= 0) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + needle.length);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      box.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
      return true;
    }
  }
  return false;
}"""


def test_coding_in_the_browser(server: LiveServer, browser: Any) -> None:
    sid = study_id(server)
    cb = codebook(server)
    a, _ = two_codes(cb)
    key = add_text(server, "Browser interview")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    path = f"/studies/s1/documents/{key}"
    sign_in(page, server, "res", path)
    page.wait_for_selector("#qual-text[data-ready='1']")
    assert page.is_disabled(f".code-btn[data-code='{a.guid}']")

    # select the passage with the mouse: drag across the word "Budget"
    word = page.evaluate(
        """() => { const box = document.getElementById('qual-text');
        const node = box.firstChild; const i = node.data.indexOf('Budget');
        const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 6);
        const b = r.getBoundingClientRect(); return [b.left, b.right, (b.top + b.bottom) / 2]; }"""
    )
    page.mouse.move(word[0] + 1, word[2])
    page.mouse.down()
    page.mouse.move(word[1] - 1, word[2], steps=5)
    page.mouse.up()
    wait_until(lambda: not page.is_disabled(f".code-btn[data-code='{a.guid}']"), what="enabled")
    assert "Budget" in page.inner_text("#qual-hint")

    # then a known span after the emoji, selected programmatically
    assert page.evaluate(SELECT_JS, [ROTA])
    page.fill("#qual-memo", "from the browser")
    with page.expect_navigation():
        page.click(f".code-btn[data-code='{a.guid}']")
    page.wait_for_selector("#qual-text[data-ready='1']")
    assert page.locator("#codings tr[data-coding]").count() == 1
    assert page.locator("#qual-text .coded").count() >= 1
    assert page.get_attribute("#qual-text .qual-label", "data-label") == a.name
    stored = qual.list_codings(server.store, sid, document=key)
    assert len(stored) == 1
    i = TEXT.index(ROTA)
    assert (stored[0].start, stored[0].end) == (i, i + len(ROTA))  # code points
    assert stored[0].coder == "res" and stored[0].memo == "from the browser"
    page.screenshot(path="/tmp/workweave-coding-page.png", full_page=False)

    page.goto(f"{server.url}/studies/s1/codes")
    matrix = page.inner_text("#cooccurrence")
    assert cb.path(a.guid) in matrix
    assert not errors, errors
    context.close()
