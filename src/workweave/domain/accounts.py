"""Who may use a study: users, their roles and memberships, and participants' consent.

Roles: ``admin`` (everything, everywhere), ``researcher`` (sets up and reads the studies they
are members of), ``observer`` (shadows participants in the studies they observe in) and
``participant`` (logs and reads only their own work, through a link to their pseudonymous
participant code). ``custodian`` holds the key store that links codes to real identities
(``workweave keys``) and sees no study data through workweave. A user's own role says what
they may do outside any study (an admin administers); inside a study, what counts is the
role their membership of that study gives.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES: tuple[str, ...] = ("admin", "researcher", "observer", "participant")
"""Every role that works with study data, most powerful first (what the web app admits)."""

CUSTODIAN = "custodian"
"""The key-store custodian: may open the key store (with its key), and nothing in the web app."""

ACCOUNT_ROLES: tuple[str, ...] = (*ROLES, CUSTODIAN)
"""Every role an account can have."""

STUDY_ROLES: tuple[str, ...] = ("researcher", "observer", "participant")
"""Roles a membership of a study can give (admins need no membership)."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool
    session_version: int


@dataclass(frozen=True)
class Membership:
    study_id: int
    study: str
    role: str
    observer_code: str | None
    participant_code: str | None


@dataclass(frozen=True)
class Consent:
    participant: str
    given: bool
    recorded_ms: int
    recorded_by: str | None
    form_version: str
    note: str


@dataclass(frozen=True)
class ThrottlePolicy:
    """When failed sign-ins lock an account name or a client address, and for how long.

    Failures are counted per key (an account name, or a client address) while they keep coming:
    a key whose last failure is older than ``window_ms`` starts again from zero. From the
    ``limit``-th failure on, the key is locked for ``base_lock_ms`` doubled for each further
    failure, at most ``max_lock_ms``. While a key is locked every attempt is refused at once
    (the password is not even checked), so a locked account cannot be opened with the right
    password either until the lock ends.
    """

    limit: int = 5
    base_lock_ms: int = 60_000
    max_lock_ms: int = 15 * 60_000
    window_ms: int = 60 * 60_000

    def lock_ms(self, failures: int) -> int:
        """How long a key with this many consecutive failures stays locked (0: not locked)."""
        if failures < self.limit:
            return 0
        doublings = min(failures - self.limit, 20)
        return int(min(self.base_lock_ms * (2**doublings), self.max_lock_ms))


ACCOUNT_THROTTLE = ThrottlePolicy(limit=5)
"""Per account name: 5 failures lock it for 1 minute, then 2, 4, 8, at most 15 minutes."""

ADDRESS_THROTTLE = ThrottlePolicy(limit=20)
"""Per client address: 20 failures (over any names) lock it the same way."""


@dataclass(frozen=True)
class SessionPolicy:
    """How long a signed-in web session lasts: ``absolute_ms`` from sign-in at most, and
    ``idle_ms`` without a request."""

    absolute_ms: int = 12 * 3600_000
    idle_ms: int = 30 * 60_000

    def alive(self, created_ms: int, last_seen_ms: int, now_ms: int) -> bool:
        return now_ms < created_ms + self.absolute_ms and now_ms < last_seen_ms + self.idle_ms


__all__ = [
    "ACCOUNT_ROLES",
    "ACCOUNT_THROTTLE",
    "ADDRESS_THROTTLE",
    "CUSTODIAN",
    "ROLES",
    "STUDY_ROLES",
    "Consent",
    "Membership",
    "SessionPolicy",
    "ThrottlePolicy",
    "User",
]
