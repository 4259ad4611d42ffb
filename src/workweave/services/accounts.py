"""Accounts: users and passwords, study membership, consent, and the demo sign-ins.

The roles and what they allow are described in ``workweave.domain.accounts``. Passwords are
hashed with Argon2id (argon2-cffi); plain passwords are never stored. The SQL is in the
accounts repository (``store.accounts``, ``workweave.store.accounts``); this module holds the
rules.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from workweave.domain.accounts import ACCOUNT_ROLES, ROLES, STUDY_ROLES, Consent, Membership, User
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.study import Observer
from workweave.domain.time import now_ms
from workweave.services import audit
from workweave.store import Store

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_hasher = PasswordHasher()


# -- passwords -------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValidationError("a password needs at least 8 characters")
    return _hasher.hash(password)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


# A fixed hash to verify against when the user does not exist, so that a wrong name and a
# wrong password take the same time.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


# -- users -------------------------------------------------------------------------------------


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"user name '{name}' must be 1-64 letters, digits or . _ @ - (no spaces)"
        )
    return name


def _check_role(role: str) -> None:
    if role not in ACCOUNT_ROLES:
        raise ValidationError(f"role '{role}' is not one of {', '.join(ACCOUNT_ROLES)}")


def add_user(store: Store, name: str, role: str, password: str) -> User:
    check_name(name)
    _check_role(role)
    user = store.accounts.add_user(name, role, hash_password(password), now_ms())
    audit.record(store, "user.add", target=f"user:{name}", details={"role": role})
    return user


def set_password(store: Store, name: str, password: str) -> None:
    """A new password (the user is signed out everywhere)."""
    store.accounts.set_password_hash(name, hash_password(password))
    audit.record(store, "user.password", target=f"user:{name}")


def set_role(store: Store, name: str, role: str) -> None:
    _check_role(role)
    store.accounts.set_role(name, role)
    audit.record(store, "user.role", target=f"user:{name}", details={"role": role})


def set_active(store: Store, name: str, active: bool) -> None:
    """Enable or disable a user (either way they are signed out everywhere)."""
    store.accounts.set_active(name, active)
    audit.record(store, "user.active", target=f"user:{name}", details={"active": active})


def user_by_id(store: Store, user_id: int) -> User | None:
    return store.accounts.user_by_id(user_id)


def user_by_name(store: Store, name: str) -> User | None:
    return store.accounts.user_by_name(name)


def users(store: Store) -> list[User]:
    return store.accounts.users()


def user_count(store: Store) -> int:
    return store.accounts.user_count()


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same cost either way)."""
    found = store.accounts.user_with_hash(name)
    if found is None:
        _verify(_DUMMY, password)
        return None
    user, hashed = found
    if not _verify(hashed, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(hashed):
        store.accounts.rehash_password(user.id, _hasher.hash(password))
    return user


# -- membership ----------------------------------------------------------------------------------


def grant(
    store: Store,
    name: str,
    study: str,
    role: str,
    *,
    code: str | None = None,
) -> Membership:
    """Make a user a member of a study with a role (replacing an earlier membership).

    An observer records as observer `code` (default: the user's name; made in the study if it
    is not there). A participant user is linked to participant `code`, which must exist.
    """
    if role not in STUDY_ROLES:
        raise ValidationError(
            f"a study role is one of {', '.join(STUDY_ROLES)} (admins need no membership)"
        )
    user = user_by_name(store, name)
    if user is None:
        raise NotFoundError(f"no user '{name}' (add one with 'workweave user add')")
    sid = store.studies.id(study)
    observer_code = participant_code = None
    with store.transaction() as conn:
        if role == "observer" or (role == "researcher" and code):
            observer_code = code or name
            store.studies.add_observers(sid, [Observer(observer_code)], conn)
        if role == "participant":
            if not code:
                raise ValidationError("a participant user needs the participant code (--code)")
            if not store.accounts.participant_exists(sid, code, conn=conn):
                raise NotFoundError(f"no participant '{code}' in study '{study}'")
            participant_code = code
        store.accounts.put_membership(
            sid,
            user.id,
            role=role,
            observer_code=observer_code,
            participant_code=participant_code,
            created_ms=now_ms(),
            conn=conn,
        )
        audit.record(
            store,
            "member.grant",
            study=study,
            target=f"user:{name}",
            details={"role": role},
            conn=conn,
        )
    return Membership(sid, study, role, observer_code, participant_code)


def revoke(store: Store, name: str, study: str) -> None:
    user = user_by_name(store, name)
    if user is None:
        raise NotFoundError(f"no user '{name}'")
    store.accounts.delete_membership(store.studies.id(study), user.id)
    audit.record(store, "member.revoke", study=study, target=f"user:{name}")


def memberships(store: Store, user_id: int) -> list[Membership]:
    return store.accounts.memberships(user_id)


def membership(store: Store, user_id: int, study_id: int) -> Membership | None:
    return next((m for m in memberships(store, user_id) if m.study_id == study_id), None)


def members(store: Store, study_id: int) -> list[tuple[str, Membership]]:
    """(user name, membership) for every member of a study."""
    return store.accounts.members(study_id)


# -- consent -----------------------------------------------------------------------------------


def record_consent(
    store: Store,
    study_id: int,
    participant: str,
    *,
    given: bool,
    by: int | None,
    form_version: str = "",
    note: str = "",
    conn: Connection | None = None,
) -> None:
    """Add a consent record (given or withdrawn). Records are never changed: the latest counts."""
    if conn is None:
        with store.transaction() as c:
            return record_consent(
                store,
                study_id,
                participant,
                given=given,
                by=by,
                form_version=form_version,
                note=note,
                conn=c,
            )
    if not store.accounts.participant_exists(study_id, participant, conn=conn):
        raise NotFoundError(f"no participant '{participant}' in the study")
    store.accounts.add_consent(
        study_id,
        participant,
        given=given,
        by=by,
        form_version=form_version,
        note=note,
        recorded_ms=now_ms(),
        conn=conn,
    )
    audit.record(
        store,
        "consent.record",
        study=study_id,
        target=f"participant:{participant}",
        details={"given": given},
        conn=conn,
    )


def consents(store: Store, study_id: int, conn: Connection | None = None) -> dict[str, Consent]:
    """The latest consent record of each participant that has one."""
    return {c.participant: c for c in store.accounts.consent_records(study_id, conn=conn)}


def consent_history(store: Store, study_id: int, participant: str) -> list[Consent]:
    return store.accounts.consent_records(study_id, participant)


def has_consent(store: Store, study_id: int, participant: str, conn: Connection) -> bool:
    return bool(store.accounts.latest_consent_given(study_id, participant, conn=conn))


# -- settings ----------------------------------------------------------------------------------


def secret_key(store: Store) -> str:
    """The key that signs session cookies: made once per store and kept in it, so sign-ins
    survive a restart of the server."""
    return store.accounts.setting("secret_key", secrets.token_urlsafe(48))


# -- demo sign-ins -------------------------------------------------------------------------------

DEMO_PASSWORDS: dict[str, str] = {
    "admin": "admin-demo-pass",
    "researcher": "researcher-demo-pass",
    "observer": "observer-demo-pass",
    "participant": "participant-demo-pass",
}


def prepare_demo_users(store: Store, study: str | None = None) -> dict[str, Any]:
    """Make demo sign-ins (admin, researcher, observer, participant) for a study of the store
    (default: its only study), record consent for the demo participants, and return what to
    print: {'study', 'users': [{'name', 'role', 'password', 'participant'?}]}.

    Running it again resets the demo passwords and changes nothing else.
    """
    sid = store.studies.id(study)
    name = store.studies.get(sid).name
    participants = store.studies.participants(sid)
    if not participants:
        raise ValidationError(f"study '{name}' has no participants to link a login to")
    linked = participants[0].code
    made: list[dict[str, Any]] = []
    for role, password in DEMO_PASSWORDS.items():
        login = f"demo-{role}"
        if user_by_name(store, login) is None:
            add_user(store, login, role, password)
        else:
            set_password(store, login, password)
            set_role(store, login, role)
        entry: dict[str, Any] = {"name": login, "role": role, "password": password}
        if role == "researcher":
            grant(store, login, name, "researcher")
        elif role == "observer":
            grant(store, login, name, "observer", code=login)
        elif role == "participant":
            grant(store, login, name, "participant", code=linked)
            entry["participant"] = linked
        made.append(entry)
    given = consents(store, sid)
    for p in participants:
        if not (p.code in given and given[p.code].given):
            record_consent(
                store,
                sid,
                p.code,
                given=True,
                by=None,
                form_version="demo",
                note="synthetic demo participant",
            )
    return {"study": name, "users": made}


__all__ = [
    "DEMO_PASSWORDS",
    "ROLES",
    "STUDY_ROLES",
    "Consent",
    "Membership",
    "User",
    "add_user",
    "authenticate",
    "check_name",
    "consent_history",
    "consents",
    "grant",
    "has_consent",
    "hash_password",
    "members",
    "membership",
    "memberships",
    "prepare_demo_users",
    "record_consent",
    "revoke",
    "secret_key",
    "set_active",
    "set_password",
    "set_role",
    "user_by_id",
    "user_by_name",
    "user_count",
    "users",
]
