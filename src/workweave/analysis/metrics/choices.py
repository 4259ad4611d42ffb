"""Refusing a name or value that matches nothing, with the ones that exist and the closest.

A filter such as ``site=NOPE`` that keeps no session would otherwise give an empty table and
look like a result; a mistyped metric id would give nothing at all. Both are errors that say
what exists ("did you mean ...?" for a close miss)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from workweave.domain.errors import ValidationError

SHOWN = 12
"""How many existing values an error lists before it says how many more there are."""


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``value`` (case-insensitive), if any is close."""
    pool = [str(c) for c in choices]
    lowered = {c.lower(): c for c in pool}
    if value.lower() in lowered:
        return lowered[value.lower()]
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def listing(choices: Sequence[str]) -> str:
    """``a, b, c`` (and how many more when there are many)."""
    shown = ", ".join(choices[:SHOWN])
    more = len(choices) - SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def unknown(what: str, value: str, choices: Sequence[str]) -> str:
    """The message for a value that matches nothing: what exists, and the closest."""
    choices = sorted({str(c) for c in choices}, key=_natural)
    if not choices:
        return f"no {what} '{value}': the study has none"
    hint = did_you_mean(value, choices)
    head = f"no {what} '{value}'" + (f" (did you mean '{hint}'?)" if hint else "")
    return f"{head}; the study has: {listing(choices)}"


def hint(value: str, names: Sequence[str]) -> str:
    """``; did you mean 'x'?`` for a close miss, else nothing."""
    close = did_you_mean(value, names)
    return f"; did you mean '{close}'?" if close else ""


def group_keys(
    by: Sequence[str] | str | None, allowed: Sequence[str], what: str = "estimates"
) -> tuple[str, ...]:
    """The grouping keys asked for (comma-separated or repeated; default: the study as one
    group), each one of `allowed`."""
    return names(
        by,
        allowed,
        lambda k: (
            f"{what} cannot be grouped by '{k}'{hint(k, allowed)} "
            f"(choose from: {', '.join(allowed)})"
        ),
    ) or ("study",)


def names(
    given: Sequence[str] | str | None, allowed: Sequence[str], refuse: Callable[[str], str]
) -> tuple[str, ...]:
    """The names given (comma-separated or repeated, each once, in order), each one of
    `allowed`; the first that is not is refused with the message `refuse` makes for it."""
    items = [] if given is None else ([given] if isinstance(given, str) else list(given))
    out: list[str] = []
    for item in items:
        for k in str(item).split(","):
            k = k.strip()
            if not k:
                continue
            if k not in allowed:
                raise ValidationError(refuse(k))
            if k not in out:
                out.append(k)
    return tuple(out)


def filter_values(
    filter: Mapping[str, Any] | None, allowed: Sequence[str], what: str = "estimates"
) -> dict[str, list[str]]:
    """A filter as key -> values (text), each key one of `allowed`."""
    out: dict[str, list[str]] = {}
    for key, value in (filter or {}).items():
        if key not in allowed:
            raise ValidationError(
                f"{what} cannot be filtered on '{key}'{hint(key, allowed)} "
                f"(choose from: {', '.join(allowed)})"
            )
        values = [value] if isinstance(value, str | int | float) else list(value)
        out.setdefault(key, []).extend(str(v) for v in values)
    return out


def _natural(text: str) -> tuple[object, ...]:
    import re

    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text))
