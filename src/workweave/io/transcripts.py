"""Reading interview transcripts: plain text, Word (.docx) and subtitles (.vtt, .srt).

Every reader returns the document's text and, for subtitles, the time codes of its cues
(start and end in seconds, and where each cue's text sits in the document). Subtitle cues are
separated by a blank line, so each cue is one paragraph (one unit of segment-level agreement);
a WebVTT voice tag ``<v Name>`` becomes a ``Name: `` prefix. Word paragraphs are separated by
a blank line too; table rows become paragraphs with their cells separated by tabs.

Text files must be UTF-8 (a byte-order mark is dropped) or UTF-16 with a byte-order mark.
Line breaks are kept as they are (CRLF counts as two characters). Malformed files are refused
with the file, the line and the reason.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.qualitative import DOCUMENT_KINDS, Cue, Document, new_guid
from workweave.domain.text import MAX_DOCUMENT, MAX_PARAGRAPHS
from workweave.io.safezip import safe_copy

MAX_DOCUMENT_CHARS = MAX_DOCUMENT
MAX_FILE_BYTES = 50 * 1024 * 1024
"""The largest text or subtitle file read."""

FORMATS: tuple[str, ...] = (".txt", ".md", ".text", ".docx", ".vtt", ".srt")


@dataclass(frozen=True)
class Transcript:
    text: str
    cues: tuple[Cue, ...] = ()
    format: str = "text"


def _where(name: str, line: int | None = None) -> str:
    return f"{name} line {line}" if line is not None else name


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (BOM dropped) or BOM-marked UTF-16 text; otherwise a clear error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValidationError(Problem(f"not valid UTF-16 text ({exc.reason})", name)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            Problem(
                f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as UTF-8",
                _where(name, line),
            )
        ) from None


# -- plain text --------------------------------------------------------------------------------


def read_text(data: bytes, name: str = "text") -> Transcript:
    text = decode_text(data, name)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError(Problem("holds a NUL character: not a text file", _where(name, line)))
    return Transcript(text, (), "text")


# -- Word ------------------------------------------------------------------------------------


def read_docx(path: Path) -> Transcript:
    """The text of a Word file: read within the archive limits of `workweave.io.safezip`, and
    refused when it holds more than `MAX_DOCUMENT_CHARS` characters or `MAX_PARAGRAPHS`
    paragraphs."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml import etree

    data = safe_copy(path, kind="Word .docx file")  # every member read within the limits first
    try:
        d = docx.Document(io.BytesIO(data))
        parts: list[str] = []
        size = 0
        for block in d.iter_inner_content():
            if isinstance(block, Paragraph):
                t = block.text.strip()
                if t:
                    parts.append(t)
                    size += len(t) + 2
            elif isinstance(block, Table):
                for row in block.rows:
                    cells = [c.text.strip() for c in row.cells]
                    # merged cells repeat their text across the row: keep each once
                    uniq = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
                    if uniq:
                        parts.append("\t".join(uniq))
                        size += sum(map(len, uniq)) + len(uniq) + 1
            if len(parts) > MAX_PARAGRAPHS or size > MAX_DOCUMENT_CHARS:
                raise ValidationError(Problem(_too_long(len(parts), size), path.name))
    except ValidationError:
        raise
    except (
        PackageNotFoundError,
        KeyError,
        ValueError,
        AttributeError,
        TypeError,
        IndexError,
        zipfile.BadZipFile,
        etree.LxmlError,
        UnicodeError,
    ) as exc:
        raise ValidationError(
            Problem(f"not a readable Word .docx file ({type(exc).__name__}: {exc})", path.name)
        ) from None
    return Transcript("\n\n".join(parts), (), "docx")


def _too_long(paragraphs: int, chars: int) -> str:
    return (
        f"the document is too long to read (over {MAX_DOCUMENT_CHARS:,} characters or "
        f"{MAX_PARAGRAPHS:,} paragraphs; read so far: {chars:,} characters in {paragraphs:,} "
        "paragraphs): split it into several documents"
    )


def check_size(t: Transcript, name: str) -> Transcript:
    """Refuse a transcript longer than the limits every document page can show."""
    paragraphs = t.text.count("\n\n") + 1
    if len(t.text) > MAX_DOCUMENT_CHARS or paragraphs > MAX_PARAGRAPHS:
        raise ValidationError(Problem(_too_long(paragraphs, len(t.text)), name))
    return t


# -- subtitles ---------------------------------------------------------------------------------

_VTT_TIME = r"(?:(\d{1,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}\s+-->\s+{_VTT_TIME}(?:\s+.*)?$")
_SRT_TIME = r"(\d{1,}):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"^{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]*)>")
_TAG = re.compile(r"</?[^>]*>")
_ASS = re.compile(r"\{\\[^}]*\}")


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _clean_vtt(lines: list[str]) -> str:
    out = []
    for raw in lines:
        voice = _VOICE.search(raw)
        body = _TAG.sub("", _VOICE.sub("", raw)).strip()
        body = html.unescape(body)
        if voice and body:
            body = f"{voice.group(1).strip()}: {body}"
        if body:
            out.append(body)
    return "\n".join(out)


def _clean_srt(lines: list[str]) -> str:
    out = []
    for raw in lines:
        body = html.unescape(_ASS.sub("", _TAG.sub("", raw))).strip()
        if body:
            out.append(body)
    return "\n".join(out)


def _assemble(cues: list[tuple[float, float, str]]) -> Transcript:
    parts: list[str] = []
    out: list[Cue] = []
    pos = 0
    for start, end, text in cues:
        if not text:
            continue
        if parts:
            pos += 2  # the blank line between cues
        out.append(Cue(start, end, pos, pos + len(text)))
        parts.append(text)
        pos += len(text)
    return Transcript("\n\n".join(parts), tuple(out))


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blocks of non-blank lines with the 1-based number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                first = n
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def read_vtt(data: bytes, name: str = "subtitles.vtt") -> Transcript:
    text = decode_text(data, name)
    blocks = _blocks(text)
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise ValidationError(Problem("a WebVTT file must start with 'WEBVTT'", _where(name, 1)))
    problems: list[Problem] = []
    cues: list[tuple[float, float, str]] = []
    for first, lines in blocks[1:]:
        head = lines[0]
        if head.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in head:
            continue
        timing_at = 0 if "-->" in head else 1
        if timing_at >= len(lines) or "-->" not in lines[timing_at]:
            problems.append(
                Problem(
                    f"expected a cue timing line 'HH:MM:SS.mmm --> HH:MM:SS.mmm', not {head!r}",
                    _where(name, first),
                )
            )
            continue
        m = _VTT_TIMING.match(lines[timing_at].strip())
        line_no = first + timing_at
        if m is None:
            problems.append(
                Problem(
                    f"timing {lines[timing_at].strip()!r} is not 'HH:MM:SS.mmm --> HH:MM:SS.mmm'",
                    _where(name, line_no),
                )
            )
            continue
        start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])
        if end < start:
            problems.append(Problem("the cue ends before it starts", _where(name, line_no)))
            continue
        cues.append((start, end, _clean_vtt(lines[timing_at + 1 :])))
    if problems:
        raise ValidationError(problems)
    t = _assemble(cues)
    return Transcript(t.text, t.cues, "vtt")


def read_srt(data: bytes, name: str = "subtitles.srt") -> Transcript:
    text = decode_text(data, name)
    problems: list[Problem] = []
    cues: list[tuple[float, float, str]] = []
    blocks = _blocks(text)
    if not blocks:
        raise ValidationError(Problem("the file holds no subtitles", name))
    for first, lines in blocks:
        timing_at = 1 if lines[0].strip().isdigit() else 0
        if timing_at >= len(lines):
            problems.append(Problem("a cue number with no timing line", _where(name, first)))
            continue
        line_no = first + timing_at
        m = _SRT_TIMING.match(lines[timing_at].strip())
        if m is None:
            what = lines[timing_at].strip()
            reason = (
                f"timing {what!r} is not 'HH:MM:SS,mmm --> HH:MM:SS,mmm'"
                if "-->" in what
                else f"expected a cue number or a timing line, not {what!r}"
            )
            problems.append(Problem(reason, _where(name, line_no)))
            continue
        start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])
        if end < start:
            problems.append(Problem("the cue ends before it starts", _where(name, line_no)))
            continue
        cues.append((start, end, _clean_srt(lines[timing_at + 1 :])))
    if problems:
        raise ValidationError(problems)
    t = _assemble(cues)
    return Transcript(t.text, t.cues, "srt")


# -- any file --------------------------------------------------------------------------------


def read_transcript_file(path: str | Path) -> Transcript:
    """Read a transcript file by its extension (.txt/.md, .docx, .vtt, .srt)."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    ext = path.suffix.lower()
    if ext == ".docx":
        return check_size(read_docx(path), path.name)
    if ext not in (".vtt", ".srt", ".txt", ".md", ".text", ""):
        raise ValidationError(
            Problem(f"unknown transcript format '{ext}' (use {', '.join(FORMATS)})", path.name)
        )
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError(
            Problem(f"the file is over {MAX_FILE_BYTES // 1024 // 1024} MiB; split it", path.name)
        )
    data = path.read_bytes()
    if ext == ".vtt":
        return check_size(read_vtt(data, path.name), path.name)
    if ext == ".srt":
        return check_size(read_srt(data, path.name), path.name)
    if ext in (".txt", ".md", ".text", ""):
        return check_size(read_text(data, path.name), path.name)
    raise ValidationError(
        Problem(f"unknown transcript format '{ext}' (use {', '.join(FORMATS)})", path.name)
    )


def read_document(
    path: str | Path,
    *,
    participant: str | None,
    site: str | None = None,
    kind: str = "transcript",
    title: str | None = None,
    key: str | None = None,
) -> Document:
    """A document from a transcript file (its title defaults to the file's name)."""
    if kind not in DOCUMENT_KINDS:
        raise ValidationError(f"document kind '{kind}' is not one of {', '.join(DOCUMENT_KINDS)}")
    path = Path(path)
    t = read_transcript_file(path)
    if not t.text.strip():
        raise ValidationError(Problem("the file holds no text", path.name))
    return Document(
        key=key or new_guid(),
        kind=kind,
        title=title or path.stem,
        text=t.text,
        participant=participant,
        site=site,
        cues=t.cues,
        source=path.name,
    )


__all__ = [
    "FORMATS",
    "Transcript",
    "decode_text",
    "read_document",
    "read_docx",
    "read_srt",
    "read_text",
    "read_transcript_file",
    "read_vtt",
]
