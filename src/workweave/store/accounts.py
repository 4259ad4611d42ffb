"""Accounts: users, study memberships, consent records and the web settings (the
cookie-signing key, the template each study records with).

Writes that may be part of a larger use case (a membership, a consent record) and the reads
such a use case makes on the way take the caller's connection (`conn`), so several changes
land in one transaction. Rules (who may be granted what, password hashing) live in
``workweave.services.accounts``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from workweave.domain.accounts import Consent, Membership, User
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.store import schema as S
from workweave.store import schema_web as W
from workweave.store.base import Repository


class AccountRepository(Repository):
    """Users, memberships, consent and web settings (`store.accounts`)."""

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
        with self._transaction() as conn:
            res = conn.execute(update(W.users).where(W.users.c.name == name).values(**values))
            if res.rowcount == 0:
                raise NotFoundError(f"no user '{name}'")

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

    # -- settings ----------------------------------------------------------------------------
    def setting(self, key: str, default: str) -> str:
        """The stored value of a web setting; `default` is stored (and returned) the first
        time."""
        with self._transaction() as conn:
            q = select(W.web_settings.c.value).where(W.web_settings.c.key == key)
            row = conn.execute(q).first()
            if row is not None:
                return str(row.value)
            conn.execute(insert(W.web_settings).values(key=key, value=default))
            return default


def _user(r: Any) -> User:
    return User(int(r.id), r.name, r.role, bool(r.active), int(r.session_version))


__all__ = ["AccountRepository"]
