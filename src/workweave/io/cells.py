"""Spreadsheet cells that cannot run: the one rule every CSV and Excel file we write follows.

A spreadsheet (Excel, LibreOffice Calc, Google Sheets) opening a CSV or XLSX file runs a text
cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage
return can hide such a start ("CSV injection", OWASP). A participant's note or a category
label typed by anyone must never become ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` on a
researcher's machine. `neutralise` prefixes such a text with an apostrophe ``'``: spreadsheets
show the text as it was typed, and a reader of the raw file sees one extra leading character.
Numbers are numbers, not text, and are never changed: ``-1`` the number stays ``-1``, while
the text ``"-1"`` becomes ``"'-1"``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is run (or can be made to run) as a formula."""

PREFIX = "'"


def neutralise(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would run: then ``'`` + the text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return PREFIX + value
    return value


def neutralise_row(values: Any) -> list[Any]:
    """Each cell of a row through `neutralise`."""
    return [neutralise(v) for v in values]


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells (in object or string columns) are neutralised;
    numeric, boolean and date columns are left as they are. Column names are text too."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


__all__ = ["FORMULA_STARTS", "PREFIX", "neutralise", "neutralise_frame", "neutralise_row"]
