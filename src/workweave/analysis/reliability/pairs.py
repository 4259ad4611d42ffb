"""Co-observed sessions: which pairs of sessions two observers recorded of the same person."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import timedelta
from typing import NamedTuple

from workweave.domain.observation import Session
from workweave.domain.time import to_ms


class Window(NamedTuple):
    """What pairing looks at in a session: whose, by whom, when (ms), and its key."""

    participant: Hashable
    observer: str | None
    start_ms: int
    end_ms: int  # the known end
    key: str


def overlapping(windows: Sequence[Window], tolerance_ms: int = 0) -> list[tuple[int, int]]:
    """Index pairs (i, j) of co-observed windows: same participant, different observers (never
    a window without one), ``start_i - tol < end_j`` and ``start_j - tol < end_i``.

    Pairs come out by participant (in the order of ``str(participant)``), then as
    ``itertools.combinations`` of that participant's windows sorted by (start, key) would give
    them; within a pair the earlier-starting window comes first. A sweep over start times keeps
    this fast for long studies (only windows still open are compared).
    """
    by_participant: dict[Hashable, list[int]] = {}
    for i, w in enumerate(windows):
        if w.observer is None:
            continue
        by_participant.setdefault(w.participant, []).append(i)
    out: list[tuple[int, int]] = []
    for part in sorted(by_participant, key=str):
        group = sorted(by_participant[part], key=lambda i: (windows[i].start_ms, windows[i].key))
        found: list[tuple[int, int]] = []
        open_: list[int] = []  # positions in `group` whose windows may still overlap
        for pos, i in enumerate(group):
            y = windows[i]
            open_ = [p for p in open_ if windows[group[p]].end_ms + tolerance_ms > y.start_ms]
            for p in open_:
                x = windows[group[p]]
                if x.observer == y.observer:
                    continue
                if x.start_ms - tolerance_ms < y.end_ms and y.start_ms - tolerance_ms < x.end_ms:
                    found.append((p, pos))
            open_.append(pos)
        found.sort()
        out.extend((group[p], group[q]) for p, q in found)
    return out


def detect_pairs(
    sessions: Iterable[Session],
    *,
    participant_key: Callable[[Session], Hashable] | None = None,
    tolerance: timedelta = timedelta(0),
) -> list[tuple[Session, Session]]:
    """Co-observed pairs: same participant, different observers, overlapping times.

    Three observers at once give three pairs. Pairs come out by participant and start time;
    within a pair the earlier-starting session (then the smaller key) comes first. Sessions
    without an observer (self-reports) are never paired.

    ``participant_key`` says which sessions are of the same person (default: the session's
    participant code, which for WOMBAT imports includes the location id). ``tolerance``
    widens each session by that much on both sides before testing the overlap, for
    observers' devices whose clocks disagree.
    """
    key = participant_key if participant_key is not None else (lambda s: s.participant)
    items = list(sessions)
    windows = [
        Window(key(s), s.observer, to_ms(s.start), to_ms(s.known_end), s.key)  # type: ignore[arg-type]
        for s in items
    ]
    tol = round(tolerance.total_seconds() * 1000)
    return [(items[i], items[j]) for i, j in overlapping(windows, tol)]


__all__ = ["Window", "detect_pairs", "overlapping"]
