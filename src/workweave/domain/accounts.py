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


__all__ = ["ACCOUNT_ROLES", "CUSTODIAN", "ROLES", "STUDY_ROLES", "Consent", "Membership", "User"]
