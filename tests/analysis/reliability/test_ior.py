"""Inter-observer reliability: IORapp's published numbers, each step by hand, degenerate input."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED
from workweave.analysis.reliability import (
    MEASURES,
    NO_TASK,
    NONE_LABEL,
    Fragment,
    MatchedPair,
    detect_pairs,
    duration_pairs,
    fleiss_kappa_two,
    fragment_table,
    ior_pair,
    ior_table,
    iota_nominal,
    lin_ccc,
    match_fragments,
    needleman_wunsch,
    observer_sort_key,
    second_labels,
    session_fragments,
    time_sliced_kappa,
)
from workweave.analysis.reliability import (
    cohen_kappa_details as cohen_kappa,
)
from workweave.domain.observation import Session, Suspension, Task

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def at(sec: float) -> datetime:
    return T0 + timedelta(seconds=sec)


def task(
    key: str,
    category: str,
    start: float,
    end: float | None,
    *suspensions: tuple[float, float | None],
    seq: int = 0,
) -> Task:
    return Task(
        key=key,
        category=category,
        start=at(start),
        end=None if end is None else at(end),
        suspensions=tuple(Suspension(at(a), None if b is None else at(b)) for a, b in suspensions),
        seq=seq,
    )


def session(
    sid: str,
    observer: str,
    tasks: Sequence[Task],
    *,
    length: float | None = 10,
    participant: str = "ward:p1",
    offset: float = 0,
) -> Session:
    numbered = [
        Task(
            key=t.key,
            category=t.category,
            start=t.start + timedelta(seconds=offset),
            end=None if t.end is None else t.end + timedelta(seconds=offset),
            suspensions=tuple(
                Suspension(
                    s.start + timedelta(seconds=offset),
                    None if s.end is None else s.end + timedelta(seconds=offset),
                )
                for s in t.suspensions
            ),
            seq=t.seq or n,
        )
        for n, t in enumerate(tasks, start=1)
    ]
    return Session(
        key=f"test:{sid}",
        participant=participant,
        site="ward",
        start=at(offset),
        end=None if length is None else at(offset + length),
        observer=observer,
        complete=length is not None,
        source_id=sid,
        tasks=tuple(numbered),
    )


def spans(frs: Sequence[Fragment]) -> list[tuple[str, int, int, int, str]]:
    return [(f.task, f.number, f.start, f.end, f.category) for f in frs]


# --------------------------------------------------------------------------------------------
# IORapp's published results on real WOMBAT data
# --------------------------------------------------------------------------------------------

STUDY = SHARED / "data" / "wombat-nurse-study"
EXAMPLES = STUDY / "ior-examples.csv"


def _example_rows() -> list[dict[str, str]]:
    if not EXAMPLES.is_file():
        return []
    with EXAMPLES.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.shared
@pytest.mark.skipif(not EXAMPLES.is_file(), reason="external test data ../shared absent")
@pytest.mark.parametrize("row", _example_rows(), ids=lambda r: f"{r['session_a']}-{r['session_b']}")
def test_iorapp_examples_reproduced(row: dict[str, str]) -> None:
    from workweave.io.wombat import read_wombat

    export = read_wombat(STUDY / row["data_file"])
    by_id = {s.source_id: s for s in export.sessions}
    a, b = by_id[row["session_a"]], by_id[row["session_b"]]
    assert (a.observer, b.observer) == (row["observer_a"], row["observer_b"])
    result = ior_pair(a, b)
    for m in MEASURES:
        got = getattr(result, m)
        assert got is not None, m
        assert abs(got - float(row[m])) <= 1e-9, (m, got, row[m])
    # The order of the two sessions does not matter.
    swapped = ior_pair(b, a)
    assert swapped.measures() == pytest.approx(result.measures(), abs=1e-12)
    assert result.M == 2


@pytest.mark.shared
@pytest.mark.skipif(not EXAMPLES.is_file(), reason="external test data ../shared absent")
def test_detected_pairs_on_real_exports_are_computed_without_error() -> None:
    from workweave.io.wombat import read_wombat

    export = read_wombat(STUDY / "dati_prove_concordanza_5_28.csv")
    pairs = detect_pairs(export.sessions)
    found = {frozenset((a.source_id, b.source_id)) for a, b in pairs}
    assert frozenset(("53", "59")) in found
    assert frozenset(("54", "60")) in found
    # Session 58's device clock ran ten minutes behind session 52's.
    assert frozenset(("52", "58")) not in found
    skewed = detect_pairs(export.sessions, tolerance=timedelta(minutes=15))
    assert frozenset(("52", "58")) in {frozenset((a.source_id, b.source_id)) for a, b in skewed}
    table = ior_table(pairs)
    assert len(table) == len(pairs)
    assert table["pK1"].notna().all()


# --------------------------------------------------------------------------------------------
# §1 slicing into fragments
# --------------------------------------------------------------------------------------------


def test_interruptions_split_a_task_into_fragments() -> None:
    s = session("1", "1", [task("1_1_1", "X", 10, 40, (15, 20), (25, 30))], length=100)
    warnings: list[str] = []
    frs = session_fragments(s, warnings=warnings)
    assert spans(frs) == [
        ("1_1_1", 1, 10, 15, "X"),
        ("1_1_1", 2, 20, 25, "X"),
        ("1_1_1", 3, 30, 40, "X"),
    ]
    assert [f.duration for f in frs] == [5, 5, 10]
    assert warnings == []


def test_empty_last_fragment_is_dropped_silently() -> None:
    # The task ended the moment its interruption did: nothing after it.
    s = session("1", "1", [task("1_1_1", "X", 0, 10, (5, 10))], length=100)
    warnings: list[str] = []
    assert spans(session_fragments(s, warnings=warnings)) == [("1_1_1", 1, 0, 5, "X")]
    assert warnings == []


def test_empty_first_and_inner_fragments_are_skipped_with_a_warning() -> None:
    s = session(
        "1",
        "1",
        [
            task("1_1_1", "X", 0, 20, (0, 5)),  # suspended as it started
            task("1_1_2", "Y", 30, 50, (35, 38), (38, 40)),  # back-to-back suspensions
        ],
        length=100,
    )
    warnings: list[str] = []
    frs = session_fragments(s, warnings=warnings)
    assert spans(frs) == [
        ("1_1_1", 2, 5, 20, "X"),
        ("1_1_2", 1, 30, 35, "Y"),
        ("1_1_2", 3, 40, 50, "Y"),
    ]
    assert len(warnings) == 2
    assert "1_1_1 piece 1 is empty" in warnings[0]
    assert "1_1_2 piece 2 is empty" in warnings[1]


def test_horizon_cuts_fragments() -> None:
    s = session(
        "1", "1", [task("1_1_1", "X", 0, 8), task("1_1_2", "Y", 6, 15), task("1_1_3", "Z", 12, 14)]
    )
    frs = session_fragments(s, horizon=12)
    assert spans(frs) == [("1_1_1", 1, 0, 8, "X"), ("1_1_2", 1, 6, 12, "Y")]


def test_times_are_relative_to_each_sessions_own_start() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0, 5)], offset=0)
    b = session("2", "2", [task("2_2_1", "X", 0, 5)], offset=3600)
    assert spans(session_fragments(b)) == [("2_2_1", 1, 0, 5, "X")]
    r = ior_pair(a, b)
    assert r.pAg1 == 100.0
    assert any("do not overlap in time" in w for w in r.warnings)


# --------------------------------------------------------------------------------------------
# §2 per-second labels
# --------------------------------------------------------------------------------------------


def test_labels_at_positions_follow_row_order_not_start_time() -> None:
    # Row 1 starts later than row 2, yet it holds position 1 where they overlap.
    a = session("1", "1", [task("1_1_1", "X", 5, 10), task("1_1_2", "Y", 0, 8)])
    b = session("2", "2", [task("2_2_1", "Y", 2, 4)])
    seconds, la, lb, names = second_labels(session_fragments(a), session_fragments(b))
    assert seconds.tolist() == list(range(10))
    lab = lambda codes: [names[c] for c in codes]  # noqa: E731
    assert len(la) == len(lb) == 2  # M = 2
    assert lab(la[0]) == ["Y"] * 5 + ["X"] * 5
    assert lab(la[1]) == [NONE_LABEL] * 5 + ["Y"] * 3 + [NONE_LABEL] * 2
    assert lab(lb[0]) == [NO_TASK] * 2 + ["Y"] * 2 + [NO_TASK] * 6
    assert lab(lb[1]) == [NONE_LABEL] * 10


def test_only_seconds_covered_by_someone_are_considered() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0, 2), task("1_1_2", "X", 6, 7)])
    b = session("2", "2", [task("2_2_1", "X", 1, 3)])
    seconds, *_ = second_labels(session_fragments(a), session_fragments(b))
    assert seconds.tolist() == [0, 1, 2, 6]
    r = ior_pair(a, b)
    assert r.n_seconds == 4
    assert r.pAg1 == pytest.approx(25.0)  # only second 1 agrees (X = X)


# --------------------------------------------------------------------------------------------
# §3 and §4 Fleiss' kappa per position and iota, by hand
# --------------------------------------------------------------------------------------------


def test_fleiss_kappa_for_two_raters_is_scotts_pi_not_cohens() -> None:
    a, b = ["x", "x", "y", "y"], ["x", "y", "y", "y"]
    kappa, agreement = fleiss_kappa_two(a, b)
    # Po = 3/4; pooled p_x = 3/8, p_y = 5/8; Pe = 34/64.
    assert agreement == pytest.approx(75.0)
    assert kappa == pytest.approx(7 / 15)
    ck, cag, pe = cohen_kappa(a, b)
    assert pe == pytest.approx(0.5)
    assert ck == pytest.approx(0.5)
    assert cag == pytest.approx(75.0)


def test_kappa_is_nan_when_chance_agreement_is_one() -> None:
    kappa, agreement = fleiss_kappa_two(["x", "x"], ["x", "x"])
    assert math.isnan(kappa)
    assert agreement == 100.0


def test_iota_of_one_variable_is_cohens_kappa() -> None:
    a, b = ["x", "x", "y", "y", "z"], ["x", "y", "y", "y", "z"]
    assert iota_nominal([a], [b]) == pytest.approx(cohen_kappa(a, b)[0])


def _hand_pair() -> tuple[Session, Session]:
    """Worked example (seconds 0-9).

    A: X [0,6) then Y [4,10)   B: X [0,5), Y [5,10), Z [2,4)
    position 1:  A = X X X X X X Y Y Y Y   B = X X X X X Y Y Y Y Y
    position 2:  A = - - - - Y Y - - - -   B = - - Z Z - - - - - -   (- = NONE)
    """
    a = session("1", "1", [task("1_1_1", "X", 0, 6), task("1_1_2", "Y", 4, 10)])
    b = session(
        "2",
        "2",
        [task("2_2_1", "X", 0, 5), task("2_2_2", "Y", 5, 10), task("2_2_3", "Z", 2, 4)],
    )
    return a, b


def test_per_second_measures_by_hand() -> None:
    r = ior_pair(*_hand_pair())
    assert r.n_seconds == 10
    assert r.M == 2
    # Position 1: Po = 9/10; pooled X = 11/20, Y = 9/20; Pe = 202/400.
    assert r.pAg1 == pytest.approx(90.0)
    assert r.pK1 == pytest.approx((0.9 - 0.505) / (1 - 0.505))
    # Position 2: Po = 6/10; pooled NONE = .8, Y = .1, Z = .1; Pe = .66.
    assert r.pAg2 == pytest.approx(60.0)
    assert r.pK2 == pytest.approx(-3 / 17)
    # iota: Do = .1 + .4; De = (1 - (.6*.5 + .4*.5)) + (1 - .8*.8) = .5 + .36.
    assert r.pKm == pytest.approx(1 - 0.5 / 0.86)
    assert r.pKm == pytest.approx(18 / 43)


def test_second_position_missing_when_nobody_multitasks() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0, 5), task("1_1_2", "Y", 5, 10)])
    b = session("2", "2", [task("2_2_1", "X", 0, 6), task("2_2_2", "Y", 6, 10)])
    r = ior_pair(a, b)
    assert r.M == 1
    assert r.pK2 is None and r.pAg2 is None and r.pKm is None
    assert r.pAg1 == pytest.approx(90.0)


# --------------------------------------------------------------------------------------------
# §5 fragment table order, §6 matching, §7 durations, §8 sequences
# --------------------------------------------------------------------------------------------


def test_fragment_table_sorts_task_ids_as_strings() -> None:
    s = session(
        "5",
        "2",
        [
            task("2_5_988", "X", 0, 5),
            task("2_5_1000", "Y", 5, 8, (6, 7)),
            task("2_5_99", "Z", 8, 10),
        ],
    )
    table = fragment_table(session_fragments(s))
    assert [(f.task, f.number) for f in table] == [
        ("2_5_1000", 1),
        ("2_5_1000", 2),
        ("2_5_988", 1),
        ("2_5_99", 1),
    ]
    chrono = fragment_table(session_fragments(s), "chronological")
    assert [f.task for f in chrono] == ["2_5_988", "2_5_1000", "2_5_1000", "2_5_99"]


def test_observer_ids_sort_numerically() -> None:
    assert sorted(["10", "9", "40", "4"], key=observer_sort_key) == ["4", "9", "10", "40"]


def test_string_order_of_task_ids_shapes_the_sequences() -> None:
    # A's tasks in id order are "1_1_1000" (Y) then "1_1_988" (X): the sequence is Y X.
    a = session("1", "1", [task("1_1_988", "X", 0, 5), task("1_1_1000", "Y", 5, 10)])
    b = session("2", "2", [task("2_2_5", "X", 0, 5), task("2_2_6", "Y", 5, 10)])
    r = ior_pair(a, b)
    # Pattern Y X against subject X Y: S = 1, L = 3, G = 2 (worked out in the NW test below).
    assert r.NW_score == pytest.approx(3 / 11)
    chrono = ior_pair(a, b, fragment_order="chronological")
    assert chrono.NW_score == pytest.approx(1.0)
    assert chrono.fragment_order == "chronological"
    assert r.pK1 == chrono.pK1  # per-second measures do not depend on the table order


def test_reference_is_the_observer_with_more_fragments() -> None:
    a = session("1", "10", [task("10_1_1", "X", 0, 5), task("10_1_2", "Y", 5, 10)])
    b = session("2", "9", [task("9_2_1", "X", 0, 10)])
    r = ior_pair(a, b)
    assert r.reference_observer == "10"
    assert r.reference_session == "1"


def test_reference_tie_goes_to_the_numerically_smaller_observer_id() -> None:
    # "9" < "10" numerically although "10" < "9" as strings.
    a = session("1", "10", [task("10_1_1", "X", 0, 5), task("10_1_2", "Y", 5, 10)])
    b = session("2", "9", [task("9_2_1", "X", 0, 4), task("9_2_2", "Y", 4, 10)])
    r = ior_pair(a, b)
    assert r.reference_observer == "9"
    assert ior_pair(b, a).reference_observer == "9"
    assert (r.n_fragments_a, r.n_fragments_b) == (2, 2)


def test_matching_by_hand() -> None:
    a, b = _hand_pair()
    r = ior_pair(a, b)
    # B has 3 fragments, A 2: B is the reference.
    assert r.reference_observer == "2"
    # X[0,5) -> A's X[0,6) (overlap 5 vs 1); Y[5,10) -> A's Y[4,10) (5 vs 1);
    # Z[2,4) -> A's X[0,6) (A's Y starts at 4 = Z's end: not a candidate).
    assert r.n_matched == 3
    assert r.NAg == pytest.approx(200 / 3)
    # Pairs (X,X), (Y,Y), (Z,X): Po = 2/3, pooled X = 3/6, Y = 2/6, Z = 1/6, Pe = 14/36.
    assert pytest.approx(5 / 11) == r.NK
    # Agreeing pairs have durations (5, 6) and (5, 6): no variance, D-CCC undefined.
    assert r.n_duration_pairs == 2
    assert r.DCCCr is None and r.DCCCcb is None
    assert any("D-CCC undefined" in w for w in r.warnings)
    # Sequences X Y (observer 1, pattern) and X Y Z: S = 5, L = 3, G = 1.
    assert r.NW_score == pytest.approx(0.6)


def _fr(obs: str, key: str, start: int, end: int, cat: str, number: int = 1) -> Fragment:
    return Fragment(obs, key, number, start, end, cat, row=0)


def test_overlap_tie_goes_to_the_first_candidate_in_row_order() -> None:
    ref = [_fr("1", "1_1_1", 0, 10, "X")]
    other = fragment_table(
        [_fr("2", "2_2_999", 0, 5, "X"), _fr("2", "2_2_1000", 5, 10, "Y")]
    )  # row order: 1000 before 999
    (pair,) = match_fragments(ref, other)
    assert pair.partner.task == "2_2_1000"
    assert pair.overlap == 5


def test_matching_takes_the_largest_overlap_and_partners_may_repeat() -> None:
    ref = [_fr("1", "1_1_1", 0, 4, "X"), _fr("1", "1_1_2", 4, 10, "X")]
    other = [_fr("2", "2_2_1", 0, 3, "Y"), _fr("2", "2_2_2", 2, 10, "X")]
    pairs = match_fragments(ref, other)
    # [0,4): overlaps 3 with 2_2_1 and 2 with 2_2_2.  [4,10): 6 with 2_2_2.
    assert [(p.partner.task, p.overlap) for p in pairs] == [("2_2_1", 3), ("2_2_2", 6)]


def test_duration_pairs_keep_agreeing_categories_and_first_use_of_a_partner() -> None:
    p1, p2, p3 = (_fr("2", "2_2_1", 0, 9, "X"), _fr("2", "2_2_2", 9, 20, "Y"), None)
    refs = [_fr("1", f"1_1_{k}", k, k + 1 + k, c) for k, c in enumerate("XXYZ")]
    pairs = [
        MatchedPair(refs[0], p1, 1),
        MatchedPair(refs[1], p1, 1),  # same partner again: dropped
        MatchedPair(refs[2], p2, 1),
        MatchedPair(refs[3], p2, 1),  # Z vs Y: disagree, dropped
    ]
    assert p3 is None
    kept = duration_pairs(pairs)
    assert [(p.reference.task, p.partner.task) for p in kept] == [
        ("1_1_0", "2_2_1"),
        ("1_1_2", "2_2_2"),
    ]


def test_lin_ccc_by_hand() -> None:
    rho, cb = lin_ccc([1, 2, 3], [2, 3, 5])
    # means 2 and 10/3; s_x^2 = 2/3, s_y^2 = 14/9, s_xy = 1 (moments with 1/n).
    assert rho == pytest.approx(2 / (2 / 3 + 14 / 9 + 16 / 9))
    assert rho == pytest.approx(0.5)
    r = 1 / math.sqrt(2 / 3 * 14 / 9)
    assert cb == pytest.approx(0.5 / r)
    assert all(math.isnan(v) for v in lin_ccc([4], [5]))
    assert all(math.isnan(v) for v in lin_ccc([3, 3, 3], [1, 2, 3]))


def test_dccc_end_to_end() -> None:
    a = session(
        "1",
        "1",
        [task("1_1_1", "X", 0, 10), task("1_1_2", "Y", 10, 30), task("1_1_3", "Z", 30, 60)],
        length=60,
    )
    b = session(
        "2",
        "2",
        [task("2_2_1", "X", 0, 11), task("2_2_2", "Y", 11, 29), task("2_2_3", "Z", 29, 60)],
        length=60,
    )
    r = ior_pair(a, b)
    rho, cb = lin_ccc([10, 20, 30], [11, 18, 31])
    assert r.DCCCr == pytest.approx(rho)
    assert r.DCCCcb == pytest.approx(cb)
    assert pytest.approx(1.0) == r.NK
    assert r.NW_score == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# Needleman-Wunsch: choices, traceback, and the vectorised fill against a plain one
# --------------------------------------------------------------------------------------------


def reference_nw(
    pattern: Sequence[Hashable],
    subject: Sequence[Hashable],
    match: int = 3,
    mismatch: int = 0,
    gap: int = -1,
) -> tuple[int, list[int], list[int]]:
    """Cell-by-cell fill with the stated choices; returns score and the aligned index paths."""
    n, m = len(subject), len(pattern)
    score = [[0] * (m + 1) for _ in range(n + 1)]
    direc = [["none"] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        score[0][j], direc[0][j] = gap * j, "left"
    for i in range(1, n + 1):
        score[i][0], direc[i][0] = gap * i, "up"
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d = score[i - 1][j - 1] + (match if pattern[j - 1] == subject[i - 1] else mismatch)
            u = score[i - 1][j] + gap
            left = score[i][j - 1] + gap
            if d >= u:
                if d >= left:
                    score[i][j], direc[i][j] = d, "diagonal"
                else:
                    score[i][j], direc[i][j] = left, "left"
            elif u >= left:
                score[i][j], direc[i][j] = u, "up"
            else:
                score[i][j], direc[i][j] = left, "left"
    i, j = n, m
    p_path: list[int] = []
    s_path: list[int] = []
    while direc[i][j] != "none":
        if direc[i][j] == "diagonal":
            i, j = i - 1, j - 1
            p_path.append(j)
            s_path.append(i)
        elif direc[i][j] == "left":
            j -= 1
            p_path.append(j)
            s_path.append(-1)
        else:
            i -= 1
            p_path.append(-1)
            s_path.append(i)
    return score[n][m], p_path[::-1], s_path[::-1]


def test_nw_tie_up_beats_left_when_both_beat_diagonal() -> None:
    # Matrix (rows subject X Y, columns pattern Y X):
    #   row 1: D=0 (diag), D=2 (diag); row 2: D=2 (diag), then D=0 < U=1 = L=1 -> up.
    aln = needleman_wunsch(["Y", "X"], ["X", "Y"], keep_path=True)
    assert (aln.score, aln.length, aln.gaps, aln.matches) == (1, 3, 2, 1)
    # up (subject Y vs gap), diagonal (X = X), left (pattern Y vs gap)
    assert aln.pattern_path == (0, 1, -1)
    assert aln.subject_path == (-1, 0, 1)
    assert aln.nw_score == pytest.approx(3 / 11)


def test_nw_left_beats_diagonal_when_left_is_strictly_better() -> None:
    # Pattern A A, subject A: cell (1,2): D = -1+3 = 2, U = -2-1 = -3, L = 3-1 = 2: D (tie).
    aln = needleman_wunsch(["A", "A"], ["A"], keep_path=True)
    assert aln.pattern_path == (0, 1) and aln.subject_path == (-1, 0)
    # Pattern A B, subject B: cell (1,1) D = 0 > U = -2, L = -2; cell (1,2): D = -1+3 = 2 >= L.
    aln = needleman_wunsch(["A", "B"], ["B"], keep_path=True)
    assert aln.pattern_path == (0, 1) and aln.subject_path == (-1, 0)
    # Pattern B A, subject B: cell (1,2): D = -1+0 = -1, U = -3, L = 3-1 = 2 -> left.
    aln = needleman_wunsch(["B", "A"], ["B"], keep_path=True)
    assert aln.pattern_path == (0, 1) and aln.subject_path == (0, -1)
    assert (aln.score, aln.length, aln.gaps, aln.matches) == (2, 2, 1, 1)


def test_nw_empty_sequences() -> None:
    aln = needleman_wunsch([], ["X", "Y"])
    assert (aln.score, aln.length, aln.gaps, aln.matches) == (-2, 2, 2, 0)
    assert aln.nw_score == 0.0
    assert needleman_wunsch([], []).nw_score is None


def test_nw_co_optimal_alignments_can_differ_in_length() -> None:
    # Two alignments of score 3 exist here; the stored choices pick one.
    pattern, subject = list("AAB"), list("BAA")
    aln = needleman_wunsch(pattern, subject)
    score, p_path, _ = reference_nw(pattern, subject)
    assert aln.score == score
    assert aln.length == len(p_path)


symbols = st.lists(st.sampled_from("ABCD"), max_size=14)


@settings(max_examples=400, deadline=None)
@given(
    pattern=symbols, subject=symbols, params=st.sampled_from([(3, 0, -1), (1, -1, -1), (2, -1, -2)])
)
def test_vectorised_nw_equals_cell_by_cell_fill(
    pattern: list[str], subject: list[str], params: tuple[int, int, int]
) -> None:
    match, mismatch, gap = params
    aln = needleman_wunsch(
        pattern, subject, match=match, mismatch=mismatch, gap=gap, keep_path=True
    )
    score, p_path, s_path = reference_nw(pattern, subject, match, mismatch, gap)
    assert aln.score == score
    assert list(aln.pattern_path) == p_path
    assert list(aln.subject_path) == s_path
    assert aln.length == len(p_path)
    assert aln.gaps == p_path.count(-1) + s_path.count(-1)
    matches = sum(
        1
        for p, s in zip(p_path, s_path, strict=True)
        if p >= 0 and s >= 0 and pattern[p] == subject[s]
    )
    assert aln.matches == matches
    if match == 3 and mismatch == 0 and gap == -1:
        assert aln.score + aln.gaps == 3 * aln.matches


# --------------------------------------------------------------------------------------------
# All ten measures against a plain implementation of the definitions
# --------------------------------------------------------------------------------------------


def plain_fleiss(a: list[str], b: list[str]) -> tuple[float | None, float]:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    counts = Counter(a) + Counter(b)
    pe = sum((c / (2 * n)) ** 2 for c in counts.values())
    return (None if pe == 1 else (po - pe) / (1 - pe)), 100 * po


def naive_measures(a: Session, b: Session) -> dict[str, float | None]:
    """All ten measures, straight from the definitions, with plain loops and dictionaries."""
    out: dict[str, float | None] = dict.fromkeys(MEASURES)
    horizon = min(
        int((a.known_end - a.start).total_seconds()), int((b.known_end - b.start).total_seconds())
    )
    cover: list[dict[int, list[str]]] = []
    tables: list[list[tuple[str, int, int, int, str]]] = []
    for s in (a, b):
        per: dict[int, list[str]] = {}
        frs = []
        for t in sorted(s.tasks, key=lambda t: t.seq):
            lo = int((t.start - s.start).total_seconds())
            pieces = []
            for susp in t.suspensions:
                pieces.append((lo, int((susp.start - s.start).total_seconds())))
                lo = int((susp.end - s.start).total_seconds())
            pieces.append((lo, int((t.end - s.start).total_seconds())))
            for number, (p0, p1) in enumerate(pieces, start=1):
                for w in range(p0, min(p1, horizon)):
                    per.setdefault(w, []).append(t.category)
                if p0 < horizon:
                    frs.append((t.key, number, p0, min(p1, horizon), t.category))
        cover.append(per)
        tables.append(sorted(frs, key=lambda f: (f[0], f[1])))
    seconds = sorted(set(cover[0]) | set(cover[1]))
    if seconds:
        m = max(len(v) for per in cover for v in per.values())

        def label(per: dict[int, list[str]], w: int, p: int) -> str:
            cats = per.get(w, [])
            if p < len(cats):
                return cats[p]
            return "<no task>" if p == 0 else "<none>"

        cols = [
            ([label(cover[0], w, p) for w in seconds], [label(cover[1], w, p) for w in seconds])
            for p in range(m)
        ]
        out["pK1"], out["pAg1"] = plain_fleiss(*cols[0])
        if m > 1:
            out["pK2"], out["pAg2"] = plain_fleiss(*cols[1])
            do = de = 0.0
            n = len(seconds)
            for xa, xb in cols:
                do += sum(x != y for x, y in zip(xa, xb, strict=True)) / n
                ca, cb = Counter(xa), Counter(xb)
                de += 1 - sum(ca[k] / n * cb[k] / n for k in ca)
            out["pKm"] = 1 - do / de if de else None  # undefined without expected disagreement
    # Observer order: numeric ids.
    ta, tb = tables
    if int(b.observer or 0) < int(a.observer or 0):
        ta, tb = tb, ta
    ref, oth = (tb, ta) if len(tb) > len(ta) else (ta, tb)
    pairs = []
    for r in ref:
        best, best_ov = None, 0
        for c in oth:
            if c[3] > r[2] and c[2] < r[3]:
                ov = min(c[3], r[3]) - max(c[2], r[2])
                if ov > best_ov:
                    best, best_ov = c, ov
        if best is not None:
            pairs.append((r, best))
    if pairs:
        out["NK"], out["NAg"] = plain_fleiss([r[4] for r, _ in pairs], [c[4] for _, c in pairs])
        used, xs, ys = set(), [], []
        for r, c in pairs:
            if r[4] == c[4] and (c[0], c[1]) not in used:
                used.add((c[0], c[1]))
                xs.append(r[3] - r[2])
                ys.append(c[3] - c[2])
        if len(xs) >= 2:
            k = len(xs)
            mx, my = sum(xs) / k, sum(ys) / k
            sx2 = sum((x - mx) ** 2 for x in xs) / k
            sy2 = sum((y - my) ** 2 for y in ys) / k
            if sx2 > 0 and sy2 > 0:
                r_ = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / k
                r_ /= math.sqrt(sx2 * sy2)
                rho = 2 * r_ * math.sqrt(sx2 * sy2) / (sx2 + sy2 + (my - mx) ** 2)
                out["DCCCr"] = rho
                out["DCCCcb"] = rho / r_ if r_ != 0 else None
    if ta or tb:
        score, p_path, s_path = reference_nw([f[4] for f in ta], [f[4] for f in tb])
        gaps = p_path.count(-1) + s_path.count(-1)
        out["NW_score"] = (score + gaps) / (3 * len(p_path) + gaps)
    return out


@st.composite
def random_session(draw: st.DrawFn, sid: str, observer: str) -> Session:
    n = draw(st.integers(1, 7))
    tasks = []
    for k in range(n):
        s = draw(st.integers(0, 30))
        d = draw(st.integers(1, 15))
        susp = []
        if d >= 4 and draw(st.booleans()):
            a0 = draw(st.integers(s + 1, s + d - 2))
            b0 = draw(st.integers(a0 + 1, s + d - 1))
            susp.append((a0, b0))
        tasks.append(
            task(f"{observer}_{sid}_{k + 995}", draw(st.sampled_from("XYZ")), s, s + d, *susp)
        )
    return session(sid, observer, tasks, length=draw(st.integers(20, 45)))


@settings(max_examples=150, deadline=None)
@given(a=random_session("1", "3"), b=random_session("2", "12"))
def test_all_measures_equal_a_plain_implementation(a: Session, b: Session) -> None:
    r = ior_pair(a, b)
    want = naive_measures(a, b)
    for m in MEASURES:
        got, v = getattr(r, m), want[m]
        if v is None:
            assert got is None, m
        else:
            assert got == pytest.approx(v, abs=1e-9), m


# --------------------------------------------------------------------------------------------
# Pairs and tables
# --------------------------------------------------------------------------------------------


def test_detect_pairs() -> None:
    one = [task("t1", "X", 0, 5)]
    s1 = session("1", "1", one, length=100)
    s2 = session("2", "2", one, length=100, offset=30)
    s3 = session("3", "3", one, length=100, offset=60)
    other_person = session("4", "4", one, length=100, participant="ward:p2")
    same_observer = session("5", "1", one, length=100, offset=10)
    later = session("6", "6", one, length=100, offset=500)
    pairs = detect_pairs([s3, s1, other_person, s2, same_observer, later])
    got = [(a.source_id, b.source_id) for a, b in pairs]
    # By start: 1 (0 s), 5 (10 s), 2 (30 s), 3 (60 s); 1 and 5 share an observer.
    assert got == [("1", "2"), ("1", "3"), ("5", "2"), ("5", "3"), ("2", "3")]
    # Tolerance for clock skew; participant key ignoring the location prefix.
    skew = session("7", "7", one, length=100, offset=-120, participant="other:p1")
    assert detect_pairs([s1, skew]) == []
    loose = detect_pairs(
        [s1, skew],
        participant_key=lambda s: s.participant.split(":", 1)[1],
        tolerance=timedelta(seconds=30),
    )
    assert [(a.source_id, b.source_id) for a, b in loose] == [("7", "1")]


def test_ior_table_has_one_row_per_pair() -> None:
    a, b = _hand_pair()
    c = session("3", "3", [task("3_3_1", "X", 0, 10)])
    table = ior_table([(a, b), (a, c)])
    assert list(table["session_a"]) == ["1", "1"]
    assert list(table["session_b"]) == ["2", "3"]
    assert list(table["observer_b"]) == ["2", "3"]
    assert table.loc[0, "pK2"] == pytest.approx(-3 / 17)
    assert table.loc[0, "n_seconds"] == 10
    assert math.isnan(table.loc[1, "DCCCr"])  # one agreeing pair only
    assert "D-CCC undefined" in table.loc[1, "warnings"]
    for m in MEASURES:
        assert table[m].dtype == np.float64


# --------------------------------------------------------------------------------------------
# The plain time-sliced kappa (a different measure)
# --------------------------------------------------------------------------------------------


def test_time_sliced_kappa_by_hand() -> None:
    a, b = _hand_pair()
    r = time_sliced_kappa(a, b)
    # A: {X}x4, {X,Y}x2, {Y}x4.  B: {X}x2, {X,Z}x2, {X}, {Y}x5.  Agree on 0,1,6-9.
    assert r.n_seconds == 10
    assert r.agreement == pytest.approx(60.0)
    assert r.expected == pytest.approx(0.4 * 0.3 + 0.4 * 0.5)
    assert r.kappa == pytest.approx(7 / 17)
    assert r.n_labels == 4


def test_time_sliced_kappa_uses_sets_and_spans_the_gaps() -> None:
    # Two simultaneous X tasks are one label {X}; the gap 3-5 is "nothing" for both.
    a = session(
        "1", "1", [task("1_1_1", "X", 0, 3), task("1_1_2", "X", 1, 3), task("1_1_3", "Y", 6, 8)]
    )
    b = session("2", "2", [task("2_2_1", "X", 0, 3), task("2_2_2", "Y", 6, 7)])
    r = time_sliced_kappa(a, b)
    assert r.n_seconds == 8
    assert r.agreement == pytest.approx(100 * 7 / 8)
    assert r.kappa is not None and 0 < r.kappa < 1


def test_time_sliced_kappa_undefined_for_one_constant_label() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0, 10)])
    r = time_sliced_kappa(a, a)
    assert r.kappa is None and r.agreement == 100.0
    assert any("undefined" in w for w in r.warnings)


# --------------------------------------------------------------------------------------------
# Degenerate input: defined results or warnings, never a crash
# --------------------------------------------------------------------------------------------


def test_one_task_each_and_identical() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0, 10)])
    b = session("2", "2", [task("2_2_1", "X", 0, 10)])
    r = ior_pair(a, b)
    assert r.pK1 is None and r.pAg1 == 100.0
    assert r.pK2 is None and r.pAg2 is None and r.pKm is None
    assert r.NK is None and r.NAg == 100.0
    assert r.DCCCr is None and r.DCCCcb is None
    assert r.NW_score == 1.0
    assert any("pK1 undefined" in w for w in r.warnings)
    assert any("NK undefined" in w for w in r.warnings)


def test_one_task_against_several() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0, 10)])
    b = session("2", "2", [task("2_2_1", "X", 0, 4), task("2_2_2", "Y", 4, 10)])
    r = ior_pair(a, b)
    assert r.pAg1 == pytest.approx(40.0)
    assert r.reference_observer == "2"
    assert r.NAg == pytest.approx(50.0)  # X->X, Y->X
    assert r.NW_score == pytest.approx((3 - 1 + 1) / (3 * 2 + 1))


def test_identical_records_agree_perfectly() -> None:
    tasks = [
        task("k_1", "X", 0, 10),
        task("k_2", "Y", 10, 25, (15, 18)),
        task("k_3", "Z", 20, 30),
        task("k_4", "X", 30, 40),
    ]
    a = session("1", "1", tasks, length=40)
    b = session("2", "2", tasks, length=40)
    r = ior_pair(a, b)
    for m in ("pK1", "pK2", "pKm", "NK", "DCCCr", "DCCCcb", "NW_score"):
        assert getattr(r, m) == pytest.approx(1.0), m
    assert r.pAg1 == r.pAg2 == r.NAg == 100.0
    assert r.warnings == []


def test_identical_records_with_a_nested_task_disagree_on_naming() -> None:
    # IORapp's tie rule: Z [12,14) overlaps Y [10,15) and Z [12,14) by 2 s each, and Y's
    # fragment comes first in row order, so Z is matched to Y even in identical records.
    tasks = [
        task("k_1", "X", 0, 10),
        task("k_2", "Y", 10, 25, (15, 18)),
        task("k_3", "Z", 12, 14),
        task("k_4", "X", 25, 40),
    ]
    a = session("1", "1", tasks, length=40)
    b = session("2", "2", tasks, length=40)
    r = ior_pair(a, b)
    for m in ("pK1", "pK2", "pKm", "DCCCr", "DCCCcb", "NW_score"):
        assert getattr(r, m) == pytest.approx(1.0), m
    # Pairs (X,X), (Y,Y), (Y,Y), (Z,Y), (X,X): Po = .8; pooled X .4, Y .5, Z .1; Pe = .42.
    assert r.NAg == pytest.approx(80.0)
    nk = r.NK
    assert nk == pytest.approx(19 / 29)  # (.8 - .42) / (1 - .42)


def test_no_common_time_at_all() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0, 10)], length=60)
    b = session(
        "2", "2", [task("2_2_1", "X", 30, 40), task("2_2_2", "Y", 40, 50)], length=60, offset=7200
    )
    r = ior_pair(a, b)
    assert r.n_seconds == 30
    assert r.pAg1 == 0.0
    assert r.pK1 is not None and r.pK1 < 0
    assert r.NK is None and r.NAg is None and r.DCCCr is None
    assert r.n_matched == 0
    assert r.NW_score == pytest.approx(3 / 7)  # X against X Y: S = 2, L = 2, G = 1
    assert sum("overlaps nothing" in w for w in r.warnings) == 2
    assert any("do not overlap in time" in w for w in r.warnings)


def test_reference_fragment_without_candidate_is_skipped_and_reported() -> None:
    a = session(
        "1", "1", [task("1_1_1", "X", 0, 4), task("1_1_2", "Y", 4, 6), task("1_1_3", "X", 8, 10)]
    )
    b = session("2", "2", [task("2_2_1", "X", 0, 4), task("2_2_2", "Y", 4, 6)])
    r = ior_pair(a, b)
    assert r.reference_observer == "1"
    assert r.n_matched == 2
    assert r.NAg == 100.0
    (w,) = [w for w in r.warnings if "overlaps nothing" in w]
    assert "1_1_3#1" in w and "8 s to 10 s" in w


def test_category_with_a_comma_is_one_category() -> None:
    a = session("1", "1", [task("1_1_1", "Terapia, orale", 0, 5), task("1_1_2", "Y", 5, 10)])
    b = session("2", "2", [task("2_2_1", "Terapia, orale", 0, 5), task("2_2_2", "Y", 5, 10)])
    r = ior_pair(a, b)
    assert r.M == 1
    assert r.pK1 == pytest.approx(1.0)
    assert pytest.approx(1.0) == r.NK
    assert any("contains a comma" in w for w in r.warnings)


def test_task_ending_when_it_starts_is_left_out() -> None:
    a = session(
        "1", "1", [task("1_1_1", "X", 0, 5), task("1_1_2", "Y", 5, 5), task("1_1_3", "Y", 5, 10)]
    )
    b = session("2", "2", [task("2_2_1", "X", 0, 5), task("2_2_2", "Y", 5, 10)])
    r = ior_pair(a, b)
    assert r.n_fragments_a == 2
    assert r.pK1 == pytest.approx(1.0)
    assert any("1_1_2 ends when it starts" in w for w in r.warnings)


def test_fractions_of_seconds_are_floored() -> None:
    a = session("1", "1", [task("1_1_1", "X", 0.4, 5.9), task("1_1_2", "Y", 6.2, 6.8)])
    warnings: list[str] = []
    frs = session_fragments(a, warnings=warnings)
    assert spans(frs) == [("1_1_1", 1, 0, 5, "X")]
    assert any("ends when it starts" in w for w in warnings)
    assert any("floored" in w for w in warnings)


def test_task_without_end_and_session_without_end() -> None:
    # An incomplete session: the last task was left running, another was never resumed.
    a = session(
        "1",
        "1",
        [
            task("1_1_1", "X", 0, 6),
            task("1_1_2", "Y", 6, None, (8, None)),
            task("1_1_3", "Z", 8, None),
        ],
        length=None,
    )
    b = session("2", "2", [task("2_2_1", "X", 0, 6), task("2_2_2", "Y", 6, 10)])
    warnings: list[str] = []
    frs = session_fragments(a, warnings=warnings)
    assert spans(frs) == [("1_1_1", 1, 0, 6, "X"), ("1_1_2", 1, 6, 8, "Y")]
    assert any("never resumed" in w for w in warnings)
    assert any("1_1_3 has no end" in w for w in warnings)
    r = ior_pair(a, b)
    assert r.horizon == 8  # the incomplete session's last recorded instant
    assert r.pAg1 == 100.0
    assert any("has no end; its last recorded instant is used" in w for w in r.warnings)


def test_sessions_without_tasks() -> None:
    a = session("1", "1", [])
    b = session("2", "2", [])
    r = ior_pair(a, b)
    assert all(v is None for v in r.measures().values())
    assert r.n_seconds == 0 and r.M == 0 and r.reference_observer is None
    assert r.warnings
    c = session("3", "3", [task("3_3_1", "X", 0, 10)])
    r = ior_pair(a, c)
    assert r.pAg1 == 0.0 and r.pK1 == pytest.approx(-1.0)
    assert r.NW_score == 0.0


def test_same_observer_twice_is_computed_with_a_warning() -> None:
    a, _ = _hand_pair()
    r = ior_pair(a, a)
    assert r.pK1 == pytest.approx(1.0)
    assert any("same observer" in w for w in r.warnings)


def test_as_dict_has_all_measures() -> None:
    r = ior_pair(*_hand_pair())
    d = r.as_dict()
    for m in MEASURES:
        assert d[m] == getattr(r, m)
    assert d["reference_observer"] == "2"
    assert isinstance(d["warnings"], list)
