"""The statistics behind the estimates: cluster bootstrap, quantiles of resamples, exact
Poisson intervals, comparisons."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.metrics.paper import MON, P1, P2
from tests.factories import TEMPLATE, at, session, task
from workweave.analysis import metrics as M
from workweave.analysis.metrics import stats
from workweave.domain import Participant
from workweave.services.metrics import compare, compute


def test_weights_are_resamples_of_the_clusters():
    w = stats.cluster_weights(np.random.default_rng(1), 7, 300)
    assert w.shape == (300, 7)
    assert (w.sum(axis=1) == 7).all()
    assert abs(w.mean() - 1) < 0.05  # each cluster drawn once per replicate on average


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=40),
    st.floats(0, 1),
    st.integers(0, 10_000),
)
def test_quantiles_of_resamples_are_quantiles_of_repeated_items(values, q, seed):
    """A replicate's quantile equals numpy's quantile of the items repeated by their weights."""
    rng = np.random.default_rng(seed)
    v = np.sort(np.array(values, dtype=float))
    clusters = rng.integers(0, 4, v.size)
    counts, uniq = stats.binned_counts(v, clusters, 4)
    w = stats.cluster_weights(rng, 4, 5)
    got = stats.quantile_replicates(w, counts, uniq, q)
    for b in range(5):
        reps = np.repeat(v, w[b, clusters].astype(int))
        if reps.size:
            assert got[b] == pytest.approx(np.quantile(reps, q))
        else:
            assert math.isnan(got[b])


def test_exact_poisson_limits():
    lo, hi = stats.poisson_interval(np.array([0.0, 1.0, 13.0]), np.array([1.0, 1.0, 1.0]))
    assert lo[0] == 0 and hi[0] == pytest.approx(3.6889, rel=1e-4)
    assert lo[1] == pytest.approx(0.02532, rel=1e-3) and hi[1] == pytest.approx(5.5716, rel=1e-4)
    assert lo[2] == pytest.approx(6.9218, rel=1e-4) and hi[2] == pytest.approx(22.2303, rel=1e-4)


def _people(n: int) -> list[Participant]:
    return [Participant(f"Q{i}", "S1", band="7") for i in range(n)]


def _study(rates: list[int]) -> M.Tables:
    """One two-hour session per participant with `rate` one-minute ADMIN tasks per hour."""
    sessions = []
    for i, r in enumerate(rates):
        day = f"2025-02-{i + 1:02d}"
        tasks = [
            task(f"a{j}", "ADMIN", at(day, f"09:{j:02d}"), at(day, f"09:{j:02d}:30"), seq=j)
            for j in range(2 * r)
        ]
        sessions.append(session(f"q{i}", f"Q{i}", at(day, "09:00"), at(day, "11:00"), tasks))
    return M.from_sessions(sessions, _people(len(rates)), templates=[TEMPLATE])


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    tables = _study([1, 2, 3, 5, 8, 13, 21, 27])
    boot = {"metrics": "tasks_per_hour", "B": 300, "interval": "percentile"}
    a = compute(tables, seed=7, **boot)
    b = compute(tables, seed=7, **boot)
    c = compute(tables, seed=8, **boot)
    row = a.iloc[0]
    assert row["estimate"] == pytest.approx(80 / 8)
    assert row["ci_low"] < 10.0 < row["ci_high"]
    assert row["ci_low"] >= 1.0 and row["ci_high"] <= 27.0
    assert (a["ci_low"] == b["ci_low"]).all() and (a["ci_high"] == b["ci_high"]).all()
    assert (a["ci_low"] != c["ci_low"]).any() or (a["ci_high"] != c["ci_high"]).any()
    assert row["flag"] == "" and row["n_participants"] == 8


def test_identical_participants_give_no_spread_and_one_participant_no_interval():
    same = compute(_study([5, 5, 5]), metrics="tasks_per_hour", seed=1, B=200).iloc[0]
    assert same["ci_low"] == pytest.approx(5.0) and same["ci_high"] == pytest.approx(5.0)
    assert same["flag"] == "fewer than 5 participants"
    one = compute(_study([5]), metrics="tasks_per_hour", seed=1, B=200).iloc[0]
    assert math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])


def test_group_intervals_do_not_depend_on_other_groups():
    tables = _study([2, 4, 6, 8, 10, 12])
    both = compute(tables, by="participant", metrics="tasks_per_hour", seed=3, B=100)
    one = compute(
        tables, by="participant", filter={"participant": "Q2"}, metrics="tasks_per_hour",
        seed=3, B=100,
    )  # fmt: skip
    assert one["estimate"].item() == both.loc[both["participant"] == "Q2", "estimate"].item()


def test_comparison_of_groups_and_of_periods():
    tables = _study([2, 4, 6, 8, 10, 12])
    diff = compare(
        tables,
        {"participant": ["Q3", "Q4", "Q5"]},
        {"participant": ["Q0", "Q1", "Q2"]},
        metrics="tasks_per_hour",
        seed=1,
        B=400,
    ).iloc[0]
    assert diff["estimate_a"] == pytest.approx(10.0) and diff["estimate_b"] == pytest.approx(4.0)
    assert diff["difference"] == pytest.approx(6.0)
    assert diff["ci_low"] <= 6.0 <= diff["ci_high"] and diff["ci_low"] > 0
    # the same people in two periods: resampled together, so the paired difference of
    # identical periods is exactly 0 in every replicate
    same = compare(
        tables, {"month": "2025-02"}, {"study": "study"}, metrics="tasks_per_hour", seed=1, B=100
    ).iloc[0]
    assert same["difference"] == 0 and same["ci_low"] == 0 and same["ci_high"] == 0


def test_quantile_metrics_get_intervals():
    tables = _study([2, 4, 6, 8, 10, 12])
    df = compute(tables, metrics=["task_duration_median"], seed=4, B=200)
    row = df.iloc[0]
    assert row["estimate"] == pytest.approx(0.5)
    assert row["ci_low"] == pytest.approx(0.5) and row["ci_high"] == pytest.approx(0.5)


def test_small_group_flag_uses_the_metrics_own_participants():
    tables = M.from_sessions(
        [
            session("a", "P1", at(MON, "09:00"), at(MON, "10:00")),
            session("b", "P2", at(MON, "09:00"), at(MON, "10:00")),
        ],
        [P1, P2],
        templates=[TEMPLATE],
    )
    df = compute(tables, metrics=["tasks_per_hour", "compartmentalisation"], B=0)
    n = dict(zip(df["metric"], df["n_participants"], strict=True))
    assert n == {"tasks_per_hour": 2, "compartmentalisation": 1}
