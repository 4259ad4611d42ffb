"""Agreement: Krippendorff's published examples, Cohen's kappa, and coded text at character and
segment level."""

from __future__ import annotations

import math

import pytest

from workweave.analysis.reliability import (
    LEVELS,
    alpha_from_coincidences,
    as_units,
    cohen_kappa,
    coincidences,
    krippendorff_alpha,
    percent_agreement,
    text_agreement,
)
from workweave.domain.errors import ValidationError
from workweave.domain.qualitative import Code, Codebook, Coding, Document, new_guid

N = None

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", examples A, B and C.
BINARY_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
BINARY_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
NOMINAL_1 = list("aabbdcccedda")
NOMINAL_2 = list("babbbccceddd")
FOUR_CODERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


def test_binary_two_coders_ten_units() -> None:
    assert krippendorff_alpha([BINARY_A, BINARY_B]) == pytest.approx(0.095, abs=5e-4)


def test_nominal_two_coders_twelve_units() -> None:
    assert krippendorff_alpha([NOMINAL_1, NOMINAL_2]) == pytest.approx(0.692, abs=5e-4)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_four_coders_with_missing_values(level: str, expected: float) -> None:
    assert krippendorff_alpha(FOUR_CODERS, level) == pytest.approx(expected, abs=5e-4)


def test_missing_values_may_be_nan_and_lone_values_are_not_pairable() -> None:
    with_nan = [[math.nan if v is None else v for v in row] for row in FOUR_CODERS]
    assert krippendorff_alpha(with_nan, "interval") == pytest.approx(0.849, abs=5e-4)
    co = coincidences(as_units({f"c{i}": row for i, row in enumerate(FOUR_CODERS)}))
    assert co.pairable_units == 11  # unit 12 has a single value
    assert co.n == 40  # pairable values (Krippendorff's n..)
    assert co.matrix.sum(axis=1).tolist() == pytest.approx([9, 13, 10, 5, 3])


def test_weighted_units_equal_repeated_units() -> None:
    units = [(0, 1), (1, 1), (0, 0), (1, 0)]
    weights = [3, 5, 7, 2]
    repeated = [u for u, w in zip(units, weights, strict=True) for _ in range(w)]
    a = alpha_from_coincidences(coincidences(units, weights))
    b = alpha_from_coincidences(coincidences(repeated))
    assert a == pytest.approx(b)
    assert percent_agreement(units, weights) == pytest.approx(percent_agreement(repeated) or 0)


def test_alpha_is_undefined_without_variation() -> None:
    assert krippendorff_alpha([[1, 1, 1], [1, 1, 1]]) is None
    assert krippendorff_alpha([[1, N], [N, 2]]) is None  # nothing pairable
    assert krippendorff_alpha([]) is None
    with pytest.raises(ValidationError):
        krippendorff_alpha([[1, 2], [1]])
    with pytest.raises(ValidationError):
        krippendorff_alpha([[1, 2], [1, 2]], "cardinal")
    with pytest.raises(ValidationError, match="numeric"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], "interval")
    for level in LEVELS:
        assert krippendorff_alpha([[0, 1, 1, 0], [0, 1, 1, 0]], level) == pytest.approx(1.0)


def test_cohen_kappa_and_percent_agreement() -> None:
    # the textbook 2x2 example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> kappa 0.4
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert percent_agreement(list(zip(a, b, strict=True))) == pytest.approx(0.7)
    assert cohen_kappa(BINARY_A, BINARY_B) == pytest.approx(1 / 11)
    assert cohen_kappa([1, 1], [1, 1]) is None
    assert cohen_kappa([1, N, 0], [1, 0, N]) is None  # one pairable unit, no variation
    # three coders: share of agreeing pairs, unit by unit
    assert percent_agreement([(1, 1, 0), (1, 1, 1)]) == pytest.approx((1 / 3 + 1) / 2)


# -- coded text --------------------------------------------------------------------------------


def _setup() -> tuple[list[Document], Codebook, str, str]:
    cb = Codebook("demo", codes=(Code(new_guid(), "Pressure"), Code(new_guid(), "Identity")))
    d1 = Document(new_guid(), "transcript", "interview", "abcdefghij")
    d2 = Document(new_guid(), "transcript", "two paras", "Para one.\r\n\r\nPara two.\n\nThree")
    return [d1, d2], cb, cb.code("Pressure").guid, cb.code("Identity").guid


def c(doc: Document, code: str, coder: str, start: int, end: int) -> Coding:
    return Coding(new_guid(), doc.key, code, coder, start, end)


def test_character_level_equals_alpha_on_characters() -> None:
    docs, cb, pressure, _ = _setup()
    d1 = docs[0]
    codings = [c(d1, pressure, "alice", 0, 4), c(d1, pressure, "bob", 2, 6)]
    rep = text_agreement(docs, codings, ["alice", "bob"], codebook=cb)
    assert rep.documents == (d1.key,) and rep.skipped_documents == ()
    (row,) = rep.rows
    alice = [1 if 0 <= i < 4 else 0 for i in range(10)]
    bob = [1 if 2 <= i < 6 else 0 for i in range(10)]
    assert row.units == 10 and row.coded == {"alice": 4, "bob": 4}
    assert row.percent_agreement == pytest.approx(0.6)
    assert row.kappa == pytest.approx(cohen_kappa(alice, bob) or 0) == pytest.approx(1 / 6)
    assert row.alpha == pytest.approx(krippendorff_alpha([alice, bob]) or 0)
    assert row.alpha == pytest.approx(1 - 19 * 4 / (12 * 8))
    assert rep.overall.alpha == pytest.approx(row.alpha)


def test_overlapping_codings_of_one_coder_count_once() -> None:
    docs, cb, pressure, _ = _setup()
    d1 = docs[0]
    codings = [
        c(d1, pressure, "alice", 0, 4),
        c(d1, pressure, "alice", 2, 4),
        c(d1, pressure, "bob", 0, 4),
    ]
    rep = text_agreement(docs, codings, ["alice", "bob"], codebook=cb)
    assert rep.rows[0].alpha == pytest.approx(1.0) and rep.rows[0].kappa == pytest.approx(1.0)


def test_pooled_overall_and_code_order() -> None:
    docs, cb, pressure, identity = _setup()
    d1 = docs[0]
    codings = [
        c(d1, identity, "alice", 5, 9),
        c(d1, identity, "bob", 5, 9),
        c(d1, pressure, "alice", 0, 4),
        c(d1, pressure, "bob", 2, 6),
    ]
    rep = text_agreement(docs, codings, ["alice", "bob"], codebook=cb)
    assert [r.name for r in rep.rows] == ["Pressure", "Identity"]
    assert rep.rows[1].alpha == pytest.approx(1.0)
    assert rep.overall.units == 20
    pooled_a = [1 if 0 <= i < 4 else 0 for i in range(10)] + [
        1 if 5 <= i < 9 else 0 for i in range(10)
    ]
    pooled_b = [1 if 2 <= i < 6 else 0 for i in range(10)] + [
        1 if 5 <= i < 9 else 0 for i in range(10)
    ]
    assert rep.overall.alpha == pytest.approx(krippendorff_alpha([pooled_a, pooled_b]) or 0)


def test_segment_level_uses_paragraphs_and_whole_field_notes() -> None:
    docs, _, pressure, _ = _setup()
    d2 = docs[1]  # paragraphs: 0-9, 13-22, 24-29
    note = Document(new_guid(), "field-note", "note", "One note.\n\nStill the same note.")
    codings = [
        c(d2, pressure, "alice", 0, 3),  # para 1
        c(d2, pressure, "bob", 5, 15),  # para 1 and 2
        c(d2, pressure, "alice", 25, 27),  # para 3
        c(note, pressure, "alice", 0, 3),
        c(note, pressure, "bob", 15, 20),
    ]
    rep = text_agreement([*docs, note], codings, ["alice", "bob"], level="segment")
    (row,) = rep.rows
    # units: d2 (1,1), (0,1), (1,0); note (1,1)
    assert row.units == 4 and row.coded == {"alice": 3, "bob": 3}
    assert row.percent_agreement == pytest.approx(0.5)
    assert row.alpha == pytest.approx(krippendorff_alpha([[1, 0, 1, 1], [1, 1, 0, 1]]) or 0)
    lines = text_agreement([*docs, note], codings, ["alice", "bob"], level="segment", unit="line")
    assert lines.rows[0].units == 5  # three lines in d2, two in the note


def test_documents_compared_and_clear_errors() -> None:
    docs, _, pressure, _ = _setup()
    d1, d2 = docs
    codings = [
        c(d1, pressure, "alice", 0, 4),
        c(d1, pressure, "bob", 0, 4),
        c(d2, pressure, "alice", 0, 4),  # only alice coded d2
    ]
    rep = text_agreement(docs, codings, ["alice", "bob"])
    assert rep.documents == (d1.key,) and rep.skipped_documents == (d2.key,)
    both = text_agreement(docs, codings, ["alice", "bob"], document_keys=[d1.key, d2.key])
    assert both.rows[0].units == 10 + len(d2.text)  # bob's silence on d2 counts as "no"
    assert both.rows[0].alpha is not None and both.rows[0].alpha < 1
    with pytest.raises(ValidationError, match="at least two"):
        text_agreement(docs, codings, ["alice"])
    with pytest.raises(ValidationError, match="carol"):
        text_agreement(docs, codings, ["alice", "carol"])
    with pytest.raises(ValidationError, match="level"):
        text_agreement(docs, codings, ["alice", "bob"], level="word")
    apart = [c(d2, pressure, "alice", 0, 4), c(d1, pressure, "bob", 0, 2)]
    with pytest.raises(ValidationError, match="no document was coded by all"):
        text_agreement(docs, apart, ["alice", "bob"])
    report = rep.to_dict()
    assert report["codes"][0]["alpha"] == pytest.approx(1.0) and report["level"] == "character"


def test_three_coders_have_no_kappa() -> None:
    docs, _, pressure, _ = _setup()
    d1 = docs[0]
    codings = [c(d1, pressure, who, 0, 5) for who in ("a", "b", "c")]
    rep = text_agreement(docs, codings, ["a", "b", "c"])
    assert rep.rows[0].kappa is None and rep.rows[0].alpha == pytest.approx(1.0)
