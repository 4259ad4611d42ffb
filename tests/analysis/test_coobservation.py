"""Co-observation groups: pairs as `ior --auto` finds them, connected into groups, and the one
record per group that rates and shares count."""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pytest

from workweave.analysis import coobservation as co
from workweave.analysis.reliability.pairs import Window, overlapping
from workweave.domain.errors import ValidationError

MIN = 60_000


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (session_id, key, participant, observer, start min, end min[, role])."""
    out = []
    for r in rows:
        sid, key, part, obs, a, b, *role = r
        out.append(
            {
                "session_id": sid,
                "session_key": key,
                "participant": part,
                "observer": obs,
                "start_ms": a * MIN,
                "known_end_ms": b * MIN,
                "observer_role": role[0] if role else None,
            }
        )
    return pd.DataFrame(out)


def brute_force(windows: list[Window], tol: int) -> list[tuple[int, int]]:
    """The pairing rule as written before the sweep: every combination, in order."""
    by: dict[object, list[int]] = {}
    for i, w in enumerate(windows):
        if w.observer is not None:
            by.setdefault(w.participant, []).append(i)
    out = []
    for part in sorted(by, key=str):
        group = sorted(by[part], key=lambda i: (windows[i].start_ms, windows[i].key))
        for i, j in itertools.combinations(group, 2):
            x, y = windows[i], windows[j]
            if x.observer == y.observer:
                continue
            if x.start_ms - tol < y.end_ms and y.start_ms - tol < x.end_ms:
                out.append((i, j))
    return out


@pytest.mark.parametrize("tol", [0, 5, 30])
def test_the_sweep_finds_the_same_pairs_as_every_combination(tol: int) -> None:
    rng = random.Random(tol)
    windows = []
    for k in range(400):
        a = rng.randrange(0, 2000)
        windows.append(
            Window(
                rng.choice("PQR"),
                rng.choice(["o1", "o2", "o3", None]),
                a,
                a + rng.choice([0, 1, 10, 50, 200]),
                f"s{k}",
            )
        )
    assert overlapping(windows, tol) == brute_force(windows, tol)


def test_groups_connect_pairs_and_choose_one_record() -> None:
    df = frame(
        [
            # a chain: A overlaps B, B overlaps C (A and C do not): one group of three
            (5, "a", "P1", "o1", 0, 60),
            (3, "b", "P1", "o2", 50, 120),
            (9, "c", "P1", "o3", 110, 150),
            # the same observer twice is never a pair; a self-report is never paired
            (1, "d", "P2", "o1", 0, 60),
            (2, "e", "P2", "o1", 30, 90),
            (4, "f", "P2", None, 0, 90),
            # a pair whose later-stored record is the primary one
            (7, "g", "P3", "o1", 0, 60),
            (8, "h", "P3", "o2", 0, 60, "primary"),
        ]
    )
    g = co.groups(df).set_index("session_id")
    assert g.loc[[5, 3, 9], "group_id"].tolist() == [3, 3, 3]  # the lowest store id
    assert g.loc[[5, 3, 9], "group_size"].tolist() == [3, 3, 3]
    assert g.loc[3, "counted"] and not g.loc[5, "counted"] and not g.loc[9, "counted"]
    assert g.loc[[1, 2, 4], "group_size"].tolist() == [1, 1, 1]
    assert g.loc[[1, 2, 4], "counted"].all()
    assert g.loc[8, "counted"] and not g.loc[7, "counted"]  # primary wins over store order
    assert co.counted_ids(df) == {3, 1, 2, 4, 8}
    assert co.counted_ids(df, "all") == set(df["session_id"])
    assert list(co.keep_counted(df, "primary")["session_id"]) == [3, 1, 2, 4, 8]
    assert co.keep_counted(df, "all") is df


def test_without_a_role_column_and_empty() -> None:
    df = frame([(1, "a", "P", "o1", 0, 10), (2, "b", "P", "o2", 0, 10)]).drop(
        columns="observer_role"
    )
    assert co.counted_ids(df) == {1}
    assert co.groups(df.iloc[0:0]).empty


def test_observers_is_checked() -> None:
    assert co.check_observers(None) == "primary"
    with pytest.raises(ValidationError, match="primary, all"):
        co.check_observers("second")
