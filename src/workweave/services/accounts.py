"""Accounts: users and passwords, sign-in (throttled), server-side web sessions, the
cookie-signing secret, study membership, consent, and the demo sign-ins.

The roles and what they allow are described in ``workweave.domain.accounts``. Passwords are
hashed with Argon2id (argon2-cffi); plain passwords are never stored, and new ones must pass
``password_problems`` (length, not the user name, zxcvbn score). The SQL is in the accounts
repository (``store.accounts``, ``workweave.store.accounts``); this module holds the rules.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from workweave.domain.accounts import (
    ACCOUNT_ROLES,
    ACCOUNT_THROTTLE,
    ADDRESS_THROTTLE,
    ROLES,
    STUDY_ROLES,
    Consent,
    Membership,
    SessionPolicy,
    User,
)
from workweave.domain.errors import NotFoundError, ValidationError, WorkweaveError
from workweave.domain.study import Observer
from workweave.domain.time import now_ms
from workweave.services import audit
from workweave.store import Store

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_hasher = PasswordHasher()


# -- passwords -------------------------------------------------------------------------------

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MIN_SCORE = 3
"""The least zxcvbn score (0-4) a new password needs: 3 is "safely unguessable: moderate
protection from an offline slow-hash scenario" (Wheeler 2016, USENIX Security)."""


def password_problems(password: str, name: str = "") -> list[str]:
    """Why `password` may not be set for user `name` (empty: it may).

    At least 12 characters (at most 1024); not the user name, nor containing it (ignoring
    case); and not guessable: zxcvbn, which knows common passwords, English words, names,
    keyboard patterns, dates and repeats, must score it at least 3 of 4."""
    if not isinstance(password, str):
        return ["a password must be text"]
    if len(password) < MIN_PASSWORD:
        return [f"a password needs at least {MIN_PASSWORD} characters (it has {len(password)})"]
    if len(password) > MAX_PASSWORD:
        return [f"a password may have at most {MAX_PASSWORD} characters"]
    if "\x00" in password:
        return ["a password may not contain the NUL character"]
    problems = []
    if name and name.casefold() in password.casefold():
        problems.append("a password may not contain the user name")
    from zxcvbn import zxcvbn  # its word lists load on first use

    hints = [h for h in (name, *re.split(r"[._@-]+", name)) if len(h) >= 3]
    result = zxcvbn(password[:100], user_inputs=hints)
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        why = feedback.get("warning") or "it is too easy to guess"
        tips = " ".join(feedback.get("suggestions") or [])
        problems.append(
            f"this password is too easy to guess ({why.rstrip('.')}): "
            + (tips or "use a longer phrase of uncommon words")
        )
    return problems


def check_password(password: str, name: str = "") -> None:
    """Refuse (ValidationError) a password that ``password_problems`` finds fault with."""
    problems = password_problems(password, name)
    if problems:
        raise ValidationError("; ".join(problems))


def hash_password(password: str, name: str = "") -> str:
    """The Argon2id hash of a new password for user `name` (checked by the policy first)."""
    check_password(password, name)
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
    user = store.accounts.add_user(name, role, hash_password(password, name), now_ms())
    audit.record(store, "user.add", target=f"user:{name}", details={"role": role})
    return user


def set_password(store: Store, name: str, password: str) -> None:
    """A new password (the user's web sessions everywhere end)."""
    if user_by_name(store, name) is None:
        raise NotFoundError(f"no user '{name}'")
    store.accounts.set_password_hash(name, hash_password(password, name))
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
    """The active user with this name and password, or None (same cost either way).

    Not throttled: the web app signs in through ``sign_in``, which is."""
    found = store.accounts.user_with_hash(name) if _NAME.fullmatch(name) else None
    if found is None:
        _verify(_DUMMY, password)
        return None
    user, hashed = found
    if not _verify(hashed, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(hashed):
        store.accounts.rehash_password(user.id, _hasher.hash(password))
    return user


# -- sign-in: throttled, with a bounded number of password checks at once ----------------------


class SignInError(WorkweaveError):
    """A sign-in that did not succeed; ``status`` is the HTTP status it maps to and
    ``retry_after_s`` (when set) how long to wait."""

    status = 401

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class WrongCredentials(SignInError):
    """Wrong user name or password (the same for an unknown name)."""


class SignInLocked(SignInError):
    """Too many failed sign-ins for this name or from this address: locked for a while."""

    status = 429


class SignInBusy(SignInError):
    """Too many password checks running at once: try again in a moment."""

    status = 503


class PasswordChecks:
    """At most `limit` Argon2 checks at once in this process (each takes about 64 MiB); an
    attempt that finds no free slot within `wait_s` seconds is refused with ``SignInBusy``
    instead of queueing."""

    def __init__(self, limit: int, wait_s: float = 1.0) -> None:
        if limit < 1:
            raise ValueError("at least one password check must be allowed")
        self.limit = limit
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(limit)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_s):
            raise SignInBusy("the server is busy checking other sign-ins: try again", 1)
        try:
            yield
        finally:
            self._slots.release()


ENV_PASSWORD_CHECKS = "WORKWEAVE_WEB_PASSWORD_CHECKS"
PASSWORD_CHECKS = PasswordChecks(int(os.environ.get(ENV_PASSWORD_CHECKS) or 4))
"""This process's bound on concurrent password checks (WORKWEAVE_WEB_PASSWORD_CHECKS, default 4,
about 256 MiB of Argon2 memory at most)."""


def _account_key(name: str) -> str:
    return "account:" + name.casefold()[:150].replace("\x00", "?")


def _address_key(address: str) -> str:
    return "address:" + address[:150].replace("\x00", "?")


def sign_in(
    store: Store,
    name: str,
    password: str,
    *,
    address: str = "",
    now: int | None = None,
    checks: PasswordChecks | None = None,
) -> User:
    """The active user with this name and password, or a ``SignInError``.

    Failed attempts are counted per account name and per client `address` in the store (so
    the count holds across server processes); past ``ACCOUNT_THROTTLE`` / ``ADDRESS_THROTTLE``
    the name or address is locked and attempts are refused at once (``SignInLocked``, without
    checking the password). Unknown names are counted and locked exactly like real ones, and
    are checked against a dummy hash, so neither the answer nor its time says whether a name
    exists. `now` (ms) is for tests."""
    t = now_ms() if now is None else now
    keys = [_account_key(name)] + ([_address_key(address)] if address else [])
    until = store.accounts.locked_until(keys)
    if until > t:
        wait = max(1, -(-(until - t) // 1000))
        minutes = -(-wait // 60)
        raise SignInLocked(
            "too many failed sign-ins: try again in "
            + (f"{minutes} minute{'s' if minutes != 1 else ''}" if wait > 60 else f"{wait} s"),
            wait,
        )
    with (checks or PASSWORD_CHECKS).slot():
        user = authenticate(store, name, password)
    if user is None:
        store.accounts.record_failure(keys[0], t, ACCOUNT_THROTTLE)
        if address:
            store.accounts.record_failure(keys[1], t, ADDRESS_THROTTLE)
        if secrets.randbelow(50) == 0:  # now and then, forget counts that lock nothing
            store.accounts.forget_old_failures(t - ACCOUNT_THROTTLE.window_ms, t)
        audit.record(store, "signin.failure", target=f"user:{name[:64]}")
        raise WrongCredentials("wrong user name or password")
    store.accounts.clear_failures(keys[0])
    audit.record(store, "signin.success", who=user.name, target=f"user:{user.name}")
    return user


def failed_sign_ins(store: Store, name: str) -> int:
    """Consecutive failed sign-ins counted against an account name."""
    return store.accounts.failures(_account_key(name))


# -- server-side web sessions --------------------------------------------------------------------

ENV_SESSION_HOURS = "WORKWEAVE_WEB_SESSION_HOURS"
ENV_IDLE_MINUTES = "WORKWEAVE_WEB_IDLE_MINUTES"


def session_policy_from_environment() -> SessionPolicy:
    """Session lifetimes: WORKWEAVE_WEB_SESSION_HOURS (absolute, default 12) and
    WORKWEAVE_WEB_IDLE_MINUTES (idle, default 30)."""
    try:
        hours = float(os.environ.get(ENV_SESSION_HOURS) or 12)
        minutes = float(os.environ.get(ENV_IDLE_MINUTES) or 30)
    except ValueError:
        raise ValidationError(
            f"{ENV_SESSION_HOURS} and {ENV_IDLE_MINUTES} must be numbers"
        ) from None
    if not (0 < hours <= 24 * 30) or not (0 < minutes <= 24 * 60):
        raise ValidationError(
            f"{ENV_SESSION_HOURS} must be above 0 and at most 720, "
            f"{ENV_IDLE_MINUTES} above 0 and at most 1440"
        )
    return SessionPolicy(absolute_ms=int(hours * 3600_000), idle_ms=int(minutes * 60_000))


_TOUCH_MS = 30_000  # last-seen times are written at most this often per session


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def start_session(
    store: Store,
    user: User,
    *,
    address: str = "",
    policy: SessionPolicy = SessionPolicy(),
    now: int | None = None,
) -> str:
    """A new web session for `user`: the random session id to put in the cookie (the store
    keeps only its SHA-256)."""
    t = now_ms() if now is None else now
    session_id = secrets.token_urlsafe(32)
    store.accounts.add_session(
        _session_hash(session_id),
        user.id,
        created_ms=t,
        expires_ms=t + policy.absolute_ms,
        address=address,
    )
    if secrets.randbelow(20) == 0:  # now and then, clear sessions that have ended
        store.accounts.end_stale_sessions(t, t - policy.idle_ms)
    return session_id


def session_user(
    store: Store,
    session_id: str,
    *,
    policy: SessionPolicy = SessionPolicy(),
    now: int | None = None,
) -> User | None:
    """The active user of a live session (None if it ended, expired or the user is
    disabled); a live session's last-seen time moves on."""
    t = now_ms() if now is None else now
    if not isinstance(session_id, str) or not session_id or len(session_id) > 128:
        return None
    key = _session_hash(session_id)
    found = store.accounts.session(key)
    if found is None:
        return None
    user, created, seen, expires = found
    if t >= expires or not policy.alive(created, seen, t) or not user.active:
        store.accounts.end_session(key)
        return None
    if t - seen >= _TOUCH_MS:
        store.accounts.touch_session(key, t)
    return user


def end_session(store: Store, session_id: str) -> None:
    """Sign out: the session ends on the server (its cookie is worthless from now on)."""
    if isinstance(session_id, str) and session_id:
        store.accounts.end_session(_session_hash(session_id))


def end_all_sessions(store: Store, name: str | None = None) -> int:
    """End every web session (of user `name` when given); how many ended."""
    if name is None:
        return store.accounts.end_sessions()
    user = user_by_name(store, name)
    if user is None:
        raise NotFoundError(f"no user '{name}'")
    return store.accounts.end_sessions(user.id)


def session_count(store: Store) -> int:
    return store.accounts.session_count()


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


# -- the cookie-signing secret -------------------------------------------------------------------

ENV_SECRET_KEY = "WORKWEAVE_SECRET_KEY"
ENV_SECRET_FILE = "WORKWEAVE_SECRET_FILE"
SECRET_FILE_NAME = "secret.key"


def secret_file(store: Store) -> Path:
    """Where the cookie-signing secret is kept: WORKWEAVE_SECRET_FILE if set; else
    ``secret.key`` beside a SQLite store; else (a PostgreSQL store)
    ``$XDG_CONFIG_HOME/workweave/secret.key`` (``~/.config/...``). Never in the database."""
    named = os.environ.get(ENV_SECRET_FILE)
    if named:
        return Path(named).expanduser()
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / SECRET_FILE_NAME
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "workweave" / SECRET_FILE_NAME


def _write_secret(path: Path, *, replace: bool) -> str:
    value = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp") if replace else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (value + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(target, path)
    return value


def secret_key(store: Store) -> str:
    """The key that signs session cookies: WORKWEAVE_SECRET_KEY if set (at least 32
    characters), else the contents of ``secret_file(store)``, made on first use with
    owner-only permissions (0600)."""
    value = os.environ.get(ENV_SECRET_KEY)
    if value:
        if len(value) < 32:
            raise ValidationError(f"{ENV_SECRET_KEY} must have at least 32 characters")
        return value
    path = secret_file(store)
    try:
        return _write_secret(path, replace=False)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ValidationError(f"cannot write the secret file {path}: {exc.strerror}") from None
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # owner-only, as made
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValidationError(f"cannot read the secret file {path}: {exc.strerror}") from None
    if len(text) < 32:
        raise ValidationError(f"the secret file {path} must hold at least 32 characters")
    return text


def rotate_secret(store: Store) -> tuple[Path | None, int]:
    """A new cookie-signing secret, and every web session ended: (the secret file written,
    or None when the secret comes from WORKWEAVE_SECRET_KEY and must be changed there; how
    many sessions ended). A running server keeps the old secret until it restarts, but its
    sessions have ended all the same."""
    ended = store.accounts.end_sessions()
    if os.environ.get(ENV_SECRET_KEY):
        return None, ended
    path = secret_file(store)
    try:
        _write_secret(path, replace=True)
    except OSError as exc:
        raise ValidationError(f"cannot write the secret file {path}: {exc.strerror}") from None
    return path, ended


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
    "PASSWORD_CHECKS",
    "ROLES",
    "STUDY_ROLES",
    "Consent",
    "Membership",
    "PasswordChecks",
    "SignInBusy",
    "SignInError",
    "SignInLocked",
    "User",
    "WrongCredentials",
    "add_user",
    "authenticate",
    "check_name",
    "check_password",
    "consent_history",
    "consents",
    "end_all_sessions",
    "end_session",
    "failed_sign_ins",
    "grant",
    "has_consent",
    "hash_password",
    "members",
    "membership",
    "memberships",
    "password_problems",
    "prepare_demo_users",
    "record_consent",
    "revoke",
    "rotate_secret",
    "secret_file",
    "secret_key",
    "session_count",
    "session_policy_from_environment",
    "session_user",
    "set_active",
    "set_password",
    "set_role",
    "sign_in",
    "start_session",
    "user_by_id",
    "user_by_name",
    "user_count",
    "users",
]
