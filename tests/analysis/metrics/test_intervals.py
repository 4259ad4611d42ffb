"""Interval methods: the cluster-robust t interval (the default) and the percentile bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import t as student_t

from tests.factories import TEMPLATE, at, session, task
from workweave.analysis import metrics as M
from workweave.analysis.metrics import stats
from workweave.domain import Participant
from workweave.domain.errors import ValidationError
from workweave.domain.policy import INTERVAL_METHOD
from workweave.services.metrics import compare, compute


def _study(rates: list[int]) -> M.Tables:
    """One two-hour session per participant with `rate` half-minute ADMIN tasks per hour."""
    sessions = []
    for i, r in enumerate(rates):
        day = f"2025-02-{i + 1:02d}"
        tasks = [
            task(f"a{j}", "ADMIN", at(day, f"09:{j:02d}"), at(day, f"09:{j:02d}:30"), seq=j)
            for j in range(2 * r)
        ]
        sessions.append(session(f"q{i}", f"Q{i}", at(day, "09:00"), at(day, "11:00"), tasks))
    people = [Participant(f"Q{i}", "S1", band="7") for i in range(len(rates))]
    return M.from_sessions(sessions, people, templates=[TEMPLATE])


def test_ratio_t_interval_by_hand() -> None:
    num = np.array([[2.0], [4.0], [9.0]])
    den = np.array([[1.0], [1.0], [2.0]])
    lo, hi = stats.ratio_t_interval(num, den, 0.95)
    r = 15 / 4
    resid = num[:, 0] - r * den[:, 0]
    se = math.sqrt(3 / 2 * (resid**2).sum() / 4**2)
    half = student_t.ppf(0.975, 2) * se
    assert lo[0] == pytest.approx(max(0.0, r - half)) and hi[0] == pytest.approx(r + half)


def test_ratio_t_interval_stays_in_range_and_needs_two_clusters() -> None:
    # shares (numerator never above denominator) stay in [0, 1]
    lo, hi = stats.ratio_t_interval(np.array([[0.0], [1.0], [0.9]]), np.ones((3, 1)))
    assert lo[0] >= 0.0 and hi[0] <= 1.0
    # a cluster without denominator does not count: one informative cluster, no interval
    lo, hi = stats.ratio_t_interval(np.array([[1.0], [0.0]]), np.array([[2.0], [0.0]]))
    assert math.isnan(lo[0]) and math.isnan(hi[0])


def test_t_is_the_default_and_wider_than_the_percentile_with_few_participants() -> None:
    assert INTERVAL_METHOD == "t"
    tables = _study([1, 4, 9, 16])
    t = compute(tables, metrics="tasks_per_hour", seed=3, B=400).iloc[0]
    p = compute(tables, metrics="tasks_per_hour", seed=3, B=400, interval="percentile").iloc[0]
    assert t["estimate"] == p["estimate"] == pytest.approx(30 / 4)
    assert t["ci_low"] < p["ci_low"] and t["ci_high"] > p["ci_high"]
    assert t["ci_low"] >= 0
    # the t interval of a ratio does not depend on the bootstrap seed
    again = compute(tables, metrics="tasks_per_hour", seed=99, B=400).iloc[0]
    assert (again["ci_low"], again["ci_high"]) == (t["ci_low"], t["ci_high"])


def test_quantiles_and_comparisons_get_t_intervals() -> None:
    tables = _study([2, 4, 6, 8, 10, 12])
    q = compute(tables, metrics="task_duration_median", seed=4, B=200).iloc[0]
    assert q["ci_low"] == pytest.approx(0.5) and q["ci_high"] == pytest.approx(0.5)
    diff = compare(
        tables,
        {"participant": ["Q3", "Q4", "Q5"]},
        {"participant": ["Q0", "Q1", "Q2"]},
        metrics="tasks_per_hour",
        seed=1,
        B=400,
    ).iloc[0]
    assert diff["ci_low"] <= 6.0 <= diff["ci_high"]


def test_interval_method_is_recorded_and_checked() -> None:
    tables = _study([2, 4, 6])
    df = compute(tables, metrics="tasks_per_hour", seed=1, B=50, interval="percentile")
    assert df.attrs["bootstrap"]["interval"] == "percentile"
    with pytest.raises(ValidationError, match="interval method"):
        compute(tables, metrics="tasks_per_hour", B=50, interval="bca")
