"""Participant identity: find the participants who are probably one person typed two ways, and
merge them (reversibly) so that one person is one bootstrap cluster.

Two codes are flagged as likely the same person when their normal forms are equal
(`normal_form`: case folded, punctuation and spaces taken as separators, leading zeros dropped
from every number), and so are their registered sites'. ``p1`` and ``p01``, ``1`` and
``01``, ``c1`` and ``c01``, ``C2:Ilaria`` and ``c2:ilaria`` are flagged; ``p1`` and ``p11``
are not. Nothing is merged without being asked: ``merge`` records who merged what and when,
and ``unmerge`` reverses it exactly (`workweave.store.merges`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workweave.domain.errors import ValidationError
from workweave.store import Store
from workweave.store.merges import MergeRecord, ParticipantRow

MAX_CODE = 64
_TOKEN = re.compile(r"[^0-9a-z]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def normal_form(code: str) -> str:
    """A code as compared for duplicates: lower case, punctuation and spaces as one separator,
    leading zeros of each number dropped (``P-01`` gives ``p:1``, ``p01`` gives ``p1``)."""
    tokens = [t for t in _TOKEN.split(code.casefold()) if t]
    return ":".join(_LEADING_ZEROS.sub("", t) for t in tokens)


@dataclass(frozen=True)
class ParticipantLine:
    code: str
    site: str
    sessions: int
    hours: float
    session_sites: tuple[str, ...]
    merged_into: str | None
    duplicate_of: tuple[str, ...]  # other codes that are likely the same person

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "site": self.site,
            "sessions": self.sessions,
            "hours": round(self.hours, 4),
            "session_sites": list(self.session_sites),
            "merged_into": self.merged_into,
            "likely_duplicates": list(self.duplicate_of),
        }


def likely_duplicates(rows: list[ParticipantRow]) -> dict[str, tuple[str, ...]]:
    """{code: the other codes at the same (normalised) site with the same normal form}; a
    participant already merged into another is not flagged again."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if r.merged_into is None:
            groups.setdefault((normal_form(r.site), normal_form(r.code)), []).append(r.code)
    out: dict[str, tuple[str, ...]] = {}
    for codes in groups.values():
        if len(codes) > 1:
            for c in codes:
                out[c] = tuple(sorted(x for x in codes if x != c))
    return out


def participant_list(store: Store, study_id: int) -> list[ParticipantLine]:
    """Every participant: sessions, observed hours (every record), sites, merges, and the
    codes that are likely the same person."""
    rows = store.merges.participant_rows(study_id)
    dup = likely_duplicates(rows)
    return [
        ParticipantLine(
            r.code, r.site, r.sessions, r.hours, r.session_sites, r.merged_into, dup.get(r.code, ())
        )
        for r in rows
    ]


def _code(text: str, what: str) -> str:
    code = text.strip()
    if not code or len(code) > MAX_CODE or "\x00" in code:
        raise ValidationError(f"{what}: a participant code of 1 to {MAX_CODE} characters")
    return code


def merge(
    store: Store, study_id: int, into: str, merged: str, *, by: str, note: str = ""
) -> MergeRecord:
    """Participant `into` absorbs `merged` (its sessions move to `into`'s code and site)."""
    if len(note) > 2000 or "\x00" in note:
        raise ValidationError("the note: at most 2,000 characters of text")
    return store.merges.merge(
        study_id, _code(into, "A"), _code(merged, "B"), by=by.strip()[:64] or "unknown", note=note
    )


def unmerge(store: Store, study_id: int, merged: str) -> MergeRecord:
    """Reverse the merge of `merged`: its sessions return exactly as they were."""
    return store.merges.unmerge(study_id, _code(merged, "B"))


def merges(store: Store, study_id: int) -> list[MergeRecord]:
    return store.merges.merges(study_id)


__all__ = [
    "ParticipantLine",
    "likely_duplicates",
    "merge",
    "merges",
    "normal_form",
    "participant_list",
    "unmerge",
]
