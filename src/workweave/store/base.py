"""The base of the store's repositories, and the small helpers they share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from workweave.store.connection import Store


class Repository:
    """The reads and writes of one aggregate, over the engine of the `Store` that holds it.

    Reads open their own connection (`self.engine.connect()`); a read that a use case may need
    inside its own transaction takes the caller's connection (`conn`) through `_connection`.
    Each write is one transaction, or runs on the caller's connection when one is given
    (`conn`), so several writes land together or not at all.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def engine(self) -> Engine:
        return self.store.engine

    @contextmanager
    def _transaction(self, conn: Connection | None = None) -> Iterator[Connection]:
        """The caller's connection, or a new transaction committed on leaving the block."""
        if conn is not None:
            yield conn
        else:
            with self.store.transaction() as c:
                yield c

    @contextmanager
    def _connection(self, conn: Connection | None = None) -> Iterator[Connection]:
        """The caller's connection (to read what its transaction wrote), or a new one to read."""
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as c:
                yield c


def ids_by_code(
    conn: Connection, table: Any, study_id: int, column: str = "code"
) -> dict[str, int]:
    """The study's rows of `table` as {value of `column`: id}."""
    col = getattr(table.c, column)
    return {
        r[0]: int(r[1])
        for r in conn.execute(select(col, table.c.id).where(table.c.study_id == study_id))
    }
