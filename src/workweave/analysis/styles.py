"""Styles of clinician-management: participants grouped by the profile of their work.

Pure computation (numpy, pandas): no store, no I/O. The input is the metric registry's
per-participant table (``Metrics.compute(by="participant")``), so every feature is a
registry metric with its one definition. docs/styles.md states the method:

1. **Features** (`FEATURES`): each participant's clinical and managerial shares of observed
   time, management in fragments, clinical-managerial switches and interruptions per hour,
   management leaking into planned clinical sessions (``clinical_displacement``) and
   management outside contracted hours (``leakage[outside_contracted]``). A feature the
   study cannot define for most participants (e.g. no job plans) is left out; participants
   missing a kept feature are left out of the clustering (and counted).
2. **Relative to the site** (the default): each measure minus the mean of the participant's
   site, so the styles found are ways of working within a service and not the services'
   own differences (a site of one participant is left as it is); then **standardised** to
   mean 0 and SD 1 over the participants (so no unit dominates).
3. **k-means** (Lloyd's algorithm, k-means++ starts, `N_INIT` seeded starts, the lowest
   within-cluster sum of squares kept) for k = 2..`K_MAX`.
4. **Small-number rule**: a cluster of fewer than ``suppress_below`` participants is merged
   into the nearest cluster (by centroid) until none is left; the merge is reported.
5. **k** is chosen by the mean **silhouette** width (Rousseeuw 1987) among the solutions;
   ties go to the smaller k. A best silhouette under `MIN_SILHOUETTE` means no structure
   worth reporting (Kaufman & Rousseeuw 1990: below 0.25 "no substantial structure").
6. **Stability**: `B_STABILITY` bootstrap resamples of participants, each clustered again
   with the same k; each style's stability is the mean Jaccard similarity of its members
   (among those resampled) with the most similar cluster of the resample (Hennig 2007,
   Comput Stat Data Anal 52:258). Hennig reads >= 0.75 as stable, 0.6-0.75 as a pattern,
   <= 0.5 as dissolved.
7. Each style is **described** by its standardised differences: the mean of the style minus
   the mean of the other participants, in SDs of the standardised (site-relative) measure,
   per feature; and by its members' mean of each measure in the measure's own unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workweave.domain.policy import SUPPRESS_BELOW


@dataclass(frozen=True)
class Feature:
    metric: str
    key: str | None
    label: str
    unit: str  # how to show the style's mean: 'proportion', '%', 'per hour'

    @property
    def column(self) -> str:
        return f"{self.metric}[{self.key}]" if self.key else self.metric


FEATURES: tuple[Feature, ...] = (
    Feature("domain_share_observed", "clinical", "clinical share of observed time", "proportion"),
    Feature(
        "domain_share_observed", "managerial", "managerial share of observed time", "proportion"
    ),
    Feature("management_in_fragments_pct", None, "management in fragments", "%"),
    Feature("domain_switches_per_hour", None, "clinical-managerial switches", "per hour"),
    Feature("interruptions_per_hour", None, "interruptions", "per hour"),
    Feature("clinical_displacement", None, "management inside planned clinical time", "proportion"),
    Feature(
        "leakage",
        "outside_contracted",
        "management outside contracted hours (share of managerial time)",
        "proportion",
    ),
)
K_MAX = 5
N_INIT = 20
B_STABILITY = 100
MIN_SILHOUETTE = 0.25
MIN_DEFINED_SHARE = 0.5
"""A feature is kept when at least this share of participants has it defined."""
STYLE_NAMES = ("A", "B", "C", "D", "E")


# -- the numerical pieces -----------------------------------------------------------------------


def standardise(x: np.ndarray) -> np.ndarray:
    """Columns to mean 0, SD 1 (sample SD; a constant column becomes 0)."""
    mu = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1) if len(x) > 1 else np.zeros(x.shape[1])
    sd = np.where(sd > 0, sd, 1.0)
    return (x - mu) / sd


def kmeans(
    x: np.ndarray, k: int, rng: np.random.Generator, *, n_init: int = N_INIT, iters: int = 100
) -> tuple[np.ndarray, np.ndarray, float]:
    """k-means (Lloyd) with k-means++ starts: (labels 0..k-1, centres, within-cluster sum of
    squares) of the best of `n_init` starts."""
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of points ({n}), not {k}")
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    for _ in range(n_init):
        centres = _plusplus(x, k, rng)
        labels = np.zeros(n, dtype=int)
        for it in range(iters):
            d = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
            new = d.argmin(axis=1)
            if it and np.array_equal(new, labels):
                break
            labels = new
            for j in range(k):
                members = x[labels == j]
                if len(members):
                    centres[j] = members.mean(axis=0)
                else:  # an empty cluster restarts at the point farthest from its centre
                    far = int(d[np.arange(n), labels].argmax())
                    centres[j] = x[far]
                    labels[far] = j
        wss = float(((x - centres[labels]) ** 2).sum())
        if best is None or wss < best[2] - 1e-12:
            best = (labels.copy(), centres.copy(), wss)
    assert best is not None
    return best


def _plusplus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    n = len(x)
    centres = [x[int(rng.integers(n))]]
    for _ in range(1, k):
        d = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2), axis=1)
        total = d.sum()
        i = int(rng.choice(n, p=d / total)) if total > 0 else int(rng.integers(n))
        centres.append(x[i])
    return np.array(centres, dtype=float)


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width (Rousseeuw 1987); a point alone in its cluster scores 0."""
    ids = np.unique(labels)
    if len(ids) < 2 or len(ids) >= len(x):
        return float("nan")
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    s = np.zeros(len(x))
    for i in range(len(x)):
        own = labels == labels[i]
        if own.sum() <= 1:
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == j].mean() for j in ids if j != labels[i])
        s[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(s.mean())


def adjusted_rand(a: Sequence[object], b: Sequence[object]) -> float:
    """Adjusted Rand index of two partitions of the same items (Hubert & Arabie 1985)."""
    ta = pd.Categorical(list(a)).codes
    tb = pd.Categorical(list(b)).codes
    n = len(ta)
    table = np.zeros((ta.max() + 1, tb.max() + 1))
    np.add.at(table, (ta, tb), 1)

    def pairs(v: np.ndarray) -> float:
        return float((v * (v - 1) / 2).sum())

    index = pairs(table)
    ra, rb = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = ra * rb / (n * (n - 1) / 2) if n > 1 else 0.0
    top = (ra + rb) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def merge_small(x: np.ndarray, labels: np.ndarray, least: int) -> tuple[np.ndarray, int]:
    """Merge the smallest cluster into the nearest (by centroid) while any has fewer than
    `least` members; returns (labels renumbered 0..k'-1, number of merges)."""
    labels = labels.copy()
    merges = 0
    while True:
        ids, counts = np.unique(labels, return_counts=True)
        if len(ids) <= 1 or counts.min() >= least:
            break
        small = ids[counts.argmin()]
        centre = x[labels == small].mean(axis=0)
        others = [j for j in ids if j != small]
        dist = [float(((x[labels == j].mean(axis=0) - centre) ** 2).sum()) for j in others]
        labels[labels == small] = others[int(np.argmin(dist))]
        merges += 1
    _, renum = np.unique(labels, return_inverse=True)
    return renum, merges


def stability(
    x: np.ndarray, labels: np.ndarray, k: int, rng: np.random.Generator, B: int = B_STABILITY
) -> np.ndarray:
    """Per cluster, the mean Jaccard similarity with its best match over `B` bootstrap
    resamples of the points, each clustered again with k-means (Hennig 2007)."""
    n = len(x)
    ids = np.unique(labels)
    out = np.zeros(len(ids))
    done = 0
    for _ in range(B):
        pick = rng.integers(0, n, n)
        uniq = np.unique(pick)
        if len(uniq) < k:
            continue
        boot, _, _ = kmeans(x[pick], k, rng, n_init=5)
        # a resampled point takes the cluster of its first copy
        first = {int(p): int(boot[i]) for i, p in reversed(list(enumerate(pick)))}
        for c, cid in enumerate(ids):
            members = set(int(i) for i in np.flatnonzero(labels == cid)) & set(first)
            if not members:
                continue
            best = 0.0
            for j in set(first.values()):
                other = {i for i, lab in first.items() if lab == j}
                best = max(best, len(members & other) / len(members | other))
            out[c] += best
        done += 1
    return out / max(done, 1)


# -- the analysis -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    name: str
    size: int
    stability: float
    means: dict[str, float]  # feature column -> the style's mean, in the metric's unit
    differences: dict[str, float]  # feature column -> standardised difference from the rest

    def distinguishing(self, top: int = 3) -> list[tuple[str, float]]:
        """The features with the largest standardised differences (sign kept)."""
        items = sorted(self.differences.items(), key=lambda kv: -abs(kv[1]))
        return [(c, d) for c, d in items[:top] if abs(d) >= 0.5] or items[:1]


@dataclass(frozen=True)
class StylesResult:
    styles: tuple[Style, ...]
    assignments: pd.Series  # participant code -> style name (clustered participants only)
    features: tuple[Feature, ...]
    criterion: pd.DataFrame  # k, clusters, silhouette, merged
    k: int
    silhouette: float
    seed: int
    suppress_below: int
    left_out: tuple[str, ...] = ()  # participants without every feature
    notes: tuple[str, ...] = field(default=())

    @property
    def found(self) -> bool:
        return len(self.styles) >= 2


def centre_by_site(wide: pd.DataFrame, site: pd.Series) -> pd.DataFrame:
    """Each measure minus its site's mean over the site's participants (a site of one
    participant is left as it is: centring would erase that person's profile)."""
    sites = site.reindex(wide.index).fillna("").astype(str).to_numpy()
    groups = wide.groupby(sites)
    means = groups.transform("mean")
    sizes = groups[wide.columns[0]].transform("size").to_numpy()
    return wide - means.where(pd.Series(sizes >= 2, index=wide.index), 0.0, axis=0)


def purity(found: Sequence[object], planted: Sequence[object]) -> float:
    """Share of items whose found cluster's most common planted label is their own."""
    df = pd.DataFrame({"f": list(found), "p": list(planted)})
    if not len(df):
        return float("nan")
    return float(df.groupby("f")["p"].agg(lambda v: v.value_counts().iloc[0]).sum() / len(df))


def profiles(per_participant: pd.DataFrame) -> tuple[pd.DataFrame, tuple[Feature, ...]]:
    """The registry's per-participant table (column ``participant``) as participants ×
    features (the features the study defines for most participants)."""
    rows = {}
    for f in FEATURES:
        sel = per_participant["metric"] == f.metric
        sel &= per_participant["key"].isna() if f.key is None else per_participant["key"] == f.key
        part = per_participant[sel]
        rows[f.column] = pd.Series(
            part["estimate"].to_numpy(float), index=part["participant"].astype(str)
        )
    wide = pd.DataFrame(rows)
    kept = tuple(
        f
        for f in FEATURES
        if f.column in wide
        and wide[f.column].notna().mean() >= MIN_DEFINED_SHARE
        and wide[f.column].nunique(dropna=True) > 1
    )
    return wide[[f.column for f in kept]], kept


def find_styles(
    per_participant: pd.DataFrame,
    *,
    seed: int = 2025,
    suppress_below: int = SUPPRESS_BELOW,
    k_max: int = K_MAX,
    B: int = B_STABILITY,
    site: pd.Series | None = None,
    relative_to_site: bool = True,
) -> StylesResult:
    """Styles of clinician-management from the registry's per-participant table (see the
    module docstring for the method). `site`: participant code -> site code (default: the
    table's ``site`` column when it has one); with `relative_to_site`, measures are centred
    on each site's mean (sites of two or more participants) before standardising."""
    wide, feats = profiles(per_participant)
    if site is None and "site" in per_participant:
        site = (
            per_participant.drop_duplicates("participant")
            .set_index(per_participant.drop_duplicates("participant")["participant"].astype(str))[
                "site"
            ]
            .astype(str)
        )
    complete = wide.dropna()
    left_out = tuple(sorted(set(wide.index) - set(complete.index)))
    notes: list[str] = []
    empty = pd.DataFrame(columns=["k", "clusters", "silhouette", "merged"])
    n = len(complete)
    least = max(int(suppress_below), 1)

    def nothing(why: str) -> StylesResult:
        return StylesResult(
            (),
            pd.Series(dtype=object),
            feats,
            empty,
            0,
            float("nan"),
            seed,
            least,
            left_out,
            (*notes, why),
        )

    if len(feats) < 2:
        return nothing("fewer than two work-profile measures are defined for this study")
    if n < 2 * least:
        return nothing(
            f"{n} participants have every measure: at least {2 * least} are needed for two "
            f"styles of at least {least} (small-number rule)"
        )
    values = complete
    if relative_to_site and site is not None:
        values = centre_by_site(complete, site)
        notes.append(
            "each measure is taken relative to the participant's own site (the site's mean "
            "subtracted), so a style is a way of working within a service, not the service"
        )
    x = standardise(values.to_numpy(float))
    rng = np.random.default_rng([int(seed), 1])
    rows = []
    solutions: dict[int, np.ndarray] = {}
    for k in range(2, min(k_max, n // least) + 1):
        labels, _, _ = kmeans(x, k, rng)
        merged_labels, merges = merge_small(x, labels, least)
        clusters = int(merged_labels.max()) + 1
        sil = silhouette(x, merged_labels) if clusters >= 2 else float("nan")
        rows.append((k, clusters, sil, merges))
        if clusters >= 2 and clusters not in solutions:
            solutions[clusters] = merged_labels
    criterion = pd.DataFrame(rows, columns=["k", "clusters", "silhouette", "merged"])
    valid = criterion[criterion["clusters"] >= 2].dropna(subset=["silhouette"])
    if not len(valid):
        return nothing("no grouping into styles of at least the small-number size was found")
    top = valid.sort_values(["silhouette", "clusters"], ascending=[False, True]).iloc[0]
    k = int(top["clusters"])
    labels = solutions[k]
    if int(top["merged"]):
        notes.append(
            f"k-means with k = {int(top['k'])} gave a cluster of fewer than {least} "
            f"participants; it was merged into the nearest ({int(top['merged'])} merge(s)), "
            "so that no style describes fewer people than the small-number rule allows"
        )
    best_sil = float(top["silhouette"])
    if best_sil < MIN_SILHOUETTE:
        notes.append(
            f"the best mean silhouette is {best_sil:.2f} (< {MIN_SILHOUETTE}): the "
            "participants do not fall into clearly distinct styles; read the groups below as "
            "tendencies, not types"
        )
    stab = stability(x, labels, k, np.random.default_rng([int(seed), 2]), B)
    raw = complete.to_numpy(float)
    # order the styles by their managerial share (or by size), so names are reproducible
    order_key = [
        (-(raw[labels == c, 1].mean() if raw.shape[1] > 1 else 0.0), -(labels == c).sum())
        for c in range(k)
    ]
    order = sorted(range(k), key=lambda c: order_key[c])
    styles = []
    names: dict[int, str] = {}
    for pos, c in enumerate(order):
        inside = labels == c
        name = f"Style {STYLE_NAMES[pos]}"
        names[c] = name
        styles.append(
            Style(
                name,
                int(inside.sum()),
                float(stab[c]),
                {f.column: float(raw[inside, i].mean()) for i, f in enumerate(feats)},
                {
                    f.column: float(x[inside, i].mean() - x[~inside, i].mean())
                    for i, f in enumerate(feats)
                },
            )
        )
    assignments = pd.Series(
        [names[int(c)] for c in labels], index=complete.index, name="style"
    ).sort_index()
    return StylesResult(
        tuple(styles),
        assignments,
        feats,
        criterion,
        k,
        best_sil,
        seed,
        least,
        left_out,
        tuple(notes),
    )


def describe(style: Style, features: Sequence[Feature], top: int = 3) -> str:
    """'more interruptions (+1.4 SD), less management in fragments (−0.9 SD)'."""
    labels = {f.column: f.label for f in features}
    parts = [
        f"{'more' if d > 0 else 'less'} {labels.get(c, c)} ({f'{d:+.1f}'.replace('-', '−')} SD)"
        for c, d in style.distinguishing(top)
    ]
    return ", ".join(parts)


__all__ = [
    "FEATURES",
    "Feature",
    "Style",
    "StylesResult",
    "adjusted_rand",
    "centre_by_site",
    "describe",
    "find_styles",
    "kmeans",
    "merge_small",
    "profiles",
    "purity",
    "silhouette",
    "stability",
    "standardise",
]
