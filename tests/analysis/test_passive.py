"""Spells, shifts and Bland-Altman agreement (pure functions)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from workweave.analysis.passive import (
    Spell,
    active_ms,
    bland_altman,
    observed_system_ms,
    shifts,
    spells,
)

MIN = 60_000


def test_spells_break_at_the_timeout() -> None:
    ts = [0, 2 * MIN, 7 * MIN, 13 * MIN, 13 * MIN]  # gaps 2, 5 (kept), 6 (breaks), 0
    assert spells(ts) == [Spell(0, 7 * MIN, 3), Spell(13 * MIN, 13 * MIN, 2)]
    assert active_ms(ts) == 7 * MIN
    assert active_ms(ts, timeout_ms=6 * MIN) == 13 * MIN
    assert spells([]) == [] and active_ms([5]) == 0


def test_a_night_shift_stays_whole() -> None:
    h = 60 * MIN
    night = [20 * h, 23 * h, 25 * h, 28 * h, 30 * h]  # 20:00 to 06:00 the next day, gaps < 4 h
    day_after = [40 * h]  # 16:00: 10 hours later
    assert shifts(night + day_after) == [(20 * h, 30 * h), (40 * h, 40 * h)]


def test_bland_altman() -> None:
    ag = bland_altman([1, 2, 3, 4], [2, 3, 5, 4])  # differences 1, 1, 2, 0
    sd = math.sqrt(2 / 3)
    assert ag.n == 4 and ag.bias == pytest.approx(1.0) and ag.sd == pytest.approx(sd)
    assert ag.loa_low == pytest.approx(1 - 1.959964 * sd, abs=1e-6)
    assert ag.loa_high == pytest.approx(1 + 1.959964 * sd, abs=1e-6)
    t3 = 3.182446305284263  # t(0.975, 3)
    assert ag.bias_ci[1] == pytest.approx(1 + t3 * sd / 2)
    assert ag.loa_high_ci[0] == pytest.approx(ag.loa_high - t3 * sd * math.sqrt(3 / 4))
    assert math.isnan(bland_altman([1.0], [2.0]).sd)
    assert bland_altman([1.0, float("nan"), 3.0], [1.0, 5.0, 4.0]).n == 2
    with pytest.raises(ValueError):
        bland_altman([1.0], [1.0, 2.0])


def test_observed_system_time_takes_suspensions_out() -> None:
    sessions = pd.DataFrame(
        {
            "session_id": [1, 2],
            "participant": ["P1", "P2"],
            "start_ms": [0, 0],
            "end_ms": [60 * MIN, 60 * MIN],
            "known_end_ms": [60 * MIN, 60 * MIN],
        }
    )
    tasks = pd.DataFrame(
        {
            "task_id": [10, 11, 20],
            "session_id": [1, 1, 2],
            "start_ms": [0, 30 * MIN, 0],
            "end_ms": [20 * MIN, 40 * MIN, 10 * MIN],
            "known_end_ms": [20 * MIN, 40 * MIN, 10 * MIN],
        }
    )
    dims = pd.DataFrame(
        {
            "task_id": [10, 11, 20],
            "dimension": ["How", "how", "how"],
            "value": ["clinical system (EHR/RIS)", "phone", "Clinical System (EHR/RIS)"],
        }
    )
    susp = pd.DataFrame({"task_id": [10], "start_ms": [5 * MIN], "end_ms": [8 * MIN]})
    got = observed_system_ms(sessions, tasks, dims, susp)
    assert list(got["observed_ms"]) == [17 * MIN, 10 * MIN]
