"""Co-observation groups, and the one record per group that rates and shares count.

When two or three observers watch the same person at once (to measure inter-observer
reliability), the study holds two or three records of the same working time. Summing them
would count that time, and everything in it, two or three times. Sessions are co-observed
when ``workweave ior --auto`` would pair them (`workweave.analysis.reliability.pairs`: same
participant code, different observers, overlapping times, no tolerance); a co-observation
group is a connected component of those pairs (A with B and B with C put A, B and C in one
group).

``observers="primary"`` (the default everywhere) keeps one record per group, chosen so:

1. a session whose observer role is ``primary``;
2. else, or among several, the earliest-created session: the lowest store id (the order in
   which sessions were stored; an import stores a file's sessions in the export's order);
3. then the smaller session key.

Sessions outside any group are always kept. ``observers="all"`` keeps every record.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workweave.analysis.reliability.pairs import Window, overlapping
from workweave.domain.errors import ValidationError

OBSERVERS: tuple[str, ...] = ("primary", "all")
DEFAULT_OBSERVERS = "primary"

GROUP_COLUMNS = ("session_id", "group_id", "group_size", "counted")


def check_observers(value: str | None) -> str:
    """The observers choice, checked (None: the default)."""
    if value is None:
        return DEFAULT_OBSERVERS
    if value not in OBSERVERS:
        raise ValidationError(
            f"observers must be one of {', '.join(OBSERVERS)}, not '{value}'"[:300]
        )
    return value


def to_pandas(frame: Any) -> pd.DataFrame:
    """A pandas DataFrame of a pandas, polars or Arrow table."""
    if isinstance(frame, pd.DataFrame):
        return frame
    convert = getattr(frame, "to_pandas", None)
    if callable(convert):
        return convert()
    return pd.DataFrame(frame)


def groups(sessions: Any, *, tolerance_ms: int = 0) -> pd.DataFrame:
    """One row per session of the canonical ``sessions`` table: its co-observation group
    (``group_id``: the store id of the group's counted session; a session alone is its own
    group), the group's size and whether the session is the one counted.

    Needs ``session_id``, ``session_key``, ``participant``, ``observer``, ``start_ms`` and
    ``known_end_ms``; ``observer_role`` when present.
    """
    df = to_pandas(sessions)
    if not len(df):
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in GROUP_COLUMNS[:-1]}).assign(
            counted=pd.Series(dtype=bool)
        )
    ids = [int(x) for x in df["session_id"]]
    keys = [str(x) for x in df["session_key"]]
    roles = (
        [r if isinstance(r, str) else None for r in df["observer_role"]]
        if "observer_role" in df.columns
        else [None] * len(df)
    )
    windows = [
        Window(
            str(p),
            o if isinstance(o, str) else None,
            int(a),
            max(int(b), int(a)),
            k,
        )
        for p, o, a, b, k in zip(
            df["participant"], df["observer"], df["start_ms"], df["known_end_ms"], keys, strict=True
        )
    ]
    parent = list(range(len(windows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in overlapping(windows, tolerance_ms):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[int]] = {}
    for i in range(len(windows)):
        members.setdefault(find(i), []).append(i)
    group_id = [0] * len(windows)
    size = [1] * len(windows)
    counted = [False] * len(windows)
    for rows in members.values():
        chosen = min(rows, key=lambda i: (roles[i] != "primary", ids[i], keys[i]))
        counted[chosen] = True
        for i in rows:
            group_id[i] = ids[chosen]
            size[i] = len(rows)
    return pd.DataFrame(
        {"session_id": ids, "group_id": group_id, "group_size": size, "counted": counted}
    )


def counted_ids(sessions: Any, observers: str | None = None, *, tolerance_ms: int = 0) -> set[int]:
    """Store ids of the sessions that rates and shares count under ``observers``."""
    df = to_pandas(sessions)
    if check_observers(observers) == "all":
        return {int(x) for x in df["session_id"]}
    g = groups(df, tolerance_ms=tolerance_ms)
    return {int(x) for x in g.loc[g["counted"], "session_id"]}


def keep_counted(sessions: Any, observers: str | None = None, *, tolerance_ms: int = 0) -> Any:
    """The ``sessions`` table with only the records counted under ``observers`` (the table
    itself, untouched, for ``all``)."""
    if check_observers(observers) == "all":
        return sessions
    df = to_pandas(sessions)
    keep = counted_ids(df, observers, tolerance_ms=tolerance_ms)
    return df[df["session_id"].isin(keep)].reset_index(drop=True)


__all__ = [
    "DEFAULT_OBSERVERS",
    "OBSERVERS",
    "check_observers",
    "counted_ids",
    "groups",
    "keep_counted",
    "to_pandas",
]
