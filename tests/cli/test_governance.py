"""The governance commands on the demo study: audit --verify passes, then fails once an entry
is altered in the database; withdraw, export, erase, backup, restore, retention and purge."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workweave.cli import app
from workweave.services.studies import create_demo_workspace

runner = CliRunner()


def ww(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "demo"
    store, _, _ = create_demo_workspace(folder, seed=7)
    store.close()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("WORKWEAVE_STORE", raising=False)
    return folder


def test_audit_verify_passes_on_the_demo_and_fails_after_an_edit(demo: Path) -> None:
    code, text = ww("audit", "--verify")
    assert code == 0 and "intact" in text
    code, text = ww("participants", "withdraw", "ART-02")
    assert code == 0
    code, text = ww("audit", "--format", "json", "--action", "consent")
    assert code == 0 and '"participant:ART-02"' in text and '"cli:' in text
    with sqlite3.connect(demo / "workweave.sqlite") as con:
        con.execute(
            "UPDATE audit_log SET details = '{\"given\":true}' WHERE action = 'consent.record'"
        )
    code, text = ww("audit", "--verify")
    assert code == 1 and "broken at entry" in text and "altered" in text


def test_withdraw_export_erase_backup_restore_purge(demo: Path) -> None:
    code, text = ww("participants", "withdraw", "ART-01")
    assert code == 0
    code, text = ww("summary", "--by", "site")
    assert "1 participant(s) excluded after withdrawing consent" in text
    code, text = ww("metrics", "--boot", "0")
    assert code == 0 and "1 participant(s) excluded after withdrawing consent" in text
    code, text = ww("metrics", "--boot", "0", "--format", "json", "--by", "participant")
    assert '"excluded_withdrawn": 1' in text and '"ART-01"' not in text
    code, text = ww("participants", "export", "ART-01", "--out", "exports")
    assert code == 0 and (demo / "exports" / "subject-access-art-01.zip").is_file()
    code, text = ww("participants", "erase", "ART-01", "--yes")
    assert code == 0 and "erased ART-01" in text
    assert not (demo / "exports" / "subject-access-art-01.zip").exists()
    code, text = ww("participants", "erase", "ART-01", "--yes")
    assert code == 2 and "no participant" in text
    code, text = ww("backup", "--to", "b.sqlite")
    assert code == 0 and (demo / "b.sqlite").is_file()
    code, text = ww("restore", "b.sqlite", "--store", "copy.sqlite")
    assert code == 0 and "intact" in text
    code, text = ww("restore", "b.sqlite", "--store", "copy.sqlite")
    assert code == 2 and "--force" in text
    code, text = ww("study", "retention", "demo", "--until", "2020-01-01")
    assert code == 0
    code, text = ww("purge")
    assert code == 0 and "would purge study demo" in text
    code, text = ww("purge", "--yes")
    assert code == 0 and "purged study demo" in text
    code, text = ww("audit", "--verify")
    assert code == 0
