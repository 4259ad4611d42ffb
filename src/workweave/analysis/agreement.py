"""Agreement between coders: percent agreement, Cohen's kappa and Krippendorff's alpha.

Krippendorff's alpha is computed from its coincidence-matrix definition (Krippendorff 2011,
"Computing Krippendorff's Alpha-Reliability"): for every unit coded by ``m_u >= 2`` coders,
each ordered pair of values from different coders adds ``1 / (m_u - 1)`` to the coincidence
``o[c, k]``; with ``n_c = sum_k o[c, k]`` and ``n = sum_c n_c``,

    alpha = 1 - (n - 1) * sum_ck o[c, k] * d2(c, k) / sum_ck n_c * n_k * d2(c, k)

where ``d2`` is the squared difference function of the level of measurement (nominal,
ordinal, interval or ratio). Units coded by fewer than two coders are not pairable and are
left out; any number of coders and missing values are allowed.

Coded text is turned into reliability data at one of two levels:

- **character**: every character (code point) of the documents is a unit; for each code, a
  coder's value is 1 where their codings of that code cover the character, else 0.
- **segment**: the units are segments (a field note as a whole, a transcript's paragraphs);
  a coder's value is 1 when any of their codings of the code overlaps the segment.

Per code the data are binary. The overall figures pool the units of all codes applied by at
least one of the coders (each code × unit is one unit).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from workweave.domain.errors import ValidationError
from workweave.domain.qualitative import Codebook, Coding, Document, Span, union

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
TEXT_LEVELS: tuple[str, ...] = ("character", "segment")


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


# -- coincidences and alpha --------------------------------------------------------------------


@dataclass(frozen=True)
class Coincidences:
    """The coincidence matrix of reliability data: `values` (sorted) index rows and columns."""

    values: tuple[Any, ...]
    matrix: np.ndarray  # o[c, k]
    pairable_units: float  # (weighted) number of units coded by two or more coders

    @property
    def totals(self) -> np.ndarray:
        return self.matrix.sum(axis=1)

    @property
    def n(self) -> float:
        return float(self.matrix.sum())


def coincidences(
    units: Iterable[Sequence[Any]], weights: Iterable[float] | None = None
) -> Coincidences:
    """Coincidences of `units`, each the sequence of values the coders gave it (None or NaN
    for a coder who did not code it). `weights` counts identical units at once."""
    counts: Counter[tuple[Hashable, Hashable]] = Counter()
    seen: set[Hashable] = set()
    pairable = 0.0
    ws = iter(weights) if weights is not None else None
    for unit in units:
        w = float(next(ws)) if ws is not None else 1.0
        vals = [v for v in unit if not _missing(v)]
        m = len(vals)
        if m < 2 or w == 0:
            continue
        pairable += w
        share = w / (m - 1)
        tally = Counter(vals)
        for c, nc in tally.items():
            seen.add(c)
            for k, nk in tally.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                if pairs:
                    counts[(c, k)] += pairs * share
    try:
        values = tuple(sorted(seen))
    except TypeError:
        values = tuple(sorted(seen, key=repr))
    index = {v: i for i, v in enumerate(values)}
    matrix = np.zeros((len(values), len(values)))
    for (c, k), x in counts.items():
        matrix[index[c], index[k]] = x
    return Coincidences(values, matrix, pairable)


def _delta2(co: Coincidences, level: str) -> np.ndarray:
    vals = co.values
    k = len(vals)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        n = co.totals
        cum = np.concatenate([[0.0], np.cumsum(n)])
        d = np.zeros((k, k))
        for i in range(k):
            for j in range(k):
                lo, hi = min(i, j), max(i, j)
                d[i, j] = (cum[hi + 1] - cum[lo] - (n[i] + n[j]) / 2) ** 2
        return d
    try:
        x = np.array([float(v) for v in vals])
    except (TypeError, ValueError):
        raise ValidationError(f"{level} alpha needs numeric values, not {vals!r}") from None
    if level == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if level == "ratio":
        s = x[:, None] + x[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s == 0, 0.0, ((x[:, None] - x[None, :]) / s) ** 2)
        return d
    raise ValidationError(f"level '{level}' is not one of {', '.join(LEVELS)}")


def alpha_from_coincidences(co: Coincidences, level: str = "nominal") -> float | None:
    """Krippendorff's alpha; None when it is undefined (fewer than two pairable values, or
    no variation at all: every coder always gave the same single value)."""
    if level not in LEVELS:
        raise ValidationError(f"level '{level}' is not one of {', '.join(LEVELS)}")
    n = co.n
    if n <= 1 or len(co.values) < 2:
        return None
    d2 = _delta2(co, level)
    nc = co.totals
    observed = float((co.matrix * d2).sum())
    expected = float((np.outer(nc, nc) * d2).sum())
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[Any]], level: str = "nominal"
) -> float | None:
    """Krippendorff's alpha of a coders × units matrix (one row per coder, as in Krippendorff's
    tables; None or NaN marks a unit the coder did not code)."""
    rows = [list(r) for r in reliability_data]
    if not rows:
        return None
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValidationError("every coder's row must have one value per unit")
    units = [[r[u] for r in rows] for u in range(width)]
    return alpha_from_coincidences(coincidences(units), level)


def percent_agreement(
    units: Iterable[Sequence[Any]], weights: Iterable[float] | None = None
) -> float | None:
    """Mean, over units coded by two or more coders, of the share of coder pairs that gave the
    unit the same value (for two coders: the share of units they agree on)."""
    agree = total = 0.0
    ws = iter(weights) if weights is not None else None
    for unit in units:
        w = float(next(ws)) if ws is not None else 1.0
        vals = [v for v in unit if not _missing(v)]
        m = len(vals)
        if m < 2 or w == 0:
            continue
        same = sum(n * (n - 1) for n in Counter(vals).values())
        agree += w * same / (m * (m - 1))
        total += w
    return agree / total if total else None


def cohen_kappa(
    a: Sequence[Any], b: Sequence[Any], weights: Sequence[float] | None = None
) -> float | None:
    """Cohen's kappa of two coders' values over the same units (units either left uncoded are
    skipped); None when chance agreement is 1 (both always gave the same single value)."""
    if len(a) != len(b):
        raise ValidationError("both coders need one value per unit")
    ws = list(weights) if weights is not None else [1.0] * len(a)
    pa: Counter[Any] = Counter()
    pb: Counter[Any] = Counter()
    agree = total = 0.0
    for x, y, w in zip(a, b, ws, strict=True):
        if _missing(x) or _missing(y) or w == 0:
            continue
        pa[x] += w
        pb[y] += w
        total += w
        if x == y:
            agree += w
    if not total:
        return None
    po = agree / total
    pe = sum(pa[c] * pb[c] for c in pa) / (total * total)
    if pe >= 1.0:
        return None
    return (po - pe) / (1.0 - pe)


# -- coded text --------------------------------------------------------------------------------


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


def as_units(rows: Mapping[str, Sequence[Any]]) -> list[list[Any]]:
    """Transpose {coder: values by unit} into units × coders (a helper for callers)."""
    coders = list(rows)
    width = max((len(v) for v in rows.values()), default=0)
    return [[rows[c][u] if u < len(rows[c]) else None for c in coders] for u in range(width)]


__all__ = [
    "LEVELS",
    "TEXT_LEVELS",
    "AgreementReport",
    "AgreementRow",
    "Coincidences",
    "alpha_from_coincidences",
    "as_units",
    "cohen_kappa",
    "coincidences",
    "krippendorff_alpha",
    "percent_agreement",
    "text_agreement",
]
