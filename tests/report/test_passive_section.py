"""The study report's audit-log section: present with the study's logs (passive measures with
intervals, observation against logs), absent without them, small groups suppressed."""

from __future__ import annotations

import re
from pathlib import Path

from tests.services.test_logs import MAPPING, rows_every, study, write
from workweave.report import ReportOptions, study_report
from workweave.services import logs as svc


def _with_logs(tmp_path: Path):
    store, sid = study(tmp_path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING)
    rows = (
        rows_every("u-alice-123", "09:10", "09:40", 2, "Note edited")
        + rows_every("u-alice-123", "11:00", "11:16", 2, "In Basket viewed")
        + rows_every("u-bob-456", "18:00", "18:30", 3, "Order signed")
    )
    svc.import_logs(
        store, sid, [write(tmp_path / "log.csv", rows)], mapping, timezone="Europe/London"
    )
    return store, sid


def test_the_report_shows_the_audit_log_measures_and_the_agreement(tmp_path: Path) -> None:
    store, sid = _with_logs(tmp_path)
    opts = ReportOptions(by=("site",), suppress_below=1, seed=1, B=50)
    report = study_report(store, sid, opts)
    written = report.write(tmp_path / "out")
    html = written.html.read_text()
    assert "Work seen in system audit logs" in html
    assert "EHR-Time8" in html and "table-passive-study" in html and "table-passive-site" in html
    # P1 logged 30 + 16 minutes against 8 scheduled clinical hours; P2 30 minutes after hours
    csv = (tmp_path / "out" / f"{report.stem}-passive-study.csv").read_text()
    assert "ehr_time8" in csv and "wow8" in csv
    # observed 30 and 20 minutes on the clinical system, logged 30 and 16: bias -2 minutes
    assert re.search(r"bias\) of -2\.0 minutes", html)


def test_small_groups_are_suppressed_and_a_study_without_logs_has_no_section(
    tmp_path: Path,
) -> None:
    store, sid = _with_logs(tmp_path / "a")
    html = study_report(store, sid, ReportOptions(by=(), seed=1, B=0)).write(tmp_path / "o1")
    text = html.html.read_text()
    assert "Work seen in system audit logs" in text
    assert "fewer than" in text and "table-passive-study" not in text  # 2 < the rule's 5
    bare, bare_id = study(tmp_path / "b")
    out = study_report(bare, bare_id, ReportOptions(by=(), seed=1, B=0)).write(tmp_path / "o2")
    assert "Work seen in system audit logs" not in out.html.read_text()


def test_a_server_store_without_a_log_folder_reports_without_the_section(
    tmp_path: Path, monkeypatch
) -> None:
    """A PostgreSQL store keeps no files: with no log folder configured there are no logs
    to read, and the report is built without the section (not refused)."""
    from workweave.domain.errors import NotFoundError

    def no_folder(store, override=None):
        raise NotFoundError("a server store keeps no files")

    monkeypatch.setattr(svc, "logs_folder", no_folder)
    store, sid = study(tmp_path)
    out = study_report(store, sid, ReportOptions(by=(), seed=1, B=0)).write(tmp_path / "o")
    assert "Work seen in system audit logs" not in out.html.read_text()
