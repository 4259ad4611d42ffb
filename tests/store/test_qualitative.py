"""The qualitative tables and repository (SQLite always, PostgreSQL when configured), and the
service layer a web page calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.observation import Note, Session, Task
from workweave.domain.qualitative import Code, Codebook, Coding, Cue, Document, new_guid
from workweave.domain.study import Observer, Participant, Site, Study
from workweave.io.codebooks import builtin_codebook
from workweave.services import qualitative as svc
from workweave.store import Store

EMOJI = "\U0001f600"
T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def make_store(location: str) -> tuple[Store, int]:
    st = Store.create(location)
    sid = st.studies.create(Study("qual", "Qualitative pilot"))
    with st.transaction() as conn:
        st.studies.add_sites(sid, [Site("RAD"), Site("PHYSIO")], conn)
        st.studies.add_observers(sid, [Observer("obs1")], conn)
        st.studies.add_participants(
            sid,
            [
                Participant(code="P01", site="RAD", profession="radiographer"),
                Participant(code="P02", site="PHYSIO", profession="physiotherapist"),
            ],
            conn,
        )
        st.sessions.write(
            sid,
            [
                Session(
                    key="capture:1",
                    participant="P01",
                    site="RAD",
                    start=T0,
                    end=T0 + timedelta(hours=3),
                    observer="obs1",
                    tasks=(Task("t1", "clinical", T0, T0 + timedelta(minutes=5)),),
                    notes=(
                        Note(T0 + timedelta(minutes=3), f"Rota crisis before clinic {EMOJI}", "n1"),
                        Note(T0 + timedelta(minutes=50), "Budget email answered between patients"),
                        Note(T0 + timedelta(minutes=70), "   "),
                    ),
                )
            ],
            conn,
        )
    return st, sid


@pytest.fixture
def study(store_location: str) -> Iterator[tuple[Store, int]]:
    st, sid = make_store(store_location)
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
    a = Coding(new_guid(), d.key, code, "alice", 0, 10, "all of it", T0)
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


def test_field_notes_become_documents_once(study: tuple[Store, int]) -> None:
    st, sid = study
    res = svc.notes_to_documents(st, sid)
    assert (res.added, res.unchanged) == (2, 0)  # the blank note is skipped
    res = svc.notes_to_documents(st, sid)
    assert (res.added, res.unchanged) == (0, 2)
    docs = st.qual.documents(sid, kind="field-note")
    assert [d.at for d in docs] == [T0 + timedelta(minutes=3), T0 + timedelta(minutes=50)]
    assert all(d.session == "capture:1" and d.participant == "P01" for d in docs)
    assert docs[0].site == "RAD" and docs[0].text.endswith(EMOJI)
    assert docs[0].title == "Field note P01 2024-03-05 09:03"  # Europe/London in winter


def test_service_api_for_a_coding_page(study: tuple[Store, int], tmp_path: Path) -> None:
    st, sid = study
    svc.load_codebook(st, sid, "clinician-manager-themes")
    added = svc.add_document_text(
        st,
        sid,
        f"Intro {EMOJI} then: management eats my lunch.",
        title="P02 chat",
        participant="P02",
    )
    assert added.created and added.document.site == "PHYSIO" and added.warnings == ()
    key = added.document.key
    text = added.document.text
    start = text.index("management")
    # the browser counts the emoji as two units: its offsets are one more after it
    c = svc.add_coding(
        st,
        sid,
        document=key,
        code="Management taking over",
        start=start + 1,
        end=start + 1 + len("management eats my lunch"),
        coder="alice",
        offsets="utf16",
    )
    assert (c.start, c.end) == (start, start + len("management eats my lunch"))
    view = svc.document_view(st, sid, key, offsets="utf16")
    data = view.to_dict()
    assert data["length"] == len(text) + 1 and data["codings"][0]["start"] == start + 1
    assert data["codings"][0]["code_name"] == "Management taking over"
    assert data["codings"][0]["colour"] == "#EE8866"
    assert svc.document_view(st, sid, key).codings[0].start == start
    svc.update_code(st, sid, "Policy pressures", codable=False)
    with pytest.raises(ValidationError, match="only groups"):
        svc.add_coding(st, sid, document=key, code="Policy pressures", start=0, end=3, coder="a")
    code = svc.add_code(st, sid, "Lunch", parent="Management taking over", definition="Eating.")
    assert code.colour == "#EE8866"
    cb = svc.current_codebook(st, sid)
    assert cb.path(code.guid) == "Management taking over/Lunch" and cb.version == "3"
    svc.update_code(st, sid, "Lunch", name="Lunch breaks")
    assert svc.current_codebook(st, sid).code(code.guid).name == "Lunch breaks"
    with pytest.raises(ValidationError, match="cannot change"):
        svc.update_code(st, sid, "Lunch breaks", guid=new_guid())
    with pytest.raises(ValidationError, match="coding"):
        svc.remove_code(st, sid, "Management taking over")
    assert "Lunch breaks" not in {c.name for c in svc.remove_code(st, sid, "Lunch breaks").codes}
    svc.set_coding_memo(st, sid, c.key, "so true")
    assert svc.list_codings(st, sid, code="Management taking over")[0].memo == "so true"
    svc.remove_coding(st, sid, c.key)
    with pytest.raises(NotFoundError):
        svc.remove_coding(st, sid, c.key)
    assert [i.key for i in svc.list_documents(st, sid)] == [key]
    out = svc.export_codebook(st, sid, tmp_path / "book.yaml")
    assert "Policy pressures" in out.read_text(encoding="utf-8")


def test_qdpx_export_and_import_through_the_store(tmp_path: Path) -> None:
    st, sid = make_store(str(tmp_path / "a.sqlite"))
    svc.load_codebook(st, sid, "clinician-manager-themes")
    svc.notes_to_documents(st, sid)
    note = st.qual.documents(sid)[0]
    for who, (s, e) in {"alice": (0, 11), "bob": (5, 20)}.items():
        svc.add_coding(
            st,
            sid,
            document=note.key,
            code="Volatility of clinical demand",
            start=s,
            end=e,
            coder=who,
            memo=f"{who}'s view",
        )
    res = svc.export_qdpx(st, sid, tmp_path / "a.qdpx")
    assert (res.codes, res.documents, res.codings) == (14, 2, 2)
    # into a fresh study in another store: same codebook, documents and codings
    st2, sid2 = make_store(str(tmp_path / "b.sqlite"))
    imp = svc.import_qdpx(st2, sid2, res.path)
    assert imp.codebook.name == "clinician-manager-themes" and imp.codebook.version == "1"
    assert (imp.documents_added, imp.codings_added) == (2, 2) and imp.warnings == ()
    assert st2.qual.load_codebook(sid2).codes == st.qual.load_codebook(sid).codes
    assert set(st2.qual.documents(sid2)) == set(st.qual.documents(sid))
    assert set(st2.qual.codings(sid2)) == set(st.qual.codings(sid))
    # again: nothing changes, and no new codebook version
    imp = svc.import_qdpx(st2, sid2, res.path)
    assert (imp.documents_added, imp.documents_unchanged, imp.codings_unchanged) == (0, 2, 2)
    assert [i.version for i in st2.qual.codebook_versions(sid2)] == ["1"]
    st.close()
    st2.close()
