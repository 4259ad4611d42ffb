"""Accounts: users, study memberships, consent records, the template each study records with,
server-side web sessions and failed sign-in counts.

Writes that may be part of a larger use case (a membership, a consent record) and the reads
such a use case makes on the way take the caller's connection (`conn`), so several changes
land in one transaction. Rules (who may be granted what, password hashing) live in
``workweave.services.accounts``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from workweave.domain.accounts import Consent, Membership, ThrottlePolicy, User
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.store import schema as S
from workweave.store import schema_web as W
from workweave.store.base import Repository


class AccountRepository(Repository):
    """Users, memberships, consent, web sessions and sign-in failures (`store.accounts`)."""

    # -- users -------------------------------------------------------------------------------
    def user_by_id(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(W.users).where(W.users.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def user_by_name(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(W.users).where(W.users.c.name == name)).first()
        return _user(row) if row is not None else None

    def user_with_hash(self, name: str) -> tuple[User, str] | None:
        """The user with this name and their stored password hash (for signing in)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(W.users).where(W.users.c.name == name)).first()
        return (_user(row), str(row.password_hash)) if row is not None else None

    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(W.users).order_by(W.users.c.name)).all()
        return [_user(r) for r in rows]

    def user_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(W.users)).scalar_one())

    def add_user(self, name: str, role: str, password_hash: str, created_ms: int) -> User:
        """Store a new user (refused if the name is taken)."""
        with self._transaction() as conn:
            if conn.execute(select(W.users.c.id).where(W.users.c.name == name)).first():
                raise ValidationError(f"a user named '{name}' already exists")
            uid = conn.execute(
                insert(W.users).values(
                    name=name,
                    role=role,
                    password_hash=password_hash,
                    session_version=0,
                    active=True,
                    created_ms=created_ms,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        return User(int(uid), name, role, True, 0)

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """A new password: the user's sessions everywhere end."""
        self._update_user(
            name, password_hash=password_hash, session_version=W.users.c.session_version + 1
        )

    def set_role(self, name: str, role: str) -> None:
        self._update_user(name, role=role)

    def set_active(self, name: str, active: bool) -> None:
        """Enable or disable a user: their sessions everywhere end."""
        self._update_user(name, active=active, session_version=W.users.c.session_version + 1)

    def rehash_password(self, user_id: int, password_hash: str) -> None:
        """The same password under a stronger hash (sessions carry on)."""
        with self._transaction() as conn:
            conn.execute(
                update(W.users).where(W.users.c.id == user_id).values(password_hash=password_hash)
            )

    def _update_user(self, name: str, **values: Any) -> None:
        """Change a user; a change of their session version also ends their web sessions."""
        with self._transaction() as conn:
            res = conn.execute(update(W.users).where(W.users.c.name == name).values(**values))
            if res.rowcount == 0:
                raise NotFoundError(f"no user '{name}'")
            if "session_version" in values:
                uid = select(W.users.c.id).where(W.users.c.name == name).scalar_subquery()
                conn.execute(W.web_sessions.delete().where(W.web_sessions.c.user_id == uid))

    # -- memberships -------------------------------------------------------------------------
    def participant_exists(
        self, study_id: int, code: str, *, conn: Connection | None = None
    ) -> bool:
        with self._connection(conn) as c:
            row = c.execute(
                select(S.participants.c.id).where(
                    S.participants.c.study_id == study_id, S.participants.c.code == code
                )
            ).first()
        return row is not None

    def put_membership(
        self,
        study_id: int,
        user_id: int,
        *,
        role: str,
        observer_code: str | None,
        participant_code: str | None,
        created_ms: int,
        conn: Connection | None = None,
    ) -> None:
        """Make the user a member of the study, replacing an earlier membership."""
        values = dict(role=role, observer_code=observer_code, participant_code=participant_code)
        with self._transaction(conn) as c:
            row = c.execute(
                select(W.study_members.c.id).where(
                    W.study_members.c.study_id == study_id, W.study_members.c.user_id == user_id
                )
            ).first()
            if row is None:
                c.execute(
                    insert(W.study_members).values(
                        study_id=study_id, user_id=user_id, created_ms=created_ms, **values
                    )
                )
            else:
                c.execute(
                    update(W.study_members).where(W.study_members.c.id == row.id).values(**values)
                )

    def delete_membership(self, study_id: int, user_id: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                W.study_members.delete().where(
                    W.study_members.c.study_id == study_id, W.study_members.c.user_id == user_id
                )
            )

    def memberships(self, user_id: int) -> list[Membership]:
        with self.engine.connect() as conn:
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

    def members(self, study_id: int) -> list[tuple[str, Membership]]:
        """(user name, membership) for every member of a study."""
        with self.engine.connect() as conn:
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

    # -- consent -----------------------------------------------------------------------------
    def add_consent(
        self,
        study_id: int,
        participant: str,
        *,
        given: bool,
        by: int | None,
        form_version: str,
        note: str,
        recorded_ms: int,
        conn: Connection | None = None,
    ) -> None:
        """Add a consent record (records are never changed)."""
        with self._transaction(conn) as c:
            c.execute(
                insert(W.consents).values(
                    study_id=study_id,
                    participant_code=participant,
                    given=given,
                    form_version=form_version,
                    note=note,
                    recorded_ms=recorded_ms,
                    recorded_by=by,
                )
            )

    def consent_records(
        self, study_id: int, participant: str | None = None, *, conn: Connection | None = None
    ) -> list[Consent]:
        """The study's consent records (of one participant if given), oldest first."""
        q = (
            select(W.consents, W.users.c.name.label("by_name"))
            .outerjoin(W.users, W.users.c.id == W.consents.c.recorded_by)
            .where(W.consents.c.study_id == study_id)
            .order_by(W.consents.c.recorded_ms, W.consents.c.id)
        )
        if participant is not None:
            q = q.where(W.consents.c.participant_code == participant)
        with self._connection(conn) as c:
            rows = c.execute(q).all()
        return [
            Consent(
                r.participant_code,
                bool(r.given),
                int(r.recorded_ms),
                r.by_name,
                r.form_version,
                r.note,
            )
            for r in rows
        ]

    def latest_consent_given(
        self, study_id: int, participant: str, *, conn: Connection | None = None
    ) -> bool | None:
        """Whether the participant's latest consent record gives consent (None: no record)."""
        with self._connection(conn) as c:
            row = c.execute(
                select(W.consents.c.given)
                .where(
                    W.consents.c.study_id == study_id, W.consents.c.participant_code == participant
                )
                .order_by(W.consents.c.recorded_ms.desc(), W.consents.c.id.desc())
                .limit(1)
            ).first()
        return bool(row.given) if row is not None else None

    # -- the template a study records with ---------------------------------------------------
    def study_template_key(
        self, study_id: int, *, conn: Connection | None = None
    ) -> tuple[str, str] | None:
        """(name, version) of the template set for the study, if one is set."""
        with self._connection(conn) as c:
            row = c.execute(
                select(S.templates.c.name, S.templates.c.version)
                .join(W.study_templates, W.study_templates.c.template_id == S.templates.c.id)
                .where(W.study_templates.c.study_id == study_id)
            ).first()
        return (row.name, row.version) if row is not None else None

    def template_stored(self, name: str, version: str, *, conn: Connection | None = None) -> bool:
        with self._connection(conn) as c:
            row = c.execute(
                select(S.templates.c.id).where(
                    S.templates.c.name == name, S.templates.c.version == version
                )
            ).first()
        return row is not None

    def set_study_template(
        self, study_id: int, name: str, version: str, *, by: int | None, set_ms: int
    ) -> None:
        """Set the template new sessions of the study are recorded with (it must be stored)."""
        with self._transaction() as conn:
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
                    study_id=study_id, template_id=row.id, set_ms=set_ms, set_by=by
                )
            )

    # -- server-side web sessions ------------------------------------------------------------
    def add_session(
        self, id_hash: str, user_id: int, *, created_ms: int, expires_ms: int, address: str
    ) -> None:
        with self._transaction() as conn:
            conn.execute(
                insert(W.web_sessions).values(
                    id_hash=id_hash,
                    user_id=user_id,
                    created_ms=created_ms,
                    last_seen_ms=created_ms,
                    expires_ms=expires_ms,
                    address=address[:64],
                )
            )

    def session(self, id_hash: str) -> tuple[User, int, int, int] | None:
        """(user, created_ms, last_seen_ms, expires_ms) of a stored session."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    W.users,
                    W.web_sessions.c.created_ms.label("s_created"),
                    W.web_sessions.c.last_seen_ms,
                    W.web_sessions.c.expires_ms,
                )
                .join(W.users, W.users.c.id == W.web_sessions.c.user_id)
                .where(W.web_sessions.c.id_hash == id_hash)
            ).first()
        if row is None:
            return None
        return _user(row), int(row.s_created), int(row.last_seen_ms), int(row.expires_ms)

    def touch_session(self, id_hash: str, seen_ms: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                update(W.web_sessions)
                .where(W.web_sessions.c.id_hash == id_hash)
                .values(last_seen_ms=seen_ms)
            )

    def end_session(self, id_hash: str) -> None:
        with self._transaction() as conn:
            conn.execute(W.web_sessions.delete().where(W.web_sessions.c.id_hash == id_hash))

    def end_sessions(self, user_id: int | None = None) -> int:
        """End every session of a user (None: of everyone); how many ended."""
        q = W.web_sessions.delete()
        if user_id is not None:
            q = q.where(W.web_sessions.c.user_id == user_id)
        with self._transaction() as conn:
            return int(conn.execute(q).rowcount or 0)

    def end_stale_sessions(self, now_ms: int, idle_since_ms: int) -> int:
        """Remove sessions past their absolute expiry or unused since `idle_since_ms`."""
        with self._transaction() as conn:
            res = conn.execute(
                W.web_sessions.delete().where(
                    (W.web_sessions.c.expires_ms <= now_ms)
                    | (W.web_sessions.c.last_seen_ms <= idle_since_ms)
                )
            )
            return int(res.rowcount or 0)

    def session_count(self, user_id: int | None = None) -> int:
        q = select(func.count()).select_from(W.web_sessions)
        if user_id is not None:
            q = q.where(W.web_sessions.c.user_id == user_id)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    # -- failed sign-ins -----------------------------------------------------------------------
    def locked_until(self, keys: list[str]) -> int:
        """The latest end of a lock on any of these keys (0: none)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(func.max(W.sign_in_failures.c.locked_until_ms)).where(
                    W.sign_in_failures.c.key.in_(keys)
                )
            ).scalar()
        return int(value or 0)

    def failures(self, key: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(W.sign_in_failures.c.failures).where(W.sign_in_failures.c.key == key)
            ).scalar()
        return int(value or 0)

    def record_failure(self, key: str, now_ms: int, policy: ThrottlePolicy) -> int:
        """Count a failed sign-in against `key` (locking it as `policy` says); the failures
        counted so far."""
        t = W.sign_in_failures
        for attempt in (1, 2):
            try:
                with self._transaction() as conn:
                    row = conn.execute(
                        select(t.c.failures, t.c.last_failure_ms).where(t.c.key == key)
                    ).first()
                    fresh = row is None or now_ms - int(row.last_failure_ms) > policy.window_ms
                    failures = 1 if fresh else int(row.failures) + 1  # type: ignore[union-attr]
                    lock = policy.lock_ms(failures)
                    values = dict(
                        failures=failures,
                        last_failure_ms=now_ms,
                        locked_until_ms=now_ms + lock if lock else 0,
                    )
                    if row is None:
                        conn.execute(insert(t).values(key=key, **values))
                    else:
                        conn.execute(update(t).where(t.c.key == key).values(**values))
                return failures
            except IntegrityError:  # another worker counted the first failure at once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def clear_failures(self, key: str) -> None:
        with self._transaction() as conn:
            conn.execute(W.sign_in_failures.delete().where(W.sign_in_failures.c.key == key))

    def forget_old_failures(self, before_ms: int, now_ms: int) -> None:
        """Drop failure counts last touched before `before_ms` that lock nothing any more."""
        t = W.sign_in_failures
        with self._transaction() as conn:
            conn.execute(
                t.delete().where(t.c.last_failure_ms < before_ms, t.c.locked_until_ms <= now_ms)
            )


def _user(r: Any) -> User:
    return User(int(r.id), r.name, r.role, bool(r.active), int(r.session_version))


__all__ = ["AccountRepository"]
