"""Site events: what happened to a service while it was being studied (a reorganisation, a
merger, staff re-applying for their posts, a budget cut), dated, so trend charts can show
change in the work next to change in the organisation (`store.events`).

The ``site_events`` table lives on the canonical tables' ``metadata``; migration
``0010_report`` creates it. Checking the values (dates, label lengths, known sites) is the
service's job (`workweave.services.events`); this repository keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)

from workweave.store.base import Repository
from workweave.store.schema import metadata

site_events = Table(
    "site_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("site", String(64), nullable=False),  # the site's code
    Column("day", Date, nullable=False),  # the local date the event took effect
    Column("label", Text, nullable=False),
    Column("kind", String(32), nullable=False),  # reorganisation, merger, ... or 'other'
    Column("created_ms", BigInteger, nullable=False),
    Index("ix_site_events_study_day", "study_id", "day"),
)


@dataclass(frozen=True)
class SiteEvent:
    """One dated event at one site of a study."""

    id: int
    site: str
    day: date
    label: str
    kind: str = "other"


class EventRepository(Repository):
    """Dated site events of a study (`store.events`)."""

    def add(
        self,
        study_id: int,
        site: str,
        day: date,
        label: str,
        kind: str,
        *,
        created_ms: int,
        conn: Connection | None = None,
    ) -> int:
        T = site_events
        with self._transaction(conn) as c:
            res = c.execute(
                insert(T).values(
                    study_id=study_id,
                    site=site,
                    day=day,
                    label=label,
                    kind=kind,
                    created_ms=created_ms,
                )
            )
            return int(res.inserted_primary_key[0])  # type: ignore[index]

    def list(
        self, study_id: int, *, site: str | None = None, conn: Connection | None = None
    ) -> list[SiteEvent]:
        """The study's events by date (then site, then id)."""
        T = site_events
        q = select(T.c.id, T.c.site, T.c.day, T.c.label, T.c.kind).where(T.c.study_id == study_id)
        if site is not None:
            q = q.where(T.c.site == site)
        with self._connection(conn) as c:
            rows = c.execute(q.order_by(T.c.day, T.c.site, T.c.id)).all()
        return [SiteEvent(int(r.id), str(r.site), r.day, str(r.label), str(r.kind)) for r in rows]

    def remove(self, study_id: int, event_id: int, *, conn: Connection | None = None) -> bool:
        """Remove one event; False when the study has no event with that id."""
        T = site_events
        with self._transaction(conn) as c:
            res = c.execute(delete(T).where(T.c.study_id == study_id, T.c.id == event_id))
            return bool(res.rowcount)


__all__ = ["EventRepository", "SiteEvent", "site_events"]
