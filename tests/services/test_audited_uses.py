"""Exports, imports, report builds and set-up changes leave an entry in the audit trail, and
the chain still verifies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.analysis.metrics.paper import paper_participants, paper_sessions
from tests.factories import drawn_study
from workweave.services import audit, boris, events, exports


def test_exports_and_set_up_changes_are_audited(tmp_path: Path) -> None:
    store, sid = drawn_study(tmp_path / "s.sqlite", paper_sessions(), paper_participants())
    exports.export_tables(store, sid, "csv", tmp_path / "tables")
    boris.export_boris(store, sid, tmp_path / "s.boris")
    site = store.studies.participants(sid)[0].site
    added = events.add(store, sid, site=site, day=date(2025, 1, 15), label="merger")
    events.remove(store, sid, added.id)
    actions = [e.action for e in audit.entries(store, study="paper")]
    assert actions[-4:] == [
        "export.tables",
        "export.boris",
        "site_event.add",
        "site_event.remove",
    ]
    assert audit.entries(store, action="site_event.remove")[-1].target == f"site_event:{added.id}"
    assert audit.verify(store).ok
