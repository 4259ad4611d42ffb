"""A measure that is not IORapp's: plain Cohen's kappa over one-second slices.

Behavioural observers know it from BORIS (the time-unit kappa). It is computed on the same
fragments as the IORapp composite (``iorapp.session_fragments``) and with the one Cohen's
kappa of ``kappa`` (None where undefined), and is offered for comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from workweave.analysis.reliability.iorapp import (
    _FIRST_CATEGORY,
    _category,
    _dedupe,
    _expand,
    _horizon,
    session_fragments,
)
from workweave.analysis.reliability.kappa import cohen_kappa_details
from workweave.domain.observation import Session, Task


@dataclass(frozen=True)
class TimeSlicedKappa:
    """Plain Cohen's kappa over one-second slices (see :func:`time_sliced_kappa`)."""

    kappa: float | None
    agreement: float | None  # percent of seconds with the same label
    expected: float | None  # Pe, chance agreement from each observer's own marginals
    n_seconds: int
    n_labels: int
    warnings: list[str] = field(default_factory=list)


def time_sliced_kappa(
    a: Session,
    b: Session,
    *,
    category_of: Callable[[Task], str] = _category,
) -> TimeSlicedKappa:
    """Plain Cohen's kappa over one-second slices: NOT one of IORapp's measures.

    This is the time-unit kappa behavioural observers know from BORIS, on workweave's
    slicing. Definition:

    1. Fragments as for :func:`ior_pair` (times from each session's own start, suspended
       time not credited, horizon T = the shorter session's length).
    2. Seconds: every second w (the slice [w, w+1)) from the first second covered by a task
       of either observer to the last one, inclusive, below T; seconds inside that span that
       nobody covers are included.
    3. Each observer's label of second w: the set of categories active in it (the union over
       its simultaneous tasks, so order and repeats do not matter); the empty set when the
       observer records nothing.
    4. kappa = (Po - Pe) / (1 - Pe), Po = share of seconds with equal sets, Pe = sum over
       labels of pA(label) * pB(label) with each observer's own proportions (Cohen, not
       Fleiss). Undefined (None, with a warning) when Pe == 1 or there is no second; BORIS
       reports 1 in the first case.
    """
    warn: list[str] = []
    horizon = _horizon(a, b, warn)
    frs_a = session_fragments(a, horizon=horizon, category_of=category_of, warnings=warn)
    frs_b = session_fragments(b, horizon=horizon, category_of=category_of, warnings=warn)
    codes: dict[str, int] = {}
    sa, _, ca = _expand(frs_a, codes)
    sb, _, cb = _expand(frs_b, codes)
    covered = np.concatenate([sa, sb])
    if len(covered) == 0:
        warn.append("no second is covered by a task of either observer")
        return TimeSlicedKappa(None, None, None, 0, 0, _dedupe(warn))
    lo, hi = int(covered.min()), int(covered.max())
    n = hi - lo + 1
    bit = [1 << (c - _FIRST_CATEGORY) for c in range(_FIRST_CATEGORY, len(codes) + 2)]
    bits = np.array(bit, dtype=object)

    def masks(secs: np.ndarray, cats: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=object)
        if len(secs):
            np.bitwise_or.at(out, secs - lo, bits[cats - _FIRST_CATEGORY])
        return out

    xa, xb = masks(sa, ca), masks(sb, cb)
    k, ag, pe = cohen_kappa_details(list(xa), list(xb))
    if k is None:
        warn.append("time-sliced kappa undefined: both observers give one same label throughout")
    n_labels = len(set(xa.tolist()) | set(xb.tolist()))
    return TimeSlicedKappa(
        kappa=k,
        agreement=ag,
        expected=pe,
        n_seconds=n,
        n_labels=n_labels,
        warnings=_dedupe(warn),
    )


__all__ = ["TimeSlicedKappa", "time_sliced_kappa"]
