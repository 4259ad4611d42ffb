"""Trends by period: period labels and which periods fall before and after an event."""

from __future__ import annotations

from datetime import date

import pytest

from workweave.analysis.trends import check_period, period_end, period_start, periods_around
from workweave.domain.errors import ValidationError


def test_period_bounds() -> None:
    assert period_start("2026-03", "month") == date(2026, 3, 1)
    assert period_end("2026-12", "month") == date(2027, 1, 1)
    assert period_start("2026-Q3", "quarter") == date(2026, 7, 1)
    assert period_end("2026-Q4", "quarter") == date(2027, 1, 1)
    assert period_start("2026-W01", "week") == date(2025, 12, 29)  # ISO week 1 of 2026
    assert period_end("2026-W01", "week") == date(2026, 1, 5)


def test_periods_around_an_event_leave_out_the_period_holding_it() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    before, after = periods_around(months, "month", date(2026, 7, 1))
    assert before == months[:6] and after == months[6:]
    before, after = periods_around(months, "month", date(2026, 7, 15))
    assert before == months[:6] and after == months[7:]  # July holds the event: neither


def test_unknown_period_is_refused() -> None:
    with pytest.raises(ValidationError, match="choose from"):
        check_period("fortnight")
