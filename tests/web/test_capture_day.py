"""A whole day at the bedside, offline, in Debian's Chromium against a live server (SQLite and
PostgreSQL): more than 300 taps over a simulated 9-hour day (Playwright's clock), with switches,
parallel tasks, interruptions, resumes, ends, description chips, point events, notes, undo, a
reload straight after a tap and the page closed and opened again, all with no network. Back
online, the server holds exactly what was recorded, once: the test keeps its own account of the
expected tasks (with their times, ends, suspensions and descriptions), events and notes as it
taps, and compares; sending everything again changes nothing. The counts (taps, tasks expected
and arrived, lost, duplicated) are printed."""

from __future__ import annotations

import copy
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.web.capture_support import (
    TABLET,
    collect_errors,
    device_action_uuids,
    settle,
    stored_action_uuids,
    stored_session,
)
from tests.web.support import (
    LiveServer,
    sign_in,
    wait_until,
)
from workweave.domain.time import to_ms

pytestmark = pytest.mark.slow

HOUR_MS = 3_600_000
DAY_MS = 9 * HOUR_MS
MIN_TAPS = 300
CATEGORIES = [
    "CLIN-DIRECT",
    "CLIN-INDIRECT",
    "CLIN-ADVICE",
    "LIST-MANAGE",
    "STAFF-ROTA",
    "BUDGET",
    "ADMIN",
    "MEETING",
    "GOVERNANCE",
    "EDUCATION",
    "BREAK",
]
EVENTS = [
    ("interruption", "phone"),
    ("interruption", "bleep/pager"),
    ("interruption", "person in person"),
    ("demand", "add-on"),
    ("demand", "did-not-attend"),
]
MULTI = {"with_whom": True, "how": True, "where": False}


@dataclass
class Expected:
    """What the observer recorded, as the test understands each tap."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    events: list[tuple[str, str, int]] = field(default_factory=list)
    notes: list[tuple[str, int]] = field(default_factory=list)

    def suspended(self, key: str) -> bool:
        susp = self.tasks[key]["susp"]
        return bool(susp) and susp[-1][1] is None

    def running(self) -> list[str]:
        return [k for k in self.order if self.tasks[k]["end"] is None]

    def active(self) -> list[str]:
        return [k for k in self.running() if not self.suspended(k)]

    def foreground(self) -> str | None:
        act = self.active()
        return act[-1] if act else None

    def end(self, key: str, t: int, by: str) -> None:
        task = self.tasks[key]
        task["end"] = max(t, task["start"])
        task["ended_by"] = by


class Day:
    """Drives the capture screen through a day and keeps the expected record."""

    def __init__(self, context: Any, server: LiveServer, seed: int) -> None:
        self.context = context
        self.server = server
        self.rng = random.Random(seed)
        self.exp = Expected()
        self.undo_stack: list[Expected] = []
        self.errors: list[str] = []
        self.page: Any = None
        self.taps = 0
        self.noops = 0
        self.undos = 0
        self.reloads = 0
        self.reopens = 0
        self.elapsed = 0
        self.last_control: str | None = None

    # -- the page ------------------------------------------------------------------------------
    def open(self, first: bool = False) -> None:
        self.page = self.context.new_page()
        self.errors_of_page = collect_errors(self.page)
        if first:
            sign_in(self.page, self.server, "obs1", "/capture/s1")
        else:
            self.page.goto(f"{self.server.url}/capture/s1")
        self.page.wait_for_selector("body[data-ready='1']")

    def close(self) -> None:
        self.errors += self.errors_of_page
        self.page.close()
        self.page = None

    def reopen(self) -> None:
        """Close the page and open the capture screen again (offline: from the device)."""
        self.close()
        self.open()
        assert self.page.evaluate("navigator.onLine") is False
        self.page.wait_for_selector(".cap-cat")
        self.reopens += 1

    def reload(self) -> None:
        self.page.reload()
        self.page.wait_for_selector("body[data-ready='1']")
        self.page.wait_for_selector(".cap-cat")
        self.reloads += 1

    def advance(self, ms: int) -> None:
        self.context.clock.fast_forward(ms)
        self.elapsed += ms

    def click(self, selector: str, control: str) -> None:
        if control == self.last_control:
            time.sleep(0.35)  # a deliberate repeat, beyond the double-tap guard
        self.page.click(selector)
        self.taps += 1
        self.last_control = control

    def count(self) -> int:
        return int(self.page.evaluate("() => window.__workweave.actions.length"))

    def confirmed(self, before: int) -> dict[str, Any]:
        """The action a tap recorded, once the screen shows it (stored on the device)."""
        self.page.wait_for_function("(n) => window.__workweave.actions.length > n", arg=before)
        settle(self.page)
        assert self.count() == before + 1
        return self.page.evaluate(  # type: ignore[no-any-return]
            "() => { const a = window.__workweave.actions.at(-1);"
            " return {type: a.type, t: a.t, payload: a.payload}; }"
        )

    def nothing_recorded(self, before: int) -> None:
        settle(self.page)
        assert self.count() == before

    def remember(self) -> None:
        self.undo_stack.append(copy.deepcopy(self.exp))

    # -- what the observer does ------------------------------------------------------------------
    def category(self, code: str, mode: str = "switch") -> dict[str, Any] | None:
        exp = self.exp
        fg = exp.foreground()
        if mode == "parallel":
            self.click("#arm-parallel", "arm:parallel")
        elif mode == "interrupt":
            assert fg is not None and exp.tasks[fg]["cat"] != code
            self.click("#arm-interrupt", "arm:interrupt")
        before = self.count()
        self.click(f".cap-cat[data-category='{code}']", f"cat:{code}")
        if mode == "switch" and fg is not None and exp.tasks[fg]["cat"] == code:
            self.nothing_recorded(before)  # already in the foreground
            self.noops += 1
            return None
        a = self.confirmed(before)
        p = a["payload"]
        ends = exp.active() if mode == "switch" else []
        suspends = [fg] if mode == "interrupt" else []
        assert (a["type"], p["category"]) == ("task_start", code)
        assert sorted(p["ends"]) == sorted(ends) and p["suspends"] == suspends
        self.remember()
        key, t = p["task"], a["t"]
        for k in ends:
            exp.end(k, t, key)
        for k in suspends:
            exp.tasks[k]["susp"].append([t, None, key])
        exp.tasks[key] = {
            "cat": code,
            "start": t,
            "end": None,
            "ended_by": None,
            "susp": [],
            "dims": {},
        }
        exp.order.append(key)
        return a

    def end(self, key: str) -> None:
        before = self.count()
        self.click(f".cap-card[data-task='{key}'] button.end", f"end:{key}")
        a = self.confirmed(before)
        assert (a["type"], a["payload"]["task"]) == ("task_end", key)
        self.remember()
        self.exp.end(key, a["t"], "user")

    def resume(self, key: str) -> None:
        exp = self.exp
        since = exp.tasks[key]["susp"][-1][0]
        ends = [k for k in exp.active() if k != key and exp.tasks[k]["start"] >= since]
        before = self.count()
        self.click(f".cap-card[data-task='{key}'] button.resume", f"resume:{key}")
        a = self.confirmed(before)
        assert (a["type"], a["payload"]["task"]) == ("resume", key)
        assert sorted(a["payload"]["ends"]) == sorted(ends)
        self.remember()
        for k in ends:
            exp.end(k, a["t"], key)
        s = exp.tasks[key]["susp"][-1]
        s[1] = max(a["t"], s[0])

    def describe(self) -> bool:
        selected = self.page.evaluate("() => window.__workweave.selected")
        if selected not in self.exp.tasks:
            return False
        chips = self.page.eval_on_selector_all(
            "#dims .cap-dim[data-dimension] > .cap-chips > .chip",
            "els => els.map(e => [e.closest('.cap-dim').dataset.dimension, e.dataset.value])",
        )
        chips = [c for c in chips if c[0] in MULTI]
        if not chips:
            return False
        dim, value = self.rng.choice(chips)
        current = list(self.exp.tasks[selected]["dims"].get(dim, []))
        if MULTI[dim]:
            values = [v for v in current if v != value] if value in current else [*current, value]
        else:
            values = [] if current == [value] else [value]
        before = self.count()
        self.click(
            f"#dims .cap-dim[data-dimension='{dim}'] .chip[data-value=\"{value}\"]",
            f"dim:{selected}:{dim}:{value}",
        )
        a = self.confirmed(before)
        p = a["payload"]
        assert (a["type"], p["task"], p["dimension"], p["values"]) == (
            "dims",
            selected,
            dim,
            values,
        )
        self.remember()
        if values:
            self.exp.tasks[selected]["dims"][dim] = values
        else:
            self.exp.tasks[selected]["dims"].pop(dim, None)
        return True

    def event(self, kind: str, subtype: str) -> None:
        before = self.count()
        self.click(
            f".chip.event[data-event='{kind}'][data-subtype='{subtype}']",
            f"event:{kind}:{subtype}",
        )
        a = self.confirmed(before)
        assert (a["type"], a["payload"]["kind"], a["payload"]["subtype"]) == (
            "event",
            kind,
            subtype,
        )
        self.remember()
        self.exp.events.append((kind, subtype, a["t"]))

    def note(self, text: str) -> None:
        self.page.fill("#note", text)
        self.advance(self.rng.randint(5_000, 40_000))  # typing takes a while
        before = self.count()
        self.click("#save-note", "note")
        a = self.confirmed(before)
        assert (a["type"], a["payload"]["text"]) == ("note", text)
        self.remember()
        self.exp.notes.append((text, a["t"]))

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        before = self.count()
        self.click("#undo", "undo")
        a = self.confirmed(before)
        assert a["type"] == "undo"
        self.exp = self.undo_stack.pop()
        self.undos += 1
        return True

    def end_session(self) -> int:
        self.click("#end-session", "end-session")
        before = self.count()
        self.click("#confirm-end", "confirm-end")
        self.page.wait_for_selector("#ended-message")
        a = self.page.evaluate(
            "() => { const a = window.__workweave.actions.at(-1); return {type: a.type, t: a.t}; }"
        )
        assert self.count() == before + 1 and a["type"] == "session_end"
        for k in self.exp.running():
            self.exp.end(k, a["t"], "session")
        return int(a["t"])

    # -- the day ----------------------------------------------------------------------------------
    def step(self, n: int) -> None:
        exp, rng = self.exp, self.rng
        fg = exp.foreground()
        suspended = [k for k in exp.running() if exp.suspended(k)]
        roll = rng.random()
        if roll < 0.30 or not exp.running():
            # now and then, a second tap on what is already recorded
            again = fg and rng.random() < 0.12
            self.category(exp.tasks[fg]["cat"] if fg and again else rng.choice(CATEGORIES))
        elif roll < 0.38:
            self.category(rng.choice(CATEGORIES), "parallel")
        elif roll < 0.48 and fg:
            others = [c for c in CATEGORIES if c != exp.tasks[fg]["cat"]]
            self.category(rng.choice(others), "interrupt")
        elif roll < 0.58 and suspended:
            self.resume(rng.choice(suspended))
        elif roll < 0.63:
            self.end(rng.choice(exp.running()))
        elif roll < 0.76:
            if not self.describe():
                self.category(rng.choice(CATEGORIES))
        elif roll < 0.85:
            self.event(*rng.choice(EVENTS))
        elif roll < 0.91:
            self.note(f"note {n}: {rng.choice(['rota gap', 'list overrun', 'call back ward'])}")
        elif not self.undo():
            self.event(*rng.choice(EVENTS))


def test_a_day_offline_arrives_exactly_once(
    browser: Any, server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = "sqlite" if server.location.endswith(".sqlite") else "postgresql"
    context = browser.new_context(viewport=TABLET)
    morning = int(time.time() * 1000) - DAY_MS - HOUR_MS  # the day ends an hour ago
    context.clock.install(time=morning / 1000)
    day = Day(context, server, seed=11)
    try:
        day.open(first=True)
        day.page.wait_for_selector("body[data-offline-ready='1']")
        day.page.click("button.cap-person[data-participant='P1']")
        day.page.wait_for_selector(".cap-cat")
        session = str(day.page.evaluate("() => window.__workweave.session.uuid"))
        wait_until(lambda: len(stored_action_uuids(server, session)) == 1, what="the start")
        day.page.wait_for_selector("#sync-state[data-waiting='0']")

        context.set_offline(True)
        # the page learns of it asynchronously: taps before then would try the network
        day.page.wait_for_function("() => navigator.onLine === false")
        offline_from = time.monotonic()
        n = 0
        while day.taps < MIN_TAPS or day.elapsed < DAY_MS - 2 * HOUR_MS:
            n += 1
            day.advance(day.rng.randint(80_000, 150_000))
            day.step(n)
            if n % 45 == 20:
                before = day.count()
                day.category(day.rng.choice(CATEGORIES), "parallel")
                assert day.count() == before + 1
                day.reload()  # straight after the tap is shown
            if n in (90, 210):
                day.reopen()
            assert n < 1000
        day.advance(max(DAY_MS - day.elapsed, 60_000))
        day.end_session()
        waiting = int(day.page.get_attribute("#sync-state", "data-waiting") or 0)
        # the browser's own update checks of the service worker script are not the app's and
        # are not covered by the emulated offline state
        offline_requests = [
            r for r in server.requests if r[0] >= offline_from and r[1:] != ("GET", "/sw.js")
        ]
        assert offline_requests == [], f"requests reached the server offline: {offline_requests}"
        assert len(stored_action_uuids(server, session)) == 1

        context.set_offline(False)
        day.page.click("#sync-state")
        device = device_action_uuids(day.page, session)
        assert waiting == len(device) - 1
        wait_until(
            lambda: len(stored_action_uuids(server, session)) == len(device),
            timeout=60,
            what="the day's actions on the server",
        )
        day.page.wait_for_selector("#sync-state[data-waiting='0']")
        stored = stored_action_uuids(server, session)
        assert sorted(stored) == sorted(device) and len(set(stored)) == len(stored)

        s = stored_session(server, session)
        exp = day.exp
        expected_tasks = Counter(
            (
                k,
                x["cat"],
                x["start"],
                x["end"],
                x["ended_by"],
                tuple(sorted((d, tuple(v)) for d, v in x["dims"].items())),
                tuple((s0, s1, by) for s0, s1, by in x["susp"]),
            )
            for k, x in exp.tasks.items()
        )
        arrived_tasks = Counter(
            (
                t.key,
                t.category,
                to_ms(t.start),
                to_ms(t.end),
                t.ended_by,
                t.dimensions,
                tuple((to_ms(x.start), to_ms(x.end), x.by) for x in t.suspensions),
            )
            for t in s.tasks
        )
        lost = sum((expected_tasks - arrived_tasks).values())
        duplicated = sum((arrived_tasks - expected_tasks).values())
        suspensions = sum(len(x["susp"]) for x in exp.tasks.values())
        summary = (
            f"day-long capture ({backend}): taps {day.taps} over "
            f"{day.elapsed / HOUR_MS:.1f} h, actions {len(device)}, "
            f"tasks expected {len(exp.tasks)} / arrived {len(s.tasks)}, lost {lost}, "
            f"duplicated {duplicated}; suspensions {suspensions}, "
            f"events {len(exp.events)}, notes {len(exp.notes)}, "
            f"taps that changed nothing {day.noops}, undos {day.undos}, "
            f"reloads {day.reloads}, reopened {day.reopens}"
        )
        with capsys.disabled():
            print(f"\n{summary}")
        assert day.taps >= MIN_TAPS and day.elapsed >= DAY_MS
        assert day.reloads >= 5 and day.reopens == 2
        assert lost == 0 and duplicated == 0, summary
        assert [t.key for t in s.tasks] == exp.order
        assert sorted((e.kind, e.subtype, to_ms(e.at)) for e in s.events) == sorted(exp.events)
        assert sorted((x.text, to_ms(x.at)) for x in s.notes) == sorted(exp.notes)
        assert any(x["susp"] for x in exp.tasks.values())
        assert any(len(t.parallel) for t in s.tasks)

        # sending the whole day again (a device that lost the answers) changes nothing
        replay = day.page.evaluate(
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
            [session, "s1"],
        )
        assert replay["stored"] == [] and len(replay["duplicates"]) == len(device)
        assert replay["rejected"] == []
        assert len(stored_action_uuids(server, session)) == len(device)
        assert stored_session(server, session) == s
        day.close()
        assert day.errors == []
    finally:
        context.close()
