"""Code frequencies, coverage, co-occurrence and the small-number rule."""

from __future__ import annotations

import pandas as pd
import pytest

from workweave.analysis.qualitative import (
    code_frequencies,
    cooccurrence,
    participants_by_site,
    show_suppressed,
)
from workweave.domain.errors import ValidationError
from workweave.domain.qualitative import Coding, Document, new_guid

A, B, C = new_guid(), new_guid(), new_guid()
LABELS = {A: "Pressure", B: "Identity", C: "Values"}


def doc(participant: str, site: str, text: str = "x" * 100) -> Document:
    return Document(new_guid(), "transcript", participant, text, participant=participant, site=site)


def cod(d: Document, code: str, start: int, end: int, coder: str = "alice") -> Coding:
    return Coding(new_guid(), d.key, code, coder, start, end)


@pytest.fixture
def data() -> tuple[list[Document], list[Coding]]:
    d1, d2, d3 = doc("P1", "RAD"), doc("P2", "RAD"), doc("P3", "OT", "y" * 50)
    d4, d5 = doc("P4", "RAD"), doc("P5", "OT", "z" * 50)
    codings = [
        cod(d1, A, 0, 10),
        cod(d1, A, 5, 20),  # overlaps the first: 20 characters covered, not 25
        cod(d1, B, 15, 30),  # overlaps the second A coding only
        cod(d2, A, 50, 60),
        cod(d3, A, 0, 25),
        cod(d3, C, 30, 40),
        cod(d4, A, 0, 1),
        cod(d4, B, 0, 1, coder="bob"),  # overlaps A but by another coder
    ]
    return [d1, d2, d3, d4, d5], codings


def test_frequencies_and_coverage(data: tuple[list[Document], list[Coding]]) -> None:
    docs, codings = data
    f = code_frequencies(docs, codings, labels=LABELS)
    assert list(f["name"]) == ["Pressure", "Identity", "Values"]
    a = f.set_index("name").loc["Pressure"]
    assert (a.codings, a.documents, a.participants) == (5, 4, 4)
    assert a.characters == 20 + 10 + 25 + 1
    assert a.coverage == pytest.approx(56 / 400)
    by_site = code_frequencies(docs, codings, labels=LABELS, by="site")
    rad = by_site[(by_site.site == "RAD") & (by_site.name == "Pressure")].iloc[0]
    assert rad.coverage == pytest.approx(31 / 300) and rad.participants == 3
    ot = by_site[(by_site.site == "OT") & (by_site.name == "Pressure")].iloc[0]
    assert ot.coverage == pytest.approx(25 / 100)  # the uncoded OT document counts too
    by_prof = code_frequencies(
        docs, codings, labels=LABELS, by="profession", professions={"P1": "radiographer"}
    )
    assert set(by_prof.profession) == {"radiographer", "(none)"}
    by_p = code_frequencies(docs, codings, labels=LABELS, by="participant")
    assert set(by_p.participant) == {"P1", "P2", "P3", "P4"}
    with pytest.raises(ValidationError):
        code_frequencies(docs, codings, by="planet")
    empty = code_frequencies(docs, [], labels=LABELS)
    assert empty.empty and "coverage" in empty.columns


def test_cooccurrence_counts_overlapping_pairs(data: tuple[list[Document], list[Coding]]) -> None:
    _, codings = data
    m = cooccurrence(codings, labels=LABELS)
    assert list(m.index) == ["Pressure", "Identity", "Values"]
    assert m.loc["Pressure", "Pressure"] == 5 and m.loc["Identity", "Identity"] == 2
    assert m.loc["Pressure", "Identity"] == m.loc["Identity", "Pressure"] == 1
    assert m.loc["Pressure", "Values"] == 0  # 0-25 and 30-40 do not overlap
    across = cooccurrence(codings, labels=LABELS, same_coder=False)
    assert across.loc["Pressure", "Identity"] == 2


def test_participants_by_site_suppresses_small_numbers(
    data: tuple[list[Document], list[Coding]],
) -> None:
    docs, codings = data
    t = participants_by_site(docs, codings, labels=LABELS)
    assert list(t.columns) == ["OT", "RAD"]
    assert t.loc["Pressure", "RAD"] == 3  # P1, P2, P4
    assert pd.isna(t.loc["Pressure", "OT"])  # one participant: suppressed
    assert pd.isna(t.loc["Identity", "RAD"])  # two
    assert t.loc["Identity", "OT"] == 0  # nobody: shown
    shown = show_suppressed(t)
    assert shown.loc["Pressure", "OT"] == "<3" and shown.loc["Pressure", "RAD"] == "3"
    loose = participants_by_site(docs, codings, labels=LABELS, threshold=1)
    assert loose.loc["Pressure", "OT"] == 1 and not loose.isna().any().any()
    with pytest.raises(ValidationError):
        participants_by_site(docs, codings, threshold=0)
