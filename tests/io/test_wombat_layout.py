"""The WOMBAT importer reads columns by name: shuffled columns give the same data, a header
that is not a known WOMBAT layout or swapped columns are refused with the reason."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from tests.factories import WOMBAT_HEADER, WOMBAT_ROWS, wombat_edit, write_wombat
from workweave.domain import ValidationError
from workweave.io.wombat import read_wombat


def _table() -> tuple[list[str], list[list[str]]]:
    header = next(csv.reader([WOMBAT_HEADER]))
    return header, [next(csv.reader([r])) for r in WOMBAT_ROWS]


def _write(tmp_path: Path, header: list[str], rows: list[list[str]], name: str) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    p = tmp_path / name
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


def _content(path: Path):
    exp = read_wombat(path, timezone="Europe/Rome", template_name="t")
    # a dimension's options are listed in the file's column order; their set is the content
    dims = {(d.key, d.multi, frozenset(d.options)) for d in exp.template.dimensions}
    return exp.sessions, exp.template.categories, dims


@pytest.mark.parametrize("seed", range(15))
def test_shuffled_columns_import_the_same_data(tmp_path: Path, seed: int) -> None:
    header, rows = _table()
    order = list(range(len(header)))
    random.Random(seed).shuffle(order)
    shuffled = _write(
        tmp_path, [header[i] for i in order], [[r[i] for i in order] for r in rows], "s.csv"
    )
    plain = _write(tmp_path, header, rows, "p.csv")
    assert _content(shuffled) == _content(plain)


def test_header_names_are_matched_without_case_spacing_or_aliases(tmp_path: Path) -> None:
    header, rows = _table()
    odd = [
        {
            "session date": "Session  Date",
            "observer/session/task id": "Task ID",
            "is session complete?": "Session complete",
            "start time": " START TIME ",
        }.get(h, h)
        for h in header
    ]
    assert _content(_write(tmp_path, odd, rows, "o.csv")) == _content(
        _write(tmp_path, header, rows, "p.csv")
    )


@pytest.mark.parametrize(
    ("rename", "reason"),
    [
        (
            {"start time": "strat time"},
            "missing column(s) 'start time'; unknown column(s) 'strat time' (did you mean",
        ),
        ({"Cosa (subcategories)": "Cosa subcats"}, "main category column"),
        ({"multi end 1": "multi ending 1"}, "unknown column(s) 'multi ending 1'"),
        ({"Cosa": "What"}, "'Cosa (subcategories)': no main category column"),
    ],
)
def test_headers_not_in_a_known_layout_are_refused(tmp_path: Path, rename, reason) -> None:
    header, rows = _table()
    p = _write(tmp_path, [rename.get(h, h) for h in header], rows, "bad.csv")
    with pytest.raises(ValidationError) as exc:
        read_wombat(p)
    assert reason in str(exc.value)
    assert exc.value.problems[0].row == 0


@pytest.mark.parametrize(
    ("a", "b", "column"),
    [
        ("start time", "end time", "end time"),
        ("elapsed time", "total time", "total time"),
        ("observer id", "session id", "observer/session/task id"),
        ("session start", "session end", "start time"),
        ("int start 1", "int end 1", "int end 1"),
    ],
)
def test_swapped_header_names_are_refused_by_row(tmp_path: Path, a: str, b: str, column) -> None:
    header, rows = _table()
    i, j = header.index(a), header.index(b)
    header[i], header[j] = header[j], header[i]
    with pytest.raises(ValidationError) as exc:
        read_wombat(_write(tmp_path, header, rows, "swapped.csv"))
    assert any(p.row and p.row >= 1 and p.column == column for p in exc.value.problems), (
        exc.value.describe()
    )


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("int task id 1", "2_52_99", "interrupting task '2_52_99'"),
        ("multi task id 1", "2_52_77", "parallel task '2_52_77'"),
        ("observer/session/task id", "3_52_1", "does not begin with"),
    ],
)
def test_bad_task_references_are_refused_by_row(tmp_path: Path, column, value, reason) -> None:
    rows = [wombat_edit(WOMBAT_ROWS[0], column, value), *WOMBAT_ROWS[1:]]
    with pytest.raises(ValidationError) as exc:
        read_wombat(write_wombat(tmp_path, rows, name="refs.csv"))
    p = exc.value.problems[0]
    assert p.row == 1 and reason in p.reason


def test_nul_and_overlong_cells_are_refused(tmp_path: Path) -> None:
    rows = [wombat_edit(WOMBAT_ROWS[0], "Dove", "Corri\x00doio"), *WOMBAT_ROWS[1:]]
    with pytest.raises(ValidationError, match="row 1, column 'Dove': holds a NUL"):
        read_wombat(write_wombat(tmp_path, rows, name="nul.csv"))
    rows = [wombat_edit(WOMBAT_ROWS[0], "Dove", "x" * 10_001), *WOMBAT_ROWS[1:]]
    with pytest.raises(ValidationError, match="at most 10000"):
        read_wombat(write_wombat(tmp_path, rows, name="long.csv"))
