"""The qualitative domain: spans (code points, astral characters, CRLF), documents, codebooks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.qualitative import (
    Code,
    Codebook,
    Coding,
    Cue,
    Document,
    Span,
    check_codings,
    covered,
    derived_guid,
    index_to_utf16,
    intersect,
    is_guid,
    lines,
    new_guid,
    normalise_guid,
    paragraphs,
    spans_by,
    subtract,
    union,
    utf16_to_index,
)
from workweave.io.codebooks import builtin_codebook, builtin_codebook_names

EMOJI = "\U0001f600"  # outside the Basic Multilingual Plane: one code point, two UTF-16 units


def doc(text: str, kind: str = "transcript", **kw: object) -> Document:
    return Document(key=new_guid(), kind=kind, title="t", text=text, **kw)  # type: ignore[arg-type]


# -- spans -------------------------------------------------------------------------------------


def test_span_overlap_containment_and_intersection() -> None:
    a, b, c = Span(0, 5), Span(3, 8), Span(5, 9)
    assert a.overlaps(b) and b.overlaps(a)
    assert not a.overlaps(c)  # touching at 5 is not overlapping (end excluded)
    assert Span(0, 10).contains(b) and not b.contains(Span(0, 10))
    assert a.contains(a)
    assert a.intersection(b) == Span(3, 5) and a.intersection(c) is None
    assert a.overlap_length(b) == 2 and a.overlap_length(c) == 0
    assert len(Span(2, 7)) == 5
    with pytest.raises(ValidationError):
        Span(5, 3)
    with pytest.raises(ValidationError):
        Span(-1, 3)


def test_union_merges_overlapping_and_touching_spans() -> None:
    assert union([Span(5, 9), Span(0, 3), Span(2, 4), Span(9, 10), Span(20, 20)]) == (
        Span(0, 4),
        Span(5, 10),
    )
    assert covered([Span(0, 4), Span(2, 6), Span(10, 11)]) == 7


def test_intersection_between_coders_and_subtraction() -> None:
    alice = [Span(0, 10), Span(20, 30)]
    bob = [Span(5, 25), Span(28, 40)]
    assert intersect(alice, bob) == (Span(5, 10), Span(20, 25), Span(28, 30))
    assert subtract(alice, bob) == (Span(0, 5), Span(25, 28))
    assert intersect(alice, []) == ()


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 20)), max_size=8),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 20)), max_size=8),
)
def test_span_algebra_agrees_with_sets_of_positions(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> None:
    sa = [Span(s, s + n) for s, n in a]
    sb = [Span(s, s + n) for s, n in b]

    def pos(spans: tuple[Span, ...] | list[Span]) -> set[int]:
        return {i for s in spans for i in range(s.start, s.end)}

    assert pos(union(sa)) == pos(sa)
    assert pos(intersect(sa, sb)) == pos(sa) & pos(sb)
    assert pos(subtract(sa, sb)) == pos(sa) - pos(sb)
    u = union(sa)
    assert all(x.end < y.start for x, y in itertools.pairwise(u))


def test_astral_characters_count_as_one_position() -> None:
    text = f"ok {EMOJI} then {EMOJI}{EMOJI} end"
    d = doc(text)
    assert d.length == len(text) == 16
    assert index_to_utf16(text, len(text)) == len(text.encode("utf-16-le")) // 2 == 19
    start = text.index(EMOJI)
    assert d.quote(Span(start, start + 1)) == EMOJI
    assert d.quote(Span(start, start + 6)) == f"{EMOJI} then"
    # a browser counts the emoji as two UTF-16 units
    assert index_to_utf16(text, start + 1) == start + 2
    assert utf16_to_index(text, start + 2) == start + 1
    assert utf16_to_index(text, index_to_utf16(text, len(text))) == len(text)
    for i in range(len(text) + 1):
        assert utf16_to_index(text, index_to_utf16(text, i)) == i
    with pytest.raises(ValidationError, match="splits"):
        utf16_to_index(text, start + 1)  # between the two halves of the emoji
    with pytest.raises(ValidationError):
        utf16_to_index(text, 100)


def test_crlf_text_keeps_its_positions() -> None:
    text = "First line\r\nstill first\r\n\r\nSecond para\r\n\r\n\r\nThird"
    d = doc(text)
    paras = d.segments()
    assert [d.quote(p) for p in paras] == ["First line\r\nstill first", "Second para", "Third"]
    assert paras[0] == Span(0, 23)  # CRLF counts as two characters
    assert [text[s.start : s.end] for s in lines(text)] == [
        "First line",
        "still first",
        "Second para",
        "Third",
    ]
    assert paragraphs("a\rb\r\rc") == (Span(0, 3), Span(5, 6))  # old Mac breaks too
    assert paragraphs("") == () and paragraphs("\n\n  \n") == ()


def test_field_note_is_one_segment_transcript_paragraphs() -> None:
    note = doc("Saw X.\n\nThen Y.", kind="field-note", at=datetime(2024, 3, 5, 9, 0, tzinfo=UTC))
    assert note.segments() == (Span(0, 15),)
    assert doc("Saw X.\n\nThen Y.").segments() == (Span(0, 6), Span(8, 15))
    assert note.segments("line") == (Span(0, 6), Span(8, 15))
    with pytest.raises(ValidationError):
        note.segments("sentence")


def test_document_validation() -> None:
    with pytest.raises(ValidationError, match="kind"):
        doc("x", kind="memo")
    with pytest.raises(ValidationError, match="GUID"):
        Document(key="nope", kind="transcript", title="t", text="x")
    with pytest.raises(ValidationError, match="time zone"):
        doc("x", at=datetime(2024, 1, 1))
    with pytest.raises(ValidationError, match="past the text"):
        doc("short", cues=(Cue(0, 1, 0, 50),))
    d = doc("hello world", cues=(Cue(5.0, 6.5, 6, 11), Cue(0.0, 1.0, 0, 5)))
    assert [c.char_start for c in d.cues] == [0, 6]
    assert d.cue_at(7) == Cue(5.0, 6.5, 6, 11) and d.cue_at(0) == Cue(0.0, 1.0, 0, 5)
    with pytest.raises(ValidationError, match="past the end"):
        d.check_span(3, 12)
    with pytest.raises(ValidationError, match="empty"):
        d.check_span(3, 3)


def test_guids() -> None:
    g = new_guid()
    assert is_guid(g) and is_guid("{" + g.upper() + "}")
    assert normalise_guid("{" + g.upper() + "}") == g
    assert derived_guid("a", "b") == derived_guid("a", "b") != derived_guid("a", "c")
    assert not is_guid("1234")


# -- codebooks ---------------------------------------------------------------------------------


def _book() -> Codebook:
    return Codebook.from_dict(
        {
            "name": "demo",
            "version": 2,
            "codes": [
                {
                    "name": "Pressure",
                    "colour": "#0072B2",
                    "definition": "  outside pressure  ",
                    "codes": [{"name": "Money"}, {"name": "Targets"}],
                },
                {"name": "Identity", "codes": [{"name": "Money"}]},
            ],
        }
    )


def test_codebook_nesting_paths_and_lookup() -> None:
    cb = _book()
    assert cb.version == "2" and len(cb.codes) == 5
    pressure = cb.code("pressure")
    assert pressure.definition == "outside pressure" and pressure.colour == "#0072B2"
    assert [c.name for c in cb.children(pressure.guid)] == ["Money", "Targets"]
    assert cb.path(cb.code("Pressure/Money").guid) == "Pressure/Money"
    with pytest.raises(ValidationError, match="several codes"):
        cb.code("Money")
    with pytest.raises(NotFoundError):
        cb.code("Nothing")
    assert cb.code(pressure.guid.upper()) == pressure
    assert [c.name for c in cb.walk()] == ["Pressure", "Money", "Targets", "Identity", "Money"]
    assert cb.depth(cb.code("Identity/Money").guid) == 1
    # loading the same data again gives the same GUIDs
    assert _book().codes == cb.codes
    again = Codebook.from_dict(cb.to_dict())
    assert again.codes == cb.codes and again.version == "2"
    smaller = cb.without_code(pressure.guid)
    assert [c.name for c in smaller.codes] == ["Identity", "Money"]
    renamed = cb.with_code(Code(pressure.guid, "Policy pressure", colour="#0072b2"))
    assert renamed.code("Policy pressure").guid == pressure.guid
    assert renamed.code(pressure.guid).colour == "#0072B2"


def test_codebook_problems_are_all_reported() -> None:
    with pytest.raises(ValidationError) as exc:
        Codebook.from_dict(
            {
                "name": "x",
                "codes": [
                    {"name": "A", "colour": "red"},
                    {"nam": "B"},
                    {"name": "C", "codes": "oops", "extra": 1},
                ],
            },
            source="book.yaml",
        )
    text = str(exc.value)
    assert "colour 'red'" in text and "needs a 'name'" in text and "must be a list" in text
    assert "unknown field(s) extra" in text and "book.yaml" in text
    g = new_guid()
    with pytest.raises(ValidationError, match="twice"):
        Codebook("x", codes=(Code(g, "A"), Code(g, "B")))
    with pytest.raises(ValidationError, match="same parent"):
        Codebook("x", codes=(Code(new_guid(), "A"), Code(new_guid(), "a")))
    with pytest.raises(ValidationError, match="not a code"):
        Codebook("x", codes=(Code(new_guid(), "A", parent=new_guid()),))
    a, b = new_guid(), new_guid()
    with pytest.raises(ValidationError, match="own ancestor"):
        Codebook("x", codes=(Code(a, "A", parent=b), Code(b, "B", parent=a)))


def test_starter_codebook() -> None:
    assert "clinician-manager-themes" in builtin_codebook_names()
    cb = builtin_codebook()
    roots = [c.name for c in cb.roots()]
    assert len(roots) == 8
    for theme in (
        "Policy pressures",
        "Management taking over",
        "Attitudes to management",
        "Leadership identity",
        "Reorganisation and job insecurity",
        "Volatility of clinical demand",
    ):
        assert theme in roots
    assert any("selling out" in r for r in roots)
    assert any("emotional labour" in r for r in roots)
    subs = {c.name for c in cb.children(cb.code("Policy pressures").guid)}
    assert subs == {
        "Deficits",
        "Efficiency targets",
        "Commissioning changes",
        "Service transformation",
    }
    for c in cb.codes:
        assert c.definition and c.inclusion and c.exclusion and c.colour
    # one distinct colour per theme, from a colour-blind-safe scheme
    assert len({c.colour for c in cb.roots()}) == 8


# -- codings -----------------------------------------------------------------------------------


def test_codings_are_checked_against_documents_and_codebook() -> None:
    cb = _book()
    d = doc("0123456789")
    code = cb.code("Identity").guid
    ok = Coding(new_guid(), d.key, code, "alice", 2, 5)
    past = Coding(new_guid(), d.key, code, "bob", 5, 11)
    alien = Coding(new_guid(), d.key, new_guid(), "bob", 0, 1)
    lost = Coding(new_guid(), new_guid(), code, "bob", 0, 1)
    problems = check_codings([ok, past, alien, lost], {d.key: d}, cb)
    assert len(problems) == 3
    with pytest.raises(ValidationError, match="empty"):
        Coding(new_guid(), d.key, code, "alice", 3, 3)
    with pytest.raises(ValidationError, match="coder"):
        Coding(new_guid(), d.key, code, "  ", 1, 3)
    grouped = spans_by([ok, Coding(new_guid(), d.key, code, "alice", 4, 8)], "document", "coder")
    assert grouped == {(d.key, "alice"): (Span(2, 8),)}
