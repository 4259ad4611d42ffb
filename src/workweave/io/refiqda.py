"""REFI-QDA exchange: codebooks (.qdc) and whole projects (.qdpx).

A .qdpx file is a zip archive holding ``project.qde`` (XML, namespace
``urn:QDA-XML:project:1.0``) and a ``sources/`` folder with each text source as UTF-8 plain
text, referenced as ``internal://NAME``. Selections (``PlainTextSelection``) give start and
end positions in characters, end excluded; workweave counts them in Unicode code points.

Exports are strict: checked against the REFI-QDA 1.0 schemas before anything is written, with
no empty elements the schemas forbid (e.g. no empty ``<Sets/>``).

Imports are lenient where real tools deviate, and say what they adjusted: a project file not
named ``project.qde``, a ``Sources/`` folder in another case, empty container elements such
as ``<Sets/>``, byte-order marks, a missing or different namespace, selections past the end
of their text; other schema deviations are reported and read where possible. Only text
sources become documents: pictures, PDFs, audio and video are counted and skipped.

How workweave's own details travel (and come back on import):

- a code's definition, inclusion and exclusion notes: its ``Description``, as the definition
  followed by paragraphs starting ``Include:`` and ``Exclude:``;
- coders: ``Users`` (a coder's GUID is derived from their name);
- a document's participant: a ``Case`` named with the participant code, referring to it;
- kind, site, session, the time a field note was written, subtitle time codes and the file
  a transcript came from: text and date-time ``Variables`` (``kind``, ``site``, ``session``,
  ``timestamp``, ``cues`` as JSON, ``source``);
- a coding's memo: its selection's ``Description``.
"""

from __future__ import annotations

import functools
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from workweave.domain.errors import NotFoundError, Problem, ValidationError, WorkweaveError
from workweave.domain.qualitative import (
    DOCUMENT_KINDS,
    Code,
    Codebook,
    Coding,
    Cue,
    Document,
    derived_guid,
    is_guid,
    normalise_guid,
)
from workweave.domain.text import MAX_DOCUMENT
from workweave.io.safezip import MAX_MEMBER, SafeZip

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
ORIGIN = "workweave"

_CONTAINERS = (
    "Users",
    "Codes",
    "Variables",
    "Cases",
    "Sources",
    "Notes",
    "Links",
    "Sets",
    "Graphs",
)
"""Elements whose schema type needs at least one child: tools write them empty all the same."""

_VARIABLES: dict[str, str] = {
    "kind": "Text",
    "site": "Text",
    "session": "Text",
    "timestamp": "DateTime",
    "cues": "Text",
    "source": "Text",
}


# -- schemas -----------------------------------------------------------------------------------


@functools.cache
def _schema(kind: str) -> etree.XMLSchema:
    name = {"project": "Project.xsd", "codebook": "Codebook.xsd"}[kind]
    path = resources.files("workweave.io") / "refiqda_schemas" / name
    return etree.XMLSchema(etree.fromstring(path.read_bytes()))


def schema_errors(xml: bytes | etree._Element, kind: str = "project") -> list[str]:
    """Schema violations of a REFI-QDA project (`kind` 'project') or codebook ('codebook')."""
    root = etree.fromstring(xml, _parser()) if isinstance(xml, bytes) else xml
    schema = _schema(kind)
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )


# -- the model exchanged -----------------------------------------------------------------------


@dataclass(frozen=True)
class QdaProject:
    """What a REFI-QDA project carries for workweave."""

    name: str
    codebook: Codebook
    documents: tuple[Document, ...] = ()
    codings: tuple[Coding, ...] = ()
    description: str = ""


@dataclass
class ImportReport:
    """What a file held, what was adjusted to read it, and what was not imported."""

    file: str
    origin: str = ""  # the tool that wrote the file, as it says
    counts: dict[str, int] = field(default_factory=dict)  # what the file holds
    adjustments: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, nothing changed
    _tally: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def adjust(self, message: str) -> None:
        if message not in self.adjustments:
            self.adjustments.append(message)

    def tally(self, what: str, label: str) -> None:
        """Count one source for a message written once at the end (see :meth:`close`)."""
        self._tally.setdefault(what, []).append(label)

    def close(self) -> None:
        for what, labels in self._tally.items():
            few = ", ".join(f"'{x}'" for x in labels[:3]) + (", ..." if len(labels) > 3 else "")
            message = f"{what}: {len(labels)} source text(s) ({few})"
            if what.startswith("CRLF"):
                self.notes.append(message)
            else:
                self.adjust(message)
        self._tally = {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "origin": self.origin,
            "counts": dict(self.counts),
            "adjustments": list(self.adjustments),
            "skipped": list(self.skipped),
            "notes": list(self.notes),
        }


# -- code descriptions ------------------------------------------------------------------------


def code_description(code: Code) -> str:
    """A code's definition and its inclusion and exclusion notes as one REFI-QDA description."""
    parts = []
    if code.definition:
        parts.append(code.definition)
    if code.inclusion:
        parts.append(f"Include: {code.inclusion}")
    if code.exclusion:
        parts.append(f"Exclude: {code.exclusion}")
    return "\n\n".join(parts)


def parse_code_description(text: str) -> tuple[str, str, str]:
    """(definition, inclusion, exclusion) from a description written by :func:`code_description`
    (any other description is all definition)."""
    text = (text or "").replace("\r\n", "\n").strip()
    definition: list[str] = []
    inclusion: list[str] = []
    exclusion: list[str] = []
    target = definition
    for para in text.split("\n\n"):
        if para.startswith("Include: "):
            target = inclusion
            para = para.removeprefix("Include: ")
        elif para.startswith("Exclude: "):
            target = exclusion
            para = para.removeprefix("Exclude: ")
        target.append(para)
    return "\n\n".join(definition), "\n\n".join(inclusion), "\n\n".join(exclusion)


# -- writing -----------------------------------------------------------------------------------


def _stamp(dt: datetime | None = None) -> str:
    dt = (dt or datetime.now(UTC)).astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: etree._Element, ns: str, tag: str, **attrs: str | None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}")
    for k, v in attrs.items():
        if v is not None:
            el.set(k, v)
    return el


def _codes_xml(parent: etree._Element, ns: str, codebook: Codebook) -> None:
    codes_el = _sub(parent, ns, "Codes")

    def one(into: etree._Element, c: Code) -> None:
        el = _sub(
            into,
            ns,
            "Code",
            guid=c.guid,
            name=c.name,
            isCodable="true" if c.codable else "false",
            color=c.colour,
        )
        desc = code_description(c)
        if desc:
            _sub(el, ns, "Description").text = desc
        for k in codebook.children(c.guid):
            one(el, k)

    for r in codebook.roots():
        one(codes_el, r)


def codebook_xml(codebook: Codebook) -> bytes:
    """A codebook as REFI-QDA codebook XML (.qdc), checked against Codebook.xsd."""
    if not codebook.codes:
        raise ValidationError(f"codebook {codebook.name} has no codes to export")
    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", nsmap={None: NS_CODEBOOK})
    root.set("origin", f"{ORIGIN}: {codebook.name} v{codebook.version}")
    _codes_xml(root, NS_CODEBOOK, codebook)
    _strict(root, "codebook")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _strict(root: etree._Element, kind: str) -> None:
    errors = schema_errors(root, kind)
    if errors:
        raise WorkweaveError(
            "the export does not satisfy the REFI-QDA schema (nothing was written): "
            + "; ".join(errors[:5])
        )


def _user_guid(coder: str) -> str:
    return derived_guid("user", coder)


def _selection_name(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 100 else flat[:99] + "…"


def project_xml(project: QdaProject, origin: str = ORIGIN) -> tuple[bytes, dict[str, bytes]]:
    """The project as REFI-QDA XML (project.qde) and its source texts by archive path."""
    ns = NS_PROJECT
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns})
    root.set("name", project.name)
    root.set("origin", origin)
    root.set("creationDateTime", _stamp())
    coders = sorted({c.coder for c in project.codings})
    if coders:
        users = _sub(root, ns, "Users")
        for name in coders:
            _sub(users, ns, "User", guid=_user_guid(name), name=name)
    if project.codebook.codes:
        _codes_xml(_sub(root, ns, "CodeBook"), ns, project.codebook)

    def values(d: Document) -> list[tuple[str, str]]:
        out = [("kind", d.kind)]
        if d.site:
            out.append(("site", d.site))
        if d.session:
            out.append(("session", d.session))
        if d.at is not None:
            out.append(("timestamp", _stamp(d.at)))
        if d.cues:
            cues = [[c.start_s, c.end_s, c.char_start, c.char_end] for c in d.cues]
            out.append(("cues", json.dumps(cues, separators=(",", ":"))))
        if d.source:
            out.append(("source", d.source))
        return out

    used = {name for d in project.documents for name, _ in values(d)}
    if used:
        variables = _sub(root, ns, "Variables")
        for name, kind in _VARIABLES.items():
            if name in used:
                _sub(
                    variables,
                    ns,
                    "Variable",
                    guid=derived_guid("variable", name),
                    name=name,
                    typeOfVariable=kind,
                )
    cases: dict[str, list[str]] = {}
    for d in project.documents:
        if d.participant:
            cases.setdefault(d.participant, []).append(d.key)
    if cases:
        cases_el = _sub(root, ns, "Cases")
        for participant, keys in sorted(cases.items()):
            case = _sub(
                cases_el, ns, "Case", guid=derived_guid("case", participant), name=participant
            )
            for k in keys:
                _sub(case, ns, "SourceRef", targetGUID=k)
    files: dict[str, bytes] = {}
    by_doc: dict[str, list[Coding]] = {}
    for c in project.codings:
        by_doc.setdefault(c.document, []).append(c)
    if project.documents:
        sources = _sub(root, ns, "Sources")
        for d in project.documents:
            src = _sub(
                sources,
                ns,
                "TextSource",
                guid=d.key,
                name=d.title or d.key,
                plainTextPath=f"internal://{d.key}.txt",
            )
            files[f"sources/{d.key}.txt"] = d.text.encode("utf-8")
            for c in sorted(by_doc.get(d.key, ()), key=lambda c: (c.start, c.end, c.key)):
                user = _user_guid(c.coder)
                sel = _sub(
                    src,
                    ns,
                    "PlainTextSelection",
                    guid=derived_guid("selection", c.key),
                    name=_selection_name(d.text[c.start : c.end]),
                    startPosition=str(c.start),
                    endPosition=str(c.end),
                    creatingUser=user,
                    creationDateTime=_stamp(c.created) if c.created else None,
                )
                if c.memo:
                    _sub(sel, ns, "Description").text = c.memo
                coding = _sub(
                    sel,
                    ns,
                    "Coding",
                    guid=c.key,
                    creatingUser=user,
                    creationDateTime=_stamp(c.created) if c.created else None,
                )
                _sub(coding, ns, "CodeRef", targetGUID=c.code)
            for name, value in values(d):
                vv = _sub(src, ns, "VariableValue")
                _sub(vv, ns, "VariableRef", targetGUID=derived_guid("variable", name))
                tag = "DateTimeValue" if _VARIABLES[name] == "DateTime" else "TextValue"
                _sub(vv, ns, tag).text = value
    if project.description:
        _sub(root, ns, "Description").text = project.description
    _strict(root, "project")
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return xml, files


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_qdc(codebook: Codebook, path: str | Path) -> Path:
    path = Path(path)
    data = codebook_xml(codebook)
    _atomic_write(path, lambda fh: fh.write(data))
    return path


def write_qdpx(project: QdaProject, path: str | Path, *, origin: str = ORIGIN) -> Path:
    """Write a .qdpx archive (schema-checked first; nothing half-written on failure)."""
    path = Path(path)
    xml, files = project_xml(project, origin)

    def write(fh: Any) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("project.qde", xml)
            for name, data in files.items():
                z.writestr(name, data)

    _atomic_write(path, write)
    return path


# -- reading -----------------------------------------------------------------------------------


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: etree._Element, name: str) -> list[etree._Element]:
    return [k for k in el if _local(k) == name]


def _kid(el: etree._Element, name: str) -> etree._Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _text(el: etree._Element | None) -> str:
    return "" if el is None else (el.text or "")


def _parse_xml(data: bytes, name: str, report: ImportReport) -> etree._Element:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        report.adjust(f"{name}: byte-order mark removed")
    if data[:1].isspace():
        data = data.lstrip()
        report.adjust(f"{name}: blank space before the XML declaration removed")
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        where = f"{name} line {line}" if line else name
        raise ValidationError(Problem(f"not well-formed XML: {exc.msg}", where)) from None


def _normalise_tree(
    root: etree._Element, ns: str, kind: str, name: str, report: ImportReport
) -> None:
    """Bring a tool's XML to what the schema expects where that is safe, saying so; then
    report what still deviates."""
    actual = etree.QName(root).namespace
    if actual != ns:
        for el in root.iter():
            if isinstance(el.tag, str):
                el.tag = f"{{{ns}}}{etree.QName(el).localname}"
        etree.cleanup_namespaces(root)
        report.adjust(
            f"{name}: namespace {actual or '(none)'} read as {ns}"
            if actual
            else f"{name}: no namespace; read as REFI-QDA ({ns})"
        )
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in _CONTAINERS and not any(isinstance(k.tag, str) for k in el):
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
                report.adjust(f"{name}: empty <{local}/> ignored")
    errors = schema_errors(root, kind)
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        report.adjust(
            f"{name}: not valid against the REFI-QDA schema, read anyway: "
            + "; ".join(errors[:5])
            + more
        )


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _guid(text: str | None) -> str | None:
    return normalise_guid(text) if text and is_guid(text) else None


def _read_codes(
    codes_el: etree._Element | None, name: str, report: ImportReport
) -> tuple[Code, ...]:
    out: list[Code] = []
    seen: set[str] = set()

    def walk(el: etree._Element, parent: str | None) -> None:
        siblings: set[str] = set()
        for c in _kids(el, "Code"):
            guid = _guid(c.get("guid"))
            cname = (c.get("name") or "").strip()
            if guid is None or guid in seen:
                old = c.get("guid")
                guid = derived_guid("code", name, parent or "", cname, str(len(out)))
                report.adjust(
                    f"code '{cname}': GUID {old!r} missing, invalid or repeated; new one given"
                )
            seen.add(guid)
            if not cname:
                cname = f"code {len(out) + 1}"
                report.adjust(f"a code without a name was named '{cname}'")
            base, n = cname, 2
            while cname.casefold() in siblings:
                cname = f"{base} ({n})"
                n += 1
            if cname != base:
                report.adjust(
                    f"a second code named '{base}' under the same parent renamed '{cname}'"
                )
            siblings.add(cname.casefold())
            colour = c.get("color")
            try:
                Code(guid, "x", colour=colour)
            except ValidationError:
                report.adjust(f"code '{cname}': colour {colour!r} is not #RRGGBB; dropped")
                colour = None
            definition, inclusion, exclusion = parse_code_description(_text(_kid(c, "Description")))
            out.append(
                Code(
                    guid=guid,
                    name=cname,
                    definition=definition,
                    inclusion=inclusion,
                    exclusion=exclusion,
                    colour=colour,
                    parent=parent,
                    codable=(c.get("isCodable") or "true").strip().lower() in ("true", "1"),
                )
            )
            walk(c, guid)

    if codes_el is not None:
        walk(codes_el, None)
    return tuple(out)


def parse_codebook(data: bytes, name: str = "codebook.qdc") -> tuple[Codebook, ImportReport]:
    """A codebook from REFI-QDA codebook XML (or a project's XML: its codebook)."""
    report = ImportReport(name)
    root = _parse_xml(data, name, report)
    local = _local(root)
    if local == "Project":
        _normalise_tree(root, NS_PROJECT, "project", name, report)
        book = _kid(root, "CodeBook")
        codes_el = _kid(book, "Codes") if book is not None else None
        title = root.get("name") or Path(name).stem
    elif local == "CodeBook":
        _normalise_tree(root, NS_CODEBOOK, "codebook", name, report)
        codes_el = _kid(root, "Codes")
        title = Path(name).stem
        sets = _kids(root, "Sets")
        n_sets = sum(len(_kids(s, "Set")) for s in sets)
        if n_sets:
            report.skipped.append(f"{n_sets} code set(s) (workweave has no code sets)")
    else:
        raise ValidationError(
            Problem(f"the root element is <{local}>, not a REFI-QDA <CodeBook> or <Project>", name)
        )
    codes = _read_codes(codes_el, title, report)
    report.counts = {"codes": len(codes)}
    return Codebook(name=title, version="1", codes=codes), report


def read_qdc(path: str | Path) -> tuple[Codebook, ImportReport]:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    if path.stat().st_size > MAX_MEMBER:
        raise ValidationError(Problem(f"the file is over {MAX_MEMBER // 2**20} MiB", path.name))
    return parse_codebook(path.read_bytes(), path.name)


class _Archive:
    """The files of a .qdpx archive, looked up as leniently as real tools need; every member
    is read within the limits of `workweave.io.safezip`."""

    def __init__(self, z: SafeZip | None, report: ImportReport) -> None:
        self.z = z
        self.report = report
        names = z.names() if z else []
        self.names = names
        self.lower = {n.lower(): n for n in names}

    def source(self, ref: str) -> tuple[bytes, str] | None:
        """The bytes of a source referenced as internal://NAME (or another path)."""
        if self.z is None:
            return None
        name = ref
        for prefix in ("internal://", "relative://", "file://"):
            if name.lower().startswith(prefix):
                name = name[len(prefix) :]
                break
        name = name.lstrip("/").replace("\\", "/")
        want = f"sources/{name}"
        if want in self.names:
            return self.z.read(want), want
        found = self.lower.get(want.lower())
        if found is not None:
            folder = found.split("/", 1)[0]
            self.report.adjust(f"source folder '{folder}/' read as 'sources/'")
            return self.z.read(found), found
        base = PurePosixPath(name).name.lower()
        matches = [n for n in self.names if PurePosixPath(n).name.lower() == base]
        if len(matches) == 1:
            self.report.adjust(f"source {ref} found at '{matches[0]}', not under sources/")
            return self.z.read(matches[0]), matches[0]
        return None


def _open_archive(path: Path, report: ImportReport) -> tuple[bytes, str, _Archive]:
    if not zipfile.is_zipfile(path):
        if path.stat().st_size > MAX_MEMBER:
            raise ValidationError(
                Problem(f"the project file is over {MAX_MEMBER // 2**20} MiB", path.name)
            )
        report.adjust(f"{path.name} is a bare project file, not a .qdpx archive: no source files")
        return path.read_bytes(), path.name, _Archive(None, report)
    z = SafeZip(path, path.name)
    try:
        archive = _Archive(z, report)
        if "project.qde" in archive.names:
            return z.read("project.qde"), "project.qde", archive
        qdes = [n for n in archive.names if n.lower().endswith(".qde")]
        if len(qdes) == 1:
            report.adjust(f"project file is '{qdes[0]}', not 'project.qde'")
            return z.read(qdes[0]), qdes[0], archive
        if not qdes:
            raise ValidationError(
                Problem("the archive holds no project file (project.qde)", path.name)
            )
        raise ValidationError(
            Problem(f"the archive holds several project files ({', '.join(qdes)})", path.name)
        )
    except BaseException:
        z.close()
        raise


def read_qdpx(path: str | Path) -> tuple[QdaProject, ImportReport]:
    """Read a REFI-QDA project (.qdpx archive, or a bare .qde file): its codebook, its text
    sources as documents and their codings. See the module's notes on what is adjusted."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    report = ImportReport(path.name)
    data, inner, archive = _open_archive(path, report)
    try:
        return _read_project(data, inner, archive, report, path.stem)
    finally:
        if archive.z is not None:
            archive.z.close()


def parse_project(
    data: bytes, name: str = "project.qde", sources: dict[str, bytes] | None = None
) -> tuple[QdaProject, ImportReport]:
    """Read project XML given as bytes, with its source files by archive path if any."""
    report = ImportReport(name)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in (sources or {}).items():
            z.writestr(n, d)
    buf.seek(0)
    with SafeZip(buf, name) as z:
        return _read_project(data, name, _Archive(z, report), report, Path(name).stem)


def _read_project(
    data: bytes, name: str, archive: _Archive, report: ImportReport, fallback_name: str
) -> tuple[QdaProject, ImportReport]:
    root = _parse_xml(data, name, report)
    if _local(root) != "Project":
        raise ValidationError(
            Problem(f"the root element is <{_local(root)}>, not a REFI-QDA <Project>", name)
        )
    _normalise_tree(root, NS_PROJECT, "project", name, report)
    report.origin = root.get("origin") or ""
    title = root.get("name") or fallback_name
    users = {
        _guid(u.get("guid")): (u.get("name") or u.get("id") or u.get("guid") or "").strip()
        for users in _kids(root, "Users")
        for u in _kids(users, "User")
    }
    default_user = users.get(_guid(root.get("creatingUserGUID")))
    book = _kid(root, "CodeBook")
    codes = _read_codes(_kid(book, "Codes") if book is not None else None, title, report)
    codebook = Codebook(name=title, version="1", codes=codes)
    variables = {
        _guid(v.get("guid")): (v.get("name") or "").strip().lower()
        for vs in _kids(root, "Variables")
        for v in _kids(vs, "Variable")
    }
    case_of: dict[str, str] = {}
    n_cases = 0
    for cases in _kids(root, "Cases"):
        for case in _kids(cases, "Case"):
            n_cases += 1
            cname = (case.get("name") or "").strip()
            for ref in _kids(case, "SourceRef"):
                target = _guid(ref.get("targetGUID"))
                if target is None or not cname:
                    continue
                if target in case_of and case_of[target] != cname:
                    report.adjust(
                        f"a source belongs to several cases; its participant is the first "
                        f"('{case_of[target]}', not '{cname}')"
                    )
                    continue
                case_of[target] = cname
    counts: dict[str, int] = {
        "users": len(users),
        "codes": len(codes),
        "variables": len(variables),
        "cases": n_cases,
        "sources": 0,
        "text_sources": 0,
        "selections": 0,
        "text_selections": 0,
        "codings": 0,
        "notes": sum(len(_kids(n, "Note")) for n in _kids(root, "Notes")),
        "sets": sum(len(_kids(s, "Set")) for s in _kids(root, "Sets")),
        "links": sum(len(_kids(s, "Link")) for s in _kids(root, "Links")),
        "graphs": sum(len(_kids(s, "Graph")) for s in _kids(root, "Graphs")),
    }
    selection_tags = {
        "PlainTextSelection",
        "PictureSelection",
        "PDFSelection",
        "AudioSelection",
        "VideoSelection",
        "TranscriptSelection",
    }
    documents: list[Document] = []
    codings: list[Coding] = []
    coding_keys: set[str] = set()
    skipped_kinds: dict[str, list[int]] = {}
    unknown_codes = no_code = 0
    unknown_coder = False

    def coder_of(el: etree._Element, sel: etree._Element) -> str:
        nonlocal unknown_coder
        for who in (el.get("creatingUser"), sel.get("creatingUser")):
            g = _guid(who)
            if g is not None and users.get(g):
                return users[g][:100]
        if default_user:
            return default_user[:100]
        unknown_coder = True
        return "unknown"

    def add(
        coding_el: etree._Element,
        sel: etree._Element,
        src: etree._Element,
        doc_key: str,
        start: int,
        end: int,
    ) -> None:
        nonlocal unknown_codes
        ref = _kid(coding_el, "CodeRef")
        code = _guid(ref.get("targetGUID")) if ref is not None else None
        if code is None or code not in codebook:
            unknown_codes += 1
            return
        ckey = _guid(coding_el.get("guid"))
        if ckey is None or ckey in coding_keys:
            ckey = derived_guid("coding", doc_key, str(start), str(end), code, str(len(codings)))
            report.adjust("codings with a missing or repeated GUID were given new ones")
        coding_keys.add(ckey)
        codings.append(
            Coding(
                key=ckey,
                document=doc_key,
                code=code,
                coder=coder_of(coding_el, sel),
                start=start,
                end=end,
                memo=_text(_kid(sel, "Description")) if sel is not src else "",
                created=_datetime(coding_el.get("creationDateTime"))
                or _datetime(sel.get("creationDateTime")),
            )
        )

    for sources in _kids(root, "Sources"):
        for src in sources:
            kind = _local(src)
            if not kind:
                continue
            counts["sources"] += 1
            n_sel = sum(1 for el in src.iter() if _local(el) in selection_tags)
            counts["selections"] += n_sel
            counts["codings"] += sum(1 for el in src.iter() if _local(el) == "Coding")
            if kind != "TextSource":
                tally = skipped_kinds.setdefault(kind, [0, 0])
                tally[0] += 1
                tally[1] += n_sel
                continue
            counts["text_sources"] += 1
            selections = _kids(src, "PlainTextSelection")
            counts["text_selections"] += len(selections)
            label = src.get("name") or src.get("guid") or "?"
            key = _guid(src.get("guid"))
            if key is None:
                report.skipped.append(
                    f"text source '{label}': no valid GUID; skipped with {len(selections)} "
                    "selection(s)"
                )
                continue
            text = _source_text(src, archive, report, label)
            if text is None:
                report.skipped.append(
                    f"text source '{label}': its text ({src.get('plainTextPath') or 'none'}) "
                    f"is not in the file; skipped with {len(selections)} selection(s)"
                )
                continue
            values: dict[str, str] = {}
            for vv in _kids(src, "VariableValue"):
                ref = _kid(vv, "VariableRef")
                vname = variables.get(_guid(ref.get("targetGUID")) if ref is not None else None)
                if not vname:
                    continue
                for el in vv:
                    if _local(el).endswith("Value") and _local(el) != "VariableRef":
                        values[vname] = (el.text or "").strip()
            doc = _make_document(key, label, text, values, case_of.get(key), report)
            documents.append(doc)

            for sel in selections:
                span = _selection_span(sel, len(text), label, report)
                found = _kids(sel, "Coding")
                if span is None:
                    continue
                if not found:
                    no_code += 1
                for coding_el in found:
                    add(coding_el, sel, src, key, *span)
            whole = _kids(src, "Coding")
            if whole and text:
                report.adjust(f"source '{label}': codings of the whole source cover all its text")
                for coding_el in whole:
                    add(coding_el, src, src, key, 0, len(text))
    for kind, (n, sel) in sorted(skipped_kinds.items()):
        what = kind.removesuffix("Source").lower() or kind
        report.skipped.append(
            f"{n} {what} source(s) with {sel} selection(s): only text sources are imported"
        )
    if no_code:
        report.skipped.append(f"{no_code} text selection(s) with no code (quotations only)")
    if unknown_codes:
        report.skipped.append(f"{unknown_codes} coding(s) of codes not in the codebook")
    if unknown_coder:
        report.adjust("codings with no known user are credited to coder 'unknown'")
    for what in ("notes", "sets", "links", "graphs"):
        if counts[what]:
            report.skipped.append(f"{counts[what]} {what.removesuffix('s')}(s)")
    report.counts = counts
    report.close()
    desc = _text(_kid(root, "Description")).strip()
    return (
        QdaProject(
            name=title,
            codebook=codebook,
            documents=tuple(documents),
            codings=tuple(codings),
            description=desc,
        ),
        report,
    )


def _source_text(
    src: etree._Element, archive: _Archive, report: ImportReport, label: str
) -> str | None:
    inline = _kid(src, "PlainTextContent")
    if inline is not None:
        return inline.text or ""
    ref = src.get("plainTextPath")
    if not ref:
        return None
    found = archive.source(ref)
    if found is None:
        return None
    raw, _where = found
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        report.tally("byte-order mark removed", label)
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.tally("UTF-16 text read (not UTF-8)", label)
        text = raw.decode("utf-16", errors="replace")
        if len(text) > MAX_DOCUMENT:
            raise ValidationError(
                Problem(f"source '{label}' is longer than {MAX_DOCUMENT:,} characters", report.file)
            )
        return text
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        report.tally("not UTF-8: read as Windows-1252", label)
    if len(text) > MAX_DOCUMENT:
        raise ValidationError(
            Problem(
                f"source '{label}' holds {len(text):,} characters; at most {MAX_DOCUMENT:,} "
                "are read (split it into several documents)",
                report.file,
            )
        )
    if "\r\n" in text:
        report.tally("CRLF line breaks kept as they are (each counts as two characters)", label)
    return text


def _selection_span(
    sel: etree._Element, length: int, label: str, report: ImportReport
) -> tuple[int, int] | None:
    try:
        start = int((sel.get("startPosition") or "").strip())
        end = int((sel.get("endPosition") or "").strip())
    except ValueError:
        report.skipped.append(f"source '{label}': a selection without valid positions")
        return None
    if end < start:
        start, end = end, start
        report.adjust(f"source '{label}': a selection's start and end were swapped")
    start = max(start, 0)
    if start >= length:
        report.skipped.append(
            f"source '{label}': selection {start}-{end} starts past the end of the text ({length})"
        )
        return None
    if end > length:
        report.adjust(
            f"source '{label}': selection {start}-{end} cut at the end of the text ({length})"
        )
        end = length
    if end == start:
        report.skipped.append(f"source '{label}': an empty selection at {start}")
        return None
    return start, end


def _make_document(
    key: str,
    label: str,
    text: str,
    values: dict[str, str],
    participant: str | None,
    report: ImportReport,
) -> Document:
    kind = values.get("kind", "transcript")
    if kind not in DOCUMENT_KINDS:
        report.adjust(f"source '{label}': kind '{kind}' read as transcript")
        kind = "transcript"
    cues: tuple[Cue, ...] = ()
    if values.get("cues"):
        try:
            cues = tuple(
                Cue(float(a), float(b), int(x), int(y)) for a, b, x, y in json.loads(values["cues"])
            )
            if any(c.char_end > len(text) for c in cues):
                raise ValueError
        except (ValueError, TypeError, ValidationError):
            report.adjust(f"source '{label}': unreadable time codes dropped")
            cues = ()
    participant = participant or values.get("participant") or None
    site = values.get("site") or None
    for what, value in (("participant (case)", participant), ("site", site)):
        if value and len(value) > 64:
            report.adjust(f"source '{label}': {what} '{value}' cut to 64 characters")
    return Document(
        key=key,
        kind=kind,
        title=label,
        text=text,
        participant=participant[:64] if participant else None,
        site=site[:64] if site else None,
        session=values.get("session") or None,
        at=_datetime(values.get("timestamp")),
        cues=cues,
        source=values.get("source") or None,
    )


def read_codebook_file(path: str | Path) -> tuple[Codebook, ImportReport]:
    """A codebook from a .qdc file, or from the project inside a .qdpx/.qde."""
    path = Path(path)
    if path.suffix.lower() == ".qdpx":
        report = ImportReport(path.name)
        data, inner, archive = _open_archive(path, report)
        if archive.z is not None:
            archive.z.close()
        cb, r2 = parse_codebook(data, inner)
        r2.adjustments[:0] = report.adjustments
        return cb, r2
    return read_qdc(path)


__all__ = [
    "NS_CODEBOOK",
    "NS_PROJECT",
    "ImportReport",
    "QdaProject",
    "code_description",
    "codebook_xml",
    "parse_code_description",
    "parse_codebook",
    "parse_project",
    "project_xml",
    "read_codebook_file",
    "read_qdc",
    "read_qdpx",
    "schema_errors",
    "write_qdc",
    "write_qdpx",
]
