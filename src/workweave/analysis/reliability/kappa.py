"""Cohen's kappa and percent agreement: the one implementation every reliability figure uses.

Cohen's kappa of two raters over the same units:

    kappa = (Po - Pe) / (1 - Pe)

with Po the (weighted) share of units both raters gave the same value and
Pe = sum_l pA(l) * pB(l) the chance agreement from each rater's own marginal proportions
(Cohen 1960; not Scott's pooled marginals, see ``iorapp.fleiss_kappa_two``).

Convention for undefined results, the same everywhere: kappa is **None** when there is no
unit both raters coded, or when Pe == 1 (both raters always gave one same value, so there is
no variation for chance to explain). A unit either rater left uncoded (None or NaN) is
skipped, as is a unit of weight 0. BORIS reports 1 where kappa is undefined; workweave does
not.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from workweave.domain.errors import ValidationError


def is_missing(value: Any) -> bool:
    """Whether a coder left a unit uncoded: None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


class KappaDetails(NamedTuple):
    """Cohen's kappa with what it rests on (None where undefined, see the module)."""

    kappa: float | None
    percent_agreement: float | None  # Po x 100
    expected: float | None  # Pe, chance agreement from each rater's own marginals (0 to 1)


def cohen_kappa_details(
    a: Sequence[Hashable], b: Sequence[Hashable], weights: Sequence[float] | None = None
) -> KappaDetails:
    """Cohen's kappa, percent agreement (0 to 100) and chance agreement Pe of two raters'
    values over the same units; `weights` counts identical units at once."""
    if len(a) != len(b):
        raise ValidationError(f"the two raters rate {len(a)} and {len(b)} units")
    ws = [1.0] * len(a) if weights is None else [float(w) for w in weights]
    if len(ws) != len(a):
        raise ValidationError(f"{len(ws)} weights for {len(a)} units")
    index: dict[Hashable, int] = {}
    xs: list[int] = []
    ys: list[int] = []
    kept: list[float] = []
    for va, vb, w in zip(a, b, ws, strict=True):
        if is_missing(va) or is_missing(vb) or w == 0:
            continue
        xs.append(index.setdefault(va, len(index)))
        ys.append(index.setdefault(vb, len(index)))
        kept.append(w)
    if not kept:
        return KappaDetails(None, None, None)
    x = np.asarray(xs, dtype=np.int64)
    y = np.asarray(ys, dtype=np.int64)
    wt = None if weights is None else np.asarray(kept, dtype=float)
    total = float(len(kept)) if wt is None else float(wt.sum())
    agree = float(np.count_nonzero(x == y)) if wt is None else float(wt[x == y].sum())
    k = len(index)
    pa = np.bincount(x, weights=wt, minlength=k) / total
    pb = np.bincount(y, weights=wt, minlength=k) / total
    po = agree / total
    pe = float(np.sum(pa * pb))
    kappa = None if pe >= 1.0 else (po - pe) / (1.0 - pe)
    return KappaDetails(kappa, 100.0 * po, pe)


def cohen_kappa(
    a: Sequence[Hashable], b: Sequence[Hashable], weights: Sequence[float] | None = None
) -> float | None:
    """Cohen's kappa of two raters' values over the same units (None where undefined: no
    unit both coded, or chance agreement 1)."""
    return cohen_kappa_details(a, b, weights).kappa


def percent_agreement(
    units: Iterable[Sequence[Any]], weights: Iterable[float] | None = None
) -> float | None:
    """Mean, over units coded by two or more coders, of the share of coder pairs that gave the
    unit the same value (for two coders: the share of units they agree on); a share, 0 to 1.
    None when no unit was coded by two coders."""
    agree = total = 0.0
    ws = iter(weights) if weights is not None else None
    for unit in units:
        w = float(next(ws)) if ws is not None else 1.0
        vals = [v for v in unit if not is_missing(v)]
        m = len(vals)
        if m < 2 or w == 0:
            continue
        same = sum(n * (n - 1) for n in Counter(vals).values())
        agree += w * same / (m * (m - 1))
        total += w
    return agree / total if total else None


__all__ = [
    "KappaDetails",
    "cohen_kappa",
    "cohen_kappa_details",
    "is_missing",
    "percent_agreement",
]
