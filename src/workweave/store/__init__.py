"""The store: SQLAlchemy Core tables, Alembic migrations and the repositories.

Repository style: one thin `Store` handle (store.connection) owns the engine and opens
transactions; each aggregate has one repository class, a `store.base.Repository` in its own
module, reachable as an attribute of the handle: `store.studies` (set-up: studies, sites,
observers, participants, job plans, templates), `store.sessions` (observation sessions),
`store.analytic` (the canonical tables for analysis), `store.qual` (documents, codebooks,
codings), `store.accounts` (users, study memberships, consent records, web settings),
`store.capture` (action logs, capture sessions, corrections, projection writes),
`store.listings` (read models for lists and dashboards) and `store.merges` (participant
identity: one person's two codes merged, reversibly). Methods take the study id first and
return domain objects or small dataclasses; reads open their own connection (or read on the
caller's `conn` inside its transaction), writes run in one transaction or on the caller's
`conn`; long key lists go through `store.batching.chunked`, code → id look-ups through
`store.base.ids_by_code`. A new aggregate adds a module with one `Repository` subclass and one
attribute on `Store`.

All table modules register on one `metadata` (store.schema); importing the package loads them
all, so migrations, comparisons and `create_all` always see the whole schema.
"""

from workweave.store import schema, schema_logs, schema_qual  # noqa: F401
from workweave.store.analytic import TABLES
from workweave.store.connection import Store
from workweave.store.engine import StoreError
from workweave.store.sessions import WriteCounts, fingerprint

__all__ = ["TABLES", "Store", "StoreError", "WriteCounts", "fingerprint"]
