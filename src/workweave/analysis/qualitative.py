"""Analysis of coded text: code frequencies and coverage, code co-occurrence, and a code × site
table of participants with small numbers suppressed.

Definitions (all computed over the codings given, e.g. one coder's):

- **codings**: how many times the code was applied;
- **documents** / **participants**: how many distinct documents / participants it was
  applied in;
- **characters**: characters (code points) covered by the code, each counted once per
  document however many codings (or coders) cover it;
- **coverage**: characters covered divided by all characters of the documents in the group
  (coded or not);
- **co-occurrence** of codes A and B: the number of pairs (a coding of A, a coding of B) in the
  same document whose spans overlap by at least one character (by default only pairs from the
  same coder); the diagonal holds each code's number of codings;
- **participants by site**: distinct participants whose documents carry the code, per site;
  counts from 1 to ``threshold - 1`` are suppressed (shown as ``<threshold``) so that no
  small group can be recognised. No totals are given, since they would reveal suppressed
  cells by subtraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from workweave.domain.errors import ValidationError
from workweave.domain.qualitative import Coding, Document, Span, union

GROUPS: tuple[str, ...] = ("site", "profession", "participant")
NONE = "(none)"


def _group(doc: Document, by: str | None, professions: Mapping[str, str]) -> str:
    if by is None:
        return "all"
    if by == "site":
        return doc.site or NONE
    if by == "participant":
        return doc.participant or NONE
    if by == "profession":
        return professions.get(doc.participant or "", NONE) if doc.participant else NONE
    raise ValidationError(f"cannot group by '{by}' (use {', '.join(GROUPS)})")


def _codes_in_order(codings: Iterable[Coding], labels: Mapping[str, str]) -> list[str]:
    used = {c.code for c in codings}
    ordered = [g for g in labels if g in used]
    return ordered + sorted(used - set(ordered))


@dataclass
class _Tally:
    codings: int = 0
    documents: set[str] = field(default_factory=set)
    participants: set[str] = field(default_factory=set)


def code_frequencies(
    documents: Sequence[Document],
    codings: Iterable[Coding],
    *,
    labels: Mapping[str, str] | None = None,
    by: str | None = None,
    professions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per group and code used: codings, documents, participants, characters and
    coverage. `labels` maps code GUIDs to names (and gives their order)."""
    labels = labels or {}
    professions = professions or {}
    docs = {d.key: d for d in documents}
    codings = [c for c in codings if c.document in docs]
    group_of = {k: _group(d, by, professions) for k, d in docs.items()}
    group_chars: dict[str, int] = {}
    for k, d in docs.items():
        group_chars[group_of[k]] = group_chars.get(group_of[k], 0) + d.length
    spans: dict[tuple[str, str], list[Span]] = {}
    stats: dict[tuple[str, str], _Tally] = {}
    for c in codings:
        t = stats.setdefault((group_of[c.document], c.code), _Tally())
        t.codings += 1
        t.documents.add(c.document)
        p = docs[c.document].participant
        if p:
            t.participants.add(p)
        spans.setdefault((c.document, c.code), []).append(c.span)
    chars: dict[tuple[str, str], int] = {}
    for (doc, code), ss in spans.items():
        key = (group_of[doc], code)
        chars[key] = chars.get(key, 0) + sum(s.length for s in union(ss))
    order = _codes_in_order(codings, labels)
    rows = []
    for g in sorted(group_chars):
        for code in order:
            tally = stats.get((g, code))
            if tally is None:
                continue
            total = group_chars[g]
            rows.append(
                {
                    "group": g,
                    "code": code,
                    "name": labels.get(code, code),
                    "codings": tally.codings,
                    "documents": len(tally.documents),
                    "participants": len(tally.participants),
                    "characters": chars.get((g, code), 0),
                    "coverage": chars.get((g, code), 0) / total if total else 0.0,
                }
            )
    columns = [
        "group",
        "code",
        "name",
        "codings",
        "documents",
        "participants",
        "characters",
        "coverage",
    ]
    df = pd.DataFrame(rows, columns=columns)
    return df.drop(columns="group") if by is None else df.rename(columns={"group": by})


def cooccurrence(
    codings: Iterable[Coding],
    *,
    labels: Mapping[str, str] | None = None,
    same_coder: bool = True,
) -> pd.DataFrame:
    """Code × code counts of overlapping coding pairs within a document (see the module)."""
    labels = labels or {}
    codings = list(codings)
    order = _codes_in_order(codings, labels)
    index = {g: i for i, g in enumerate(order)}
    counts = [[0] * len(order) for _ in order]
    by_doc: dict[tuple[str, str], list[Coding]] = {}
    for c in codings:
        by_doc.setdefault((c.document, c.coder if same_coder else ""), []).append(c)
        counts[index[c.code]][index[c.code]] += 1
    for items in by_doc.values():
        items.sort(key=lambda c: (c.start, c.end))
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.start >= a.end:
                    break
                if a.code != b.code:
                    counts[index[a.code]][index[b.code]] += 1
                    counts[index[b.code]][index[a.code]] += 1
    names = [labels.get(g, g) for g in order]
    return pd.DataFrame(counts, index=names, columns=names)


def participants_by_site(
    documents: Sequence[Document],
    codings: Iterable[Coding],
    *,
    labels: Mapping[str, str] | None = None,
    threshold: int = 3,
) -> pd.DataFrame:
    """Code × site counts of distinct participants, with 1 to ``threshold - 1`` suppressed
    (missing values, ``<NA>``). Rows are code names, columns the sites of the documents."""
    if threshold < 1:
        raise ValidationError("the small-number threshold must be at least 1")
    labels = labels or {}
    docs = {d.key: d for d in documents}
    codings = [c for c in codings if c.document in docs]
    sites = sorted({d.site or NONE for d in docs.values()})
    who: dict[tuple[str, str], set[str]] = {}
    for c in codings:
        d = docs[c.document]
        if d.participant:
            who.setdefault((c.code, d.site or NONE), set()).add(d.participant)
    order = _codes_in_order(codings, labels)
    data = []
    for code in order:
        row = []
        for s in sites:
            n = len(who.get((code, s), ()))
            row.append(pd.NA if 0 < n < threshold else n)
        data.append(row)
    return pd.DataFrame(data, index=[labels.get(g, g) for g in order], columns=sites, dtype="Int64")


def show_suppressed(table: pd.DataFrame, threshold: int = 3) -> pd.DataFrame:
    """The participants-by-site table as text, suppressed cells shown as ``<threshold``."""
    return table.astype(object).where(table.notna(), f"<{threshold}").astype(str)


__all__ = [
    "GROUPS",
    "code_frequencies",
    "cooccurrence",
    "participants_by_site",
    "show_suppressed",
]
