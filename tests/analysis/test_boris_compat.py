"""The BORIS-compatible time budget and kappa on the worked examples of docs/boris.md."""

from __future__ import annotations

import pytest

from workweave.analysis.boris_compat import (
    BorisObservation,
    Bout,
    PointOccurrence,
    cohen_kappa,
    time_budget,
)

A = BorisObservation("A", 5000, bouts={"P": [Bout("walk", 0, 3000), Bout("talk", 3000, 5000)]})
B = BorisObservation("B", 5000, bouts={"P": [Bout("walk", 0, 2000), Bout("talk", 2000, 5000)]})


def test_kappa_worked_example() -> None:
    r = cohen_kappa(A, B, interval_s=1)
    assert (r.kappa, r.n, r.agreements, round(r.chance, 3)) == (0.478, 6, 4, 2.167)


def test_identical_codes_give_one_and_ends_are_inclusive() -> None:
    assert cohen_kappa(A, A, interval_s=1).kappa == 1.0
    one = BorisObservation("x", 2000, bouts={"P": [Bout("s", 0, 1000), Bout("s", 1000, 2000)]})
    two = BorisObservation("y", 2000, bouts={"P": [Bout("s", 0, 2000)]})
    # at 1 s the touching bouts give the code [s, s], not [s]
    assert cohen_kappa(one, two, interval_s=1).agreements == 2


def test_point_events_count_within_half_a_unit() -> None:
    a = BorisObservation("a", 4000, points={"P": [PointOccurrence("p", 1500)]})
    b = BorisObservation("b", 4000, points={"P": [PointOccurrence("p", 1600)]})
    r = cohen_kappa(a, b, interval_s=1)
    # points at 1.5 s and 1.6 s: t = 1.5 only; a is seen at 1.5, b at 1.5 (0.1 <= 0.5) too
    assert r.n == 1 and r.kappa == 1.0


def test_bad_units_are_refused() -> None:
    with pytest.raises(ValueError):
        cohen_kappa(A, B, interval_s=0)
    with pytest.raises(ValueError):
        cohen_kappa(A, B, interval_s=0.0005)


def test_budget_worked_example() -> None:
    obs = BorisObservation(
        "s",
        3_600_000,
        bouts={"P": [Bout("Terapia", 0, 1_800_000), Bout("Terapia", 2_400_000, 2_700_000)]},
    )
    (r,) = time_budget([obs])
    assert (r.occurrences, r.total_s, r.mean_s, r.sd_s, r.percent_of_observation) == (
        2,
        2100.0,
        1050.0,
        1060.66,
        58.3,
    )
    pts = BorisObservation("s", 10_000, points={"P": [PointOccurrence("call", 1000)] * 3})
    (p,) = time_budget([pts])
    assert (p.kind, p.occurrences, p.total_s, p.percent_of_observation) == ("point", 3, None, None)
