"""``workweave import logs``, ``simulate logs`` and ``logs metrics/agreement/imports``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from workweave.cli import app
from workweave.services import setup

runner = CliRunner()

MAPPING = """
columns: {user: user, time: time, event: event}
users: {u1: P1}
events: {Note: documentation, Inbox: inbox}
"""


def ww(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_import_and_metrics_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKWEAVE_STORE", raising=False)
    monkeypatch.delenv("WORKWEAVE_LOGS", raising=False)
    assert ww("init", "--study", "pilot", "--timezone", "Europe/London")[0] == 0
    store = setup.open_store(str(tmp_path / "workweave.sqlite"))
    sid = store.studies.id("pilot")
    setup.add_site(store, sid, "S1")
    setup.save_participant(store, sid, "P1", site="S1", new=True)
    store.close()
    (tmp_path / "plans.csv").write_text(
        "participant,weekday,start,end,category\nP1,Mon,09:00,17:00,DCC\n"
    )
    code, out = ww("import", "jobplan", "plans.csv")
    assert code == 0, out
    (tmp_path / "map.yaml").write_text(MAPPING)
    rows = [f"u1,2025-01-06T09:{m:02d}:00+00:00,{'Note' if m < 10 else 'Inbox'}" for m in range(20)]
    (tmp_path / "log.csv").write_text("user,time,event\n" + "\n".join(rows) + "\n")
    code, out = ww("import", "logs", "log.csv", "--mapping", "map.yaml")
    assert code == 0 and "stored 20 new events" in out, out
    code, out = ww("import", "logs", "log.csv", "--mapping", "map.yaml")
    assert code == 0 and "already imported" in out
    code, out = ww("logs", "metrics", "--metric", "share_by_class", "--format", "csv")
    assert code == 0 and "share_by_class,documentation" in out, out
    code, out = ww("metrics", "--metric", "share_by_class")
    assert code == 2 and "workweave logs metrics --metric share_by_class" in out, out
    code, out = ww("logs", "imports")
    assert code == 0 and "log.csv" in out
    code, out = ww("logs", "metrics", "--by", "observer")
    assert code == 2 and "cannot be grouped by 'observer'" in out
    (tmp_path / "bad.csv").write_text("user,time,event\nu1,yesterday,Note\n")
    code, out = ww("import", "logs", "bad.csv", "--mapping", "map.yaml")
    assert code == 2 and "bad.csv, row 1, column 'time'" in out
    code, out = ww("logs", "agreement")
    assert code == 0 and "0 session(s)" in out


def test_simulate_logs(tmp_path: Path) -> None:
    code, out = ww(
        "simulate",
        "logs",
        "--events",
        "5000",
        "--participants",
        "3",
        "--out",
        str(tmp_path / "sim"),
    )
    assert code == 0 and "5000 SYNTHETIC events" in out
    assert list((tmp_path / "sim").rglob("*.parquet"))
    assert ww("simulate", "--help")[0] == 0
