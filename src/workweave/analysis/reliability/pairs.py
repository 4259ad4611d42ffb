"""Co-observed sessions: which pairs of sessions two observers recorded of the same person."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable
from datetime import timedelta

from workweave.domain.observation import Session


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
    by_participant: dict[Hashable, list[Session]] = {}
    for s in sessions:
        if s.observer is None:
            continue
        by_participant.setdefault(key(s), []).append(s)
    out: list[tuple[Session, Session]] = []
    for part in sorted(by_participant, key=str):
        group = sorted(by_participant[part], key=lambda s: (s.start, s.key))
        for x, y in itertools.combinations(group, 2):
            if x.observer == y.observer:
                continue
            if x.start - tolerance < y.known_end and y.start - tolerance < x.known_end:
                out.append((x, y))
    return out


__all__ = ["detect_pairs"]
