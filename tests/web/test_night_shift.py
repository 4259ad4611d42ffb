"""Night shifts and on-call: session review lists tasks, events and notes in the order of
their instants (never of their clock text), and a session that crosses midnight shows the day
with every clock time; the time axis stays right over a clock change."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.web.support import LiveServer, live_server, store_location
from workweave.domain.observation import Note, PointEvent, Session, Task
from workweave.domain.time import to_ms
from workweave.web.timeline import crosses_midnight, layout

LONDON = ZoneInfo("Europe/London")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def night_session(day: str = "2025-01-07", next_day: str = "2025-01-08") -> Session:
    """22:00 to 02:00 in London; events and notes given out of order."""
    tasks = (
        Task("a", "ADMIN", local(f"{day} 22:00"), local(f"{day} 23:20"), seq=1),
        Task("b", "CLIN-DIRECT", local(f"{day} 23:20"), local(f"{day} 23:41"), seq=2),
        Task("c", "ADMIN", local(f"{day} 23:41"), local(f"{next_day} 00:01"), seq=3),
        Task("d", "CLIN-DIRECT", local(f"{next_day} 00:01"), local(f"{next_day} 02:00"), seq=4),
    )
    return Session(
        key="night",
        participant="P1",
        site="RAD",
        start=local(f"{day} 22:00"),
        end=local(f"{next_day} 02:00"),
        observer="OBS-1",
        timezone="Europe/London",
        tasks=tasks,
        events=(
            PointEvent("interruption", local(f"{next_day} 00:30"), key="e2"),
            PointEvent("interruption", local(f"{day} 23:50"), key="e1"),
        ),
        notes=(
            Note(local(f"{next_day} 01:15"), "after midnight", key="n2"),
            Note(local(f"{day} 22:30"), "before midnight", key="n1"),
        ),
    )


def test_a_night_lists_by_instant_with_the_day() -> None:
    s = night_session()
    assert crosses_midnight(s)
    tl = layout(s)
    assert [b.key for b in tl.bars] == ["a", "b", "c", "d"]
    assert [b.ms for b in tl.bars] == sorted(b.ms for b in tl.bars)
    assert [b.start for b in tl.bars] == [
        "Tue 22:00:00",
        "Tue 23:20:00",
        "Tue 23:41:00",
        "Wed 00:01:00",
    ]
    assert tl.bars[2].end == "Wed 00:01:00"
    assert [e.at for e in tl.events] == ["Tue 23:50:00", "Wed 00:30:00"]
    assert [n.text for n in tl.notes] == ["before midnight", "after midnight"]
    assert tl.start.startswith("Tue 2025-01-07 22:00:00") and tl.end.startswith("Wed 02:00:00")
    labels = [label for _, label in tl.ticks]
    assert labels[0].startswith("Tue ") and "Wed 00:00" in labels
    assert sum(1 for label in labels if " " in label) == 2  # the day only where it changes
    xs = [x for x, _ in tl.ticks]
    assert xs == sorted(xs)


def test_a_day_session_keeps_plain_clock_times() -> None:
    day = Session(
        key="day",
        participant="P1",
        site="RAD",
        start=local("2025-01-07 09:00"),
        end=local("2025-01-07 10:00"),
        observer="OBS-1",
        tasks=(Task("a", "ADMIN", local("2025-01-07 09:00"), local("2025-01-07 09:30")),),
    )
    assert not crosses_midnight(day)
    tl = layout(day)
    assert tl.bars[0].start == "09:00:00" and tl.end == "10:00:00"
    assert all(" " not in label for _, label in tl.ticks)


@pytest.mark.parametrize(
    ("start_utc", "hours", "expected"),
    [
        # clocks go forward at 01:00 GMT: there is no 01:00 local that night
        ("2025-03-29T22:00", 5, ["Sat 22:00", "23:00", "Sun 00:00", "02:00", "03:00"]),
        # clocks go back at 01:00 GMT: 01:00 local comes twice
        ("2025-10-25T21:00", 6, ["Sat 22:00", "23:00", "Sun 00:00", "01:00", "01:00", "02:00"]),
    ],
)
def test_the_axis_over_a_clock_change(start_utc: str, hours: int, expected: list[str]) -> None:
    start = datetime.fromisoformat(start_utc).replace(tzinfo=UTC)
    end = start + timedelta(hours=hours)
    s = Session(
        key="dst",
        participant="P1",
        site="RAD",
        start=start,
        end=end,
        observer="OBS-1",
        timezone="Europe/London",
        tasks=(Task("a", "ADMIN", start, end),),
    )
    tl = layout(s, px_per_minute=1.5, min_width=100)  # hourly ticks
    hourly = [(x, label) for x, label in tl.ticks if label.endswith(":00")]
    assert [label for _, label in hourly][: len(expected)] == expected
    gaps = {round(b[0] - a[0], 2) for a, b in itertools.pairwise(hourly)}
    assert gaps == {90.0}  # one real hour apart, each one


# -- the session page ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from live_server(store_location("sqlite", tmp_path_factory.mktemp("night")))


def recorded_night(server: LiveServer) -> str:
    """22:00-02:00 London time, recorded as obs1 over HTTP; the session's key."""
    c = server.client("obs1")
    s = str(uuid.uuid4())
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("2025-01-07 22:00", "session_start", {"participant": "P1"}),
        ("2025-01-07 22:00", "task_start", {"task": "a", "category": "ADMIN", "ends": []}),
        ("2025-01-07 23:20", "task_start", {"task": "b", "category": "CLIN-DIRECT", "ends": ["a"]}),
        ("2025-01-07 23:41", "task_start", {"task": "c", "category": "ADMIN", "ends": ["b"]}),
        ("2025-01-07 23:50", "note", {"text": "handover call"}),
        ("2025-01-08 00:01", "task_start", {"task": "d", "category": "CLIN-DIRECT", "ends": ["c"]}),
        ("2025-01-08 00:30", "event", {"kind": "interruption"}),
        ("2025-01-08 02:00", "session_end", {}),
    ]
    actions = []
    for seq, (when, kind, payload) in enumerate(steps):
        payload = {"suspends": [], **payload} if kind == "task_start" else payload
        actions.append(
            {
                "uuid": str(uuid.uuid4()),
                "session": s,
                "seq": seq,
                "type": kind,
                "t": to_ms(local(when)),
                "payload": payload,
            }
        )
    clock = to_ms(local("2025-01-08 02:01"))
    r = c.post("/api/sync", json={"study": "s1", "clock": clock, "actions": actions})
    assert r.status_code == 200 and not r.json()["rejected"], r.text
    return f"capture:{s}"


def test_session_page_orders_a_night_by_instant(server: LiveServer) -> None:
    key = recorded_night(server)
    html = server.client("res").get(f"/studies/s1/sessions/{key}").text
    table = html[html.index("<h2>Tasks") :]
    table = table[: table.index("</table>")]
    starts = re.findall(r"<tr>\s*<td>\d+</td><td>([^<]+)</td>", table)
    assert starts == ["Tue 22:00:00", "Tue 23:20:00", "Tue 23:41:00", "Wed 00:01:00"]
    assert "Tue 2025-01-07 22:00:00 GMT to Wed 02:00:00 GMT" in html
    assert "<strong>Tue 23:50:00</strong> handover call" in html
    assert "Wed 00:30:00 · Interruption" in html
    # a participant sees their own night the same way
    own = server.client("part").get(f"/studies/s1/sessions/{key}").text
    assert own.index("Tue 23:41:00") < own.index("Wed 00:01:00")
