"""Reading WOMBAT 2 exports: the real exports in ../shared (when present) and small hand-made
files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import WOMBAT_HEADER, WOMBAT_ROWS, wombat_edit, write_wombat
from workweave.domain import ValidationError
from workweave.io.wombat import read_wombat


def test_small_export_becomes_canonical_tasks(tmp_path: Path) -> None:
    exp = read_wombat(write_wombat(tmp_path, WOMBAT_ROWS), timezone="Europe/Rome")
    (s,) = exp.sessions
    assert s.key == "wombat:52" and s.source_id == "52" and s.observer == "2"
    assert s.participant == "01:co01" and s.site == "01" and s.mode == "imported"
    assert s.start.isoformat() == "2018-05-28T12:00:00+00:00"  # 14:00 in Rome (CEST)
    t1, t2, t3 = s.tasks
    assert t1.category == "Terapia" and t1.subcategory == "Preparazione"
    assert t2.subcategory is None  # '0' means none
    assert t1.dims == {"Con Chi": ("Paziente",), "Dove": ("Corridoio",)}
    assert "Dove" not in t2.dims  # '0' means none
    assert (t1.elapsed_seconds, t1.active_seconds) == (300, 180)
    assert t1.suspensions[0].by == "2_52_2"
    assert [p.other for p in t2.parallel] == ["2_52_3"] and [p.other for p in t3.parallel] == [
        "2_52_2"
    ]
    assert t1.ended_by == "user" and t3.ended_by == "session"
    assert exp.time_mismatches() == []
    assert [d.key for d in exp.template.dimensions] == ["Con Chi", "Dove"]
    assert exp.template.dimension("Con Chi").multi
    assert exp.template.dimension("Dove").options == ("Corridoio", "Stanza Paziente")
    assert [c.code for c in exp.template.categories] == [
        "Terapia",
        "ComProfessionale",
        "Spostamenti",
    ]
    assert exp.participants[0].attributes == ()


def test_incomplete_session_keeps_rows_without_end_times(tmp_path: Path) -> None:
    rows = [
        wombat_edit(wombat_edit(r, "session end", ""), "is session complete?", "FALSE")
        for r in WOMBAT_ROWS
    ]
    rows[2] = wombat_edit(wombat_edit(rows[2], "end time", ""), "elapsed time", "")
    exp = read_wombat(write_wombat(tmp_path, rows))
    (s,) = exp.sessions
    assert not s.complete and s.end is None
    assert s.tasks[2].end is None
    assert len(s.tasks) == 3


@pytest.mark.parametrize(
    ("mutate", "column", "reason"),
    [
        (
            lambda rows: [wombat_edit(rows[0], "start time", "14:61:00"), *rows[1:]],
            "start time",
            "not a time",
        ),
        (
            lambda rows: [wombat_edit(rows[0], "end time", "13:59:00"), *rows[1:]],
            "end time",
            "before the start",
        ),
        (
            lambda rows: [
                rows[0],
                wombat_edit(rows[1], "observer/session/task id", "2_52_1"),
                rows[2],
            ],
            "observer/session/task id",
            "duplicated",
        ),
        (
            lambda rows: [rows[0], wombat_edit(rows[1], "observer id", "9"), rows[2]],
            "observer id",
            "differs",
        ),
        (
            lambda rows: [wombat_edit(rows[0], "[Con Chi] Paziente", "yes"), *rows[1:]],
            "[Con Chi] Paziente",
            "0 or 1",
        ),
        (
            lambda rows: [wombat_edit(rows[0], "int end 1", "14:00:30"), *rows[1:]],
            "int end 1",
            "before",
        ),
        (lambda rows: [rows[0] + ",extra", *rows[1:]], None, "fields"),
    ],
)
def test_malformed_rows_are_refused_with_file_row_and_column(
    tmp_path: Path, mutate, column: str | None, reason: str
) -> None:
    path = write_wombat(tmp_path, mutate(list(WOMBAT_ROWS)), name="bad.csv")
    with pytest.raises(ValidationError) as exc:
        read_wombat(path)
    p = exc.value.problems[0]
    assert p.source == "bad.csv" and p.row in (1, 2)
    assert p.column == column
    assert reason in p.reason


def test_wrong_columns_are_refused(tmp_path: Path) -> None:
    path = write_wombat(tmp_path, ["a,b,c"], header="name,age,town")
    with pytest.raises(ValidationError, match="not a WOMBAT 2 export: missing column"):
        read_wombat(path)
    broken = WOMBAT_HEADER.replace(",multi end 1", ",multi stop 1")
    with pytest.raises(ValidationError, match="lacks 'multi end 1'"):
        read_wombat(write_wombat(tmp_path, [], header=broken, name="b.csv"))


def test_non_utf8_and_missing_files_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes(
        (WOMBAT_HEADER + "\n" + WOMBAT_ROWS[0].replace("Corridoio", "Corridoìo") + "\n").encode(
            "latin-1"
        )
    )
    with pytest.raises(ValidationError, match="UTF-8"):
        read_wombat(p)
    with pytest.raises(ValidationError, match="no such file"):
        read_wombat(tmp_path / "nope.csv")


# -- the real exports --------------------------------------------------------------------------


@pytest.mark.shared
def test_real_export_session_52_by_hand(wombat_paths: list[Path]) -> None:
    path = next(p for p in wombat_paths if p.name.startswith("dati_prove"))
    exp = read_wombat(path, timezone="Europe/Rome")
    s = next(x for x in exp.sessions if x.source_id == "52")
    assert (s.observer, s.participant, s.complete) == ("2", "01:co01", True)
    assert s.observed_seconds == 9 * 60 + 9  # 14:23:42 to 14:32:51
    first = s.tasks[0]
    assert (first.key, first.category, first.subcategory) == (
        "2_52_536",
        "Terapia",
        "Lettura prescrizione",
    )
    assert (first.elapsed_seconds, first.active_seconds) == (34, 34)
    assert first.dims == {"Come": ("PC carrello",), "Dove": ("Corridoio",)}


def test_session_running_past_midnight(tmp_path: Path) -> None:
    rows = [
        wombat_edit(
            wombat_edit(
                wombat_edit(
                    wombat_edit(
                        wombat_edit(WOMBAT_ROWS[2], "session start", "23:50:00"),
                        "session end",
                        "00:20:00",
                    ),
                    "start time",
                    "23:55:00",
                ),
                "end time",
                "00:05:00",
            ),
            "elapsed time",
            "00:10:00",
        )
    ]
    rows[0] = wombat_edit(wombat_edit(rows[0], "total time", "00:10:00"), "multi task id 1", "")
    (s,) = read_wombat(write_wombat(tmp_path, rows), timezone="UTC").sessions
    assert s.observed_seconds == 30 * 60
    assert s.tasks[0].elapsed_seconds == 600
    assert s.tasks[0].end.day == 29
