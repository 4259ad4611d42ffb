"""`workweave import calendar`, `metrics --plan` and `workweave export ...` from the command
line: output, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyreadstat
from typer.testing import CliRunner

from tests.factories import at, drawn_study, plan, session, task
from tests.services.test_calendar import ICS
from workweave.cli.app import app
from workweave.domain import Participant

runner = CliRunner()


def make(tmp_path: Path) -> str:
    t0 = at("2024-03-18", "09:00")
    s = session(
        "s1",
        "P1",
        t0,
        t0 + timedelta(hours=2),
        [task("a", "MEETING", t0 + timedelta(hours=1), t0 + timedelta(hours=2), seq=1)],
    )
    p = Participant("P1", "S1", "radiographer", "7", job_plan=plan((0, "09:00", "13:00", "DCC")))
    st, _ = drawn_study(tmp_path / "s.sqlite", [s], [p])
    st.close()
    (tmp_path / "c.ics").write_text(ICS)
    (tmp_path / "m.csv").write_text("match,pattern,category\nregex,Management,management\n")
    return str(tmp_path / "s.sqlite")


def test_calendar_then_metrics_with_the_calendar_as_plan(tmp_path: Path) -> None:
    store = make(tmp_path)
    args = [
        "import",
        "calendar",
        str(tmp_path / "c.ics"),
        "--participant",
        "P1",
        "--mapping",
        str(tmp_path / "m.csv"),
        "--store",
        store,
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "2 planned block(s)" in r.output and "matched no rule" in r.output  # Lunch
    assert "unchanged" in runner.invoke(app, args).output
    r = runner.invoke(
        app,
        [
            "metrics",
            "--metric",
            "compartmentalisation",
            "--boot",
            "0",
            "--plan",
            "calendar",
            "--format",
            "json",
            "--store",
            store,
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["plan"] == "calendar"
    assert data["groups"][0]["metrics"]["compartmentalisation"]["estimate"] == 1.0


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    store = make(tmp_path)
    (tmp_path / "bad.ics").write_text(
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    r = runner.invoke(
        app,
        ["import", "calendar", str(tmp_path / "bad.ics"), "--participant", "P1", "--store", store],
    )
    assert r.exit_code == 2 and "no DTSTART" in r.output and "Traceback" not in r.output
    r = runner.invoke(
        app,
        ["import", "calendar", str(tmp_path / "c.ics"), "--participant", "NOPE", "--store", store],
    )
    assert r.exit_code == 2 and "no participant 'NOPE'" in r.output
    r = runner.invoke(
        app, ["export", "tables", "--format", "sas", "--out", str(tmp_path / "o"), "--store", store]
    )
    assert r.exit_code == 2 and "unknown format" in r.output


def test_exports(tmp_path: Path) -> None:
    store = make(tmp_path)
    r = runner.invoke(
        app,
        ["export", "tables", "--format", "sav", "--out", str(tmp_path / "sav"), "--store", store],
    )
    assert r.exit_code == 0, r.output
    _, meta = pyreadstat.read_sav(str(tmp_path / "sav" / "sessions.sav"))
    assert set(meta.variable_value_labels["site"].values()) == {"S1"}
    r = runner.invoke(
        app,
        [
            "export",
            "metrics",
            "--format",
            "xlsx",
            "--out",
            str(tmp_path / "m.xlsx"),
            "--metric",
            "leakage",
            "--boot",
            "0",
            "--store",
            store,
        ],
    )
    assert r.exit_code == 0 and (tmp_path / "m.xlsx").exists(), r.output
    r = runner.invoke(app, ["export", "wombat", "--out", str(tmp_path / "w.csv"), "--store", store])
    assert r.exit_code == 0 and "1 session(s), 1 task(s)" in r.output, r.output
