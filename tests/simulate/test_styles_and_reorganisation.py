"""The demo study's planted styles and reorganisation are recovered by the analyses
(docs/simulator.md, docs/styles.md, docs/trends.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workweave.analysis.styles import adjusted_rand, find_styles, purity
from workweave.analysis.trends import Event, event_effects
from workweave.services import metrics as metrics_service
from workweave.services.studies import simulate_into
from workweave.simulate import DEMO_STYLES, demo_config, simulate
from workweave.simulate.styles import assign_styles
from workweave.store import Store

MIN_PURITY = 0.9
MIN_ARI = 0.6


def test_styles_alternate_within_each_site() -> None:
    got = assign_styles({"A": ["A-02", "A-01", "A-03"], "B": ["B-01"]}, DEMO_STYLES)
    assert got == {
        "A-01": "boundary-keeper",
        "A-02": "always-on",
        "A-03": "boundary-keeper",
        "B-01": "boundary-keeper",
    }
    sim = simulate(demo_config(3))
    assert set(sim.planted_styles.values()) == {s.name for s in DEMO_STYLES}
    assert sim.reorganisations and sim.reorganisations[0].site == "TH-RAD"
    bad = demo_config(3)
    from dataclasses import replace

    from workweave.simulate.styles import RADIOLOGY_MERGER

    with pytest.raises(ValueError, match="names no site"):
        simulate(replace(bad, reorganisations=(replace(RADIOLOGY_MERGER, site="NOPE"),)))


@pytest.mark.slow
def test_planted_styles_and_reorganisation_are_recovered(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "s.sqlite")
    try:
        sid, _, sim = simulate_into(store, study="demo", config=demo_config(11))
        events = store.events.list(sid)
        assert [(e.site, e.day) for e in events] == [("TH-RAD", sim.reorganisations[0].day)]
        with metrics_service.prepare(
            store, study_id=sid, filter={"mode": ["shadowing", "imported"]}
        ) as engine:
            per = engine.compute(by=["site", "participant"], B=0)
            res = find_styles(per, seed=2025, B=30)
            planted = [sim.planted_styles[p] for p in res.assignments.index]
            assert purity(list(res.assignments), planted) >= MIN_PURITY
            assert adjusted_rand(planted, list(res.assignments)) >= MIN_ARI
            eff = event_effects(
                engine,
                [Event(e.site, e.day, e.label) for e in events],
                "quarter",
                metrics=[("interruptions_per_hour", None)],
                seed=1,
                B=300,
            )
        row = eff.iloc[0]
        assert row["difference"] > 0 and row["ci_low"] > 0, row.to_dict()
    finally:
        store.close()
