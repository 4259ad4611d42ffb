"""The audit-log simulator: bounded batches, the store's layout, and planted rates recovered
within their intervals."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from workweave.analysis.metrics.passive_engine import PassiveMetrics
from workweave.io.auditlogs import SCHEMA
from workweave.simulate.logs import PlantedLogRates, simulate_logs


def test_planted_rates_are_recovered_within_their_intervals(tmp_path: Path) -> None:
    sim = simulate_logs(tmp_path, events=120_000, participants=16, seed=11, batch_events=20_000)
    assert sim.events == 120_000
    files = sorted(tmp_path.rglob("*.parquet"))
    assert files and all(pq.read_schema(f).equals(SCHEMA) for f in files)
    assert all("study=synthetic-logs/month=" in f.as_posix() for f in files)
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == 120_000
    people = sim.participants.assign(has_plan=True)
    with PassiveMetrics([str(f) for f in files], people=people, plans=sim.job_plans) as pm:
        res = pm.compute(seed=5)
    checked = 0
    for (metric, key), planted in sim.rates.expected().items():
        row = res[(res["metric"] == metric) & ((res["key"] == key) if key else res["key"].isna())]
        r = row.iloc[0]
        if planted == 0:
            assert r["estimate"] == 0
            continue
        assert r["ci_low"] <= planted <= r["ci_high"], (metric, key, r["estimate"], planted)
        assert r["ci_high"] - r["ci_low"] < 0.05
        checked += 1
    assert checked == 10


def test_other_rates_move_the_estimates(tmp_path: Path) -> None:
    rates = PlantedLogRates(p_outside=0.4, p_management=0.5)
    sim = simulate_logs(tmp_path, events=40_000, participants=8, seed=2, rates=rates)
    files = [str(f) for f in tmp_path.rglob("*.parquet")]
    people = sim.participants.assign(has_plan=True)
    with PassiveMetrics(files, people=people, plans=sim.job_plans) as pm:
        res = pm.compute(metrics="after_hours_share", B=0)
    assert res["estimate"].iloc[0] == pytest.approx(0.4, abs=0.04)


def test_impossible_rates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        simulate_logs(tmp_path, events=10, rates=PlantedLogRates(spells_per_day=400))
