"""Qualitative material and its coding: documents, codebooks, codes, codings and text spans.

Positions in a document's text are counted in Unicode code points (Python ``str`` indexes),
0-based, with the end excluded: the span ``Span(3, 7)`` covers ``text[3:7]``. A character
outside the Basic Multilingual Plane (an emoji such as U+1F600) counts as one position; a
Windows line break ``\\r\\n`` counts as two. Browsers count in UTF-16 code units instead:
:func:`utf16_to_index` and :func:`index_to_utf16` translate between the two.

Pure model: no I/O, no framework imports.
"""

from __future__ import annotations

import re
import uuid
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from workweave.domain.errors import NotFoundError, Problem, ValidationError
from workweave.domain.observation import utc

DOCUMENT_KINDS: tuple[str, ...] = ("field-note", "transcript")
SEGMENT_UNITS: tuple[str, ...] = ("auto", "paragraph", "line", "document")

NAMESPACE = uuid.UUID("6f1c8a52-3c1e-5b8e-9d57-2a4f0e7b9c11")
"""Namespace of the name-based (version 5) GUIDs workweave derives, so that the same input
always gets the same GUID."""

_HEX = "[0-9a-fA-F]"
_GUID = re.compile(rf"^\{{?{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\}}?$")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


# -- identifiers -------------------------------------------------------------------------------


def new_guid() -> str:
    """A fresh random GUID (lower case, no braces)."""
    return str(uuid.uuid4())


def derived_guid(*parts: str) -> str:
    """A GUID derived from `parts`: the same parts always give the same GUID."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def is_guid(text: str) -> bool:
    return isinstance(text, str) and bool(_GUID.match(text))


def normalise_guid(text: str, what: str = "GUID") -> str:
    """A GUID in canonical form: lower case, without braces. GUIDs compare case-insensitively."""
    if not is_guid(text):
        raise ValidationError(f"{what} '{text}' is not a GUID (like 1b4e28ba-2fa1-11d2-883f-...)")
    return text.strip("{}").lower()


# -- spans -------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Span:
    """Positions ``start`` (included) to ``end`` (excluded), in code points."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not isinstance(self.start, int) or not isinstance(self.end, int):
            raise ValidationError(f"span positions must be whole numbers, not {self!r}")
        if self.start < 0 or self.end < self.start:
            raise ValidationError(
                f"span {self.start}-{self.end} is not a range (0 <= start <= end)"
            )

    @property
    def length(self) -> int:
        return self.end - self.start

    def __len__(self) -> int:
        return self.length

    def overlaps(self, other: Span) -> bool:
        """True when the two spans share at least one position (touching is not overlapping)."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: Span) -> bool:
        """True when every position of `other` is in this span."""
        return self.start <= other.start and other.end <= self.end

    def intersection(self, other: Span) -> Span | None:
        lo, hi = max(self.start, other.start), min(self.end, other.end)
        return Span(lo, hi) if lo < hi else None

    def overlap_length(self, other: Span) -> int:
        return max(0, min(self.end, other.end) - max(self.start, other.start))


def union(spans: Iterable[Span]) -> tuple[Span, ...]:
    """The positions covered by any of `spans`, as sorted disjoint spans (touching ones merged;
    empty spans dropped)."""
    merged: list[Span] = []
    for s in sorted(s for s in spans if s.length):
        if merged and s.start <= merged[-1].end:
            if s.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, s.end)
        else:
            merged.append(s)
    return tuple(merged)


def intersect(a: Iterable[Span], b: Iterable[Span]) -> tuple[Span, ...]:
    """Positions covered both by some span of `a` and by some span of `b` (e.g. by two
    coders), as sorted disjoint spans."""
    ua, ub = union(a), union(b)
    out: list[Span] = []
    i = j = 0
    while i < len(ua) and j < len(ub):
        x = ua[i].intersection(ub[j])
        if x is not None:
            out.append(x)
        if ua[i].end <= ub[j].end:
            i += 1
        else:
            j += 1
    return union(out)


def subtract(a: Iterable[Span], b: Iterable[Span]) -> tuple[Span, ...]:
    """Positions covered by `a` but not by `b`."""
    out: list[Span] = []
    cut = union(b)
    for s in union(a):
        cur = s.start
        for c in cut:
            if c.end <= cur or c.start >= s.end:
                continue
            if c.start > cur:
                out.append(Span(cur, c.start))
            cur = max(cur, c.end)
        if cur < s.end:
            out.append(Span(cur, s.end))
    return tuple(out)


def covered(spans: Iterable[Span]) -> int:
    """How many positions the spans cover (each counted once)."""
    return sum(s.length for s in union(spans))


# -- UTF-16 offsets (browsers) -----------------------------------------------------------------


def utf16_to_index(text: str, offset: int) -> int:
    """The code-point index of a UTF-16 offset into `text` (as JavaScript counts positions).

    An offset inside a surrogate pair (between the two halves of an emoji) is refused."""
    if offset < 0:
        raise ValidationError(f"offset {offset} is negative")
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > offset:
            raise ValidationError(f"UTF-16 offset {offset} splits the character at {i}")
    if units == offset:
        return len(text)
    raise ValidationError(f"UTF-16 offset {offset} is past the end of the text ({units})")


def index_to_utf16(text: str, index: int) -> int:
    """The UTF-16 offset of code-point index `index` into `text`."""
    if not 0 <= index <= len(text):
        raise ValidationError(f"position {index} is outside the text (0-{len(text)})")
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


# -- segments ----------------------------------------------------------------------------------

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def lines(text: str) -> tuple[Span, ...]:
    """Every non-blank line's content (without its line break), as spans."""
    out = []
    for m in _LINE.finditer(text):
        if m.start() == m.end():
            break
        body = m.group(0).rstrip("\r\n")
        if body.strip():
            out.append(Span(m.start(), m.start() + len(body)))
    return tuple(out)


def paragraphs(text: str) -> tuple[Span, ...]:
    """Paragraphs: runs of non-blank lines, separated by blank lines (LF, CRLF or CR breaks).
    Each span runs from its first line's start to its last line's end (no trailing break)."""
    out: list[Span] = []
    prev_end: int | None = None
    for m in _LINE.finditer(text):
        if m.start() == m.end():
            break
        body = m.group(0).rstrip("\r\n")
        if not body.strip():
            prev_end = None
            continue
        end = m.start() + len(body)
        if prev_end is not None and out:
            out[-1] = Span(out[-1].start, end)
        else:
            out.append(Span(m.start(), end))
        prev_end = end
    return tuple(out)


# -- documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cue:
    """One timed cue of a subtitle transcript (.vtt/.srt): media time in seconds, and where its
    text sits in the document."""

    start_s: float
    end_s: float
    char_start: int
    char_end: int

    def __post_init__(self) -> None:
        if self.start_s < 0 or self.end_s < self.start_s:
            raise ValidationError(f"cue {self.start_s}-{self.end_s} s ends before it starts")
        Span(self.char_start, self.char_end)

    @property
    def span(self) -> Span:
        return Span(self.char_start, self.char_end)


@dataclass(frozen=True)
class Document:
    """A text to code: a field note written while shadowing, or an interview transcript.

    `participant` is the pseudonymous participant code (REFI-QDA's *case*); `session` and `at`
    place a field note in the shadowed day it was written in.
    """

    key: str
    kind: str
    title: str
    text: str
    participant: str | None = None
    site: str | None = None
    session: str | None = None
    at: datetime | None = None
    cues: tuple[Cue, ...] = ()
    source: str | None = None  # the file it was read from, when there was one

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", normalise_guid(self.key, "document key"))
        if self.kind not in DOCUMENT_KINDS:
            raise ValidationError(
                f"document kind '{self.kind}' is not one of {', '.join(DOCUMENT_KINDS)}"
            )
        if not isinstance(self.text, str):
            raise ValidationError(f"document {self.title!r}: text must be a string")
        if self.at is not None:
            object.__setattr__(self, "at", utc(self.at))
        n = len(self.text)
        for c in self.cues:
            if c.char_end > n:
                raise ValidationError(
                    f"document {self.title!r}: a cue ends at {c.char_end}, past the text ({n})"
                )
        object.__setattr__(self, "cues", tuple(sorted(self.cues, key=lambda c: c.char_start)))

    @property
    def length(self) -> int:
        return len(self.text)

    def quote(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def cue_at(self, position: int) -> Cue | None:
        """The cue whose text holds `position` (or the last cue starting before it)."""
        if not self.cues:
            return None
        starts = [c.char_start for c in self.cues]
        i = bisect_right(starts, position) - 1
        return self.cues[i] if i >= 0 else None

    def segments(self, unit: str = "auto") -> tuple[Span, ...]:
        """The units of segment-level agreement: a field note is one unit (the note); a
        transcript's units are its paragraphs (a subtitle cue is a paragraph)."""
        if unit not in SEGMENT_UNITS:
            raise ValidationError(f"unit '{unit}' is not one of {', '.join(SEGMENT_UNITS)}")
        if unit == "auto":
            unit = "document" if self.kind == "field-note" else "paragraph"
        if unit == "document":
            return (Span(0, len(self.text)),) if self.text.strip() else ()
        if unit == "line":
            return lines(self.text)
        return paragraphs(self.text)

    def check_span(self, start: int, end: int) -> Span:
        span = Span(start, end)
        if span.end > len(self.text):
            raise ValidationError(
                f"span {start}-{end} runs past the end of document {self.title!r} "
                f"({len(self.text)} characters)"
            )
        if not span.length:
            raise ValidationError(f"span {start}-{end} is empty")
        return span


# -- codes and codebooks -----------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """One code of a codebook. `parent` is another code's GUID (nested codes)."""

    guid: str
    name: str
    definition: str = ""
    inclusion: str = ""  # when to apply it
    exclusion: str = ""  # when not to (and which code to use instead)
    colour: str | None = None  # "#RRGGBB"
    parent: str | None = None
    codable: bool = True  # False: a heading that only groups other codes

    def __post_init__(self) -> None:
        object.__setattr__(self, "guid", normalise_guid(self.guid, f"code '{self.name}' GUID"))
        if self.parent is not None:
            object.__setattr__(
                self, "parent", normalise_guid(self.parent, f"code '{self.name}' parent")
            )
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("every code needs a name")
        object.__setattr__(self, "name", self.name.strip())
        for f in ("definition", "inclusion", "exclusion"):
            value = getattr(self, f)
            object.__setattr__(self, f, (value or "").strip())
        if self.colour is not None:
            if not _COLOUR.match(self.colour):
                raise ValidationError(f"code '{self.name}': colour '{self.colour}' is not #RRGGBB")
            c = self.colour.upper()
            if len(c) == 4:
                c = "#" + "".join(ch * 2 for ch in c[1:])
            object.__setattr__(self, "colour", c)


@dataclass(frozen=True)
class Codebook:
    """A named, versioned list of codes, nested through their `parent`."""

    name: str
    version: str = "1"
    description: str = ""
    codes: tuple[Code, ...] = ()
    _by_guid: dict[str, Code] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("a codebook needs a name")
        object.__setattr__(self, "version", str(self.version))
        problems: list[Problem] = []
        by_guid: dict[str, Code] = {}
        for c in self.codes:
            if c.guid in by_guid:
                problems.append(Problem(f"code GUID {c.guid} is used twice"))
            by_guid[c.guid] = c
        for c in self.codes:
            if c.parent is not None and c.parent not in by_guid:
                problems.append(Problem(f"code '{c.name}': its parent {c.parent} is not a code"))
        siblings: dict[tuple[str | None, str], str] = {}
        for c in self.codes:
            k = (c.parent, c.name.casefold())
            if k in siblings:
                problems.append(Problem(f"two codes named '{c.name}' under the same parent"))
            siblings[k] = c.guid
        if not problems:
            for c in self.codes:
                seen = {c.guid}
                p = c.parent
                while p is not None:
                    if p in seen:
                        problems.append(Problem(f"code '{c.name}' is its own ancestor"))
                        break
                    seen.add(p)
                    p = by_guid[p].parent
        if problems:
            raise ValidationError(problems)
        object.__setattr__(self, "_by_guid", by_guid)

    # -- looking codes up ----------------------------------------------------------------------
    def __contains__(self, guid: object) -> bool:
        return isinstance(guid, str) and guid.strip("{}").lower() in self._by_guid

    def get(self, guid: str) -> Code | None:
        return self._by_guid.get(guid.strip("{}").lower())

    def code(self, ref: str) -> Code:
        """A code by GUID, by name, or by path ``parent/child`` (names case-insensitive)."""
        if is_guid(ref):
            found = self.get(ref)
            if found is not None:
                return found
        wanted = ref.strip().casefold()
        matches = [c for c in self.codes if c.name.casefold() == wanted]
        if not matches:
            matches = [c for c in self.codes if self.path(c.guid).casefold() == wanted]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            paths = ", ".join(self.path(c.guid) for c in matches)
            raise ValidationError(f"'{ref}' names several codes ({paths}): give its path")
        raise NotFoundError(
            f"no code '{ref}' in codebook {self.name} v{self.version}"
            + (f" (codes: {', '.join(c.name for c in self.roots())}, ...)" if self.codes else "")
        )

    def roots(self) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.parent is None)

    def children(self, guid: str | None) -> tuple[Code, ...]:
        g = guid.strip("{}").lower() if guid else None
        return tuple(c for c in self.codes if c.parent == g)

    def descendants(self, guid: str) -> tuple[Code, ...]:
        out: list[Code] = []
        stack = list(reversed(self.children(guid)))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(reversed(self.children(c.guid)))
        return tuple(out)

    def path(self, guid: str, sep: str = "/") -> str:
        """The code's name preceded by its ancestors' names."""
        names = []
        c: Code | None = self.get(guid)
        while c is not None:
            names.append(c.name)
            c = self.get(c.parent) if c.parent else None
        return sep.join(reversed(names))

    def depth(self, guid: str) -> int:
        return self.path(guid, "\x00").count("\x00")

    def walk(self) -> Iterator[Code]:
        """Codes depth-first in codebook order (parents before their children)."""
        for r in self.roots():
            yield r
            yield from self.descendants(r.guid)

    # -- editing (returns a new codebook) -------------------------------------------------------
    def with_code(self, code: Code) -> Codebook:
        """This codebook with `code` added, or replacing the code with the same GUID."""
        if code.guid in self._by_guid:
            codes = tuple(code if c.guid == code.guid else c for c in self.codes)
        else:
            codes = (*self.codes, code)
        return replace(self, codes=codes)

    def without_code(self, guid: str) -> Codebook:
        """This codebook without the code and its descendants."""
        gone = {guid.strip("{}").lower(), *(c.guid for c in self.descendants(guid))}
        return replace(self, codes=tuple(c for c in self.codes if c.guid not in gone))

    def same_content(self, other: Codebook) -> bool:
        """Same name, description and codes (the version is not compared)."""
        return (self.name, self.description, self.codes) == (
            other.name,
            other.description,
            other.codes,
        )

    # -- plain data (YAML/JSON) -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        def one(c: Code) -> dict[str, Any]:
            d: dict[str, Any] = {"name": c.name, "guid": c.guid}
            for f in ("definition", "inclusion", "exclusion"):
                if getattr(c, f):
                    d[f] = getattr(c, f)
            if c.colour:
                d["colour"] = c.colour
            if not c.codable:
                d["codable"] = False
            kids = self.children(c.guid)
            if kids:
                d["codes"] = [one(k) for k in kids]
            return d

        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.description:
            out["description"] = self.description
        out["codes"] = [one(c) for c in self.roots()]
        return out

    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> Codebook:
        """Build a codebook from plain data (parsed YAML or JSON), collecting every problem.

        Codes nest through a ``codes`` list. A code without a ``guid`` gets one derived from
        the codebook's name and the code's path, so loading the same file again gives the same
        GUIDs (and codings stay attached)."""
        problems: list[Problem] = []

        def bad(reason: str, where: str | None = None) -> None:
            problems.append(Problem(f"{where}: {reason}" if where else reason, source))

        if not isinstance(data, Mapping):
            raise ValidationError(Problem("a codebook must be a mapping with 'name' and 'codes'"))
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            bad("the codebook needs a 'name'")
            name = "codebook"
        version = data.get("version", "1")
        if not isinstance(version, str | int | float):
            bad("'version' must be text or a number")
            version = "1"
        codes: list[Code] = []

        def walk(items: Any, parent: Code | None, where: str, prefix: str) -> None:
            if items is None:
                return
            if not isinstance(items, list):
                bad("'codes' must be a list", where)
                return
            for i, item in enumerate(items, start=1):
                here = f"{where}[{i}]"
                if not isinstance(item, Mapping):
                    bad("each code must be a mapping with at least a 'name'", here)
                    continue
                cname = item.get("name")
                if not isinstance(cname, str) or not cname.strip():
                    bad("each code needs a 'name'", here)
                    continue
                path = f"{prefix}/{cname.strip()}" if prefix else cname.strip()
                guid = item.get("guid") or derived_guid("code", str(name), path)
                unknown = set(item) - {
                    "name",
                    "guid",
                    "definition",
                    "inclusion",
                    "exclusion",
                    "colour",
                    "color",
                    "codable",
                    "codes",
                }
                if unknown:
                    bad(f"unknown field(s) {', '.join(sorted(map(str, unknown)))}", here)
                try:
                    code = Code(
                        guid=str(guid),
                        name=cname,
                        definition=str(item.get("definition") or ""),
                        inclusion=str(item.get("inclusion") or ""),
                        exclusion=str(item.get("exclusion") or ""),
                        colour=item.get("colour") or item.get("color"),
                        parent=parent.guid if parent else None,
                        codable=bool(item.get("codable", True)),
                    )
                except ValidationError as exc:
                    for p in exc.problems:
                        bad(p.reason, here)
                    continue
                codes.append(code)
                walk(item.get("codes"), code, f"{here}.codes", path)

        walk(data.get("codes"), None, "codes", "")
        if problems:
            raise ValidationError(problems)
        try:
            return cls(
                name=str(name).strip(),
                version=str(version),
                description=str(data.get("description") or "").strip(),
                codes=tuple(codes),
            )
        except ValidationError as exc:
            raise ValidationError([Problem(p.reason, source) for p in exc.problems]) from None


# -- codings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coding:
    """A coder applied a code to positions `start` to `end` (excluded) of a document."""

    key: str
    document: str  # the document's key
    code: str  # the code's GUID
    coder: str
    start: int
    end: int
    memo: str = ""
    created: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", normalise_guid(self.key, "coding key"))
        object.__setattr__(self, "document", normalise_guid(self.document, "document key"))
        object.__setattr__(self, "code", normalise_guid(self.code, "code GUID"))
        coder = (self.coder or "").strip() if isinstance(self.coder, str) else ""
        if not coder or len(coder) > 100:
            raise ValidationError("a coding needs a coder name (1-100 characters)")
        object.__setattr__(self, "coder", coder)
        Span(self.start, self.end)
        if self.end == self.start:
            raise ValidationError(f"coding {self.start}-{self.end} is empty")
        if self.created is not None:
            object.__setattr__(self, "created", utc(self.created))

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


def check_codings(
    codings: Iterable[Coding],
    documents: Mapping[str, Document],
    codebook: Codebook | None = None,
    source: str | None = None,
) -> list[Problem]:
    """Problems with codings: unknown documents or codes, spans past a document's end."""
    problems = []
    for c in codings:
        doc = documents.get(c.document)
        if doc is None:
            problems.append(Problem(f"coding {c.key}: no document {c.document}", source))
            continue
        if c.end > doc.length:
            problems.append(
                Problem(
                    f"coding {c.key}: {c.start}-{c.end} runs past the end of "
                    f"'{doc.title}' ({doc.length} characters)",
                    source,
                )
            )
        if codebook is not None and c.code not in codebook:
            problems.append(
                Problem(f"coding {c.key}: code {c.code} is not in codebook {codebook.name}", source)
            )
    return problems


def spans_by(codings: Iterable[Coding], *keys: str) -> dict[tuple[Any, ...], tuple[Span, ...]]:
    """Union of coded spans grouped by the given Coding attributes (e.g. 'document', 'code',
    'coder')."""
    groups: dict[tuple[Any, ...], list[Span]] = {}
    for c in codings:
        groups.setdefault(tuple(getattr(c, k) for k in keys), []).append(c.span)
    return {k: union(v) for k, v in groups.items()}


# -- quotes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """A coded passage with where it comes from: for reports and exports."""

    code: str  # GUID
    code_name: str
    document: str  # key
    title: str
    kind: str
    participant: str | None
    site: str | None
    coder: str
    start: int
    end: int
    text: str
    memo: str = ""
    session: str | None = None
    at: datetime | None = None  # when the field note was written (UTC)
    when: str = ""  # `at` in the site's local time, or the media time of a transcript cue
    media_start_s: float | None = None
    colour: str | None = None

    def attribution(self) -> str:
        """E.g. 'P01, site-a, field note 2024-03-05 10:42' or 'P02, interview at 00:12:05'."""
        bits = [b for b in (self.participant, self.site) if b]
        if self.kind == "field-note":
            bits.append(f"field note {self.when}".strip())
        else:
            bits.append(f"{self.title} at {self.when}" if self.when else self.title)
        return ", ".join(bits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "code_name": self.code_name,
            "document": self.document,
            "title": self.title,
            "kind": self.kind,
            "participant": self.participant,
            "site": self.site,
            "session": self.session,
            "coder": self.coder,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "memo": self.memo,
            "at": self.at.isoformat() if self.at else None,
            "when": self.when,
            "media_start_s": self.media_start_s,
            "colour": self.colour,
        }


def media_time(seconds: float) -> str:
    """Seconds as H:MM:SS (a transcript's position in its recording)."""
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


__all__ = [
    "DOCUMENT_KINDS",
    "SEGMENT_UNITS",
    "Code",
    "Codebook",
    "Coding",
    "Cue",
    "Document",
    "Quote",
    "Span",
    "check_codings",
    "covered",
    "derived_guid",
    "index_to_utf16",
    "intersect",
    "is_guid",
    "lines",
    "media_time",
    "new_guid",
    "normalise_guid",
    "paragraphs",
    "spans_by",
    "subtract",
    "union",
    "utf16_to_index",
]
