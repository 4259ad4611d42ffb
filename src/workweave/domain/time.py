"""Instants as the store keeps them: UTC milliseconds since the epoch.

Every layer converts through these three functions, so there is one rounding rule (to the
nearest millisecond) and one notion of "now" (the system clock in UTC, never the machine's
local time zone).
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime


def to_ms(dt: datetime | None) -> int | None:
    """An aware datetime as UTC milliseconds (rounded to the nearest); None stays None."""
    if dt is None:
        return None
    return round(dt.timestamp() * 1000)


def from_ms(ms: int | None) -> datetime | None:
    """UTC milliseconds as an aware UTC datetime; None stays None."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def now_ms() -> int:
    """The current instant in UTC milliseconds."""
    return int(_time.time() * 1000)
