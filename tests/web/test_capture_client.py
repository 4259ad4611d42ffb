"""The capture client's tap semantics, durability, pinned "now" panel and touch targets, in
Debian's Chromium against a live server (SQLite and PostgreSQL):

* a double tap (60 ms) on a category, an event chip or a description chip counts once;
* a tap on the category already in the foreground records nothing and says so; a second task of
  the same category needs "+ In parallel";
* ten taps, each followed by a page reload at the very moment the screen shows it as recorded,
  give ten tasks on the server (durable before visible);
* the pinned panel (modes and running tasks, the foreground task first) stays in the viewport,
  uncovered, after note, event-chip and description-chip interactions and scrolling, on a tablet
  and a phone, landscape and portrait;
* suspended and active category buttons differ in more than colour;
* every visible control on the capture and self-report screens is at least 44 x 44 CSS px;
* the sync badge counts this session's waiting actions and is never empty.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.capture_support import (
    PHONE,
    PHONE_LANDSCAPE,
    TABLET,
    TABLET_PORTRAIT,
    actions,
    box,
    end_session,
    open_capture,
    settle,
    small_controls,
    start,
    stored_action_uuids,
    stored_session,
    tap,
)
from tests.web.support import LiveServer
from tests.web.support import wait_until as wait


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=TABLET)
    try:
        yield ctx
    finally:
        ctx.close()


def centre(page: Any, selector: str) -> tuple[float, float]:
    page.locator(selector).scroll_into_view_if_needed()
    b = page.locator(selector).bounding_box()
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


def test_a_double_tap_counts_once(context: Any, server: LiveServer) -> None:
    page = open_capture(context, server)
    session = start(page)
    # a category, tapped twice 60 ms apart with the mouse: one task
    x, y = centre(page, ".cap-cat[data-category='CLIN-DIRECT']")
    page.mouse.click(x, y)
    time.sleep(0.06)
    page.mouse.click(x, y)
    settle(page)
    # an event chip twice 60 ms apart: one interruption (without the guard it would be two)
    x, y = centre(page, ".chip.event[data-event='interruption'][data-subtype='phone']")
    page.mouse.click(x, y)
    time.sleep(0.06)
    page.mouse.click(x, y)
    settle(page)
    # a description chip twice 60 ms apart: chosen once, not chosen and then taken back
    chip = ".cap-dim[data-dimension='where'] .chip[data-value='office']"
    x, y = centre(page, chip)
    page.mouse.click(x, y)
    time.sleep(0.06)
    page.mouse.click(x, y)
    settle(page)
    assert page.get_attribute(chip, "aria-pressed") == "true"
    # "+ In parallel" twice 60 ms apart stays armed (not armed and then disarmed)
    x, y = centre(page, "#arm-parallel")
    page.mouse.click(x, y)
    time.sleep(0.06)
    page.mouse.click(x, y)
    settle(page)
    assert page.get_attribute("#arm-parallel", "aria-pressed") == "true"
    time.sleep(0.35)
    page.click("#arm-parallel")  # a deliberate third tap, later on, disarms
    settle(page)
    assert page.get_attribute("#arm-parallel", "aria-pressed") == "false"

    types = [a["type"] for a in actions(page)]
    assert types == ["session_start", "task_start", "event", "dims"]
    end_session(page)
    s = stored_session(server, session)
    assert [t.category for t in s.tasks] == ["CLIN-DIRECT"]
    assert [(e.kind, e.subtype) for e in s.events] == [("interruption", "phone")]
    assert dict(s.tasks[0].dimensions) == {"where": ("office",)}
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_double_touch_tap_counts_once(browser: Any, server: LiveServer) -> None:
    ctx = browser.new_context(viewport=TABLET, has_touch=True)
    try:
        page = open_capture(ctx, server)
        session = start(page, "P2")
        page.tap(".cap-cat[data-category='ADMIN']")
        time.sleep(0.06)
        page.tap(".cap-cat[data-category='ADMIN']")
        settle(page)
        assert [a["type"] for a in actions(page)] == ["session_start", "task_start"]
        end_session(page)
        assert [t.category for t in stored_session(server, session).tasks] == ["ADMIN"]
    finally:
        ctx.close()


def test_a_tap_on_the_foreground_category_changes_nothing_and_says_so(
    context: Any, server: LiveServer
) -> None:
    page = open_capture(context, server)
    session = start(page)
    tap(page, "CLIN-DIRECT")
    time.sleep(0.35)  # well past the double-tap guard: a deliberate second tap
    tap(page, "CLIN-DIRECT")
    status = page.locator("#cap-status")
    assert status.is_visible()
    assert "Already recording" in status.inner_text()
    assert status.get_attribute("role") == "status"
    assert "pulse" in (page.get_attribute(".cap-cat[data-category='CLIN-DIRECT']", "class") or "")
    assert [a["type"] for a in actions(page)] == ["session_start", "task_start"]
    # with "+ In parallel", a second task of the same category starts alongside the first
    page.click("#arm-parallel")
    tap(page, "CLIN-DIRECT")
    # "⚡ Interrupt" and the same category: nothing either (the mode stays armed)
    page.click("#arm-interrupt")
    tap(page, "CLIN-DIRECT")
    assert page.get_attribute("#arm-interrupt", "aria-pressed") == "true"
    tap(page, "ADMIN")  # what does interrupt
    end_session(page)
    s = stored_session(server, session)
    assert [t.category for t in s.tasks] == ["CLIN-DIRECT", "CLIN-DIRECT", "ADMIN"]
    assert s.tasks[1].parallel and s.tasks[1].parallel[0].other == s.tasks[0].key
    assert [x.by for x in s.tasks[1].suspensions] == [s.tasks[2].key]
    assert page.errors == []  # type: ignore[attr-defined]


RELOAD_WHEN_SHOWN = """(code) => {
    // reload at the very moment the screen shows the tap as recorded (its running card)
    const mo = new MutationObserver(() => {
        if (document.querySelector(`.cap-card[data-category='${code}']`)) {
            mo.disconnect();
            location.reload();
        }
    });
    mo.observe(document.getElementById('app'), {childList: true, subtree: true});
}"""


def test_ten_taps_each_followed_at_once_by_a_reload_give_ten_tasks(
    context: Any, server: LiveServer
) -> None:
    page = open_capture(context, server)
    session = start(page, "P3")
    codes = ["CLIN-DIRECT", "ADMIN"] * 5
    for code in codes:
        page.evaluate(RELOAD_WHEN_SHOWN, code)
        with page.expect_navigation():
            page.click(f".cap-cat[data-category='{code}']", no_wait_after=True)
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector(".cap-cat")
    assert len(actions(page)) == 1 + len(codes)
    wait(
        lambda: len(stored_action_uuids(server, session)) == 1 + len(codes),
        what="every tap on the server",
    )
    s = stored_session(server, session, complete=False)
    assert [t.category for t in s.tasks] == codes
    assert page.errors == []  # type: ignore[attr-defined]


def setup_running(page: Any) -> None:
    """CLIN-DIRECT and ADMIN in parallel, ADMIN interrupted by STAFF-ROTA, which BUDGET
    interrupts: BUDGET and CLIN-DIRECT active, STAFF-ROTA and ADMIN suspended."""
    tap(page, "CLIN-DIRECT")
    page.click("#arm-parallel")
    tap(page, "ADMIN")
    page.click("#arm-interrupt")
    tap(page, "STAFF-ROTA")
    page.click("#arm-interrupt")
    tap(page, "BUDGET")


def assert_now_in_view(page: Any, after: str) -> None:
    settle(page)
    for sel in ("#now", "#arm-parallel", "#arm-interrupt", "#running .cap-card:first-child"):
        b = box(page, sel)
        assert b is not None, (after, sel)
        inside = b["top"] >= 0 and b["left"] >= 0 and b["bottom"] <= b["vh"] + 0.5
        inside = inside and b["right"] <= b["vw"] + 0.5
        assert inside, f"{sel} out of view after {after}: {b}"
        assert not b["covered"], f"{sel} covered after {after}: {b['hit']}"
    first_end = box(page, "#running .cap-card:first-child button.end")
    assert first_end and not first_end["covered"], (after, first_end)
    # the foreground task first, the other active one next, then the suspended ones
    order = page.eval_on_selector_all(
        "#running .cap-card", "els => els.map(e => [e.dataset.category, e.dataset.state])"
    )
    assert order == [
        ["BUDGET", "active"],
        ["CLIN-DIRECT", "active"],
        ["STAFF-ROTA", "suspended"],
        ["ADMIN", "suspended"],
    ], (after, order)


@pytest.mark.parametrize(
    "viewport",
    [TABLET, TABLET_PORTRAIT, PHONE, PHONE_LANDSCAPE],
    ids=["tablet-landscape", "tablet-portrait", "phone-portrait", "phone-landscape"],
)
def test_the_now_panel_stays_in_view(
    browser: Any, server: LiveServer, viewport: dict[str, int]
) -> None:
    ctx = browser.new_context(viewport=viewport)
    try:
        page = open_capture(ctx, server)
        start(page, "P2")
        setup_running(page)
        assert_now_in_view(page, "the taps")
        page.click(".cap-dim[data-dimension='where'] .chip[data-value='office']")
        assert_now_in_view(page, "a description chip")
        page.click(".chip.event[data-event='interruption'][data-subtype='bleep/pager']")
        assert_now_in_view(page, "an event chip")
        page.fill("#note", "the pinned panel stays")
        assert_now_in_view(page, "typing a note")
        page.click("#save-note")
        assert_now_in_view(page, "saving a note")
        page.click(".chip.event[data-event='demand'][data-subtype='add-on']")
        assert_now_in_view(page, "a demand chip")
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.evaluate(
            "() => { const r = document.querySelector('.cap-right');"
            " r.scrollTop = r.scrollHeight; }"
        )
        assert_now_in_view(page, "scrolling to the end")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()


def test_suspended_and_active_category_buttons_differ_beyond_colour(
    context: Any, server: LiveServer
) -> None:
    page = open_capture(context, server)
    start(page, "P2")
    tap(page, "CLIN-DIRECT")
    page.click("#arm-interrupt")
    tap(page, "ADMIN")
    look = """(code) => {
        const b = document.querySelector(`.cap-cat[data-category='${code}']`);
        const cs = getComputedStyle(b);
        return {state: b.dataset.state || '', pressed: b.getAttribute('aria-pressed'),
                border: cs.borderTopStyle, image: cs.backgroundImage,
                label: b.querySelector('.cap-cat-state').textContent};
    }"""
    active = page.evaluate(look, "ADMIN")
    suspended = page.evaluate(look, "CLIN-DIRECT")
    idle = page.evaluate(look, "BUDGET")
    assert (active["state"], active["pressed"]) == ("active", "true")
    assert (suspended["state"], suspended["pressed"]) == ("suspended", "false")
    assert (idle["state"], idle["pressed"], idle["label"]) == ("", "false", "")
    # shape, pattern and words, not colour alone
    assert (active["border"], suspended["border"]) == ("solid", "dashed")
    assert active["image"] == "none" and "gradient" in suspended["image"]
    assert "now" in active["label"] and "suspended" in suspended["label"]
    card = page.get_attribute(".cap-card[data-category='CLIN-DIRECT']", "data-state")
    assert card == "suspended"
    # resumed: the look follows
    page.click(".cap-card[data-category='CLIN-DIRECT'] button.resume")
    settle(page)
    assert page.evaluate(look, "CLIN-DIRECT")["state"] == "active"
    assert page.evaluate(look, "ADMIN")["state"] == ""


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
@pytest.mark.parametrize("who", ["observer", "participant"])
def test_every_control_is_at_least_44_px(
    browser: Any, server: LiveServer, viewport: dict[str, int], who: str
) -> None:
    ctx = browser.new_context(viewport=viewport)
    try:
        if who == "observer":
            page = open_capture(ctx, server, "obs1", "/capture/s1")
        else:
            page = open_capture(ctx, server, "part", "/me/s1")
        screens: dict[str, list[str]] = {"start screen": small_controls(page)}
        if who == "observer":
            start(page, "P3")
        else:
            page.click("#start-self")
            page.wait_for_selector(".cap-cat")
        tap(page, "CLIN-DIRECT")
        page.click("#arm-parallel")
        tap(page, "ADMIN")
        if who == "observer":
            page.click("#arm-interrupt")
            tap(page, "BUDGET")
        more = page.locator(".cap-more summary")
        if more.count():
            more.click()
        tap(page, "ADMIN")  # a no-op: the status line shows
        screens["recording screen"] = small_controls(page)
        page.click("#end-session")
        screens["end confirmation"] = small_controls(page)
        page.click("#confirm-end")
        page.wait_for_selector("#ended-message")
        screens["after the session"] = small_controls(page)
        assert {k: v for k, v in screens.items() if v} == {}
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()


def test_the_sync_badge_counts_this_sessions_waiting_actions(
    context: Any, server: LiveServer
) -> None:
    context.add_init_script(
        """new MutationObserver(() => {
            const b = document.getElementById('sync-state');
            if (b && !b.textContent.trim()) window.__emptyBadge = (window.__emptyBadge || 0) + 1;
        }).observe(document, {childList: true, subtree: true, characterData: true});"""
    )
    page = open_capture(context, server, "obs2")
    page.wait_for_selector("body[data-offline-ready='1']")
    first = start(page, "P2")
    page.wait_for_selector("#sync-state[data-waiting='0']")
    assert page.inner_text("#sync-state").strip() == "All sent"
    context.set_offline(True)
    for code in ("ADMIN", "BUDGET", "ADMIN"):
        tap(page, code)
    page.wait_for_selector("#sync-state[data-waiting='3']")
    assert "3 waiting" in page.inner_text("#sync-state")
    end_session(page)
    # the start screen counts the whole study on this device: 3 taps and the end
    page.wait_for_selector("#sync-state[data-waiting='4']")
    second = start(page, "P3")  # offline: its start waits too
    page.wait_for_selector("#sync-state[data-waiting='1']")
    assert "+4 other" in page.inner_text("#sync-state")
    tap(page, "EDUCATION")
    page.wait_for_selector("#sync-state[data-waiting='2']")
    context.set_offline(False)
    page.click("#sync-state")
    page.wait_for_selector("#sync-state[data-waiting='0'][data-state='ok']")
    assert page.inner_text("#sync-state").strip() == "All sent"
    assert len(stored_action_uuids(server, first)) == 1 + 3 + 1
    assert len(stored_action_uuids(server, second)) == 2
    assert page.evaluate("() => window.__emptyBadge || 0") == 0
    assert page.errors == []  # type: ignore[attr-defined]
