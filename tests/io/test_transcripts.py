"""Reading transcripts: plain text, Word, WebVTT and SubRip, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.io.transcripts import read_document, read_srt, read_transcript_file, read_vtt

EMOJI = "\U0001f600"

VTT = """WEBVTT
Kind: captions

NOTE recorded at site A

1
00:00:01.000 --> 00:00:04.250 align:start
<v Interviewer>How much of your week is management?</v>

2
00:00:05.000 --> 00:00:09.500
<v P01>Officially a day. <i>Really</i> it's
every gap between patients &amp; more.

00:01:02.125 --> 00:01:03.000
{EMOJI} laughs
"""

SRT = """1
00:00:01,000 --> 00:00:04,250
How much of your week is management?

2
00:00:05,000 --> 00:00:09,500
<i>Officially</i> a day.
{\\an8}Really every gap.

3
01:00:00,5 --> 01:00:02,000
Later.
"""


def test_vtt_cues_text_and_positions() -> None:
    t = read_vtt(VTT.replace("{EMOJI}", EMOJI).encode("utf-8"), "talk.vtt")
    assert t.text == (
        "Interviewer: How much of your week is management?\n\n"
        "P01: Officially a day. Really it's\nevery gap between patients & more.\n\n"
        f"{EMOJI} laughs"
    )
    assert [(c.start_s, c.end_s) for c in t.cues] == [(1.0, 4.25), (5.0, 9.5), (62.125, 63.0)]
    for c in t.cues:
        assert t.text[c.char_start : c.char_end].strip() == t.text[c.char_start : c.char_end]
    assert t.text[t.cues[2].char_start : t.cues[2].char_end] == f"{EMOJI} laughs"
    assert t.cues[2].char_end == len(t.text)


def test_srt_with_crlf_and_bom() -> None:
    data = b"\xef\xbb\xbf" + SRT.replace("\n", "\r\n").encode("utf-8")
    t = read_srt(data, "talk.srt")
    assert t.text.startswith("How much")  # no byte-order mark
    assert "Officially a day.\nReally every gap." in t.text
    assert [(c.start_s, c.end_s) for c in t.cues] == [(1.0, 4.25), (5.0, 9.5), (3600.5, 3602.0)]
    assert (
        t.text[t.cues[1].char_start : t.cues[1].char_end] == "Officially a day.\nReally every gap."
    )


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhi\n", 3, "expected a cue timing line"),
        ("WEBVTT\n\n1\n00:00:01,000 --> 00:00:02.000\nhi\n", 4, "is not 'HH:MM:SS.mmm"),
        ("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nhi\n", 3, "ends before it starts"),
        ("Hello\n\n00:00:01.000 --> 00:00:02.000\nhi\n", 1, "must start with 'WEBVTT'"),
    ],
)
def test_malformed_vtt_names_file_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(ValidationError) as exc:
        read_vtt(text.encode(), "bad.vtt")
    msg = str(exc.value)
    assert f"bad.vtt line {line}" in msg and reason in msg


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:03 --> 00:00:04,000\nho\n", 6, "timing"),
        ("1\nhello there\n", 2, "expected a cue number or a timing line"),
        ("1\n00:00:09,000 --> 00:00:02,000\nhi\n", 2, "ends before it starts"),
    ],
)
def test_malformed_srt_names_file_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(ValidationError) as exc:
        read_srt(text.encode(), "bad.srt")
    msg = str(exc.value)
    assert f"bad.srt line {line}" in msg and reason in msg


def test_plain_text_encodings(tmp_path: Path) -> None:
    p = tmp_path / "interview.txt"
    p.write_bytes("\ufeffLine one\r\n\r\nLine two é".encode())
    assert read_transcript_file(p).text == "Line one\r\n\r\nLine two é"
    p.write_bytes("Grüße".encode("utf-16"))
    assert read_transcript_file(p).text == "Grüße"
    p.write_bytes(b"ok line\nsecond \x93quoted\x94\n")
    with pytest.raises(ValidationError) as exc:
        read_transcript_file(p)
    assert "interview.txt line 2" in str(exc.value) and "UTF-8" in str(exc.value)
    with pytest.raises(NotFoundError):
        read_transcript_file(tmp_path / "missing.txt")
    odd = tmp_path / "x.pdf"
    odd.write_bytes(b"%PDF")
    with pytest.raises(ValidationError, match="unknown transcript format"):
        read_transcript_file(odd)


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("Interview with P01")
    d.add_paragraph("")
    d.add_paragraph(f"I fit management in between patients {EMOJI}.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Q"
    table.cell(0, 1).text = "And the budget?"
    table.cell(1, 0).text = "A"
    table.cell(1, 1).text = "Always the budget."
    p = tmp_path / "p01.docx"
    d.save(str(p))
    t = read_transcript_file(p)
    assert t.text == (
        "Interview with P01\n\n"
        f"I fit management in between patients {EMOJI}.\n\n"
        "Q\tAnd the budget?\n\nA\tAlways the budget."
    )
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValidationError, match=r"broken\.docx.*not a readable Word"):
        read_transcript_file(bad)


def test_read_document(tmp_path: Path) -> None:
    p = tmp_path / "P01 interview.vtt"
    p.write_text(VTT.replace("{EMOJI}", EMOJI), encoding="utf-8")
    d = read_document(p, participant="P01", site="A")
    assert d.title == "P01 interview" and d.source == "P01 interview.vtt"
    assert d.kind == "transcript" and len(d.cues) == 3 and d.participant == "P01"
    assert [d.quote(s) for s in d.segments()] == [d.quote(c.span) for c in d.cues]
    assert d.quote(d.segments()[0]).startswith("Interviewer:")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no text"):
        read_document(empty, participant="P01")
    with pytest.raises(ValidationError, match="kind"):
        read_document(p, participant="P01", kind="memo")
