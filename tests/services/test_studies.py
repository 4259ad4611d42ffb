"""Importing WOMBAT 2 exports into a study (``services.studies.import_wombat``): all or
nothing, changed re-imports, and the real exports in ../shared (when present) stored row for
row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.factories import WOMBAT_ROWS, create_study, wombat_edit, write_wombat
from workweave.domain import ValidationError
from workweave.services.studies import import_wombat


def test_a_bad_file_imports_nothing(tmp_path: Path) -> None:
    good = write_wombat(tmp_path, WOMBAT_ROWS, name="good.csv")
    bad = write_wombat(
        tmp_path,
        [
            WOMBAT_ROWS[0].replace("2_52_1", "3_53_1").replace(",52,", ",53,"),
            wombat_edit(WOMBAT_ROWS[1], "end time", "bad").replace(",52,", ",53,"),
        ],
        name="bad.csv",
    )
    store, sid = create_study(tmp_path / "s.sqlite", "s")
    with pytest.raises(ValidationError):
        import_wombat(store, sid, [good, bad], timezone="Europe/Rome")
    assert store.analytic.counts(sid) == {"sessions": 0, "tasks": 0}
    res = import_wombat(store, sid, [good], timezone="Europe/Rome")
    assert res.counts.sessions_added == 1 and res.counts.tasks_added == 3


def test_changed_reimport_is_a_conflict_unless_replaced(tmp_path: Path) -> None:
    store, sid = create_study(tmp_path / "s.sqlite", "s")
    import_wombat(store, sid, [write_wombat(tmp_path, WOMBAT_ROWS)], timezone="UTC")
    changed = write_wombat(
        tmp_path, [wombat_edit(WOMBAT_ROWS[0], "Cosa", "Handover"), *WOMBAT_ROWS[1:]], name="v2.csv"
    )
    with pytest.raises(ValidationError, match="already stored with different content"):
        import_wombat(store, sid, [changed], timezone="UTC")
    res = import_wombat(store, sid, [changed], timezone="UTC", replace=True)
    assert res.counts.sessions_replaced == 1
    (s,) = store.sessions.load(sid)
    assert s.tasks[0].category == "Handover"
    assert store.analytic.counts(sid) == {"sessions": 1, "tasks": 3}


@pytest.mark.shared
def test_real_exports_every_row_and_every_time(wombat_paths: list[Path], tmp_path: Path) -> None:
    store, sid = create_study(tmp_path / "w.sqlite", "nurses")
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
