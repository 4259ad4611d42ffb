"""Exports for analysts: files read back with pandas, pyreadstat and openpyxl."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from tests.factories import at, drawn_study, plan, session, task
from workweave.domain import Note, Participant
from workweave.domain.errors import ValidationError
from workweave.io.exports import stata_names
from workweave.services import exports

EVIL = "=cmd|' /C calc'!A0"


@pytest.fixture
def study(tmp_path: Path):
    t0 = at("2024-03-18", "09:00")
    s = session(
        "s1",
        "P1",
        t0,
        t0 + timedelta(hours=2),
        [
            task(
                "a",
                "CLIN-DIRECT",
                t0,
                t0 + timedelta(minutes=30),
                seq=1,
                suspensions=[(t0 + timedelta(minutes=10), t0 + timedelta(minutes=15), "b")],
                dims={"with": ["patient", "relative"]},
            ),
            task("b", "MEETING", t0 + timedelta(minutes=10), t0 + timedelta(minutes=15), seq=2),
            task("c", "-1", t0 + timedelta(minutes=40), t0 + timedelta(minutes=50), seq=3),
        ],
    )
    s = replace(s, notes=(Note(t0 + timedelta(minutes=5), EVIL, "n1"),))
    people = [
        Participant("P1", "S1", "radiographer", "7", job_plan=plan((0, "09:00", "12:00", "DCC")))
    ]
    st, sid = drawn_study(tmp_path / "s.sqlite", [s], people)
    yield st, sid
    st.close()


def test_tables_hold_derived_columns(study) -> None:
    st, sid = study
    t = exports.study_tables(st, sid)["tasks"].set_index("task_key")
    assert t.loc["a", "active_s"] == 25 * 60  # 30 minutes less 5 suspended
    assert t.loc["a", "elapsed_s"] == 30 * 60
    assert t.loc["a", "domain"] == "clinical" and t.loc["b", "domain"] == "managerial"
    assert t.loc["a", "dim_with"] == "patient; relative"
    assert t.loc["a", "participant"] == "P1" and t.loc["a", "site"] == "S1"
    assert str(t.loc["a", "start_local"]) == "2024-03-18 09:00:00"


def test_stata_file_has_variable_and_value_labels(study, tmp_path: Path) -> None:
    st, sid = study
    exports.export_tables(st, sid, "dta", tmp_path / "dta")
    path = tmp_path / "dta" / "tasks.dta"
    with pd.io.stata.StataReader(path) as r:
        labels = r.variable_labels()
        values = r.value_labels()
    assert labels["active_s"].startswith("active_s: active seconds")
    assert set(values["category"].values()) == {"CLIN-DIRECT", "MEETING", "-1"}
    assert set(values["domain"].values()) >= {"clinical", "managerial"}
    df = pd.read_stata(path)
    assert sorted(df["category"].astype(str)) == ["-1", "CLIN-DIRECT", "MEETING"]
    assert df["active_s"].tolist()[0] == 1500
    notes = pd.read_stata(tmp_path / "dta" / "notes.dta")
    assert notes["text"].tolist() == [EVIL]  # data files keep the text as it is
    assert (tmp_path / "dta" / "codebook.csv").exists()


def test_spss_file_has_variable_and_value_labels(study, tmp_path: Path) -> None:
    st, sid = study
    exports.export_tables(st, sid, "sav", tmp_path / "sav")
    df, meta = pyreadstat.read_sav(str(tmp_path / "sav" / "tasks.sav"))
    assert meta.column_names_to_labels["domain"].startswith("domain: domain of the category")
    cats = meta.variable_value_labels["category"]
    assert {cats[v] for v in df["category"]} == {"CLIN-DIRECT", "MEETING", "-1"}
    sites = meta.variable_value_labels["site"]
    assert set(sites.values()) == {"S1"}
    assert "dim_with" in df.columns


def test_xlsx_has_readme_sheets_and_neutralised_text(study, tmp_path: Path) -> None:
    st, sid = study
    (path,) = exports.export_tables(st, sid, "xlsx", tmp_path / "all.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "README"
    assert {"tasks", "notes", "participants", "job_plans", "planned_activity"} <= set(wb.sheetnames)
    readme = [r[1] for r in wb["README"].iter_rows(values_only=True)]
    assert "compartmentalisation" in readme
    note = wb["notes"]
    header = [c.value for c in note[1]]
    cell = note.cell(row=2, column=header.index("text") + 1)
    assert cell.value == "'" + EVIL and cell.data_type == "s"
    tasks = wb["tasks"]
    header = [c.value for c in tasks[1]]
    cats = [r[header.index("category")] for r in tasks.iter_rows(min_row=2, values_only=True)]
    assert "'-1" in cats  # text, not the number -1
    active = [r[header.index("active_s")] for r in tasks.iter_rows(min_row=2, values_only=True)]
    assert 1500 in active  # numbers stay numbers


def test_csv_is_neutralised_and_parquet_is_not(study, tmp_path: Path) -> None:
    st, sid = study
    exports.export_tables(st, sid, "csv", tmp_path / "csv")
    with (tmp_path / "csv" / "notes.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.DictReader(fh))["text"] == "'" + EVIL
    exports.export_tables(st, sid, "parquet", tmp_path / "pq", tables=["notes"])
    assert pd.read_parquet(tmp_path / "pq" / "notes.parquet")["text"].tolist() == [EVIL]


def test_metrics_export_passes_options_through(study, tmp_path: Path) -> None:
    st, sid = study
    (path,) = exports.export_metrics(
        st, sid, "dta", tmp_path / "m.dta", metrics=["interruptions_per_hour"], B=0, by=["site"]
    )
    df = pd.read_stata(path)
    assert df["metric"].astype(str).tolist() == ["interruptions_per_hour"]
    assert df["plan"].tolist() == ["jobplan"]
    assert df["estimate"].iloc[0] == pytest.approx(0.5)  # one interruption in two hours
    (x,) = exports.export_metrics(st, sid, "xlsx", tmp_path, metrics=["leakage"], B=0)
    assert load_workbook(x).sheetnames == ["README", "metrics"]


def test_names_are_valid_for_stata_and_spss() -> None:
    names = stata_names(["dim_Con Chi", "1st", "_x", "in", "dim_Dové", "a" * 40, "a" * 41])
    assert names["dim_Con Chi"] == "dim_Con_Chi"
    assert names["1st"] == "v_1st"
    assert names["in"] == "in_v"
    assert names["dim_Dové"] == "dim_Dove"
    assert len(names["a" * 40]) == 32 and names["a" * 40] != names["a" * 41]


def test_unknown_format_or_table_is_refused(study, tmp_path: Path) -> None:
    st, sid = study
    with pytest.raises(ValidationError, match="unknown format"):
        exports.export_tables(st, sid, "sas", tmp_path)
    with pytest.raises(ValidationError, match="unknown table"):
        exports.export_tables(st, sid, "csv", tmp_path, tables=["nope"])
