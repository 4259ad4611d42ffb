"""The nurse study's co-observed sessions (skipped without ../shared): with one record per
co-observation group the observed hours are the study's distinct observation time, and the
summary shows both that and the hours recorded by second observers."""

from __future__ import annotations

import pytest

from tests.conftest import wombat_files
from workweave.domain import Study
from workweave.services.metrics import compute
from workweave.services.reliability import co_observed_pairs
from workweave.services.studies import import_wombat, summary
from workweave.store import Store

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def nurse(tmp_path_factory: pytest.TempPathFactory):
    files = wombat_files()
    if not files:
        pytest.skip("the WOMBAT exports in ../shared/data are not here")
    store = Store.create(tmp_path_factory.mktemp("nurse") / "nurse.sqlite")
    sid = store.studies.create(Study(name="nurse"))
    import_wombat(store, sid, files, timezone="Europe/Rome")
    yield store, sid
    store.close()


def hours_and_rate(store: Store, sid: int, observers: str) -> tuple[float, float, int]:
    # suspensions per hour: the basis on which co-observed sessions inflated the published
    # interruption rate by 7.8 % (interruption events, counted once per interrupting task and
    # instant, are inflated by 6.4 %)
    df = compute(store, study_id=sid, metrics="suspensions_per_hour", B=0, observers=observers)
    row = df.iloc[0]
    return float(row["observed_hours"]), float(row["estimate"]), int(row["n_sessions"])


def test_primary_observed_hours_are_the_distinct_observation_time(nurse) -> None:
    store, sid = nurse
    s = summary(store, sid)
    tot = s["total"]
    # 75 co-observation groups cover 183 of the 257 sessions, as `ior --auto` pairs them
    assert tot["co_observation_groups"] == 75 and tot["co_observed_sessions"] == 183
    assert tot["sessions_all"] == 257 and tot["sessions"] == 257 - 183 + 75
    assert tot["observed_hours_all"] == pytest.approx(57.7, abs=0.05)
    assert tot["distinct_observed_hours"] == pytest.approx(33.6, abs=0.05)
    assert tot["co_observed_hours"] == pytest.approx(
        tot["observed_hours_all"] - tot["distinct_observed_hours"], abs=1e-3
    )
    hours, rate_primary, n = hours_and_rate(store, sid, "primary")
    assert hours == pytest.approx(tot["distinct_observed_hours"], abs=1e-3)
    assert tot["observed_hours"] == pytest.approx(hours, abs=1e-3) and n == tot["sessions"]
    hours_all, rate_all, n_all = hours_and_rate(store, sid, "all")
    assert hours_all == pytest.approx(tot["observed_hours_all"], abs=1e-3) and n_all == 257
    # counting co-observed time twice inflated the rate by about 8 %
    assert rate_all / rate_primary == pytest.approx(1.078, abs=0.005)
    every = summary(store, sid, observers="all")["total"]
    assert every["observed_hours"] == pytest.approx(57.7, abs=0.05)
    assert every["distinct_observed_hours"] == tot["distinct_observed_hours"]


def test_groups_are_built_from_the_pairs_ior_auto_finds(nurse) -> None:
    store, sid = nurse
    pairs = co_observed_pairs(store, sid)
    keys = {k for a, b in pairs for k in (a.key, b.key)}
    assert len(keys) == summary(store, sid)["total"]["co_observed_sessions"]


def test_summary_command_shows_both_figures(nurse, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli.test_study import ww

    store, _ = nurse
    monkeypatch.delenv("WORKWEAVE_STORE", raising=False)
    code, out = ww("summary", "--store", store.location, "--by", "site")
    assert code == 0, out
    assert "33.6 observed hours" in out
    assert "observed: 33.6 h distinct; 24.2 h more by second observers" in out
    code, out = ww("summary", "--store", store.location, "--observers", "all", "--by", "site")
    assert code == 0 and "57.7 observed hours" in out and "33.6 h distinct" in out
