"""Writing tables for analysts: CSV, Parquet, Excel (.xlsx), Stata (.dta) and SPSS (.sav).

A table to write is a `Sheet`: a DataFrame with a description, a label per column and the
columns whose text values are coded (categories, domains, sites, ...). The writers:

- **csv** (one UTF-8 file per table, with a byte-order mark so spreadsheets read it right) and
  **xlsx** (one workbook: a README sheet of definitions, then one sheet per table; openpyxl):
  every text cell a spreadsheet would run as a formula is neutralised (`workweave.io.cells`).
- **parquet**: one file per table, columns and types as they are.
- **dta** (Stata 14+ format 118, pandas) and **sav** (SPSS, pyreadstat): column names made valid
  for Stata and SPSS (`stata_names`), each variable labelled with its original name and
  meaning, coded columns stored as integers 1..n with value labels holding the text, booleans
  as 0/1 labelled no/yes, instants as date-times.

Folders get a ``codebook.csv`` beside the tables (table, column, variable name, label).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workweave.domain.errors import ValidationError
from workweave.io.cells import neutralise, neutralise_frame

FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx", "dta", "sav")
EXTENSIONS = {"csv": ".csv", "parquet": ".parquet", "xlsx": ".xlsx", "dta": ".dta", "sav": ".sav"}
NAME_LENGTH = 32
"""Longest variable name written to .dta and .sav (Stata's limit; SPSS allows 64 bytes)."""
LABEL_LENGTH = 80
"""Longest variable label Stata keeps."""
XLSX_ROWS = 1_048_575
"""Rows an Excel sheet holds below its header."""
XLSX_CELL = 32_767
"""Characters an Excel cell holds."""

# Stata's reserved words and SPSS's reserved keywords (compared case-insensitively)
RESERVED = frozenset(
    """_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _skip str strl
    using with all and by eq ge gt le lt ne not or to""".lower().split()
)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Sheet:
    """One table to write."""

    name: str
    frame: pd.DataFrame
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)  # column -> what it holds
    coded: tuple[str, ...] = ()  # text columns written with value labels in .dta/.sav


def stata_names(columns: Iterable[str]) -> dict[str, str]:
    """Column name -> a name valid in Stata and SPSS: ASCII letters, digits and ``_``,
    starting with a letter, at most 32 characters, not a reserved word, unique
    (case-insensitively) within the table. Names already valid are kept."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        text = unicodedata.normalize("NFKD", str(col)).encode("ascii", "ignore").decode()
        name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "v"
        if not name[0].isalpha():
            name = "v_" + name
        if name.lower() in RESERVED:
            name += "_v"
        name = name[:NAME_LENGTH]
        base, n = name, 1
        while name.lower() in taken:
            n += 1
            suffix = f"_{n}"
            name = base[: NAME_LENGTH - len(suffix)] + suffix
        taken.add(name.lower())
        out[str(col)] = name
    return out


def write_tables(
    sheets: Sequence[Sheet],
    fmt: str,
    out: str | Path,
    *,
    readme: Sequence[tuple[str, str, str]] = (),
    stem: str = "tables",
) -> list[Path]:
    """Write `sheets` as `fmt`. csv, parquet, dta, sav: one file per sheet in the folder
    `out` (made if missing) plus ``codebook.csv``; xlsx: one workbook, `out` itself when it
    ends in .xlsx, else ``<out>/<stem>.xlsx``. `readme`: (section, term, definition) rows
    for the README sheet of a workbook. Returns the files written."""
    if fmt not in FORMATS:
        raise ValidationError(f"unknown format '{fmt}' (choose from: {', '.join(FORMATS)})")
    out = Path(out)
    if fmt == "xlsx":
        path = out if out.suffix.lower() == ".xlsx" else out / f"{stem}.xlsx"
        _check_folder(path.parent)
        return [write_xlsx(sheets, path, readme=readme)]
    if out.exists() and not out.is_dir():
        raise ValidationError(f"{out} is a file; --format {fmt} writes one file per table")
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_one(s, fmt, out / f"{s.name}{EXTENSIONS[fmt]}") for s in sheets]
    paths.append(_write_codebook(sheets, fmt, out / "codebook.csv"))
    return paths


def write_one(sheet: Sheet, fmt: str, path: str | Path) -> Path:
    """One table as one file (csv, parquet, dta or sav; xlsx: a workbook of that sheet)."""
    path = Path(path)
    _check_folder(path.parent)
    if fmt == "csv":
        neutralise_frame(sheet.frame).to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "parquet":
        frame = sheet.frame.copy()
        frame.attrs = {}
        frame.to_parquet(path, index=False)
    elif fmt == "dta":
        _write_dta(sheet, path)
    elif fmt == "sav":
        _write_sav(sheet, path)
    elif fmt == "xlsx":
        write_xlsx([sheet], path)
    else:
        raise ValidationError(f"unknown format '{fmt}' (choose from: {', '.join(FORMATS)})")
    return path


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"{folder} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)


# -- Stata and SPSS ----------------------------------------------------------------------------


@dataclass
class _Coded:
    frame: pd.DataFrame  # renamed, with coded and boolean columns as numbers
    names: dict[str, str]  # original -> variable name
    labels: dict[str, str]  # variable name -> variable label
    value_labels: dict[str, dict[int, str]]  # variable name -> code -> text
    dates: list[str]  # variable names of date-time columns


def _coded(sheet: Sheet) -> _Coded:
    df = sheet.frame
    names = stata_names(df.columns)
    frame = pd.DataFrame(index=range(len(df)))
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[int, str]] = {}
    dates: list[str] = []
    for col in df.columns:
        name = names[str(col)]
        s = df[col].reset_index(drop=True)
        meaning = sheet.labels.get(str(col), "")
        label = str(col) if not meaning else f"{col}: {meaning}"
        labels[name] = label[:LABEL_LENGTH]
        if str(col) in sheet.coded:
            values = sorted({str(v) for v in s.dropna()})
            codes = {v: i for i, v in enumerate(values, start=1)}
            frame[name] = s.map(lambda v, c=codes: np.nan if pd.isna(v) else c[str(v)]).astype(
                "float64"
            )
            value_labels[name] = {i: v for v, i in codes.items()}
        elif pd.api.types.is_bool_dtype(s.dtype):
            frame[name] = s.astype("float64")
            value_labels[name] = {0: "no", 1: "yes"}
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            frame[name] = s.dt.tz_localize(None) if s.dt.tz is not None else s
            dates.append(name)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            frame[name] = s.astype("float64") if s.hasnans else s
        else:
            frame[name] = s.map(lambda v: "" if v is None or v is pd.NA else str(v)).astype(object)
            frame[name] = frame[name].map(lambda v: v.replace("\x00", ""))
    return _Coded(frame, names, labels, value_labels, dates)


def _write_dta(sheet: Sheet, path: Path) -> None:
    c = _coded(sheet)
    long_text = [
        n
        for n in c.frame.columns
        if c.frame[n].dtype == object and c.frame[n].map(lambda v: len(v.encode())).max() > 2000
    ]
    c.frame.to_stata(
        path,
        version=118,
        write_index=False,
        variable_labels=c.labels,
        value_labels=c.value_labels,
        convert_strl=long_text,
        convert_dates=dict.fromkeys(c.dates, "tc"),
        data_label=sheet.description[:LABEL_LENGTH] or None,
    )


def _write_sav(sheet: Sheet, path: Path) -> None:
    import pyreadstat

    c = _coded(sheet)
    pyreadstat.write_sav(
        c.frame,
        str(path),
        file_label=sheet.description[:64] or None,
        column_labels=c.labels,
        variable_value_labels=c.value_labels,
    )


def _write_codebook(sheets: Sequence[Sheet], fmt: str, path: Path) -> Path:
    rows = []
    for s in sheets:
        names = (
            stata_names(s.frame.columns)
            if fmt in ("dta", "sav")
            else {str(c): str(c) for c in s.frame.columns}
        )
        for col in s.frame.columns:
            rows.append(
                {
                    "table": s.name,
                    "column": str(col),
                    "variable": names[str(col)],
                    "value_labels": "yes" if str(col) in s.coded and fmt in ("dta", "sav") else "",
                    "meaning": s.labels.get(str(col), ""),
                }
            )
    neutralise_frame(pd.DataFrame(rows)).to_csv(path, index=False, encoding="utf-8-sig")
    return path


# -- Excel -------------------------------------------------------------------------------------


def _sheet_title(name: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    base, n = title, 1
    while title.lower() in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}_{n}"
    taken.add(title.lower())
    return title


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str):
        text = _ILLEGAL_XML.sub("", value)
        if len(text) > XLSX_CELL:
            text = text[: XLSX_CELL - 1] + "…"
        return neutralise(text)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tz else value.to_pydatetime()
    return value


def write_xlsx(
    sheets: Sequence[Sheet], path: str | Path, *, readme: Sequence[tuple[str, str, str]] = ()
) -> Path:
    """A workbook: README (tables, columns and `readme` definitions), then one sheet per
    table. Text cells are neutralised; longer than Excel's 32,767 characters they are cut
    (the README says so); a table over 1,048,575 rows is refused."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    too_big = [s.name for s in sheets if len(s.frame) > XLSX_ROWS]
    if too_big:
        raise ValidationError(
            f"table(s) {', '.join(too_big)} have more rows than an Excel sheet holds "
            f"({XLSX_ROWS:,}); export them as csv, parquet, dta or sav"
        )
    wb = Workbook()
    info = wb.active
    assert info is not None
    taken = {"readme"}
    info.title = "README"
    bold = Font(bold=True)
    info.append(["section", "name", "definition"])
    for cell in info[1]:
        cell.font = bold
    titles = {s.name: _sheet_title(s.name, taken) for s in sheets}
    for s in sheets:
        info.append(
            [_xlsx_cell(v) for v in ("table", f"{s.name} (sheet {titles[s.name]})", s.description)]
        )
        for col in s.frame.columns:
            info.append(
                [_xlsx_cell(v) for v in (f"column of {s.name}", str(col), s.labels.get(col, ""))]
            )
    for section, term, definition in readme:
        info.append([_xlsx_cell(v) for v in (section, term, definition)])
    info.append(
        [
            "note",
            "text cells",
            "A text cell starting with =, +, -, @, a tab or a carriage return is written with a "
            "leading ' so that no spreadsheet runs it as a formula; text longer than 32,767 "
            "characters (Excel's limit) is cut and ends with …",
        ]
    )
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 34
    info.column_dimensions["C"].width = 120
    for s in sheets:
        ws = wb.create_sheet(titles[s.name])
        ws.append([_xlsx_cell(str(c)) for c in s.frame.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in s.frame.itertuples(index=False, name=None):
            ws.append([_xlsx_cell(v) for v in row])
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "Sheet",
    "stata_names",
    "write_one",
    "write_tables",
    "write_xlsx",
]
