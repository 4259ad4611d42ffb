"""WOMBAT -> workweave -> WOMBAT -> a new store reproduces every task (the real exports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.io.test_wombat_export import task_view
from workweave.domain import Study
from workweave.services import exports
from workweave.services import studies as svc
from workweave.store import Store


@pytest.mark.slow
def test_real_exports_round_trip(tmp_path: Path, wombat_paths: list[Path]) -> None:
    files = [p for p in wombat_paths if p.name.startswith("Interruptions")]
    a = Store.create(tmp_path / "a.sqlite")
    b = Store.create(tmp_path / "b.sqlite")
    try:
        sa = a.studies.create(Study("a"))
        svc.import_wombat(a, sa, files, timezone="Europe/Rome")
        out = tmp_path / "study_v.1.8_from_all.csv"
        res = exports.export_wombat(a, sa, out)
        assert res.timezone == "Europe/Rome" and res.subsecond == 0
        sb = b.studies.create(Study("b"))
        r = svc.import_wombat(b, sb, [out], timezone="Europe/Rome")
        assert r.time_mismatches == []
        before, after = task_view(a.sessions.load(sa)), task_view(b.sessions.load(sb))
        assert len(before) > 7000
        assert after == before  # every task: times, active time, category, dimensions, ...
    finally:
        a.close()
        b.close()
