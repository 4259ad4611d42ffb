"""Krippendorff's alpha, from its coincidence-matrix definition.

Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": for every unit coded by
``m_u >= 2`` coders, each ordered pair of values from different coders adds ``1 / (m_u - 1)``
to the coincidence ``o[c, k]``; with ``n_c = sum_k o[c, k]`` and ``n = sum_c n_c``,

    alpha = 1 - (n - 1) * sum_ck o[c, k] * d2(c, k) / sum_ck n_c * n_k * d2(c, k)

where ``d2`` is the squared difference function of the level of measurement (nominal,
ordinal, interval or ratio). Units coded by fewer than two coders are not pairable and are
left out; any number of coders and missing values (None or NaN) are allowed. Alpha is None
where it is undefined (fewer than two pairable values, or no variation at all).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workweave.analysis.reliability.kappa import is_missing
from workweave.domain.errors import ValidationError

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class Coincidences:
    """The coincidence matrix of reliability data: `values` (sorted) index rows and columns."""

    values: tuple[Any, ...]
    matrix: np.ndarray  # o[c, k]
    pairable_units: float  # (weighted) number of units coded by two or more coders

    @property
    def totals(self) -> np.ndarray:
        return self.matrix.sum(axis=1)

    @property
    def n(self) -> float:
        return float(self.matrix.sum())


def coincidences(
    units: Iterable[Sequence[Any]], weights: Iterable[float] | None = None
) -> Coincidences:
    """Coincidences of `units`, each the sequence of values the coders gave it (None or NaN
    for a coder who did not code it). `weights` counts identical units at once."""
    counts: defaultdict[tuple[Hashable, Hashable], float] = defaultdict(float)
    # Values of any type: sorted when they compare, else by their repr below.
    seen: set[Any] = set()
    pairable = 0.0
    ws = iter(weights) if weights is not None else None
    for unit in units:
        w = float(next(ws)) if ws is not None else 1.0
        vals = [v for v in unit if not is_missing(v)]
        m = len(vals)
        if m < 2 or w == 0:
            continue
        pairable += w
        share = w / (m - 1)
        tally = Counter(vals)
        for c, nc in tally.items():
            seen.add(c)
            for k, nk in tally.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                if pairs:
                    counts[(c, k)] += pairs * share
    try:
        values = tuple(sorted(seen))
    except TypeError:
        values = tuple(sorted(seen, key=repr))
    index = {v: i for i, v in enumerate(values)}
    matrix = np.zeros((len(values), len(values)))
    for (c, k), x in counts.items():
        matrix[index[c], index[k]] = x
    return Coincidences(values, matrix, pairable)


def _delta2(co: Coincidences, level: str) -> np.ndarray:
    vals = co.values
    k = len(vals)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        n = co.totals
        cum = np.concatenate([[0.0], np.cumsum(n)])
        d = np.zeros((k, k))
        for i in range(k):
            for j in range(k):
                lo, hi = min(i, j), max(i, j)
                d[i, j] = (cum[hi + 1] - cum[lo] - (n[i] + n[j]) / 2) ** 2
        return d
    try:
        x = np.array([float(v) for v in vals])
    except (TypeError, ValueError):
        raise ValidationError(f"{level} alpha needs numeric values, not {vals!r}") from None
    if level == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if level == "ratio":
        s = x[:, None] + x[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s == 0, 0.0, ((x[:, None] - x[None, :]) / s) ** 2)
        return d
    raise ValidationError(f"level '{level}' is not one of {', '.join(LEVELS)}")


def alpha_from_coincidences(co: Coincidences, level: str = "nominal") -> float | None:
    """Krippendorff's alpha; None when it is undefined (fewer than two pairable values, or
    no variation at all: every coder always gave the same single value)."""
    if level not in LEVELS:
        raise ValidationError(f"level '{level}' is not one of {', '.join(LEVELS)}")
    n = co.n
    if n <= 1 or len(co.values) < 2:
        return None
    d2 = _delta2(co, level)
    nc = co.totals
    observed = float((co.matrix * d2).sum())
    expected = float((np.outer(nc, nc) * d2).sum())
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[Any]], level: str = "nominal"
) -> float | None:
    """Krippendorff's alpha of a coders × units matrix (one row per coder, as in Krippendorff's
    tables; None or NaN marks a unit the coder did not code)."""
    rows = [list(r) for r in reliability_data]
    if not rows:
        return None
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValidationError("every coder's row must have one value per unit")
    units = [[r[u] for r in rows] for u in range(width)]
    return alpha_from_coincidences(coincidences(units), level)


def as_units(rows: Mapping[str, Sequence[Any]]) -> list[list[Any]]:
    """Transpose {coder: values by unit} into units × coders (a helper for callers)."""
    coders = list(rows)
    width = max((len(v) for v in rows.values()), default=0)
    return [[rows[c][u] if u < len(rows[c]) else None for c in coders] for u in range(width)]


__all__ = [
    "LEVELS",
    "Coincidences",
    "alpha_from_coincidences",
    "as_units",
    "coincidences",
    "krippendorff_alpha",
]
