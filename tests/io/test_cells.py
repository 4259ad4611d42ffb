"""Formula-looking text is neutralised in every CSV and Excel file we write; numbers stay."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from workweave.domain.qualitative import Quote
from workweave.io.cells import neutralise, neutralise_frame
from workweave.io.quotes import write_quotes

ATTACKS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x.example","click")', "@SUM(1)", "+1", "-1"]


@pytest.mark.parametrize("text", [*ATTACKS, "\tx", "\r=1"])
def test_formula_text_is_prefixed(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [1, -1, 1.5, -2.25, "plain", "a=b", "", None, True])
def test_other_values_are_unchanged(value: object) -> None:
    assert neutralise(value) == value


def test_frame_keeps_numeric_columns_numeric() -> None:
    df = pd.DataFrame({"n": [-1, 2], "x": [-1.5, 3.0], "t": ["-1", "ok"]})
    out = neutralise_frame(df)
    assert out["n"].tolist() == [-1, 2] and out["n"].dtype == df["n"].dtype
    assert out["x"].tolist() == [-1.5, 3.0]
    assert out["t"].tolist() == ["'-1", "ok"]
    assert df["t"].tolist() == ["-1", "ok"]  # the input is not changed


def test_quote_csv_is_neutralised(tmp_path) -> None:
    q = Quote(
        code="g1",
        code_name='=HYPERLINK("http://x.example")',
        document="d1",
        title="t",
        kind="field-note",
        participant="P1",
        site="S1",
        coder="c",
        start=0,
        end=3,
        text="=cmd|' /C calc'!A0",
        memo="@SUM(1)",
    )
    path = write_quotes([q], tmp_path / "q.csv", "csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["text"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["code_name"] == '\'=HYPERLINK("http://x.example")'
    assert rows[0]["memo"] == "'@SUM(1)"
    assert rows[0]["start"] == "0"
