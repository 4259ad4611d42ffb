"""Co-observer calibration: the study's rule and the calibrations observers have passed.

Two observers shadow the same person at the same time (during training, say); their two
records are compared with the inter-observer reliability measures, and the pair *passes* when
the time-sliced Cohen's kappa (``analysis.reliability.time_sliced_kappa``) reaches the
study's threshold. A study can require a passed calibration before an observer records real
(non-calibration) sessions. docs/ior.md and docs/web.md describe the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from workweave.domain.errors import ValidationError

DEFAULT_THRESHOLD: Final = 0.80
"""The kappa a co-observed pair must reach to pass, unless the study sets another."""

MEASURE: Final = "time_sliced_kappa"
"""The measure compared with the threshold: plain Cohen's kappa over one-second slices."""


def check_threshold(value: object) -> float:
    """A threshold as a float in (0, 1]; a clear error for anything else (NaN, text, 1.5)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError("the calibration threshold must be a number between 0 and 1")
    try:
        x = float(value)
    except ValueError:
        raise ValidationError(
            "the calibration threshold must be a number between 0 and 1"
        ) from None
    if not math.isfinite(x) or not 0 < x <= 1:
        raise ValidationError("the calibration threshold must be a number above 0, at most 1")
    return x


@dataclass(frozen=True)
class CalibrationSettings:
    """A study's calibration rule: the kappa to reach, and whether observers must have passed
    before they record real sessions."""

    threshold: float = DEFAULT_THRESHOLD
    required: bool = False

    def passes(self, kappa: float | None) -> bool:
        """Whether a kappa reaches the threshold (an undefined kappa never does)."""
        return kappa is not None and math.isfinite(kappa) and kappa >= self.threshold - 1e-12


@dataclass(frozen=True)
class PassedCalibration:
    """One observer's passed calibration: with whom, on which sessions, the kappa reached and
    the threshold in force when it was recorded."""

    observer: str
    partner: str
    session_key: str
    partner_session_key: str
    measure: str
    kappa: float
    threshold: float
    recorded_ms: int
    recorded_by: int | None = None


__all__ = [
    "DEFAULT_THRESHOLD",
    "MEASURE",
    "CalibrationSettings",
    "PassedCalibration",
    "check_threshold",
]
