"""Zip input (.docx, .qdpx) is read within size limits, whatever its headers say."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from tests.factories import docx_bomb, qdpx_bomb, zip_bomb
from workweave.domain import ValidationError
from workweave.io.refiqda import read_qdpx
from workweave.io.safezip import Limits, MiB, SafeZip
from workweave.io.transcripts import read_transcript_file


def test_a_docx_expanding_past_the_member_limit_is_refused(tmp_path: Path) -> None:
    bomb = docx_bomb(tmp_path / "bomb.docx", 60 * MiB)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(ValidationError, match=r"bomb\.docx.*decompression bomb"):
        read_transcript_file(bomb)


def test_a_qdpx_with_a_huge_source_is_refused(tmp_path: Path) -> None:
    bomb = qdpx_bomb(tmp_path / "bomb.qdpx", 60 * MiB)
    with pytest.raises(ValidationError, match=r"bomb\.qdpx.*decompression bomb"):
        read_qdpx(bomb)


def test_total_and_ratio_limits(tmp_path: Path) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(4):
            z.writestr(f"m{i}.txt", bytes(range(256)) * 4096)  # 1 MiB, compresses poorly
    with pytest.raises(ValidationError, match="expands to 4 MiB; at most 3 MiB"):
        SafeZip(many, "many.zip", Limits(member=2 * MiB, total=3 * MiB))
    zeros = zip_bomb(tmp_path / "zeros.zip", "z.bin", 3 * MiB, chunk=b"\0")
    with pytest.raises(ValidationError, match="times"):
        SafeZip(zeros, "zeros.zip")


def _lying(data: bytes, declared: int) -> bytes:
    """The archive with every size field of its one member set to `declared`."""
    buf = bytearray(data)
    lh = buf.find(b"PK\x03\x04")
    struct.pack_into("<I", buf, lh + 22, declared)
    cd = buf.find(b"PK\x01\x02")
    struct.pack_into("<I", buf, cd + 24, declared)
    return bytes(buf)


def test_a_member_whose_header_understates_its_size_is_not_read_past_the_limit() -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.xml", b"x" * (3 * MiB))
    data = _lying(raw.getvalue(), 1000)
    z2 = SafeZip(data, "liar.zip")
    with pytest.raises(ValidationError, match=r"liar\.zip.*doc\.xml"):
        z2.read("doc.xml")
    capped = SafeZip(raw.getvalue(), "big.zip", Limits(member=4 * MiB, total=4 * MiB, ratio=10**6))
    assert len(capped.read("doc.xml")) == 3 * MiB
    tight = SafeZip(raw.getvalue(), "big.zip", Limits(member=4 * MiB, total=5 * MiB, ratio=10**6))
    tight.read_total = 4 * MiB  # what earlier members used up
    with pytest.raises(ValidationError, match="expands past"):
        tight.read("doc.xml")


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b.replace(b"word/document.xml", b"word/documenX.xml"),  # no document part
        lambda b: b[:40] + bytes(200) + b[240:],  # damaged data
        lambda b: b"PK\x05\x06" + bytes(18),  # an empty archive
    ],
)
def test_damaged_docx_files_are_refused_cleanly(tmp_path: Path, damage) -> None:
    import docx

    good = tmp_path / "good.docx"
    d = docx.Document()
    d.add_paragraph("Interview text " * 50)
    d.save(str(good))
    bad = tmp_path / "bad.docx"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(ValidationError, match=r"bad\.docx"):
        read_transcript_file(bad)


@pytest.mark.parametrize(
    "xml",
    [
        b"<w:document",  # not well-formed
        b'<?xml version="1.0" encoding="klingon"?><w:document/>',  # unknown encoding
        '<?xml version="1.0" encoding="latin-1"?><a>caf\u00e9</a>'.encode("utf-16"),
        b"\xff\xfe\x00\x00garbage",
    ],
)
def test_docx_with_bad_xml_is_refused_cleanly(tmp_path: Path, xml: bytes) -> None:
    import docx

    good = tmp_path / "good.docx"
    docx.Document().save(str(good))
    bad = tmp_path / "bad.docx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for n in zin.namelist():
            zout.writestr(n, xml if n == "word/document.xml" else zin.read(n))
    with pytest.raises(ValidationError, match=r"bad\.docx"):
        read_transcript_file(bad)


def test_a_document_too_long_to_show_is_refused(tmp_path: Path, monkeypatch) -> None:
    from workweave.io import transcripts

    monkeypatch.setattr(transcripts, "MAX_DOCUMENT_CHARS", 1000)
    p = tmp_path / "long.txt"
    p.write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(ValidationError, match="too long"):
        read_transcript_file(p)
