"""The capture client in a real browser (Debian's Chromium through Playwright) against a real
uvicorn server, on SQLite and on PostgreSQL: a session with parallel tasks, an interruption
and a resume; a stretch recorded offline (with a reload) that arrives complete and exactly
once; two observers at the same time."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.support import (
    LiveServer,
    sign_in,
    wait_until,
)
from workweave.domain.observation import Session
from workweave.domain.time import to_ms
from workweave.store import schema_web as W

pytestmark = pytest.mark.slow  # a browser and a live server per backend

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


def open_capture(browser: Any, server: LiveServer, user: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    sign_in(page, server, user, "/capture/s1")
    page.wait_for_selector("body[data-ready='1']")
    return page


def start(page: Any, participant: str) -> None:
    page.click(f"button.cap-person[data-participant='{participant}']")
    page.wait_for_selector(".cap-cat")


def tap(page: Any, code: str) -> None:
    page.click(f".cap-cat[data-category='{code}']")


def client_actions(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => window.__workweave.actions.map(a => ({uuid: a.uuid, type: a.type, t: a.t,"
        " payload: a.payload, session: a.session}))"
    )


def stored_session(server: LiveServer, session_uuid: str, complete: bool = True) -> Session:
    sid = server.store.studies.id("s1")

    def find() -> Session | None:
        found = server.store.sessions.load(sid, keys=[f"capture:{session_uuid}"])
        return found[0] if found and (found[0].complete or not complete) else None

    return wait_until(find, what=f"session {session_uuid} on the server")  # type: ignore[no-any-return]


def stored_action_uuids(server: LiveServer, session_uuid: str) -> list[str]:
    with server.store.engine.connect() as conn:
        return list(
            conn.execute(
                select(W.capture_actions.c.uuid).where(
                    W.capture_actions.c.session_uuid == session_uuid
                )
            ).scalars()
        )


def ms(dt: datetime | None) -> int | None:
    return to_ms(dt)


def test_session_with_parallel_tasks_an_interruption_and_a_resume(
    browser: Any, server: LiveServer
) -> None:
    page = open_capture(browser, server, "obs1", TABLET)
    start(page, "P1")
    tap(page, "CLIN-DIRECT")
    page.click(".cap-dim[data-dimension='with_whom'] .chip[data-value='patient']")
    time.sleep(0.05)
    page.click("#arm-parallel")
    tap(page, "ADMIN")
    time.sleep(0.05)
    page.click("#arm-interrupt")
    tap(page, "STAFF-ROTA")
    page.click(".chip.event[data-event='interruption'][data-subtype='phone']")
    page.fill("#note", "rota gap tomorrow")
    page.click("#save-note")
    time.sleep(0.05)
    page.click(".cap-card[data-category='ADMIN'] button.resume")
    time.sleep(0.05)
    page.click(".cap-card[data-category='CLIN-DIRECT'] button.end")
    page.click("#end-session")
    page.click("#confirm-end")
    page.wait_for_selector("#ended-message")

    acts = client_actions(page)
    session_uuid = acts[0]["session"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for a in acts:
        by_type.setdefault(a["type"], []).append(a)
    starts = {a["payload"]["category"]: a for a in by_type["task_start"]}
    clin, admin, rota = (
        starts[c]["payload"]["task"] for c in ("CLIN-DIRECT", "ADMIN", "STAFF-ROTA")
    )
    resume, end_clin, end = by_type["resume"][0], by_type["task_end"][0], by_type["session_end"][0]

    s = stored_session(server, session_uuid)
    assert (s.mode, s.source, s.observer, s.participant, s.site) == (
        "shadowing",
        "capture",
        "OBS-1",
        "P1",
        "RAD",
    )
    assert s.complete and ms(s.start) == acts[0]["t"] and ms(s.end) == end["t"]
    assert s.clock_skew_seconds is not None and abs(s.clock_skew_seconds) < 5
    tasks = {t.key: t for t in s.tasks}
    assert [t.category for t in s.tasks] == ["CLIN-DIRECT", "ADMIN", "STAFF-ROTA"]
    # device times, to the millisecond
    assert ms(tasks[clin].start) == starts["CLIN-DIRECT"]["t"]
    assert ms(tasks[clin].end) == end_clin["t"] and tasks[clin].ended_by == "user"
    assert dict(tasks[clin].dimensions) == {"with_whom": ("patient",)}
    assert ms(tasks[admin].start) == starts["ADMIN"]["t"]
    assert ms(tasks[admin].end) == end["t"] and tasks[admin].ended_by == "session"
    assert ms(tasks[rota].start) == starts["STAFF-ROTA"]["t"]
    assert ms(tasks[rota].end) == resume["t"] and tasks[rota].ended_by == admin
    # parallel: ADMIN started alongside CLIN-DIRECT, and STAFF-ROTA ran while CLIN-DIRECT did
    link = next(p for p in tasks[admin].parallel if p.other == clin)
    assert (ms(link.start), ms(link.end)) == (starts["ADMIN"]["t"], end_clin["t"])
    assert {p.other for p in tasks[clin].parallel} == {admin, rota}
    # the interruption: ADMIN suspended by STAFF-ROTA from its start until the resume
    (susp,) = tasks[admin].suspensions
    assert (susp.by, ms(susp.start), ms(susp.end)) == (rota, starts["STAFF-ROTA"]["t"], resume["t"])
    assert [(e.kind, e.subtype) for e in s.events] == [("interruption", "phone")]
    assert [n.text for n in s.notes] == ["rota gap tomorrow"]
    assert page.errors == []  # type: ignore[attr-defined]

    # the review timeline shows it: three bars, the suspension hatched, the event and note
    page.goto(f"{server.url}/studies/s1/sessions/capture:{session_uuid}")
    assert page.locator("g.bar").count() == 3
    assert page.locator("g.bar rect.suspended").count() == 1
    assert page.locator("g.event.interruption").count() == 1
    assert page.locator("g.pin").count() == 1
    lanes = {
        page.locator(f"g.bar[data-key='{k}']").get_attribute("data-lane")
        for k in (clin, admin, rota)
    }
    assert len(lanes) == 3  # parallel tasks are stacked
    page.context.close()


def test_offline_stretch_with_a_reload_arrives_complete_and_exactly_once(
    browser: Any, server: LiveServer
) -> None:
    page = open_capture(browser, server, "obs2", PHONE)
    page.wait_for_selector("body[data-offline-ready='1']")
    start(page, "P2")
    tap(page, "CLIN-PREP")
    tap(page, "CLIN-DIRECT")
    session_uuid = client_actions(page)[0]["session"]
    wait_until(lambda: len(stored_action_uuids(server, session_uuid)) == 3, what="first sync")
    page.wait_for_selector("#sync-state[data-waiting='0']")

    context = page.context
    context.set_offline(True)
    offline_from = time.monotonic()
    codes = ["ADMIN", "STAFF-ROTA", "CLIN-DIRECT", "LIST-MANAGE", "BUDGET", "CLIN-INDIRECT"]
    for i in range(12):
        tap(page, codes[i % len(codes)])
        if i % 3 == 0:
            page.click(".cap-dim[data-dimension='where'] .chip[data-value='office']")
        if i % 4 == 1:
            page.click(".chip.event[data-event='demand'][data-subtype='add-on']")
    page.fill("#note", "written with no network")
    page.click("#save-note")
    # a tap is shown (and counted) once it is stored on the device: wait for the last one
    page.wait_for_function("() => document.body.dataset.queued === '0'")
    page.wait_for_selector("#sync-state[data-state='waiting']")
    waiting = int(page.get_attribute("#sync-state", "data-waiting") or 0)
    assert waiting >= 20

    # reload with no network: the service worker serves the shell, IndexedDB keeps the queue
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(".cap-card")  # the session is open again where it was
    page.wait_for_selector(f"#sync-state[data-waiting='{waiting}']")
    tap(page, "GOVERNANCE")
    page.click("#arm-parallel")
    tap(page, "ADMIN")
    page.click("#end-session")
    page.click("#confirm-end")
    page.wait_for_selector("#ended-message")
    time.sleep(0.3)
    offline_requests = [r for r in server.requests if r[0] >= offline_from]
    assert offline_requests == [], f"requests reached the server while offline: {offline_requests}"
    assert len(stored_action_uuids(server, session_uuid)) == 3

    context.set_offline(False)
    page.click("#sync-state")  # the badge also syncs at once (the 'online' event does too)
    client = page.evaluate(
        """async (s) => {
            const all = await window.__workweave.db.actionsOf(s);
            return all.map(a => a.uuid);
        }""",
        session_uuid,
    )
    assert len(client) == 3 + waiting + 3
    wait_until(
        lambda: len(stored_action_uuids(server, session_uuid)) == len(client),
        what="the offline actions on the server",
    )
    page.wait_for_selector("#sync-state[data-waiting='0']")
    stored = stored_action_uuids(server, session_uuid)
    assert sorted(stored) == sorted(client) and len(set(stored)) == len(stored)
    s = stored_session(server, session_uuid)
    assert len(s.tasks) == 2 + 12 + 2 and len(s.events) == 3 and len(s.notes) == 1
    assert [t.category for t in s.tasks][-2:] == ["GOVERNANCE", "ADMIN"]
    assert s.tasks[-1].parallel and s.tasks[-1].parallel[0].other == s.tasks[-2].key
    # a replay of everything (a device that lost the answers) changes nothing
    replay = page.evaluate(
        """async ([s, study]) => {
            const all = await window.__workweave.db.actionsOf(s);
            const actions = all.map(({uuid, session, seq, type, t, payload}) =>
                ({uuid, session, seq, type, t, payload}));
            const r = await fetch('/api/sync', {method: 'POST',
                headers: {'Content-Type': 'application/json',
                          'X-CSRF-Token': window.__workweave.syncer.csrf},
                body: JSON.stringify({study, clock: Date.now(), actions})});
            return r.json();
        }""",
        [session_uuid, "s1"],
    )
    assert replay["stored"] == [] and len(replay["duplicates"]) == len(client)
    assert len(stored_action_uuids(server, session_uuid)) == len(client)
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_two_observers_at_once(browser: Any, server: LiveServer) -> None:
    a = open_capture(browser, server, "obs1", TABLET)
    b = open_capture(browser, server, "obs2", TABLET)
    start(a, "P1")
    start(b, "P3")
    for i, (x, y) in enumerate(
        [("CLIN-DIRECT", "ADMIN"), ("ADMIN", "CLIN-DIRECT"), ("BUDGET", "EDUCATION")] * 3
    ):
        tap(a, x)
        tap(b, y)
        if i == 4:
            b.click("#undo")
    for page in (a, b):
        page.click("#end-session")
        page.click("#confirm-end")
        page.wait_for_selector("#ended-message")
    sa = stored_session(server, client_actions(a)[0]["session"])
    sb = stored_session(server, client_actions(b)[0]["session"])
    assert (sa.observer, sa.participant, len(sa.tasks)) == ("OBS-1", "P1", 9)
    assert (sb.observer, sb.participant, len(sb.tasks)) == ("OBS-2", "P3", 8)
    for page in (a, b):
        page.wait_for_selector("#sync-state[data-waiting='0']")
        assert page.errors == []  # type: ignore[attr-defined]
        page.context.close()
