"""Splitting long key lists into bounded batches for SQL `IN (...)` lists and inserts.

SQLite limits the number of bound parameters per statement and PostgreSQL plans long `IN`
lists poorly, so every repository that filters or writes by a list of keys goes through
`chunked`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

BATCH = 500
"""Default batch size: well under SQLite's parameter limit, also with several columns."""


def chunked(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    """Consecutive slices of `items`, each at most `size` long (none for an empty input)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for i in range(0, len(items), size):
        yield items[i : i + size]
