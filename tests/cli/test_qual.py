"""The qualitative commands, driven as a user would in a temporary workspace."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import add_to_study
from workweave.cli import app
from workweave.domain.observation import Note, Session
from workweave.domain.study import Observer, Participant, Site
from workweave.services import qualitative as svc
from workweave.services.studies import init_workspace
from workweave.store import Store

runner = CliRunner()
T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Interviewer>What takes your time?

00:00:05.000 --> 00:00:12.000
<v P01>The rota, the budget, and then patients in between.
"""


def ww(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _people(folder: Path) -> None:
    st = Store.open(folder / "workweave.sqlite")
    add_to_study(
        st,
        st.studies.id("test"),
        sites=[Site("RAD"), Site("OT")],
        observers=[Observer("obs")],
        participants=[
            Participant(code="P01", site="RAD", profession="radiographer"),
            Participant(code="P02", site="OT", profession="occupational therapist"),
        ],
        sessions=[
            Session(
                key="s1",
                participant="P02",
                site="OT",
                start=T0,
                end=T0 + timedelta(hours=2),
                observer="obs",
                notes=(
                    Note(T0 + timedelta(minutes=10), "Covering a sick colleague's clinic."),
                    Note(T0 + timedelta(minutes=40), "Budget call during lunch."),
                ),
            )
        ],
    )
    st.close()


@pytest.fixture
def ws(workspace: Path) -> Path:
    _people(workspace)
    return workspace


def test_help() -> None:
    for args in (
        ["codebook"],
        ["document"],
        ["qdpx"],
        ["codes"],
        ["quotes"],
        ["agreement"],
        ["notes-to-documents"],
        ["quotes", "export"],
    ):
        code, out = ww(*args, "--help")
        assert code == 0 and "Usage" in out


def test_codebook_commands(ws: Path) -> None:
    code, out = ww("codebook", "load", "clinician-manager-themes")
    assert code == 0 and "stored codebook clinician-manager-themes v1 (14 codes)" in out
    code, out = ww("codebook", "load", "clinician-manager-themes")
    assert code == 0 and "unchanged" in out
    code, out = ww("codebook", "export", "--out", "book.yaml")
    assert code == 0 and (ws / "book.yaml").is_file()
    text = (ws / "book.yaml").read_text(encoding="utf-8")
    (ws / "book.yaml").write_text(
        text + "- name: Rota work\n  definition: Making and mending rotas.\n", encoding="utf-8"
    )
    code, out = ww("codebook", "load", "book.yaml")
    assert code == 0 and "v2 (15 codes)" in out
    code, out = ww("codebook", "list")
    assert code == 0 and "clinician-manager-themes" in out
    code, out = ww("codebook", "show")
    assert code == 0 and "Rota work" in out
    code, out = ww("codebook", "show", "--format", "json")
    assert json.loads(out)["version"] == "2"
    code, out = ww("codebook", "export", "--out", "book.qdc")
    assert code == 0 and b"urn:QDA-XML:codebook:1.0" in (ws / "book.qdc").read_bytes()
    code, out = ww("codebook", "load", "nonsense-book")
    assert code == 2 and "no built-in codebook" in out
    (ws / "bad.yaml").write_text("name: x\ncodes:\n  - definition: no name\n", encoding="utf-8")
    code, out = ww("codebook", "load", "bad.yaml")
    assert code == 2 and "needs a 'name'" in out and "nothing was changed" in out


def test_documents_agreement_reports_quotes_and_qdpx(ws: Path) -> None:
    assert ww("codebook", "load", "clinician-manager-themes")[0] == 0
    (ws / "p01.vtt").write_text(VTT, encoding="utf-8")
    code, out = ww("document", "add", "p01.vtt", "--participant", "P01")
    assert code == 0 and "added transcript" in out and "2 timed cues" in out
    (ws / "p09.txt").write_text("Someone we have not registered.", encoding="utf-8")
    code, out = ww("document", "add", "p09.txt", "--participant", "P09", "--site", "OT")
    assert code == 0 and "not registered" in out
    code, out = ww("notes-to-documents")
    assert code == 0 and "2 new document(s)" in out
    code, out = ww("document", "list", "--json")
    docs = json.loads(out)
    assert len(docs) == 4 and {d["site"] for d in docs} == {"RAD", "OT"}

    st = Store.open(ws / "workweave.sqlite")
    sid = st.studies.id("test")
    talk = next(d for d in docs if d["title"] == "p01")
    notes = [d for d in docs if d["kind"] == "field-note"]
    text = svc.get_document(st, sid, talk["key"]).text
    rota = text.index("The rota")
    for coder, (s, e) in {"alice": (rota, rota + 30), "bob": (rota + 4, rota + 30)}.items():
        svc.add_coding(
            st,
            sid,
            document=talk["key"],
            code="Management taking over",
            start=s,
            end=e,
            coder=coder,
        )
    for n in notes:
        for coder in ("alice", "bob"):
            svc.add_coding(
                st,
                sid,
                document=n["key"],
                code="Volatility of clinical demand",
                start=0,
                end=8,
                coder=coder,
                memo="cover" if coder == "alice" else "",
            )
    st.close()

    code, out = ww("agreement", "--coders", "alice,bob", "--format", "json")
    assert code == 0
    rep = json.loads(out)
    assert rep["level"] == "character" and len(rep["documents"]) == 3
    names = {r["name"]: r for r in rep["codes"]}
    assert names["Volatility of clinical demand"]["alpha"] == pytest.approx(1.0)
    assert names["Management taking over"]["kappa"] < 1
    code, out = ww("agreement", "--coders", "alice,bob")
    assert code == 0 and "alpha" in out and "kappa" in out and "overall" in out
    code, out = ww("agreement", "--coders", "alice,bob", "--level", "segment", "--format", "json")
    seg = json.loads(out)
    assert seg["overall"]["alpha"] == pytest.approx(1.0)  # same segments coded
    code, out = ww("agreement", "--coders", "alice")
    assert code == 2 and "at least two coders" in out

    code, out = ww("codes", "report", "--by", "site", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert {r["site"] for r in report["frequencies"]} == {"RAD", "OT"}
    pbs = report["participants_by_site"]
    assert pbs["sites"] == ["OT", "RAD"] and pbs["counts"] == [
        [0, None],
        [None, 0],
    ]  # 1 each: suppressed
    code, out = ww("codes", "report", "--coders", "alice")
    assert code == 0 and "co-occurrence" in out and "<3" in out
    code, out = ww("codes", "report", "--by", "planet")
    assert code == 2 and "cannot break down" in out

    code, out = ww(
        "quotes",
        "export",
        "--code",
        "Volatility of clinical demand",
        "--format",
        "csv",
        "--out",
        "q.csv",
        "--coders",
        "alice",
    )
    assert code == 0 and "wrote 2 quote(s)" in out
    with (ws / "q.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["when"] for r in rows] == ["2024-03-05 09:10", "2024-03-05 09:40"]
    assert rows[0]["text"] == "Covering" and rows[0]["memo"] == "cover"
    assert rows[0]["participant"] == "P02" and rows[0]["site"] == "OT"
    code, out = ww(
        "quotes",
        "export",
        "--code",
        "Management taking over",
        "--format",
        "html",
        "--out",
        "q.html",
    )
    html = (ws / "q.html").read_text(encoding="utf-8")
    assert code == 0 and "The rota" in html and "at 0:00:05" in html
    code, out = ww(
        "quotes",
        "export",
        "--code",
        "Management taking over",
        "--format",
        "docx",
        "--out",
        "q.docx",
    )
    assert code == 0 and zipfile.is_zipfile(ws / "q.docx")
    code, out = ww("quotes", "export", "--code", "Nope", "--format", "csv", "--out", "x.csv")
    assert code == 2 and "no code 'Nope'" in out
    code, out = ww(
        "quotes",
        "export",
        "--code",
        "Management taking over",
        "--format",
        "pdf",
        "--out",
        "x.pdf",
    )
    assert code == 2 and "csv, docx, html" in out

    code, out = ww("qdpx", "export", "--out", "study.qdpx")
    assert code == 0 and "4 documents, 6 codings" in out
    other = ws / "other"
    st2, _ = init_workspace(other, study="copy")
    st2.close()
    code, out = ww("qdpx", "import", "study.qdpx", "--store", str(other / "workweave.sqlite"))
    assert code == 0 and "4 new document(s)" in out and "6 new coding(s)" in out
    assert "P01" in out and "not registered" in out  # the copy has no participants
    code, out = ww("qdpx", "import", "study.qdpx", "--store", str(other / "workweave.sqlite"))
    assert code == 0 and "0 new document(s) (4 unchanged)" in out


def test_bad_files_are_messages(ws: Path) -> None:
    (ws / "bad.srt").write_text("1\n00:00:01,000 -> 00:00:02,000\nhi\n", encoding="utf-8")
    code, out = ww("document", "add", "bad.srt", "--participant", "P01")
    assert code == 2 and "bad.srt line 2" in out and "nothing was changed" in out
    (ws / "bad.qdpx").write_bytes(b"not a zip, not xml")
    code, out = ww("qdpx", "import", "bad.qdpx")
    assert code == 2 and "not well-formed XML" in out
    code, out = ww("qdpx", "export", "--out", "x.qdpx")
    assert code == 2 and "no codebook" in out
    code, out = ww("document", "add", "missing.txt", "--participant", "P01")
    assert code == 2 and "no such file" in out
