"""DuckDB connections for analysis, within the machine limits a user sets.

Every DuckDB connection workweave opens to compute (metrics, passive metrics, summaries,
audit-log imports) comes from `connect`, which applies a thread count and a memory limit:
given as arguments, else from the environment (``WORKWEAVE_THREADS``,
``WORKWEAVE_MEMORY_LIMIT``; the commands' ``--threads`` and ``--memory-limit`` set these),
else DuckDB's own defaults (every core; 80 % of the machine's memory). Under a memory limit
DuckDB spills large sorts, joins and aggregates to its temporary directory; work that still
does not fit stops with `out_of_memory_message`, not a traceback.
"""

from __future__ import annotations

import math
import os
import re

import duckdb

from workweave.domain.errors import ValidationError

THREADS_ENV = "WORKWEAVE_THREADS"
MEMORY_ENV = "WORKWEAVE_MEMORY_LIMIT"
MAX_THREADS = 1024
MIN_MEMORY_BYTES = 64 * 1024**2
"""Below this DuckDB cannot run the metric queries at all (it needs working memory per
thread); a smaller limit is refused up front."""

_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]i?b|b)\s*", re.IGNORECASE)


def check_threads(value: int | str | None, what: str = "--threads") -> int | None:
    """A thread count from 1 to `MAX_THREADS` (None: DuckDB's default, every core)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        raise ValidationError(f"{what}: '{value}' is not a whole number of threads") from None
    if not 1 <= n <= MAX_THREADS:
        raise ValidationError(f"{what}: {n} threads; give 1 to {MAX_THREADS}")
    return n


def check_memory_limit(value: str | None, what: str = "--memory-limit") -> str | None:
    """A memory size such as ``4GB``, ``512MiB`` or ``1.5 GB``, normalised to whole bytes
    DuckDB reads the same way (``4000000000B``; None: DuckDB's default, 80 % of memory)."""
    if value is None or not str(value).strip():
        return None
    m = _SIZE.fullmatch(str(value))
    if not m:
        raise ValidationError(
            f"{what}: '{value}' is not a size; give a number and a unit, e.g. 4GB or 512MiB"
        )
    size = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not math.isfinite(size) or size > 2**62:
        raise ValidationError(f"{what}: '{value}' is larger than any machine")
    if size < MIN_MEMORY_BYTES:
        raise ValidationError(
            f"{what}: '{value}' is too small to compute anything; give at least 64MiB"
        )
    return f"{int(size)}B"


def limits_from_env() -> tuple[int | None, str | None]:
    """The thread count and memory limit set in the environment (checked)."""
    return (
        check_threads(os.environ.get(THREADS_ENV), THREADS_ENV),
        check_memory_limit(os.environ.get(MEMORY_ENV), MEMORY_ENV),
    )


def connect(
    *, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection limited to `threads` and `memory_limit` (each, when
    not given, from the environment, else DuckDB's default)."""
    env_threads, env_memory = limits_from_env()
    n = check_threads(threads) if threads is not None else env_threads
    size = check_memory_limit(memory_limit) if memory_limit is not None else env_memory
    con = duckdb.connect()
    try:
        if n is not None:
            con.execute(f"SET threads = {n}")
        if size is not None:
            con.execute(f"SET memory_limit = '{size}'")
    except BaseException:
        con.close()
        raise
    return con


def out_of_memory_message(exc: BaseException) -> str | None:
    """What to tell a user when DuckDB ran out of memory (None for any other error)."""
    if type(exc).__name__ != "OutOfMemoryException":
        return None
    limit = os.environ.get(MEMORY_ENV)
    now = f"the memory limit is {limit}" if limit else "no memory limit was set"
    return (
        f"DuckDB ran out of memory ({now}): give more with --memory-limit (or "
        f"{MEMORY_ENV}), use fewer threads (--threads 1 needs less), or run on a larger "
        "machine or on Spark (--engine spark; docs/scale.md)"
    )
