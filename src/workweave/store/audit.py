"""The audit trail's table and repository (`store.audit`): append-only, hash-chained.

`audit_log` holds the entries; `audit_head` one row with the last sequence number and hash.
Appending updates the head row first: that takes the write lock on SQLite and a row lock on
PostgreSQL, so concurrent appends queue and the chain stays linear (each reads the head only
after the one before it committed). The head also says how many entries were written, so an
entry removed from the end is noticed. The repository has no update or delete of entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from workweave.domain.audit import GENESIS, AuditEntry, canonical_details, seal
from workweave.store.base import Repository
from workweave.store.schema import metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("origin", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("study", Text),
    Column("target", Text),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_at", "at_ms"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)


class AuditRepository(Repository):
    """Append and read the audit trail (`store.audit`)."""

    def append(
        self,
        *,
        at_ms: int,
        actor: str,
        origin: str,
        action: str,
        study: str | None,
        target: str | None,
        details: dict[str, Any] | None,
        conn: Connection | None = None,
    ) -> AuditEntry:
        """Add an entry after the last one, in the caller's transaction if given."""
        with self._transaction(conn) as c:
            # the lock first: later appenders wait here until this transaction ends
            bumped = c.execute(
                update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq + 1)
            ).rowcount
            if not bumped:
                c.execute(insert(audit_head).values(id=1, seq=1, hash=GENESIS))
            head = c.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
            entry = seal(
                AuditEntry(
                    seq=int(head.seq),
                    at_ms=at_ms,
                    actor=actor,
                    origin=origin,
                    action=action,
                    study=study,
                    target=target,
                    details=json.loads(canonical_details(details)),
                    prev_hash=str(head.hash),
                )
            )
            c.execute(
                insert(audit_log).values(
                    seq=entry.seq,
                    at_ms=entry.at_ms,
                    actor=entry.actor,
                    origin=entry.origin,
                    action=entry.action,
                    study=entry.study,
                    target=entry.target,
                    details=canonical_details(entry.details),
                    prev_hash=entry.prev_hash,
                    hash=entry.hash,
                )
            )
            c.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=entry.hash))
        return entry

    def head_seq(self) -> int | None:
        """How many entries the head says were written (None: never)."""
        with self.engine.connect() as conn:
            v = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar()
        return None if v is None else int(v)

    def iter_entries(self, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every entry, oldest first, read in batches."""
        last = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(audit_log)
                    .where(audit_log.c.seq > last)
                    .order_by(audit_log.c.seq)
                    .limit(batch)
                ).all()
            if not rows:
                return
            for r in rows:
                yield _entry(r)
            last = int(rows[-1].seq)

    def entries(
        self,
        *,
        since_ms: int | None = None,
        actor: str | None = None,
        action: str | None = None,
        study: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        q = select(audit_log)
        if since_ms is not None:
            q = q.where(audit_log.c.at_ms >= since_ms)
        if actor is not None:
            q = q.where(audit_log.c.actor == actor)
        if action is not None:
            q = q.where(audit_log.c.action.startswith(action, autoescape=True))
        if study is not None:
            q = q.where(audit_log.c.study == study)
        q = q.order_by(audit_log.c.seq.desc() if newest_first else audit_log.c.seq)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(q)]


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        seq=int(r.seq),
        at_ms=int(r.at_ms),
        actor=str(r.actor),
        origin=str(r.origin),
        action=str(r.action),
        study=r.study,
        target=r.target,
        details=json.loads(r.details),
        prev_hash=str(r.prev_hash),
        hash=str(r.hash),
    )


__all__ = ["AuditRepository", "audit_head", "audit_log"]
