"""Styles of clinician-management: the clustering pieces and the small-number rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workweave.analysis.styles import (
    FEATURES,
    adjusted_rand,
    centre_by_site,
    find_styles,
    kmeans,
    merge_small,
    purity,
    silhouette,
)


def blobs(sizes: list[int], seed: int = 1, spread: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [5, 5], [0, 5], [5, 0]], dtype=float)
    x = np.vstack([centres[i] + rng.normal(0, spread, (n, 2)) for i, n in enumerate(sizes)])
    return x, np.repeat(np.arange(len(sizes)), sizes)


def table(profiles: dict[str, list[float]], sites: dict[str, str] | None = None) -> pd.DataFrame:
    """A per-participant registry table with the style features."""
    rows = []
    for code, values in profiles.items():
        for f, v in zip(FEATURES, values, strict=True):
            rows.append(
                {
                    "participant": code,
                    "site": (sites or {}).get(code, "S"),
                    "metric": f.metric,
                    "key": f.key,
                    "estimate": v,
                }
            )
    return pd.DataFrame(rows)


def test_kmeans_finds_separated_groups_and_is_seeded() -> None:
    x, truth = blobs([6, 5, 7])
    a, centres, wss = kmeans(x, 3, np.random.default_rng(3))
    b, _, _ = kmeans(x, 3, np.random.default_rng(3))
    assert adjusted_rand(truth, a) == pytest.approx(1.0)
    assert np.array_equal(a, b)
    assert centres.shape == (3, 2) and wss > 0
    with pytest.raises(ValueError):
        kmeans(x, 0, np.random.default_rng(1))


def test_silhouette_and_rand_index_known_values() -> None:
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    lab = np.array([0, 0, 1, 1])
    # a(i) = 1, b(i) = 10 or 9 (mean distance to the other pair): s = 1 - a/b
    expected = np.mean([1 - 1 / 10.5, 1 - 1 / 9.5, 1 - 1 / 9.5, 1 - 1 / 10.5])
    assert silhouette(x, lab) == pytest.approx(expected)
    assert adjusted_rand([0, 0, 1, 1], ["b", "b", "a", "a"]) == pytest.approx(1.0)
    assert adjusted_rand([0, 0, 1, 1], [0, 1, 0, 1]) < 0
    assert purity(["A", "A", "B", "C"], ["x", "x", "y", "y"]) == 1.0
    assert purity(["A", "A", "A", "A"], ["x", "x", "y", "y"]) == 0.5


def test_small_clusters_are_merged_into_the_nearest() -> None:
    x, _ = blobs([6, 6, 2])
    labels = np.repeat([0, 1, 2], [6, 6, 2])
    merged, merges = merge_small(x, labels, 3)
    assert merges == 1 and set(merged) == {0, 1}
    assert np.bincount(merged).min() >= 3


def test_find_styles_recovers_planted_profiles_and_respects_the_rule() -> None:
    rng = np.random.default_rng(4)
    base_a = [0.6, 0.2, 2.0, 1.5, 1.0, 0.05, 0.05]
    base_b = [0.4, 0.45, 12.0, 7.0, 6.0, 0.35, 0.3]
    profiles = {}
    truth = {}
    for i in range(12):
        base = base_a if i % 2 else base_b
        profiles[f"P{i:02d}"] = [v * (1 + rng.normal(0, 0.08)) for v in base]
        truth[f"P{i:02d}"] = "a" if i % 2 else "b"
    res = find_styles(table(profiles), seed=3, suppress_below=3, B=30)
    assert res.found and res.k == 2
    assert adjusted_rand([truth[p] for p in res.assignments.index], res.assignments) == 1.0
    assert all(s.size >= 3 for s in res.styles)
    assert (
        all(0 <= s.stability <= 1 for s in res.styles)
        and min(s.stability for s in res.styles) > 0.75
    )
    # the same seed gives the same styles
    again = find_styles(table(profiles), seed=3, suppress_below=3, B=30)
    assert again.assignments.equals(res.assignments)
    # the more managerial style is named first and differs by its interruptions
    first = res.styles[0]
    assert first.differences["interruptions_per_hour"] > 1
    # too few participants for two styles of three: nothing is shown, and it says why
    few = find_styles(table(dict(list(profiles.items())[:5])), suppress_below=3, B=5)
    assert not few.found and "small-number rule" in few.notes[-1]


def test_site_relative_profiles() -> None:
    wide = pd.DataFrame({"m": [1.0, 3.0, 10.0, 14.0, 7.0]}, index=list("abcde"))
    site = pd.Series(["X", "X", "Y", "Y", "Z"], index=list("abcde"))
    out = centre_by_site(wide, site)
    assert out["m"].tolist() == [-1.0, 1.0, -2.0, 2.0, 7.0]  # a site of one is left as it is
