"""The qualitative tables and repository (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import inspect

from tests.factories import EMOJI, QUAL_T0, qual_pilot_study
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.qualitative import Code, Codebook, Coding, Cue, Document, new_guid
from workweave.io.codebooks import builtin_codebook
from workweave.store import Store


@pytest.fixture
def study(store_location: str) -> Iterator[tuple[Store, int]]:
    st, sid = qual_pilot_study(store_location)
    yield st, sid
    st.close()


def test_migration_creates_the_tables(study: tuple[Store, int]) -> None:
    st, _ = study
    names = set(inspect(st.engine).get_table_names())
    assert {"documents", "codebooks", "codes", "codings"} <= names


def test_documents_are_idempotent_and_keep_their_links(study: tuple[Store, int]) -> None:
    st, sid = study
    d = Document(
        new_guid(),
        "transcript",
        "P01 interview",
        f"Line one {EMOJI}\r\n\r\nLine two",
        participant="P01",
        cues=(Cue(0.0, 1.5, 0, 10),),
        source="p01.vtt",
    )
    res = st.qual.add_documents(sid, [d])
    assert res.added == 1
    assert st.qual.add_documents(sid, [d]).unchanged == 1
    back = st.qual.document(sid, d.key)
    assert back == replace(d, site="RAD")  # the participant's site is filled in
    info = st.qual.document_infos(sid)[0]
    assert info.length == len(d.text) == 22 and info.participant_registered  # code points
    changed = replace(d, title="P01 interview (2)")
    with pytest.raises(ValidationError, match="already stored"):
        st.qual.add_documents(sid, [changed])
    assert st.qual.add_documents(sid, [changed], update_existing=True).updated == 1
    stranger = Document(new_guid(), "transcript", "x", "text", participant="P99", site="ELSE")
    st.qual.add_documents(sid, [stranger])
    info = {i.key: i for i in st.qual.document_infos(sid)}[stranger.key]
    assert info.participant == "P99" and not info.participant_registered
    assert st.qual.find_document(sid, "p01.vtt").key == d.key
    with pytest.raises(NotFoundError):
        st.qual.find_document(sid, "nothing")
    st.qual.delete_document(sid, stranger.key)
    with pytest.raises(NotFoundError):
        st.qual.document(sid, stranger.key)


def test_codebooks_are_versioned(study: tuple[Store, int]) -> None:
    st, sid = study
    cb = builtin_codebook()
    first = st.qual.save_codebook(sid, cb)
    assert first.created and first.codebook.version == "1"
    assert not st.qual.save_codebook(sid, cb).created
    edited = cb.with_code(Code(new_guid(), "Rota work", "Making rotas."))
    second = st.qual.save_codebook(sid, edited)
    assert second.created and second.codebook.version == "2" and "version 1" in second.note
    assert st.qual.load_codebook(sid) == second.codebook
    assert st.qual.load_codebook(sid, cb.name, "1").codes == cb.codes
    other = st.qual.save_codebook(sid, Codebook("mine", codes=(Code(new_guid(), "X"),)))
    assert st.qual.load_codebook(sid).name == "mine"  # the codebook saved last is current
    infos = st.qual.codebook_versions(sid)
    assert [(i.name, i.version, i.current) for i in infos] == [
        (cb.name, "1", False),
        (cb.name, "2", False),
        ("mine", "1", True),
    ]
    assert set(st.qual.known_codes(sid)) == {c.guid for c in edited.codes} | {
        other.codebook.codes[0].guid
    }
    with pytest.raises(NotFoundError):
        st.qual.load_codebook(sid, "absent")


def test_codings_are_checked_listed_and_deleted(study: tuple[Store, int]) -> None:
    st, sid = study
    cb = st.qual.save_codebook(sid, builtin_codebook()).codebook
    code = cb.code("Management taking over").guid
    d = Document(new_guid(), "transcript", "t", f"{EMOJI}bcdefghij")
    st.qual.add_documents(sid, [d])
    a = Coding(new_guid(), d.key, code, "alice", 0, 10, "all of it", QUAL_T0)
    b = Coding(new_guid(), d.key, code, "bob", 1, 3)
    assert st.qual.add_codings(sid, [a, b]).added == 2
    assert st.qual.add_codings(sid, [a]).unchanged == 1
    with pytest.raises(ValidationError, match="past the end"):
        st.qual.add_codings(sid, [Coding(new_guid(), d.key, code, "bob", 5, 11)])
    with pytest.raises(ValidationError, match="in no codebook"):
        st.qual.add_codings(sid, [Coding(new_guid(), d.key, new_guid(), "bob", 0, 1)])
    with pytest.raises(ValidationError, match="no document"):
        st.qual.add_codings(sid, [Coding(new_guid(), new_guid(), code, "bob", 0, 1)])
    with pytest.raises(ValidationError, match="other content"):
        st.qual.add_codings(sid, [replace(a, end=9)])
    assert st.qual.codings(sid, coders=["alice"]) == [a]
    assert {c.key for c in st.qual.codings(sid, documents=[d.key])} == {a.key, b.key}
    assert st.qual.coders(sid) == ["alice", "bob"]
    st.qual.update_coding_memo(sid, b.key, "memo")
    assert st.qual.codings(sid, coders=["bob"])[0].memo == "memo"
    assert st.qual.delete_codings(sid) == 0  # no filter: nothing
    assert st.qual.delete_codings(sid, coder="bob") == 1
    assert st.qual.document_infos(sid)[0].coders == ("alice",)
    st.qual.delete_document(sid, d.key)  # codings go with their document
    assert st.qual.codings(sid) == []
