"""Use cases for inter-observer reliability of co-observed sessions (see docs/ior.md)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import timedelta

import pandas as pd

from workweave.analysis.reliability import (
    IorResult,
    TimeSlicedKappa,
    detect_pairs,
    ior_pair,
    ior_table,
    time_sliced_kappa,
)
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.observation import Session
from workweave.store import Store

PARTICIPANT_KEYS: dict[str, Callable[[Session], Hashable]] = {
    # the participant code as stored (for WOMBAT imports: "<location>:<participant id>")
    "code": lambda s: s.participant,
    # the participant id without its location, case-insensitive: for exports whose location
    # ids were typed inconsistently ("p01" and "p1" for the same ward)
    "id": lambda s: s.participant.split(":", 1)[-1].strip().lower(),
}


def find_session(store: Store, study_id: int, ident: str) -> Session:
    """A session by the source's own session id (e.g. WOMBAT's '52') or by its key."""
    found = store.sessions.load(study_id, source_ids=[ident]) or store.sessions.load(
        study_id, keys=[ident]
    )
    if not found:
        raise NotFoundError(f"no session '{ident}' in the study")
    if len(found) > 1:
        keys = ", ".join(s.key for s in found)
        raise ValidationError(f"session id '{ident}' is ambiguous ({keys}): give the key")
    return found[0]


def ior_for_pair(
    store: Store, study_id: int, a: str, b: str, *, fragment_order: str = "iorapp"
) -> IorResult:
    sa, sb = find_session(store, study_id, a), find_session(store, study_id, b)
    if sa.key == sb.key:
        raise ValidationError("a session cannot be compared with itself")
    return ior_pair(sa, sb, fragment_order=fragment_order)  # type: ignore[arg-type]


def kappa_for_pair(store: Store, study_id: int, a: str, b: str) -> TimeSlicedKappa:
    return time_sliced_kappa(find_session(store, study_id, a), find_session(store, study_id, b))


def co_observed_pairs(
    store: Store, study_id: int, *, tolerance_seconds: float = 0, participant: str = "code"
) -> list[tuple[Session, Session]]:
    if participant not in PARTICIPANT_KEYS:
        raise ValidationError(
            f"participant matching '{participant}' is not one of {', '.join(PARTICIPANT_KEYS)}"
        )
    if tolerance_seconds < 0:
        raise ValidationError("the tolerance cannot be negative")
    return detect_pairs(
        store.sessions.load(study_id),
        participant_key=PARTICIPANT_KEYS[participant],
        tolerance=timedelta(seconds=tolerance_seconds),
    )


def ior_study_table(
    store: Store,
    study_id: int,
    *,
    tolerance_seconds: float = 0,
    participant: str = "code",
    fragment_order: str = "iorapp",
) -> pd.DataFrame:
    """The IOR of every co-observed pair in the study (one row per pair)."""
    pairs = co_observed_pairs(
        store, study_id, tolerance_seconds=tolerance_seconds, participant=participant
    )
    return ior_table(pairs, fragment_order=fragment_order)  # type: ignore[arg-type]
