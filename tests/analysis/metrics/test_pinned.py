"""The full registry and the time budget on a simulated study give the values pinned in
``data/pinned_*.csv`` (written by the engine before its rework into lazily built blocks and
two engines): a change of engine, of block SQL or of the statistics' code must not move any
metric."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.factories import simulated_study
from workweave.services.metrics import compute, time_budget

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    store, sid, _ = simulated_study(tmp_path_factory.mktemp("pin") / "s.sqlite", seed=11)
    yield store, sid
    store.close()


def _same(got: pd.DataFrame, name: str) -> None:
    want = pd.read_csv(DATA / name, keep_default_na=False, na_values=[""])
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    got = got.reset_index(drop=True)
    for c in want.columns:
        if pd.api.types.is_float_dtype(got[c]) or pd.api.types.is_integer_dtype(got[c]):
            a = got[c].to_numpy(float)
            b = want[c].to_numpy(float)
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=c)
        else:
            a = got[c].astype(object).where(got[c].notna(), "").astype(str).to_numpy()
            b = want[c].astype(object).where(want[c].notna(), "").astype(str).to_numpy()
            assert (a == b).all(), (c, a[a != b][:5], b[a != b][:5])


def test_registry_by_site_is_unchanged(study):
    store, sid = study
    _same(compute(store, study_id=sid, by="site", seed=3, B=300), "pinned_by_site.csv")


def test_percentile_intervals_and_poisson_are_unchanged(study):
    store, sid = study
    got = compute(store, study_id=sid, seed=3, B=300, interval="percentile", poisson=True)
    _same(got, "pinned_percentile.csv")


@pytest.mark.parametrize(
    ("overlap", "by", "name"),
    [("union", "site", "pinned_budget_union.csv"), ("sum", None, "pinned_budget_sum.csv")],
)
def test_time_budget_is_unchanged(study, overlap, by, name):
    store, sid = study
    _same(time_budget(store, study_id=sid, by=by, overlap=overlap), name)
