"""`metrics --by site` on a small simulated study recovers the rates planted per site."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import simulated_study
from workweave.services.metrics import compare, compute

# metric id -> planted rate it estimates (see PlantedRates)
TARGETS = {
    "interruptions_per_hour": "interruptions_per_hour",
    "clinical_displacement": "mgmt_share_clinical",
}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("sim") / "sim.sqlite"
    store, sid, sim = simulated_study(path, seed=7)
    by_site = compute(store, study_id=sid, by="site", metrics=list(TARGETS), seed=1, B=800)
    yield store, sid, sim, by_site
    store.close()


def test_planted_rates_lie_in_each_sites_interval(simulated):
    _, _, sim, df = simulated
    assert set(df["site"]) == set(sim.planted)
    for site in sim.planted:
        rates = sim.planted[site]
        for metric, rate in TARGETS.items():
            row = df[(df["site"] == site) & (df["metric"] == metric)].iloc[0]
            truth = getattr(rates, rate)
            assert row["ci_low"] <= truth <= row["ci_high"], (site, metric, truth, dict(row))


def test_differences_between_sites_are_recovered(simulated):
    store, sid, sim, df = simulated
    planted = {s: sim.planted[s].mgmt_share_clinical for s in sim.planted}
    high = max(planted, key=planted.__getitem__)
    low = min(planted, key=planted.__getitem__)
    est = df[df["metric"] == "clinical_displacement"].set_index("site")["estimate"]
    assert est[high] > est[low]
    diff = compare(
        store,
        {"site": high},
        {"site": low},
        study_id=sid,
        metrics="clinical_displacement",
        seed=2,
        B=800,
    ).iloc[0]
    truth = planted[high] - planted[low]
    assert diff["ci_low"] > 0  # the leakage of management into clinical sessions differs
    assert diff["ci_low"] <= truth <= diff["ci_high"]
