"""WOMBAT 2 import: the real exports in ../shared (when present) and small hand-made files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from workweave.domain import ValidationError
from workweave.io.wombat import read_wombat
from workweave.services.studies import import_wombat
from workweave.store import Store

HEADER = (
    "session date,observer id,session id,location id,participant id,session start,session end,"
    "observer/session/task id,Cosa,Cosa (subcategories),start time,end time,elapsed time,"
    "total time,[Con Chi] Paziente,[Con Chi] Medico,Dove,ended by,multi with,"
    "num of multitask fragments,num of tasks in multi 1,multi task id 1,multi start 1,"
    "multi end 1,total overlapping time,is interrupting task?,interrupted by,num of interrupts,"
    "int task id 1,int start 1,int end 1,active 1,Participant: Age,is session complete?"
)
ROWS = [
    # a task interrupted by the second, which also runs in parallel with the third
    "2018-05-28,2,52,01,co01,14:00:00,14:10:00,2_52_1,Terapia,Preparazione,14:00:00,14:05:00,"
    "00:05:00,00:03:00,1,0,Corridoio,user,,0,,,,,00:00:00,false,2_52_2,1,2_52_2,14:01:00,14:03:00,"
    ",,TRUE",
    "2018-05-28,2,52,01,co01,14:00:00,14:10:00,2_52_2,ComProfessionale,0,14:01:00,14:04:00,"
    "00:03:00,00:03:00,0,1,0,2_52_3,2_52_3,1,2,2_52_3,14:03:30,14:04:00,00:00:30,true,,0,,,,,,"
    "TRUE",
    "2018-05-28,2,52,01,co01,14:00:00,14:10:00,2_52_3,Spostamenti,0,14:03:30,14:10:00,"
    "00:06:30,00:06:30,0,0,Stanza Paziente,session,2_52_2,1,2,2_52_2,14:03:30,14:04:00,00:00:30,"
    "false,,0,,,,,,TRUE",
]


def write(tmp_path: Path, rows: list[str], name: str = "export.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\ufeff" + header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def edit(row: str, column: str, value: str) -> str:
    cols = next(csv.reader([HEADER]))
    cells = next(csv.reader([row]))
    cells[cols.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def test_small_export_becomes_canonical_tasks(tmp_path: Path) -> None:
    exp = read_wombat(write(tmp_path, ROWS), timezone="Europe/Rome")
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
    rows = [edit(edit(r, "session end", ""), "is session complete?", "FALSE") for r in ROWS]
    rows[2] = edit(edit(rows[2], "end time", ""), "elapsed time", "")
    exp = read_wombat(write(tmp_path, rows))
    (s,) = exp.sessions
    assert not s.complete and s.end is None
    assert s.tasks[2].end is None
    assert len(s.tasks) == 3


@pytest.mark.parametrize(
    ("mutate", "column", "reason"),
    [
        (
            lambda rows: [edit(rows[0], "start time", "14:61:00"), *rows[1:]],
            "start time",
            "not a time",
        ),
        (
            lambda rows: [edit(rows[0], "end time", "13:59:00"), *rows[1:]],
            "end time",
            "before the start",
        ),
        (
            lambda rows: [rows[0], edit(rows[1], "observer/session/task id", "2_52_1"), rows[2]],
            "observer/session/task id",
            "duplicated",
        ),
        (
            lambda rows: [rows[0], edit(rows[1], "observer id", "9"), rows[2]],
            "observer id",
            "differs",
        ),
        (
            lambda rows: [edit(rows[0], "[Con Chi] Paziente", "yes"), *rows[1:]],
            "[Con Chi] Paziente",
            "0 or 1",
        ),
        (lambda rows: [edit(rows[0], "int end 1", "14:00:30"), *rows[1:]], "int end 1", "before"),
        (lambda rows: [rows[0] + ",extra", *rows[1:]], None, "fields"),
    ],
)
def test_malformed_rows_are_refused_with_file_row_and_column(
    tmp_path: Path, mutate, column: str | None, reason: str
) -> None:
    path = write(tmp_path, mutate(list(ROWS)), name="bad.csv")
    with pytest.raises(ValidationError) as exc:
        read_wombat(path)
    p = exc.value.problems[0]
    assert p.source == "bad.csv" and p.row in (1, 2)
    assert p.column == column
    assert reason in p.reason


def test_wrong_columns_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, ["a,b,c"], header="name,age,town")
    with pytest.raises(ValidationError, match="not a WOMBAT 2 export: missing column"):
        read_wombat(path)
    broken = HEADER.replace(",multi end 1", ",multi stop 1")
    with pytest.raises(ValidationError, match="lacks 'multi end 1'"):
        read_wombat(write(tmp_path, [], header=broken, name="b.csv"))


def test_non_utf8_and_missing_files_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes(
        (HEADER + "\n" + ROWS[0].replace("Corridoio", "Corridoìo") + "\n").encode("latin-1")
    )
    with pytest.raises(ValidationError, match="UTF-8"):
        read_wombat(p)
    with pytest.raises(ValidationError, match="no such file"):
        read_wombat(tmp_path / "nope.csv")


def test_a_bad_file_imports_nothing(tmp_path: Path) -> None:
    good = write(tmp_path, ROWS, name="good.csv")
    bad = write(
        tmp_path,
        [
            ROWS[0].replace("2_52_1", "3_53_1").replace(",52,", ",53,"),
            edit(ROWS[1], "end time", "bad").replace(",52,", ",53,"),
        ],
        name="bad.csv",
    )
    store = Store.create(tmp_path / "s.sqlite")
    from workweave.domain import Study

    sid = store.studies.create(Study("s"))
    with pytest.raises(ValidationError):
        import_wombat(store, sid, [good, bad], timezone="Europe/Rome")
    assert store.analytic.counts(sid) == {"sessions": 0, "tasks": 0}
    res = import_wombat(store, sid, [good], timezone="Europe/Rome")
    assert res.counts.sessions_added == 1 and res.counts.tasks_added == 3


def test_changed_reimport_is_a_conflict_unless_replaced(tmp_path: Path) -> None:
    from workweave.domain import Study

    store = Store.create(tmp_path / "s.sqlite")
    sid = store.studies.create(Study("s"))
    import_wombat(store, sid, [write(tmp_path, ROWS)], timezone="UTC")
    changed = write(tmp_path, [edit(ROWS[0], "Cosa", "Handover"), *ROWS[1:]], name="v2.csv")
    with pytest.raises(ValidationError, match="already stored with different content"):
        import_wombat(store, sid, [changed], timezone="UTC")
    res = import_wombat(store, sid, [changed], timezone="UTC", replace=True)
    assert res.counts.sessions_replaced == 1
    (s,) = store.sessions.load(sid)
    assert s.tasks[0].category == "Handover"
    assert store.analytic.counts(sid) == {"sessions": 1, "tasks": 3}


# -- the real exports --------------------------------------------------------------------------


@pytest.mark.shared
def test_real_exports_every_row_and_every_time(wombat_paths: list[Path], tmp_path: Path) -> None:
    from workweave.domain import Study

    store = Store.create(tmp_path / "w.sqlite")
    sid = store.studies.create(Study("nurses"))
    res = import_wombat(store, sid, wombat_paths, timezone="Europe/Rome")
    assert res.files == 14
    assert (res.sessions_in_files, res.tasks_in_files) == (257, 7684)
    assert (res.counts.sessions_added, res.counts.tasks_added) == (257, 7684)
    # our elapsed and active times equal the export's columns for every task that has them
    assert res.time_mismatches == []
    assert store.analytic.counts(sid) == {"sessions": 257, "tasks": 7684}

    # every interruption link and multitask link in the files is kept
    n_int = n_multi = 0
    incomplete_rows = 0
    for path in wombat_paths:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                n_int += sum(
                    1 for k, v in row.items() if k.startswith("int task id") and v not in ("", "0")
                )
                n_multi += sum(
                    len([x for x in v.split(",") if x])
                    for k, v in row.items()
                    if k.startswith("multi task id") and v not in ("", "0")
                )
                incomplete_rows += row["is session complete?"] == "FALSE"
    assert incomplete_rows == 19
    tables = {
        n: store.analytic.frame(n, sid) for n in ("suspensions", "parallel_links", "sessions")
    }
    assert len(tables["suspensions"]) == n_int
    assert len(tables["parallel_links"]) == n_multi
    assert (~tables["sessions"]["complete"].astype(bool)).sum() == 1

    # the stored sessions are exactly what was read (round trip through the store)
    from workweave.io.wombat import read_many
    from workweave.store import fingerprint

    read = {
        s.key: fingerprint(s)
        for e in read_many(wombat_paths, timezone="Europe/Rome")
        for s in e.sessions
    }
    stored = {s.key: fingerprint(s) for s in store.sessions.load(sid)}
    assert stored == read

    # importing the same files again changes nothing
    again = import_wombat(store, sid, wombat_paths, timezone="Europe/Rome")
    assert (again.counts.sessions_added, again.counts.sessions_unchanged) == (0, 257)
    assert store.analytic.counts(sid) == {"sessions": 257, "tasks": 7684}


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
        edit(
            edit(
                edit(
                    edit(edit(ROWS[2], "session start", "23:50:00"), "session end", "00:20:00"),
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
    rows[0] = edit(edit(rows[0], "total time", "00:10:00"), "multi task id 1", "")
    (s,) = read_wombat(write(tmp_path, rows), timezone="UTC").sessions
    assert s.observed_seconds == 30 * 60
    assert s.tasks[0].elapsed_seconds == 600
    assert s.tasks[0].end.day == 29
