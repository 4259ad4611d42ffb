"""Audit-log import records (`store.logs`): which files were imported into a study's log
folder, so that re-importing a file changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from workweave.store import schema_logs as L
from workweave.store.base import Repository


class LogImportRepository(Repository):
    """One row per imported audit-log file (`store.logs`)."""

    def imported_hashes(self, study_id: int) -> set[str]:
        T = L.log_imports
        with self.engine.connect() as c:
            rows = c.execute(select(T.c.file_sha256).where(T.c.study_id == study_id)).all()
        return {r.file_sha256 for r in rows}

    def record(
        self, study_id: int, rows: list[dict[str, Any]], *, conn: Connection | None = None
    ) -> None:
        """Record imported files (all in one transaction)."""
        if not rows:
            return
        with self._transaction(conn) as c:
            c.execute(insert(L.log_imports), [dict(r, study_id=study_id) for r in rows])

    def list(self, study_id: int) -> list[dict[str, Any]]:
        T = L.log_imports
        with self.engine.connect() as c:
            rows = c.execute(
                select(T).where(T.c.study_id == study_id).order_by(T.c.imported_ms, T.c.id)
            ).all()
        return [dict(r._mapping) for r in rows]
