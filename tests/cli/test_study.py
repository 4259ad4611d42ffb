"""The `workweave` command, driven as a user would (in a temporary workspace)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import WOMBAT_ROWS, wombat_edit, write_wombat
from workweave.cli import app

runner = CliRunner()


def ww(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_help_everywhere() -> None:
    for args in ([], ["import"], ["template"], ["import", "wombat"], ["summary"], ["simulate"]):
        code, out = ww(*args, "--help")
        assert code == 0 and "Usage" in out


def test_init_import_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKWEAVE_STORE", raising=False)
    code, out = ww("summary")
    assert code == 2 and "workweave init" in out
    code, out = ww("init", "--study", "pilot", "--timezone", "Europe/Rome")
    assert code == 0 and "pilot" in out
    assert (tmp_path / "workweave.toml").is_file() and (tmp_path / "workweave.sqlite").is_file()
    export = write_wombat(tmp_path, WOMBAT_ROWS)
    code, out = ww("import", "wombat", str(export))
    assert code == 0 and "stored 1 new sessions (3 tasks)" in out
    assert "equals the export's columns" in out
    code, out = ww("import", "wombat", str(export))
    assert code == 0 and "1 unchanged" in out
    code, out = ww("summary", "--json")
    data = json.loads(out)
    assert data["total"]["sessions"] == 1 and data["total"]["tasks"] == 3
    assert data["total"]["observed_hours"] == pytest.approx(10 / 60, abs=1e-4)
    assert data["total"]["interruptions"] == 1
    assert data["by_observer"][0]["group"] == "2"
    code, out = ww("summary", "--by", "site")
    assert code == 0 and "by site" in out
    code, out = ww("summary", "--by", "planet")
    assert code == 2 and "cannot break down" in out


def test_bad_input_is_a_message_not_a_traceback(workspace: Path) -> None:
    bad = workspace / "bad.csv"
    bad.write_text("name,age\nx,1\n", encoding="utf-8")
    code, out = ww("import", "wombat", str(bad))
    assert code == 2 and "bad.csv" in out and "nothing was changed" in out
    code, out = ww("import", "wombat", str(workspace / "missing.csv"))
    assert code == 2 and "no such file" in out
    code, out = ww("import", "wombat", "--timezone", "Mars/Base", str(bad))
    assert code == 2 and "unknown time zone" in out
    code, out = ww("summary", "--store", str(workspace / "nowhere.sqlite"))
    assert code == 2 and "no store" in out


def test_templates(workspace: Path) -> None:
    code, out = ww("template", "list")
    assert code == 0 and "ahp-clinician-manager" in out
    code, out = ww("template", "show", "ahp-clinician-manager", "--format", "json")
    assert code == 0 and json.loads(out)["categories"][0]["code"] == "CLIN-DIRECT"
    mine = workspace / "mine.yaml"
    mine.write_text(
        "name: mine\nversion: 1\ncategories:\n  - {code: A, domain: clinical, job_plan: DCC}\n",
        encoding="utf-8",
    )
    code, out = ww("template", "load", str(mine))
    assert code == 0 and "stored template mine@1" in out
    code, out = ww("template", "show", "mine")
    assert code == 0 and "code: A" in out
    mine.write_text("name: mine\nversion: 1\ncategories: []\n", encoding="utf-8")
    code, out = ww("template", "load", str(mine))
    assert code == 2 and "categories" in out
    code, out = ww("template", "show", "nonexistent")
    assert code == 2 and "no built-in template" in out


def test_job_plans(workspace: Path) -> None:
    ww("import", "wombat", str(write_wombat(workspace, WOMBAT_ROWS)))
    plan = workspace / "plan.csv"
    plan.write_text(
        "participant,weekday,start,end,category\n"
        "01:co01,Mon,09:00,12:45,DCC\n01:co01,Monday,13:30,17:15,management\n"
        "01:co01,2,09:00,12:45,SPA\n",
        encoding="utf-8",
    )
    code, out = ww("import", "jobplan", str(plan))
    assert code == 0 and "11.25" in out
    plan.write_text(
        "participant,weekday,start,end,category\nnobody,Mon,09:00,12:45,DCC\n"
        "01:co01,Funday,09:00,12:45,DCC\n01:co01,Tue,9am,12:45,lunch\n",
        encoding="utf-8",
    )
    code, out = ww("import", "jobplan", str(plan))
    assert code == 2
    assert "row 2, column 'weekday'" in out and "row 3, column 'start'" in out and "lunch" in out
    plan.write_text(
        "participant,weekday,start,end,category\nnobody,Mon,09:00,12:45,DCC\n", encoding="utf-8"
    )
    code, out = ww("import", "jobplan", str(plan))
    assert code == 2 and "no participant 'nobody'" in out


def test_store_option_and_environment(
    workspace: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    store = str(workspace / "workweave.sqlite")
    code, out = ww("summary", "--json", "--store", store)
    assert code == 0 and json.loads(out)["study"] == "test"
    monkeypatch.setenv("WORKWEAVE_STORE", store)
    code, out = ww("summary", "--json")
    assert code == 0 and json.loads(out)["total"]["sessions"] == 0
    monkeypatch.delenv("WORKWEAVE_STORE")
    # the workspace folder itself, as workweave.open takes it (with its default study)
    code, out = ww("summary", "--json", "--store", str(workspace))
    assert code == 0 and json.loads(out)["study"] == "test"
    code, out = ww("summary", "--store", str(elsewhere))
    assert code == 2 and "not a workspace" in out


def test_ior_commands(workspace: Path) -> None:
    # the same session recorded by a second observer, who saw the interruption end later
    other = [
        wombat_edit(
            wombat_edit(wombat_edit(r, "observer id", "3"), "session id", "58"),
            "observer/session/task id",
            wombat_edit(r, "observer id", "3").split(",")[7].replace("2_52", "3_58"),
        )
        for r in WOMBAT_ROWS
    ]
    other = [r.replace("2_52_", "3_58_") for r in other]
    ww(
        "import",
        "wombat",
        str(write_wombat(workspace, WOMBAT_ROWS)),
        str(write_wombat(workspace, other, name="b.csv")),
    )
    code, out = ww("ior", "--pair", "52", "58", "--format", "json", "--kappa")
    assert code == 0, out
    data = json.loads(out)
    assert data["pAg1"] == 100.0 and data["NW_score"] == 1.0
    assert data["time_sliced_kappa"] == 1.0
    code, out = ww("ior", "--auto", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("session_a,session_b")
    assert len(out.splitlines()) == 2
    code, out = ww("ior", "--pair", "52", "99")
    assert code == 2 and "no session '99'" in out
    code, out = ww("ior")
    assert code == 2 and "--pair A B or --auto" in out
