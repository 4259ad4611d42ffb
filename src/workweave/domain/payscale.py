"""Pay scales: annual full-time salaries by band and pay point, with employer on-costs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workweave.domain.errors import ValidationError

PAY_POINT_DEFAULTS = ("top", "entry", "middle")


@dataclass(frozen=True)
class PayScale:
    """Annual full-time salaries by band and pay point, with employer on-cost rates."""

    name: str
    nation: str
    year: str
    title: str
    source: str
    bands: Mapping[str, tuple[float, ...]]
    employer_pension_rate: float
    employer_ni_rate: float
    employer_ni_threshold: float
    on_cost_source: str = ""

    def salary(self, band: str | None, pay_point: int | None, default: str = "top") -> float | None:
        """Annual salary at a band and pay point (1 = entry); None when the band is unknown.

        A missing pay point takes `default`: the band's ``top``, ``entry`` or ``middle`` point.
        A pay point beyond the band's last is read as its top point.
        """
        points = self.bands.get(str(band)) if band is not None else None
        if not points:
            return None
        if pay_point is None:
            if default not in PAY_POINT_DEFAULTS:
                raise ValidationError(
                    f"default pay point '{default}' is not one of {', '.join(PAY_POINT_DEFAULTS)}"
                )
            idx = {"top": len(points) - 1, "entry": 0, "middle": (len(points) - 1) // 2}[default]
            return float(points[idx])
        return float(points[min(max(int(pay_point), 1), len(points)) - 1])

    def on_cost_multiplier(
        self,
        salary: float,
        *,
        pension_rate: float | None = None,
        ni_rate: float | None = None,
        ni_threshold: float | None = None,
    ) -> float:
        """(salary + employer pension + employer National Insurance) / salary."""
        p = self.employer_pension_rate if pension_rate is None else pension_rate
        r = self.employer_ni_rate if ni_rate is None else ni_rate
        th = self.employer_ni_threshold if ni_threshold is None else ni_threshold
        if salary <= 0:
            return 1.0
        return 1.0 + p + r * max(0.0, salary - th) / salary
