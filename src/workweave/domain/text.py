"""One rule for text and numbers that enter workweave, whatever the store behind it.

SQLite stores a NUL character and a string of any length; PostgreSQL refuses the first and a
``VARCHAR(n)`` column refuses the second. So every edge (importers, services, the web API's
request models, sync) checks text with these helpers and refuses what one backend would refuse,
with a message naming the field, instead of letting the database fail.

- ``text_problem`` / ``check_text``: no NUL character, at most ``max_len`` characters.
- ``first_nul`` / ``first_non_finite``: where in a JSON-like value (dicts, lists, strings,
  numbers) a NUL character or a NaN/Infinity sits, as a readable path, or None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from workweave.domain.errors import Problem, ValidationError

NUL = "\x00"

MAX_NAME = 200
"""Names, labels, categories and keys typed or imported by people."""
MAX_LINE = 10_000
"""One line or cell of free text (a note, a cell of an imported file)."""
MAX_DOCUMENT = 5_000_000
"""The longest document (transcript, field note, source) read: about 800,000 words; a longer
one is refused so that its pages and codings stay responsive."""
MAX_PARAGRAPHS = 100_000
MAX_DEPTH = 32
"""How deep a JSON value may nest."""


def text_problem(value: str, max_len: int | None = None) -> str | None:
    """Why `value` cannot be stored as text (NUL, too long), or None."""
    if NUL in value:
        return f"holds a NUL character (position {value.index(NUL) + 1})"
    if max_len is not None and len(value) > max_len:
        return f"is {len(value)} characters long; at most {max_len} are allowed"
    return None


def check_text(
    value: str,
    what: str,
    max_len: int | None = None,
    *,
    source: str | None = None,
    row: int | None = None,
) -> str:
    """`value` itself, or a ValidationError naming `what` (a field or column)."""
    reason = text_problem(value, max_len)
    if reason is not None:
        if source is None and row is None:
            raise ValidationError(f"{what} {reason}")
        raise ValidationError(Problem(reason, source, row, what))
    return value


def _walk(value: Any, path: str, depth: int, bad: Any) -> str | None:
    if depth > MAX_DEPTH:
        return f"{path or 'the value'} nests more than {MAX_DEPTH} levels"
    reason = bad(value)
    if reason is not None:
        return f"{path or 'the value'} {reason}"
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and (r := bad(k)) is not None:
                return f"a key in {path or 'the value'} {r}"
            found = _walk(v, f"{path}.{k}" if path else str(k), depth + 1, bad)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found = _walk(v, f"{path}[{i}]", depth + 1, bad)
            if found:
                return found
    return None


def _nul(v: Any) -> str | None:
    return "holds a NUL character" if isinstance(v, str) and NUL in v else None


def _non_finite(v: Any) -> str | None:
    if isinstance(v, float) and not math.isfinite(v):
        return f"is {v!r}: numbers must be finite"
    return None


def first_nul(value: Any) -> str | None:
    """Where a NUL character (or too deep nesting) sits in a JSON-like value, or None."""
    return _walk(value, "", 0, _nul)


def first_non_finite(value: Any) -> str | None:
    """Where a NaN or an infinite number (or too deep nesting) sits, or None."""
    return _walk(value, "", 0, _non_finite)


def json_problem(value: Any) -> str | None:
    """Why a JSON-like value cannot be stored (NUL, NaN/Infinity, too deep), or None."""
    return first_nul(value) or first_non_finite(value)


def check_number(
    value: float, what: str, lo: float | None = None, hi: float | None = None
) -> float:
    """A finite number within [lo, hi], or a ValidationError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{what} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{what} must be a finite number, not {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValidationError(f"{what} must be between {lo} and {hi}, not {value!r}")
    return value


__all__ = [
    "MAX_DOCUMENT",
    "MAX_LINE",
    "MAX_NAME",
    "MAX_PARAGRAPHS",
    "NUL",
    "check_number",
    "check_text",
    "first_non_finite",
    "first_nul",
    "json_problem",
    "text_problem",
]
