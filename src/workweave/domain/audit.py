"""The audit trail's rules: what an entry holds, its canonical form and the hash chain.

Each entry is chained to the one before it: its hash is the SHA-256 of a canonical
serialisation of the entry (sequence number, time, who, from where, action, study, target and
details) together with the previous entry's hash. Changing any stored field of any entry, or
removing an entry from the middle, breaks the chain from that entry on; `verify` names the
first entry that does not hold. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
"""The "previous hash" of the first entry."""


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit trail.

    `actor`: the user's name, ``cli:<os user>`` or ``api:<os user>``; `origin`: the client's
    address for the web, ``cli`` or ``api``; `action`: a dotted name (``signin.failure``,
    ``participant.report.view``); `target`: what was acted on (``participant:P01``,
    ``session:KEY``, ``document:KEY``)."""

    seq: int
    at_ms: int
    actor: str
    origin: str
    action: str
    study: str | None
    target: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at_ms": self.at_ms,
            "actor": self.actor,
            "origin": self.origin,
            "action": self.action,
            "study": self.study,
            "target": self.target,
            "details": dict(self.details),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """The details as canonical JSON (sorted keys, no spaces): how they are stored."""
    return json.dumps(
        dict(details or {}),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    )


def canonical(entry: AuditEntry) -> str:
    """The canonical serialisation the hash is taken over (the previous hash included)."""
    body = {
        "seq": entry.seq,
        "at_ms": entry.at_ms,
        "actor": entry.actor,
        "origin": entry.origin,
        "action": entry.action,
        "study": entry.study,
        "target": entry.target,
        "details": json.loads(canonical_details(entry.details)),
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry).encode("utf-8")).hexdigest()


def seal(entry: AuditEntry) -> AuditEntry:
    """The entry with its hash filled in."""
    return AuditEntry(**{**entry.__dict__, "hash": entry_hash(entry)})


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: `ok`, how many entries were checked and, when it does
    not hold, the first entry (sequence number) that fails and why."""

    ok: bool
    checked: int
    first_bad: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.checked} entries, hash chain verified"
        return f"audit trail broken at entry {self.first_bad}: {self.problem}"


def verify(entries: Iterable[AuditEntry], *, head_seq: int | None = None) -> Verification:
    """Check the chain, oldest first: consecutive sequence numbers from 1, each entry's stored
    hash equal to the hash of its content, and each previous hash equal to the hash before it.
    `head_seq`: the sequence number the store's head says was last written (catches entries
    removed from the end)."""
    prev = GENESIS
    expected = 1
    n = 0
    for e in entries:
        if e.seq != expected:
            if e.seq > expected:
                missing = (
                    f"entry {expected} is missing"
                    if e.seq == expected + 1
                    else f"entries {expected} to {e.seq - 1} are missing"
                )
                return Verification(False, n, expected, f"{missing} (deleted)")
            return Verification(False, n, e.seq, "sequence number out of order")
        if e.prev_hash != prev:
            return Verification(
                False, n, e.seq, "its link to the previous entry does not match (altered)"
            )
        if entry_hash(e) != e.hash:
            return Verification(False, n, e.seq, "its content does not match its hash (altered)")
        prev = e.hash
        expected += 1
        n += 1
    if head_seq is not None and head_seq != n:
        if head_seq > n:
            return Verification(
                False,
                n,
                n + 1,
                f"the trail ends at entry {n} but {head_seq} were written (deleted)",
            )
        return Verification(False, n, head_seq + 1, "entries beyond the recorded head")
    return Verification(True, n)


def hashed_code(study: str | None, code: str) -> str:
    """A one-way stand-in for a participant code in audit entries about an erased person:
    ``sha256:`` and the first 16 hex digits of SHA-256 over study and code."""
    digest = hashlib.sha256(f"{study or ''}\x00{code}".encode()).hexdigest()
    return f"sha256:{digest[:16]}"


__all__ = [
    "GENESIS",
    "AuditEntry",
    "Verification",
    "canonical",
    "canonical_details",
    "entry_hash",
    "hashed_code",
    "seal",
    "verify",
]
