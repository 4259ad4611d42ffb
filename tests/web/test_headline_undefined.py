"""The dashboard's headline says why a measure by domain is undefined, instead of a 0."""

from __future__ import annotations

import dataclasses

from tests.analysis.metrics.paper import paper_participants, paper_sessions
from workweave.domain import Category, Observer, Site, Study, Template
from workweave.store import Store
from workweave.web.headline import headline

PLAIN = Template(
    name="plain",
    version="1",
    title="A template without domains",
    categories=tuple(
        Category(code=c, label=c)
        for c in sorted({t.category for s in paper_sessions() for t in s.tasks})
    ),
)


def test_headline_shows_undefined_with_its_reason(tmp_path):
    sessions = [dataclasses.replace(s, template=PLAIN.key) for s in paper_sessions()]
    store = Store.create(tmp_path / "plain.sqlite")
    try:
        sid = store.studies.create(Study(name="plain"))
        store.studies.save_template(PLAIN)
        with store.transaction() as conn:
            store.studies.add_sites(sid, [Site("S1", "Site one", "Europe/London")], conn)
            store.studies.add_observers(sid, [Observer("O1")], conn)
            store.studies.add_participants(sid, paper_participants(), conn)
            store.sessions.write(sid, sessions, conn)
        items = {i["id"]: i for i in headline(store, sid)["items"]}
        mixed = items["mixed_domain_pct"]
        assert mixed["value"] == "—"
        assert "undefined: no category is mapped to a domain" in mixed["detail"]
        assert items["interruptions_per_hour"]["value"] != "—"
    finally:
        store.close()
