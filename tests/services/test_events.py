"""Site events: checked at the edge, listed in date order, removed by id; and the command."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.study import Site, Study
from workweave.services import events
from workweave.store import Store


@pytest.fixture
def study(tmp_path: Path) -> tuple[Store, int]:
    store = Store.create(tmp_path / "s.sqlite")
    sid = store.studies.create(Study(name="s1"))
    with store.transaction() as conn:
        store.studies.add_sites(sid, [Site("RAD", "Radiography"), Site("PHY", "Physio")], conn)
    yield store, sid
    store.close()


def test_add_list_remove(study: tuple[Store, int]) -> None:
    store, sid = study
    b = events.add(store, sid, "PHY", "2026-09-01", "  Budget   cut ", "budget cut")
    a = events.add(store, sid, "RAD", date(2026, 4, 1), "Merged with imaging", "merger")
    assert b.label == "Budget cut"
    listed = events.list_events(store, sid)
    assert [e.id for e in listed] == [a.id, b.id]  # date order
    assert [e.site for e in events.list_events(store, sid, "PHY")] == ["PHY"]
    events.remove(store, sid, a.id)
    assert [e.id for e in events.list_events(store, sid)] == [b.id]
    with pytest.raises(NotFoundError):
        events.remove(store, sid, a.id)


@pytest.mark.parametrize(
    ("site", "day", "label", "kind", "says"),
    [
        ("NOPE", "2026-01-01", "x", "other", "no site 'NOPE'"),
        ("RAD", "2026-02-30", "x", "other", "not a date"),
        ("RAD", "1900-01-01", "x", "other", "outside"),
        ("RAD", "2026-01-01", "", "other", "must not be empty"),
        ("RAD", "2026-01-01", "a\x00b", "other", "NUL"),
        ("RAD", "2026-01-01", "x" * 301, "other", "at most 300"),
        ("RAD", "2026-01-01", "x", "coup", "not a kind"),
    ],
)
def test_bad_events_are_refused_and_change_nothing(
    study: tuple[Store, int], site: str, day: str, label: str, kind: str, says: str
) -> None:
    store, sid = study
    with pytest.raises(ValidationError, match=says):
        events.add(store, sid, site, day, label, kind)
    assert events.list_events(store, sid) == []


@pytest.mark.usefixtures("study")
def test_event_command(tmp_path: Path) -> None:
    from workweave.cli.app import app

    where = ["--store", str(tmp_path / "s.sqlite"), "--study", "s1"]
    run = CliRunner().invoke
    r = run(
        app, ["event", "add", "--site", "RAD", "--date", "2026-04-01", "--label", "Merger", *where]
    )
    assert r.exit_code == 0, r.output
    r = run(app, ["event", "list", "--json", *where])
    assert r.exit_code == 0 and '"site": "RAD"' in r.output
    r = run(app, ["event", "add", "--site", "X", "--date", "soon", "--label", "y", *where])
    assert r.exit_code == 2 and "nothing was changed" in r.output
    r = run(app, ["event", "remove", "99", *where])
    assert r.exit_code == 2
