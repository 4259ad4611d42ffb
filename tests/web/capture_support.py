"""Helpers for the capture client's browser tests: opening the capture screen, tapping, waiting
until every tap has been stored on the device, and reading what the server holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.web.support import LiveServer, sign_in, wait_until
from workweave.domain.observation import Session
from workweave.store import schema_web as W

TABLET = {"width": 1024, "height": 768}
TABLET_PORTRAIT = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
PHONE_LANDSCAPE = {"width": 844, "height": 390}

# the controls a person can operate (the timeline's bars are a pointer shortcut: the same tasks
# are reachable from the running cards and the review page)
CONTROLS = (
    "button, a[href], input:not([type=hidden]), textarea, select, summary, [role=button],"
    " [tabindex]:not([tabindex='-1'])"
)


def collect_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def open_capture(
    context: Any, server: LiveServer, user: str = "obs1", path: str = "/capture/s1"
) -> Any:
    page = context.new_page()
    page.errors = collect_errors(page)
    sign_in(page, server, user, path)
    page.wait_for_selector("body[data-ready='1']")
    return page


def start(page: Any, participant: str = "P1") -> str:
    """Start a session with a participant; returns the session's UUID."""
    page.click(f"button.cap-person[data-participant='{participant}']")
    page.wait_for_selector(".cap-cat")
    return str(page.evaluate("() => window.__workweave.session.uuid"))


def settle(page: Any) -> None:
    """Wait until every tap so far has been stored on the device and shown."""
    page.wait_for_function("() => (document.body.dataset.queued || '0') === '0'")


def tap(page: Any, code: str) -> None:
    page.click(f".cap-cat[data-category='{code}']")
    settle(page)


def actions(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => window.__workweave.actions.map(a => ({uuid: a.uuid, type: a.type, t: a.t,"
        " seq: a.seq, payload: a.payload, session: a.session}))"
    )


def device_action_uuids(page: Any, session_uuid: str) -> list[str]:
    return page.evaluate(  # type: ignore[no-any-return]
        "async (s) => (await window.__workweave.db.actionsOf(s)).map(a => a.uuid)", session_uuid
    )


def stored_action_uuids(server: LiveServer, session_uuid: str) -> list[str]:
    with server.store.engine.connect() as conn:
        return list(
            conn.execute(
                select(W.capture_actions.c.uuid).where(
                    W.capture_actions.c.session_uuid == session_uuid
                )
            ).scalars()
        )


def stored_session(server: LiveServer, session_uuid: str, complete: bool = True) -> Session:
    sid = server.store.studies.id("s1")

    def find() -> Session | None:
        found = server.store.sessions.load(sid, keys=[f"capture:{session_uuid}"])
        return found[0] if found and (found[0].complete or not complete) else None

    return wait_until(find, what=f"session {session_uuid} on the server")  # type: ignore[no-any-return]


def end_session(page: Any) -> None:
    page.click("#end-session")
    page.click("#confirm-end")
    page.wait_for_selector("#ended-message")


def box(page: Any, selector: str) -> dict[str, Any]:
    """The element's box in the viewport and whether something else covers its centre."""
    return page.evaluate(  # type: ignore[no-any-return]
        """(sel) => {
            const el = document.querySelector(sel);
            if (!el) return null;
            const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                    width: r.width, height: r.height, vw: innerWidth, vh: innerHeight,
                    covered: !(hit && (hit === el || el.contains(hit))),
                    hit: hit ? hit.outerHTML.slice(0, 120) : null};
        }""",
        selector,
    )


def small_controls(page: Any, minimum: float = 44) -> list[str]:
    """Every visible control smaller than minimum x minimum CSS px, described."""
    return page.evaluate(  # type: ignore[no-any-return]
        """([sel, min]) => {
            const out = [];
            for (const el of document.querySelectorAll(sel)) {
                const r = el.getBoundingClientRect();
                const cs = getComputedStyle(el);
                if (!r.width || !r.height) continue;
                if (cs.visibility === 'hidden' || cs.display === 'none') continue;
                if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
                if (r.width < min - 0.01 || r.height < min - 0.01) {
                    const name = (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.');
                    const text = (el.textContent || '').trim().slice(0, 30);
                    const size = `${r.width.toFixed(1)}x${r.height.toFixed(1)}`;
                    out.push(`${el.tagName.toLowerCase()}${name} "${text}" ${size}`);
                }
            }
            return out;
        }""",
        [CONTROLS, minimum],
    )
