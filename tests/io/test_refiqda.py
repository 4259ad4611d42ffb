"""REFI-QDA exchange: schema-valid exports, the standard's complex sample project, round trips,
lenient reading of real tools' deviations, and clear errors for broken files."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import REPO, SHARED
from workweave.domain.errors import ValidationError
from workweave.domain.qualitative import Code, Codebook, Coding, Cue, Document, new_guid
from workweave.io.codebooks import builtin_codebook, read_codebook, write_codebook
from workweave.io.refiqda import (
    QdaProject,
    code_description,
    codebook_xml,
    parse_code_description,
    project_xml,
    read_qdc,
    read_qdpx,
    write_qdpx,
)

REFI = SHARED / "data" / "refi-qda"
SAMPLE = REFI / "sample-complex-project.qde"
SHIPPED = REPO / "src" / "workweave" / "io" / "refiqda_schemas"
EMOJI = "\U0001f600"


def shared_schema(name: str) -> etree.XMLSchema:
    path = REFI / name
    if not path.is_file():
        pytest.skip("the REFI-QDA schemas in ../shared/data are not here")
    return etree.XMLSchema(etree.parse(str(path)))


def sample_bytes() -> bytes:
    if not SAMPLE.is_file():
        pytest.skip("the REFI-QDA sample project in ../shared/data is not here")
    return SAMPLE.read_bytes()


def make_project() -> QdaProject:
    cb = builtin_codebook()
    pressure = cb.code("Policy pressures/Deficits").guid
    identity = cb.code("Leadership identity").guid
    note = Document(
        new_guid(),
        "field-note",
        "Field note P01 09:02",
        f"Budget meeting squeezed into lunch {EMOJI}.\r\nSays 'I'm not a manager'.",
        participant="P01",
        site="RAD",
        session="capture:17",
        at=datetime(2024, 3, 5, 9, 2, 30, tzinfo=UTC),
    )
    talk = Document(
        new_guid(),
        "transcript",
        "P02 interview",
        "Q: Your title?\n\nA: Head of service. But I'm a physio first.",
        participant="P02",
        site="PHYSIO",
        cues=(Cue(0.0, 2.5, 0, 14), Cue(3.0, 9.75, 16, 58)),
        source="p02.vtt",
    )
    bare = Document(new_guid(), "transcript", "Untitled", "No metadata at all.")
    codings = (
        Coding(new_guid(), note.key, pressure, "alice", 0, 14, "budget & lunch <3"),
        Coding(new_guid(), note.key, identity, "alice", 40, 64),
        Coding(new_guid(), note.key, identity, "bob", 36, 64, created=note.at),
        Coding(new_guid(), talk.key, identity, "bob", 19, 58, "title vs self\r\ndescription"),
    )
    return QdaProject("pilot", cb, (note, talk, bare), codings, "A pilot study")


def test_shipped_schemas_are_the_standard_ones() -> None:
    for name in ("Codebook.xsd", "Project.xsd"):
        if not (REFI / name).is_file():
            pytest.skip("the REFI-QDA schemas in ../shared/data are not here")
        assert (SHIPPED / name).read_bytes() == (REFI / name).read_bytes()


def test_exports_are_valid_against_the_refi_qda_schemas(tmp_path: Path) -> None:
    project_schema = shared_schema("Project.xsd")
    codebook_schema = shared_schema("Codebook.xsd")
    xml, files = project_xml(make_project())
    root = etree.fromstring(xml)
    assert project_schema.validate(root), project_schema.error_log
    assert root.find("{urn:QDA-XML:project:1.0}Sets") is None  # no empty Sets
    assert len(files) == 3 and all(k.startswith("sources/") for k in files)
    qdc = codebook_xml(builtin_codebook())
    assert codebook_schema.validate(etree.fromstring(qdc)), codebook_schema.error_log
    path = write_qdpx(make_project(), tmp_path / "pilot.qdpx")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        assert "project.qde" in names and len(names) == 4
        assert project_schema.validate(etree.fromstring(z.read("project.qde")))
    # a project with no codings and no codes is still valid (no empty Users/CodeBook)
    empty = QdaProject("empty", Codebook("none"), (), ())
    assert project_schema.validate(etree.fromstring(project_xml(empty)[0]))


def test_sample_project_counts() -> None:
    data = sample_bytes()
    # counted from the file itself
    assert data.count(b"<Code ") == 14
    assert len(re.findall(rb"<(Text|Picture|PDF|Audio|Video)Source ", data)) == 12
    assert data.count(b"<TextSource ") == 6
    selections = re.findall(rb"<(PlainText|Picture|PDF|Audio|Video|Transcript)Selection ", data)
    assert len(selections) == 15
    assert data.count(b"<Coding ") == 16


def _wrap(tmp_path: Path, data: bytes, name: str = "project.qde", **sources: bytes) -> Path:
    path = tmp_path / "sample.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(name, data)
        for inner, content in sources.items():
            z.writestr(inner, content)
    return path


def test_import_sample_project_without_its_source_files(tmp_path: Path) -> None:
    project, report = read_qdpx(_wrap(tmp_path, sample_bytes()))
    c = report.counts
    assert (c["codes"], c["sources"], c["text_sources"]) == (14, 12, 6)
    assert (c["selections"], c["text_selections"], c["codings"]) == (15, 6, 16)
    assert (c["users"], c["notes"], c["sets"], c["links"], c["graphs"]) == (3, 2, 16, 1, 1)
    assert report.adjustments == []  # the sample is schema-valid
    assert len(project.codebook.codes) == 14 and project.documents == ()
    assert sum("is not in the file" in s for s in report.skipped) == 6
    assert any("2 pdf source(s) with 6 selection(s)" in s for s in report.skipped)
    cb = project.codebook
    assert cb.code("Coke::diet Coke").definition == "non sucré"
    assert cb.code('"rushed"').colour == "#F00082" and cb.code("milk").colour is None


def _sample_sources(data: bytes, folder: str = "sources", bom: bool = False) -> dict[str, bytes]:
    text = ("Breakfast talk " + EMOJI + ".\r\n") * 80
    raw = ("\ufeff" if bom else "") + text
    return {
        f"{folder}/{m.decode()}": raw.encode("utf-8")
        for m in set(re.findall(rb'plainTextPath="internal://([^"]+)"', data))
    }


def test_import_sample_project_with_texts(tmp_path: Path) -> None:
    data = sample_bytes()
    project, report = read_qdpx(_wrap(tmp_path, data, **_sample_sources(data)))
    assert len(project.documents) == 6  # the PDF representations are not text sources
    assert len(project.codings) == 7  # codings in the text sources' selections
    assert {c.coder for c in project.codings} == {"Friedrich Markgraf"}
    assert any("1 text selection(s) with no code" in s for s in report.skipped)
    simon = next(d for d in project.documents if d.title == "Simon.docx")
    spans = sorted((c.start, c.end) for c in project.codings if c.document == simon.key)
    assert spans == [(215, 275), (513, 907), (688, 907)]
    memo = next(c.memo for c in project.codings if (c.start, c.end) == (688, 907))
    assert memo == "why does Simon feel the need to do this?"
    assert any("CRLF" in n for n in report.notes)


def test_lenient_import_says_what_it_adjusted(tmp_path: Path) -> None:
    data = sample_bytes()
    messy = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    messy = messy.replace(b"<Graphs>", b"<Sets/>\r\n<Graphs>", 1).replace(b"<Sets>", b"<Sets >", 1)
    messy = messy.replace(b"<Notes>", b"<Variables></Variables><Notes>", 1)
    sources = _sample_sources(data, folder="Sources", bom=True)
    path = _wrap(tmp_path, messy, name="ATLAS export.qde", **sources)
    project, report = read_qdpx(path)
    adjusted = "\n".join(report.adjustments)
    assert "project file is 'ATLAS export.qde', not 'project.qde'" in adjusted
    assert "byte-order mark removed" in adjusted  # the project file's
    assert "empty <Sets/> ignored" in adjusted
    assert "empty <Variables/> ignored" in adjusted
    assert "source folder 'Sources/' read as 'sources/'" in adjusted
    assert "byte-order mark removed: 6 source text(s)" in adjusted
    assert "not valid against the REFI-QDA schema" not in adjusted  # the fixes made it valid
    assert len(project.documents) == 6 and len(project.codings) == 7
    assert all(not d.text.startswith("\ufeff") for d in project.documents)


def test_lenient_import_of_deviating_xml(tmp_path: Path) -> None:
    g = [new_guid() for _ in range(6)]
    text = "abcdefghij"
    xml = f"""
<Project name="odd">
  <CodeBook><Codes>
    <Code guid="{{{g[0].upper()}}}" name="A" isCodable="true" color="purple"/>
    <Code guid="{g[1]}" name="A" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{g[2]}" name="inline">
      <PlainTextContent>{text}</PlainTextContent>
      <PlainTextSelection guid="{g[3]}" startPosition="8" endPosition="3">
        <Coding guid="{g[4]}"><CodeRef targetGUID="{g[0].upper()}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{g[5]}" startPosition="5" endPosition="50">
        <Coding guid="{g[4]}"><CodeRef targetGUID="{g[1]}"/></Coding>
        <Coding guid="{new_guid()}"><CodeRef targetGUID="{new_guid()}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>""".encode()
    p = tmp_path / "odd.qde"
    p.write_bytes(xml)
    project, report = read_qdpx(p)
    adjusted = "\n".join(report.adjustments)
    assert "bare project file" in adjusted
    assert "blank space before the XML declaration removed" in adjusted
    assert "no namespace" in adjusted
    assert "colour 'purple'" in adjusted
    assert "renamed 'A (2)'" in adjusted
    assert "start and end were swapped" in adjusted
    assert "cut at the end of the text (10)" in adjusted
    assert "repeated GUID" in adjusted
    assert "credited to coder 'unknown'" in adjusted
    assert any("not in the codebook" in s for s in report.skipped)
    spans = sorted((c.start, c.end, c.code) for c in project.codings)
    assert spans == [(3, 8, g[0]), (5, 10, g[1])]
    assert project.documents[0].text == text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<Project name='x'><Sources>", "not well-formed XML"),
        (b"<Other/>", "not a REFI-QDA <Project>"),
    ],
)
def test_broken_projects_give_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    p = _wrap(tmp_path, content)
    with pytest.raises(ValidationError, match=message):
        read_qdpx(p)


def test_archives_without_one_project_file(tmp_path: Path) -> None:
    p = tmp_path / "none.qdpx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("sources/a.txt", "x")
    with pytest.raises(ValidationError, match="no project file"):
        read_qdpx(p)
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.qde", "<Project/>")
        z.writestr("b.qde", "<Project/>")
    with pytest.raises(ValidationError, match="several project files"):
        read_qdpx(p)


def test_project_round_trip(tmp_path: Path) -> None:
    original = make_project()
    path = write_qdpx(original, tmp_path / "pilot.qdpx")
    back, report = read_qdpx(path)
    assert report.adjustments == [] and report.skipped == []
    assert back.name == "pilot" and back.description == "A pilot study"
    assert back.codebook.codes == original.codebook.codes
    assert sorted(back.documents, key=lambda d: d.key) == sorted(
        original.documents, key=lambda d: d.key
    )
    assert sorted(back.codings, key=lambda c: c.key) == sorted(
        original.codings, key=lambda c: c.key
    )
    # and once more: stable
    again, _ = read_qdpx(write_qdpx(back, tmp_path / "again.qdpx"))
    assert set(again.codings) == set(back.codings) and set(again.documents) == set(back.documents)


def test_codebook_round_trips(tmp_path: Path) -> None:
    cb = builtin_codebook()
    qdc = write_codebook(cb, tmp_path / "themes.qdc")
    back, report = read_qdc(qdc)
    assert back.codes == cb.codes and report.adjustments == []
    for ext in (".yaml", ".json"):
        path = write_codebook(cb, tmp_path / f"themes{ext}")
        again, notes = read_codebook(path)
        assert again == cb and notes == []
    with pytest.raises(ValidationError, match="cannot write"):
        write_codebook(cb, tmp_path / "themes.txt")


def test_codebook_from_other_tools(tmp_path: Path) -> None:
    g1, g2 = new_guid(), new_guid()
    qdc = f"""\ufeff<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Other tool">
  <Codes>
    <Code guid="{g1}" name="Parent" isCodable="false" color="#abc">
      <Description>Plain description.</Description>
      <Code guid="{g2}" name="Child" isCodable="true"/>
    </Code>
  </Codes>
  <Sets/>
</CodeBook>
""".encode()
    p = tmp_path / "other.qdc"
    p.write_bytes(qdc)
    cb, report = read_qdc(p)
    assert [c.name for c in cb.walk()] == ["Parent", "Child"]
    parent = cb.code("Parent")
    assert not parent.codable and parent.colour == "#AABBCC"
    assert parent.definition == "Plain description." and parent.inclusion == ""
    assert cb.code("Parent/Child").parent == parent.guid
    assert "other.qdc: empty <Sets/> ignored" in report.adjustments
    # a codebook can also be read from a project
    cb2, _ = read_codebook(write_qdpx(make_project(), tmp_path / "p.qdpx"))
    assert cb2.codes == builtin_codebook().codes


def test_code_descriptions_carry_inclusion_and_exclusion() -> None:
    c = Code(new_guid(), "X", "What it is.\n\nMore.", "When A.", "Not B.")
    text = code_description(c)
    assert text == "What it is.\n\nMore.\n\nInclude: When A.\n\nExclude: Not B."
    assert parse_code_description(text) == ("What it is.\n\nMore.", "When A.", "Not B.")
    assert parse_code_description("Just text") == ("Just text", "", "")
    assert parse_code_description("Include: only this") == ("", "only this", "")
