"""Agreement between coders on coded text: percent agreement, Cohen's kappa (two coders) and
Krippendorff's alpha, per code and overall.

Coded text is turned into reliability data at one of two levels:

- **character**: every character (code point) of the documents is a unit; for each code, a
  coder's value is 1 where their codings of that code cover the character, else 0.
- **segment**: the units are segments (a field note as a whole, a transcript's paragraphs);
  a coder's value is 1 when any of their codings of the code overlaps the segment.

Per code the data are binary. The overall figures pool the units of all codes applied by at
least one of the coders (each code × unit is one unit). The statistics themselves are in
``kappa`` and ``alpha``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from workweave.analysis.reliability.alpha import alpha_from_coincidences, coincidences
from workweave.analysis.reliability.kappa import cohen_kappa, percent_agreement
from workweave.domain.errors import ValidationError
from workweave.domain.qualitative import Codebook, Coding, Document, Span, union

TEXT_LEVELS: tuple[str, ...] = ("character", "segment")


@dataclass(frozen=True)
class AgreementRow:
    """Agreement on one code (or overall, when `code` is None)."""

    code: str | None
    name: str
    units: float  # characters or segments compared (per code)
    coded: dict[str, float]  # units each coder applied the code to
    percent_agreement: float | None
    kappa: float | None  # two coders only
    alpha: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "units": self.units,
            "coded": dict(self.coded),
            "percent_agreement": self.percent_agreement,
            "kappa": self.kappa,
            "alpha": self.alpha,
        }


@dataclass(frozen=True)
class AgreementReport:
    level: str  # character | segment
    unit: str  # segment unit (auto, paragraph, line, document); '' at character level
    coders: tuple[str, ...]
    documents: tuple[str, ...]  # keys of the documents compared
    skipped_documents: tuple[str, ...]  # coded by some of the coders only
    rows: tuple[AgreementRow, ...]
    overall: AgreementRow
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "unit": self.unit,
            "coders": list(self.coders),
            "documents": list(self.documents),
            "skipped_documents": list(self.skipped_documents),
            "codes": [r.to_dict() for r in self.rows],
            "overall": self.overall.to_dict(),
            "notes": list(self.notes),
        }


def _character_patterns(
    length: int, by_coder: Sequence[Sequence[Span]]
) -> Counter[tuple[int, ...]]:
    """How many characters of a document carry each pattern of coder values (1 = coded)."""
    cuts = {0, length}
    for spans in by_coder:
        for s in spans:
            cuts.add(min(s.start, length))
            cuts.add(min(s.end, length))
    points = sorted(cuts)
    out: Counter[tuple[int, ...]] = Counter()
    idx = [0] * len(by_coder)
    for lo, hi in pairwise(points):
        if hi <= lo:
            continue
        pattern = []
        for i, spans in enumerate(by_coder):
            while idx[i] < len(spans) and spans[idx[i]].end <= lo:
                idx[i] += 1
            inside = idx[i] < len(spans) and spans[idx[i]].start <= lo
            pattern.append(1 if inside else 0)
        out[tuple(pattern)] += hi - lo
    return out


def _segment_patterns(
    segments: Sequence[Span], by_coder: Sequence[Sequence[Span]]
) -> Counter[tuple[int, ...]]:
    out: Counter[tuple[int, ...]] = Counter()
    for seg in segments:
        out[tuple(1 if any(s.overlaps(seg) for s in spans) else 0 for spans in by_coder)] += 1
    return out


def _row(
    code: str | None, name: str, coders: Sequence[str], patterns: Counter[tuple[int, ...]]
) -> AgreementRow:
    units = list(patterns)
    weights = [float(patterns[u]) for u in units]
    co = coincidences(units, weights)
    kappa = None
    if len(coders) == 2:
        kappa = cohen_kappa([u[0] for u in units], [u[1] for u in units], weights)
    return AgreementRow(
        code=code,
        name=name,
        units=float(sum(weights)),
        coded={
            c: float(sum(w for u, w in zip(units, weights, strict=True) if u[i]))
            for i, c in enumerate(coders)
        },
        percent_agreement=percent_agreement(units, weights),
        kappa=kappa,
        alpha=alpha_from_coincidences(co, "nominal"),
    )


def text_agreement(
    documents: Sequence[Document],
    codings: Iterable[Coding],
    coders: Sequence[str],
    *,
    codebook: Codebook | None = None,
    level: str = "character",
    unit: str = "auto",
    document_keys: Iterable[str] | None = None,
) -> AgreementReport:
    """Agreement of `coders` on the codes they applied to the same documents.

    Compared documents: `document_keys` when given (every coder is then taken to have read
    them all: no coding means "does not apply"), else the documents in which every one of the
    coders made at least one coding; documents only some of them coded are listed as skipped.
    """
    if level not in TEXT_LEVELS:
        raise ValidationError(f"level '{level}' is not one of {', '.join(TEXT_LEVELS)}")
    coders = tuple(dict.fromkeys(c.strip() for c in coders if c.strip()))
    if len(coders) < 2:
        raise ValidationError("agreement needs at least two coders")
    docs = {d.key: d for d in documents}
    mine = [c for c in codings if c.coder in coders and c.document in docs]
    by_doc: dict[str, set[str]] = {}
    for c in mine:
        by_doc.setdefault(c.document, set()).add(c.coder)
    for coder in coders:
        if not any(c.coder == coder for c in mine):
            raise ValidationError(f"coder '{coder}' has no codings in these documents")
    if document_keys is not None:
        keys = [k.strip("{}").lower() for k in document_keys]
        missing = [k for k in keys if k not in docs]
        if missing:
            raise ValidationError(f"no document(s) {', '.join(missing)}")
        skipped: list[str] = []
    else:
        keys = [k for k in docs if by_doc.get(k, set()) >= set(coders)]
        skipped = [k for k in docs if k in by_doc and not by_doc[k] >= set(coders)]
    if not keys:
        raise ValidationError(
            f"no document was coded by all of {', '.join(coders)}: agreement needs the same "
            "documents coded independently by each coder"
        )
    keyset = set(keys)
    spans: dict[tuple[str, str, str], list[Span]] = {}
    code_ids: list[str] = []
    for c in mine:
        if c.document not in keyset:
            continue
        spans.setdefault((c.document, c.code, c.coder), []).append(c.span)
        if c.code not in code_ids:
            code_ids.append(c.code)
    if codebook is not None:
        order = {c.guid: i for i, c in enumerate(codebook.walk())}
        code_ids.sort(key=lambda g: (order.get(g, len(order)), g))
    rows = []
    pooled: Counter[tuple[int, ...]] = Counter()
    for code in code_ids:
        patterns: Counter[tuple[int, ...]] = Counter()
        for k in keys:
            doc = docs[k]
            by_coder = [union(spans.get((k, code, coder), ())) for coder in coders]
            if level == "character":
                patterns += _character_patterns(doc.length, by_coder)
            else:
                patterns += _segment_patterns(doc.segments(unit), by_coder)
        pooled += patterns
        name = codebook.path(code) if codebook is not None and code in codebook else code
        rows.append(_row(code, name, coders, patterns))
    notes = []
    if level == "segment":
        notes.append(
            "units: "
            + (
                "a field note as a whole, a transcript's paragraphs"
                if unit == "auto"
                else f"{unit}s"
            )
        )
    return AgreementReport(
        level=level,
        unit=unit if level == "segment" else "",
        coders=coders,
        documents=tuple(keys),
        skipped_documents=tuple(skipped),
        rows=tuple(rows),
        overall=_row(None, "overall", coders, pooled),
        notes=tuple(notes),
    )


__all__ = [
    "TEXT_LEVELS",
    "AgreementReport",
    "AgreementRow",
    "text_agreement",
]
