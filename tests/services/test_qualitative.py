"""The qualitative service layer a web page calls (``workweave.services.qualitative``): field
notes become documents, the coding page's calls, and REFI-QDA exchange through the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import EMOJI, QUAL_T0, qual_pilot_study
from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.qualitative import new_guid
from workweave.services import qualitative as svc
from workweave.store import Store


@pytest.fixture
def study(store_location: str) -> Iterator[tuple[Store, int]]:
    st, sid = qual_pilot_study(store_location)
    yield st, sid
    st.close()


def test_field_notes_become_documents_once(study: tuple[Store, int]) -> None:
    st, sid = study
    res = svc.notes_to_documents(st, sid)
    assert (res.added, res.unchanged) == (2, 0)  # the blank note is skipped
    res = svc.notes_to_documents(st, sid)
    assert (res.added, res.unchanged) == (0, 2)
    docs = st.qual.documents(sid, kind="field-note")
    assert [d.at for d in docs] == [QUAL_T0 + timedelta(minutes=3), QUAL_T0 + timedelta(minutes=50)]
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
    st, sid = qual_pilot_study(str(tmp_path / "a.sqlite"))
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
    st2, sid2 = qual_pilot_study(str(tmp_path / "b.sqlite"))
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
