"""Statistics for metric estimates: cluster-robust t intervals and the cluster bootstrap over
participants, exact Poisson intervals for rates, quantiles of resampled data. Vectorised with
numpy: one weight matrix per group (replicates × participants), then matrix products.

Two interval methods (``INTERVAL_METHODS``), chosen with ``interval=``:

- ``t`` (the default, ``workweave.domain.policy.INTERVAL_METHOD``): estimate ± t(G − 1) × SE,
  G the number of participants (clusters) the estimate rests on. For a ratio of sums
  R = ΣY/ΣX the SE is the linearisation (delta-method, "sandwich") SE
  sqrt(G/(G − 1) · Σ(Y_i − R·X_i)² / (ΣX)²); for quantiles and differences it is the standard
  deviation of the cluster-bootstrap replicates times sqrt(G/(G − 1)). The t quantile on
  G − 1 degrees of freedom and the G/(G − 1) factor are what keep the coverage near its
  nominal level with few clusters (Cameron & Miller 2015, J Hum Resour 50:317, section VI).
  Bounds stay inside the estimate's possible range (not below 0 when no cluster contributes a
  negative numerator; not above 1 when no numerator exceeds its denominator).
- ``percentile``: the percentile interval of the cluster bootstrap (too narrow with few
  clusters: it ignores the G/(G − 1) factor and uses normal, not t, tails).

Resampling participants with replacement is a multinomial draw of how often each participant
appears in a replicate; a replicate's ratio estimate is (weights @ numerators) /
(weights @ denominators), and a replicate's quantile is the quantile of the participants' items
repeated by their weights.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from scipy.stats import chi2
from scipy.stats import t as student_t

MAX_QUANTILE_BINS = 512
"""Above this many distinct item values, bootstrap quantiles use this many value bins (the point
estimate always uses the raw values)."""


def group_rng(seed: int | None, label: Sequence[object], stratum: int = 0) -> np.random.Generator:
    """A generator for one group, stable whatever other groups are computed beside it."""
    if seed is None:
        return np.random.default_rng()
    key = zlib.crc32(repr(tuple(str(x) for x in label)).encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(key, stratum)))


def cluster_weights(rng: np.random.Generator, n: int, B: int) -> np.ndarray:
    """B × n counts: how often each of n clusters is drawn in each of B resamples of size n
    (a multinomial draw, made by drawing n cluster indices per replicate and counting)."""
    if n == 0 or B == 0:
        return np.zeros((B, n))
    draws = rng.integers(0, n, size=(B, n)) + (np.arange(B) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=B * n).reshape(B, n).astype(np.float64)


def ratio_replicates(w: np.ndarray, num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Replicate ratios (B × J) from weights (B × n) and per-cluster sums (n × J)."""
    top = w @ num
    bottom = w @ den
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)


def percentile_interval(
    reps: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column of a replicate matrix (replicates with no value skipped)."""
    if reps.size == 0:
        nan = np.full(reps.shape[1] if reps.ndim == 2 else 0, np.nan)
        return nan, nan.copy()
    alpha = (1.0 - confidence) / 2.0
    ok = ~np.isnan(reps)
    lo = np.full(reps.shape[1], np.nan)
    hi = np.full(reps.shape[1], np.nan)
    cols = ok.any(axis=0)
    if cols.any():
        sub = reps[:, cols]
        lo[cols] = np.nanquantile(sub, alpha, axis=0)
        hi[cols] = np.nanquantile(sub, 1.0 - alpha, axis=0)
    return lo, hi


INTERVAL_METHODS: tuple[str, ...] = ("t", "percentile")
"""Interval methods of `Metrics.compute` and `compare` (see the module docstring)."""


def check_interval(method: str) -> str:
    """The method name, or ValueError naming the ones there are."""
    if method not in INTERVAL_METHODS:
        raise ValueError(
            f"unknown interval method '{method}' (choose from: {', '.join(INTERVAL_METHODS)})"
        )
    return method


def t_multiplier(n_clusters: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """The two-sided t quantile on G − 1 degrees of freedom (NaN below two clusters)."""
    g = np.asarray(n_clusters, dtype=float)
    ok = g >= 2
    out = np.full(g.shape, np.nan)
    out[ok] = student_t.ppf(0.5 + confidence / 2.0, g[ok] - 1.0)
    return out


def ratio_t_interval(
    num: np.ndarray, den: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster-robust t interval per column of a ratio of sums ΣY/ΣX, from the per-cluster
    sums `num` (Y) and `den` (X), both n × J. Clusters with no denominator carry no
    information about the ratio and do not count towards G."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    J = num.shape[1] if num.ndim == 2 else 0
    lo = np.full(J, np.nan)
    hi = np.full(J, np.nan)
    if num.size == 0:
        return lo, hi
    g = (den > 0).sum(axis=0).astype(float)
    top, bottom = num.sum(axis=0), den.sum(axis=0)
    ok = (g >= 2) & (bottom > 0)
    if not ok.any():
        return lo, hi
    r = np.where(ok, top / np.where(ok, bottom, 1.0), np.nan)
    resid = num - r[None, :] * den
    with np.errstate(divide="ignore", invalid="ignore"):
        var = g / (g - 1.0) * (resid**2).sum(axis=0) / bottom**2
    half = t_multiplier(g, confidence) * np.sqrt(var)
    lo[ok] = (r - half)[ok]
    hi[ok] = (r + half)[ok]
    _clip_to_range(lo, hi, num, den)
    return lo, hi


def _clip_to_range(lo: np.ndarray, hi: np.ndarray, num: np.ndarray, den: np.ndarray) -> None:
    nonneg = (num >= 0).all(axis=0) & (den >= 0).all(axis=0)
    at_most_one = nonneg & (num <= den).all(axis=0)
    np.maximum(lo, 0.0, out=lo, where=nonneg & ~np.isnan(lo))
    np.minimum(hi, 1.0, out=hi, where=at_most_one & ~np.isnan(hi))


def replicate_t_interval(
    estimate: np.ndarray,
    reps: np.ndarray,
    n_clusters: np.ndarray | float,
    confidence: float = 0.95,
    strata: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """t interval per column around `estimate`, with the SE of the bootstrap replicates
    (B × J, replicates with no value skipped). With G clusters resampled within `strata`
    strata the degrees of freedom are G − strata and the SE is scaled by sqrt(G/(G − strata))
    (for one stratum: G − 1 and the usual G/(G − 1) small-sample factor)."""
    estimate = np.asarray(estimate, dtype=float)
    J = estimate.shape[0]
    g = np.broadcast_to(np.asarray(n_clusters, dtype=float), (J,))
    lo = np.full(J, np.nan)
    hi = np.full(J, np.nan)
    if reps.size == 0 or J == 0:
        return lo, hi
    df = g - strata
    ok = (df >= 1) & ~np.isnan(estimate) & ((~np.isnan(reps)).sum(axis=0) >= 2)
    if not ok.any():
        return lo, hi
    sd = np.nanstd(reps[:, ok], axis=0, ddof=1)
    half = t_multiplier(df[ok] + 1.0, confidence) * sd * np.sqrt(g[ok] / df[ok])
    lo[ok] = estimate[ok] - half
    hi[ok] = estimate[ok] + half
    return lo, hi


def quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile with linear interpolation (numpy's default); NaN when there are none."""
    if values.size == 0:
        return float("nan")
    return float(np.quantile(values, q))


def quantile_sorted(values: np.ndarray, q: float) -> float:
    """`quantile` of values already sorted ascending."""
    n = values.size
    if n == 0:
        return float("nan")
    h = (n - 1) * q
    lo = int(np.floor(h))
    hi = min(lo + 1, n - 1)
    return float(values[lo] + (h - lo) * (values[hi] - values[lo]))


def binned_counts(
    values: np.ndarray, cluster: np.ndarray, n_clusters: int, max_bins: int = MAX_QUANTILE_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """(counts n_clusters × U, representative values U) of items sorted by value.

    With at most `max_bins` distinct values the bins are the values themselves (exact);
    otherwise bins hold equal shares of the items and stand for their mean value.
    """
    n = values.size
    if n == 0:
        return np.zeros((n_clusters, 0)), np.zeros(0)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    inv = np.cumsum(new) - 1
    if inv[-1] + 1 <= max_bins:
        uniq = values[new]
    else:
        inv = (np.arange(n) * max_bins) // n
        uniq = np.bincount(inv, weights=values, minlength=max_bins) / np.bincount(
            inv, minlength=max_bins
        )
    counts = np.zeros((n_clusters, uniq.size))
    np.add.at(counts, (cluster, inv), 1.0)
    return counts, uniq


def resampled_cumcounts(w: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """B × U cumulative item counts per value bin in each resample."""
    return np.cumsum(w @ counts, axis=1)


def quantile_replicates(
    w: np.ndarray, counts: np.ndarray, values: np.ndarray, q: float
) -> np.ndarray:
    """Per replicate, the q-quantile (linear interpolation) of the resampled items."""
    return quantiles_from_cumcounts(resampled_cumcounts(w, counts), values, q)


def quantiles_from_cumcounts(cum: np.ndarray, values: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile of each resample, from its cumulative counts per value bin."""
    B, U = cum.shape
    out = np.full(B, np.nan)
    if U == 0:
        return out
    n = cum[:, -1]
    ok = n > 0
    h = np.where(ok, (n - 1.0) * q, 0.0)
    lo = np.floor(h)
    frac = h - lo
    hi = np.minimum(lo + 1.0, np.maximum(n - 1.0, 0.0))
    # the bin holding sorted item j is the number of bins whose cumulative count is <= j;
    # one searchsorted over the rows laid end to end (each row offset past the previous)
    step = float(n.max()) + 1.0
    offset = np.arange(B) * step
    flat = (cum + offset[:, None]).ravel()
    i_lo = np.searchsorted(flat, lo + offset + 0.5, side="right") - np.arange(B) * U
    i_hi = np.searchsorted(flat, hi + offset + 0.5, side="right") - np.arange(B) * U
    i_lo = np.clip(i_lo, 0, U - 1)
    i_hi = np.clip(i_hi, 0, U - 1)
    res = values[i_lo] + frac * (values[i_hi] - values[i_lo])
    out[ok] = res[ok]
    return out


def poisson_interval(
    count: np.ndarray, exposure: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a rate count / exposure."""
    count = np.asarray(count, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(count > 0, chi2.ppf(alpha / 2, 2 * count) / 2, 0.0)
        hi = chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
        ok = exposure > 0
        return (
            np.where(ok, lo / np.where(ok, exposure, 1.0), np.nan),
            np.where(ok, hi / np.where(ok, exposure, 1.0), np.nan),
        )


__all__ = [
    "INTERVAL_METHODS",
    "MAX_QUANTILE_BINS",
    "binned_counts",
    "check_interval",
    "cluster_weights",
    "group_rng",
    "percentile_interval",
    "poisson_interval",
    "quantile",
    "quantile_replicates",
    "quantile_sorted",
    "quantiles_from_cumcounts",
    "ratio_replicates",
    "ratio_t_interval",
    "replicate_t_interval",
    "resampled_cumcounts",
    "t_multiplier",
]
