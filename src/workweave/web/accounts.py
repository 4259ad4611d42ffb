"""Accounts, study membership, consent and per-study settings, over the store.

Roles: ``admin`` (everything, everywhere), ``researcher`` (sets up and reads the studies they
are members of), ``observer`` (shadows participants in the studies they observe in) and
``participant`` (logs and reads only their own work, through a link to their pseudonymous
participant code). A user's own role says what they may do outside any study (an admin
administers); inside a study, what counts is the role their membership of that study gives.

Passwords are hashed with Argon2id (argon2-cffi); plain passwords are never stored.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, insert, select, update

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.study import Observer
from workweave.domain.template import Template
from workweave.io.templates import DEFAULT_TEMPLATE, builtin_template
from workweave.store import Store
from workweave.store import schema as S
from workweave.store import schema_web as W

ROLES: tuple[str, ...] = ("admin", "researcher", "observer", "participant")
"""Every role, most powerful first."""

STUDY_ROLES: tuple[str, ...] = ("researcher", "observer", "participant")
"""Roles a membership of a study can give (admins need no membership)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_hasher = PasswordHasher()


def now_ms() -> int:
    return int(time.time() * 1000)


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


def _user(row: object) -> User:
    r = row
    return User(int(r.id), r.name, r.role, bool(r.active), int(r.session_version))  # type: ignore[attr-defined]


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"user name '{name}' must be 1-64 letters, digits or . _ @ - (no spaces)"
        )
    return name


def add_user(store: Store, name: str, role: str, password: str) -> User:
    check_name(name)
    if role not in ROLES:
        raise ValidationError(f"role '{role}' is not one of {', '.join(ROLES)}")
    hashed = hash_password(password)
    with store.transaction() as conn:
        if conn.execute(select(W.users.c.id).where(W.users.c.name == name)).first():
            raise ValidationError(f"a user named '{name}' already exists")
        uid = conn.execute(
            insert(W.users).values(
                name=name,
                role=role,
                password_hash=hashed,
                session_version=0,
                active=True,
                created_ms=now_ms(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return User(int(uid), name, role, True, 0)


def set_password(store: Store, name: str, password: str) -> None:
    hashed = hash_password(password)
    with store.transaction() as conn:
        res = conn.execute(
            update(W.users)
            .where(W.users.c.name == name)
            .values(password_hash=hashed, session_version=W.users.c.session_version + 1)
        )
        if res.rowcount == 0:
            raise NotFoundError(f"no user '{name}'")


def set_role(store: Store, name: str, role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"role '{role}' is not one of {', '.join(ROLES)}")
    with store.transaction() as conn:
        res = conn.execute(update(W.users).where(W.users.c.name == name).values(role=role))
        if res.rowcount == 0:
            raise NotFoundError(f"no user '{name}'")


def set_active(store: Store, name: str, active: bool) -> None:
    with store.transaction() as conn:
        res = conn.execute(
            update(W.users)
            .where(W.users.c.name == name)
            .values(active=active, session_version=W.users.c.session_version + 1)
        )
        if res.rowcount == 0:
            raise NotFoundError(f"no user '{name}'")


def user_by_id(store: Store, user_id: int) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(W.users).where(W.users.c.id == user_id)).first()
    return _user(row) if row is not None else None


def user_by_name(store: Store, name: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(W.users).where(W.users.c.name == name)).first()
    return _user(row) if row is not None else None


def users(store: Store) -> list[User]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(W.users).order_by(W.users.c.name)).all()
    return [_user(r) for r in rows]


def user_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(W.users)).scalar_one())


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same cost either way)."""
    with store.engine.connect() as conn:
        row = conn.execute(select(W.users).where(W.users.c.name == name)).first()
    if row is None:
        _verify(_DUMMY, password)
        return None
    if not _verify(row.password_hash, password) or not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with store.transaction() as conn:
            conn.execute(
                update(W.users)
                .where(W.users.c.id == row.id)
                .values(password_hash=_hasher.hash(password))
            )
    return _user(row)


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
            exists = conn.execute(
                select(S.participants.c.id).where(
                    S.participants.c.study_id == sid, S.participants.c.code == code
                )
            ).first()
            if exists is None:
                raise NotFoundError(f"no participant '{code}' in study '{study}'")
            participant_code = code
        values = dict(
            role=role,
            observer_code=observer_code,
            participant_code=participant_code,
        )
        row = conn.execute(
            select(W.study_members.c.id).where(
                W.study_members.c.study_id == sid, W.study_members.c.user_id == user.id
            )
        ).first()
        if row is None:
            conn.execute(
                insert(W.study_members).values(
                    study_id=sid, user_id=user.id, created_ms=now_ms(), **values
                )
            )
        else:
            conn.execute(
                update(W.study_members).where(W.study_members.c.id == row.id).values(**values)
            )
    return Membership(sid, study, role, observer_code, participant_code)


def revoke(store: Store, name: str, study: str) -> None:
    user = user_by_name(store, name)
    if user is None:
        raise NotFoundError(f"no user '{name}'")
    sid = store.studies.id(study)
    with store.transaction() as conn:
        conn.execute(
            W.study_members.delete().where(
                W.study_members.c.study_id == sid, W.study_members.c.user_id == user.id
            )
        )


def memberships(store: Store, user_id: int) -> list[Membership]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(W.study_members, S.studies.c.name.label("study_name"))
            .join(S.studies, S.studies.c.id == W.study_members.c.study_id)
            .where(W.study_members.c.user_id == user_id)
            .order_by(S.studies.c.name)
        ).all()
    return [
        Membership(int(r.study_id), r.study_name, r.role, r.observer_code, r.participant_code)
        for r in rows
    ]


def membership(store: Store, user_id: int, study_id: int) -> Membership | None:
    return next((m for m in memberships(store, user_id) if m.study_id == study_id), None)


def members(store: Store, study_id: int) -> list[tuple[str, Membership]]:
    """(user name, membership) for every member of a study."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(W.study_members, W.users.c.name.label("user_name"), S.studies.c.name)
            .join(W.users, W.users.c.id == W.study_members.c.user_id)
            .join(S.studies, S.studies.c.id == W.study_members.c.study_id)
            .where(W.study_members.c.study_id == study_id)
            .order_by(W.users.c.name)
        ).all()
    return [
        (
            r.user_name,
            Membership(int(r.study_id), r.name, r.role, r.observer_code, r.participant_code),
        )
        for r in rows
    ]


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

    def run(c: Connection) -> None:
        exists = c.execute(
            select(S.participants.c.id).where(
                S.participants.c.study_id == study_id, S.participants.c.code == participant
            )
        ).first()
        if exists is None:
            raise NotFoundError(f"no participant '{participant}' in the study")
        c.execute(
            insert(W.consents).values(
                study_id=study_id,
                participant_code=participant,
                given=given,
                form_version=form_version,
                note=note,
                recorded_ms=now_ms(),
                recorded_by=by,
            )
        )

    if conn is not None:
        run(conn)
    else:
        with store.transaction() as c:
            run(c)


def consents(store: Store, study_id: int, conn: Connection | None = None) -> dict[str, Consent]:
    """The latest consent record of each participant that has one."""
    q = (
        select(W.consents, W.users.c.name.label("by_name"))
        .outerjoin(W.users, W.users.c.id == W.consents.c.recorded_by)
        .where(W.consents.c.study_id == study_id)
        .order_by(W.consents.c.recorded_ms, W.consents.c.id)
    )
    if conn is None:
        with store.engine.connect() as c:
            rows = c.execute(q).all()
    else:
        rows = conn.execute(q).all()
    out: dict[str, Consent] = {}
    for r in rows:
        out[r.participant_code] = Consent(
            r.participant_code, bool(r.given), int(r.recorded_ms), r.by_name, r.form_version, r.note
        )
    return out


def consent_history(store: Store, study_id: int, participant: str) -> list[Consent]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(W.consents, W.users.c.name.label("by_name"))
            .outerjoin(W.users, W.users.c.id == W.consents.c.recorded_by)
            .where(W.consents.c.study_id == study_id, W.consents.c.participant_code == participant)
            .order_by(W.consents.c.recorded_ms, W.consents.c.id)
        ).all()
    return [
        Consent(
            r.participant_code, bool(r.given), int(r.recorded_ms), r.by_name, r.form_version, r.note
        )
        for r in rows
    ]


def has_consent(store: Store, study_id: int, participant: str, conn: Connection) -> bool:
    row = conn.execute(
        select(W.consents.c.given)
        .where(W.consents.c.study_id == study_id, W.consents.c.participant_code == participant)
        .order_by(W.consents.c.recorded_ms.desc(), W.consents.c.id.desc())
        .limit(1)
    ).first()
    return bool(row.given) if row is not None else False


# -- the template a study records with ---------------------------------------------------------


def study_template(store: Store, study_id: int, conn: Connection | None = None) -> Template:
    """The template new sessions of the study are recorded with (default: the built-in
    default template, stored on first use)."""
    if conn is None:
        with store.transaction() as c:
            return study_template(store, study_id, c)
    row = conn.execute(
        select(S.templates.c.name, S.templates.c.version)
        .join(W.study_templates, W.study_templates.c.template_id == S.templates.c.id)
        .where(W.study_templates.c.study_id == study_id)
    ).first()
    if row is not None:
        return store.studies.template(row.name, row.version)
    tpl = builtin_template(DEFAULT_TEMPLATE)
    stored = conn.execute(
        select(S.templates.c.id).where(
            S.templates.c.name == tpl.name, S.templates.c.version == tpl.version
        )
    ).first()
    if stored is None:
        store.studies.save_template(tpl, conn=conn)
    return tpl


def set_study_template(
    store: Store, study_id: int, name: str, version: str, by: int | None = None
) -> None:
    with store.transaction() as conn:
        row = conn.execute(
            select(S.templates.c.id).where(
                S.templates.c.name == name, S.templates.c.version == version
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no template '{name}@{version}' in this store")
        conn.execute(W.study_templates.delete().where(W.study_templates.c.study_id == study_id))
        conn.execute(
            insert(W.study_templates).values(
                study_id=study_id, template_id=row.id, set_ms=now_ms(), set_by=by
            )
        )


# -- settings --------------------------------------------------------------------------------


def secret_key(store: Store) -> str:
    """The key that signs session cookies: made once per store and kept in it, so sign-ins
    survive a restart of the server."""
    with store.transaction() as conn:
        row = conn.execute(
            select(W.web_settings.c.value).where(W.web_settings.c.key == "secret_key")
        ).first()
        if row is not None:
            return str(row.value)
        value = secrets.token_urlsafe(48)
        conn.execute(insert(W.web_settings).values(key="secret_key", value=value))
        return value


__all__ = [
    "ROLES",
    "STUDY_ROLES",
    "Consent",
    "Membership",
    "User",
    "add_user",
    "authenticate",
    "consents",
    "grant",
    "has_consent",
    "hash_password",
    "members",
    "membership",
    "memberships",
    "record_consent",
    "secret_key",
    "set_password",
    "set_study_template",
    "study_template",
    "user_by_id",
    "user_by_name",
    "users",
]
