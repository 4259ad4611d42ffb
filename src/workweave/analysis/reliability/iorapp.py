"""Inter-observer reliability (IOR) of two co-observed sessions.

Two observers shadow the same person at the same time; how far do their records agree? This
module computes the composite of Lopetegui et al. (2014) exactly as the R/Shiny tool IORapp
(Guidi, Tanzini & Westbrook, 2021) computes it for WOMBAT data, conventions included:

- ``pK1``/``pAg1``, ``pK2``/``pAg2``: agreement per one-second slice on the first and second
  simultaneous task (Fleiss' kappa for two raters, i.e. Scott's pi, and percent agreement);
- ``pKm``: multivariate agreement over all simultaneous positions (Janson & Olsson's iota,
  nominal);
- ``NK``/``NAg``: agreement on the naming of matched task fragments;
- ``DCCCr``/``DCCCcb``: Lin's concordance of matched fragment durations and its bias
  correction factor;
- ``NW_score``: Needleman-Wunsch agreement of the two sequences of fragments.

The IORapp-compatible path is :func:`ior_pair`; :func:`ior_table` tabulates the pairs that
``pairs.detect_pairs`` finds. The alignment is in ``alignment``; ``sliced`` offers a
different, simpler measure on the same fragments (plain Cohen's kappa per second).

The chance-corrected statistics here follow IORapp's conventions and are not Cohen's kappa
(that one is in ``kappa``): Fleiss' kappa for two raters and Janson & Olsson's iota are NaN
where undefined, as in IORapp; :class:`IorResult` reports every undefined measure as None,
with a warning. Everything is NumPy.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from workweave.analysis.reliability.alignment import needleman_wunsch
from workweave.domain.observation import Session, Task, sessions_overlap

MEASURES: tuple[str, ...] = (
    "pK1",
    "pAg1",
    "pK2",
    "pAg2",
    "pKm",
    "NK",
    "NAg",
    "DCCCr",
    "DCCCcb",
    "NW_score",
)
"""The ten IORapp measures, in IORapp's order."""

NO_TASK = ""
"""Position-1 label of an observer who records nothing in a second (IORapp's ``""``)."""
NONE_LABEL = "NONE"
"""Label of an empty position >= 2 (IORapp's ``" NONE"``); never equal to a real category."""

FragmentOrder = Literal["iorapp", "chronological"]

_ONE_SECOND = timedelta(seconds=1)
# Internal label codes: categories are numbered from _FIRST_CATEGORY on.
_NO_TASK_CODE = 0
_NONE_CODE = 1
_FIRST_CATEGORY = 2
_MATCH_CHUNK = 256  # reference fragments per block in the overlap matching


def _category(task: Task) -> str:
    return task.category


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    """One uninterrupted piece of a task, in whole seconds from its session's start.

    ``start`` is the first second covered, ``end`` the last second covered + 1 (after the
    horizon cut), ``number`` the piece's position among the task's pieces (1-based, counted
    before any piece is dropped).
    """

    observer: str
    task: str
    number: int
    start: int
    end: int
    category: str
    row: int  # the task's position in its session's row order

    @property
    def duration(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class MatchedPair:
    """A reference fragment and its partner: the other observer's most overlapping fragment."""

    reference: Fragment
    partner: Fragment
    overlap: int


@dataclass(frozen=True)
class IorResult:
    """The ten IORapp measures for one pair of sessions (None where undefined)."""

    session_a: str
    session_b: str
    observer_a: str | None
    observer_b: str | None
    pK1: float | None
    pAg1: float | None
    pK2: float | None
    pAg2: float | None
    pKm: float | None
    NK: float | None
    NAg: float | None
    DCCCr: float | None
    DCCCcb: float | None
    NW_score: float | None
    n_seconds: int
    horizon: int
    n_fragments_a: int
    n_fragments_b: int
    reference_observer: str | None
    reference_session: str | None
    M: int
    n_matched: int = 0
    n_duration_pairs: int = 0
    fragment_order: str = "iorapp"
    warnings: list[str] = field(default_factory=list)

    def measures(self) -> dict[str, float | None]:
        """The ten measures by name, in IORapp's order."""
        return {m: getattr(self, m) for m in MEASURES}

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        return d


# --------------------------------------------------------------------------------------------
# Agreement statistics
# --------------------------------------------------------------------------------------------


def fleiss_kappa_two(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[float, float]:
    """Fleiss' kappa for two raters (= Scott's pi) and the percent agreement.

    Po = share of items with a_i = b_i; pooled marginals p_l = (n_a(l) + n_b(l)) / 2N;
    Pe = sum p_l^2; kappa = (Po - Pe) / (1 - Pe). Kappa is NaN when Pe == 1 (both raters
    always give the same single label) or when there are no items.
    """
    x, y = _codes(a, b)
    return _fleiss(x, y)


def _codes(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    if len(a) != len(b):
        raise ValueError(f"the two raters rate {len(a)} and {len(b)} items")
    index: dict[Hashable, int] = {}
    x = np.fromiter((index.setdefault(v, len(index)) for v in a), dtype=np.int64, count=len(a))
    y = np.fromiter((index.setdefault(v, len(index)) for v in b), dtype=np.int64, count=len(b))
    return x, y


def _fleiss(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    po = float(np.count_nonzero(x == y)) / n
    k = int(max(x.max(), y.max())) + 1
    pooled = (np.bincount(x, minlength=k) + np.bincount(y, minlength=k)) / (2.0 * n)
    pe = float(np.sum(pooled * pooled))
    kappa = (po - pe) / (1.0 - pe) if pe != 1.0 else float("nan")
    return kappa, 100.0 * po


def _own_marginals_disagreement(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Observed and expected disagreement (each rater's own marginals) of one variable."""
    n = len(x)
    k = int(max(x.max(), y.max())) + 1
    do = float(np.count_nonzero(x != y)) / n
    pa = np.bincount(x, minlength=k) / n
    pb = np.bincount(y, minlength=k) / n
    de = 1.0 - float(np.sum(pa * pb))
    return do, de


def iota_nominal(a: Sequence[Sequence[Hashable]], b: Sequence[Sequence[Hashable]]) -> float:
    """Janson & Olsson's iota for two raters and nominal variables.

    ``a[v][i]`` and ``b[v][i]`` are the two raters' labels of item i on variable v. With
    Do_v = share of items labelled differently on v and De_v = 1 - sum_l pA_l(v) pB_l(v)
    (each rater's own marginal proportions on v): iota = 1 - sum_v Do_v / sum_v De_v.
    NaN when there are no items or no expected disagreement.
    """
    if len(a) != len(b):
        raise ValueError("the two raters rate a different number of variables")
    do_sum = de_sum = 0.0
    for va, vb in zip(a, b, strict=True):
        x, y = _codes(va, vb)
        if len(x) == 0:
            return float("nan")
        do, de = _own_marginals_disagreement(x, y)
        do_sum += do
        de_sum += de
    return 1.0 - do_sum / de_sum if de_sum != 0.0 else float("nan")


def lin_ccc(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Lin's concordance correlation rho_c and the bias correction factor C_b = rho_c / r.

    Moments with 1/n: rho_c = 2 s_xy / (s_x^2 + s_y^2 + (mean x - mean y)^2); r is Pearson's
    correlation. Both are NaN with fewer than 2 pairs or when either variable is constant
    (Pearson's r is then undefined, as in DescTools::CCC).
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if len(xa) != len(ya):
        raise ValueError("x and y differ in length")
    if len(xa) < 2:
        return float("nan"), float("nan")
    mx, my = xa.mean(), ya.mean()
    dx, dy = xa - mx, ya - my
    sx2 = float(np.mean(dx * dx))
    sy2 = float(np.mean(dy * dy))
    if sx2 == 0.0 or sy2 == 0.0:
        return float("nan"), float("nan")
    sxy = float(np.mean(dx * dy))
    rho = 2.0 * sxy / (sx2 + sy2 + (mx - my) ** 2)
    r = sxy / np.sqrt(sx2 * sy2)
    cb = rho / r if r != 0.0 else float("nan")
    return float(rho), float(cb)


# --------------------------------------------------------------------------------------------
# Slicing sessions into fragments
# --------------------------------------------------------------------------------------------


def _seconds(t: datetime, origin: datetime) -> int:
    """Whole seconds from origin (floored)."""
    return (t - origin) // _ONE_SECOND


def _has_fraction(t: datetime, origin: datetime) -> bool:
    return (t - origin) % _ONE_SECOND != timedelta(0)


def observer_sort_key(observer: str | None) -> tuple[int, int, str]:
    """Observer ids in IORapp's order: numeric ids numerically, before any other id."""
    s = "" if observer is None else observer.strip()
    try:
        return (0, int(s), s)
    except ValueError:
        return (1, 0, s)


def session_length(session: Session) -> int:
    """Whole seconds from the session's start to its end (or last instant seen)."""
    return _seconds(session.known_end, session.start)


def session_fragments(
    session: Session,
    *,
    horizon: int | None = None,
    category_of: Callable[[Task], str] = _category,
    warnings: list[str] | None = None,
) -> list[Fragment]:
    """A session's task fragments in its row order (tasks by ``seq``, then piece number).

    A task [s, e) suspended at (a_1, b_1) ... (a_k, b_k), in the order recorded, gives the
    pieces [s, a_1), [b_1, a_2), ..., [b_k, e). An empty last piece is skipped (IORapp does
    the same); an empty or reversed earlier piece, a task with e <= s, a task without an end
    and a suspension never resumed are skipped with a warning. Pieces are cut at the horizon:
    seconds >= horizon are dropped.
    """
    warn = warnings if warnings is not None else []
    origin = session.start
    sid = session.source_id or session.key
    obs = session.observer or ""
    fractions = False
    out: list[Fragment] = []
    tasks = sorted(enumerate(session.tasks), key=lambda it: (it[1].seq, it[0]))
    for row, (_, task) in enumerate(tasks):
        category = category_of(task)
        s = _seconds(task.start, origin)
        fractions = fractions or _has_fraction(task.start, origin)
        e: int | None = None
        if task.end is not None:
            e = _seconds(task.end, origin)
            fractions = fractions or _has_fraction(task.end, origin)
            if e <= s:
                warn.append(
                    f"session {sid}: task {task.key} ends when it starts ({e - s} s); left out"
                )
                continue
        bounds: list[tuple[int, int | None]] = []
        lo: int = s
        open_suspension = False
        for susp in task.suspensions:
            a = _seconds(susp.start, origin)
            fractions = fractions or _has_fraction(susp.start, origin)
            bounds.append((lo, a))
            if susp.end is None:
                open_suspension = True
                break
            lo = _seconds(susp.end, origin)
            fractions = fractions or _has_fraction(susp.end, origin)
        if open_suspension:
            warn.append(
                f"session {sid}: task {task.key} was suspended and never resumed; "
                "its time after the suspension is left out"
            )
        else:
            bounds.append((lo, e))
        last = len(bounds) - 1
        for number, (lo_, hi) in enumerate(bounds, start=1):
            is_last = number - 1 == last and not open_suspension
            if hi is None:
                warn.append(
                    f"session {sid}: task {task.key} has no end; its last piece is left out"
                )
                continue
            if hi <= lo_:
                if is_last and hi == lo_:
                    continue  # task ended when its last suspension did: nothing left
                warn.append(
                    f"session {sid}: task {task.key} piece {number} is "
                    f"{'empty' if hi == lo_ else 'reversed'} ({lo_} s to {hi} s); left out"
                )
                continue
            if horizon is not None:
                if lo_ >= horizon:
                    continue
                hi = min(hi, horizon)
            out.append(
                Fragment(
                    observer=obs,
                    task=task.key,
                    number=number,
                    start=lo_,
                    end=hi,
                    category=category,
                    row=row,
                )
            )
    if fractions:
        warn.append(f"session {sid}: times with fractions of a second were floored")
    return out


def fragment_table(
    fragments: Iterable[Fragment], order: FragmentOrder = "iorapp"
) -> list[Fragment]:
    """Fragments in IORapp's row order: observer id (numeric), task id as a *string*, piece.

    IORapp sorts task ids lexicographically ("2_52_1000" before "2_52_988"); this is not
    chronological. ``order="chronological"`` sorts by observer, start, row order and piece
    instead (an alternative, not IORapp-compatible).
    """
    frs = list(fragments)
    if order == "iorapp":
        return sorted(frs, key=lambda f: (observer_sort_key(f.observer), f.task, f.number))
    if order == "chronological":
        return sorted(frs, key=lambda f: (observer_sort_key(f.observer), f.start, f.row, f.number))
    raise ValueError(f"fragment order '{order}' is not 'iorapp' or 'chronological'")


# --------------------------------------------------------------------------------------------
# Per-second labels
# --------------------------------------------------------------------------------------------


def _expand(frs: list[Fragment], codes: dict[str, int]) -> tuple[np.ndarray, ...]:
    """Seconds covered by the fragments, with the fragment's row order and category code."""
    if not frs:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    starts = np.fromiter((f.start for f in frs), dtype=np.int64, count=len(frs))
    ends = np.fromiter((f.end for f in frs), dtype=np.int64, count=len(frs))
    order = np.arange(len(frs), dtype=np.int64)  # frs are in row order already
    cat = np.fromiter(
        (codes.setdefault(f.category, len(codes) + _FIRST_CATEGORY) for f in frs),
        dtype=np.int64,
        count=len(frs),
    )
    lengths = ends - starts
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    secs = np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)
    return secs, np.repeat(order, lengths), np.repeat(cat, lengths)


def _position_labels(
    secs: np.ndarray, order: np.ndarray, cat: np.ndarray, seconds: np.ndarray
) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """Per position p: (indices into ``seconds``, category codes) of the p-th label."""
    if len(secs) == 0:
        return [], 0
    idx = np.lexsort((order, secs))
    s_sorted = secs[idx]
    first = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(s_sorted)), 0))
    pos = np.arange(len(s_sorted)) - group_start
    where = np.searchsorted(seconds, s_sorted)
    c_sorted = cat[idx]
    m = int(pos.max()) + 1
    out = []
    for p in range(m):
        sel = pos == p
        out.append((where[sel], c_sorted[sel]))
    return out, m


def second_labels(
    frags_a: list[Fragment], frags_b: list[Fragment]
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], list[str]]:
    """Seconds considered and each observer's label per position (IORapp's wide table).

    Returns (seconds, labels_a, labels_b, names) where labels_x[p][i] is a code into
    ``names`` for position p+1 and second ``seconds[i]``: ``names[0]`` is :data:`NO_TASK`,
    ``names[1]`` is :data:`NONE_LABEL`, the rest are categories. The fragments must be in row
    order of their session.
    """
    codes: dict[str, int] = {}
    sa, oa, ca = _expand(frags_a, codes)
    sb, ob, cb = _expand(frags_b, codes)
    seconds = np.union1d(sa, sb)
    pa, ma = _position_labels(sa, oa, ca, seconds)
    pb, mb = _position_labels(sb, ob, cb, seconds)
    m = max(ma, mb)
    n = len(seconds)
    la: list[np.ndarray] = []
    lb: list[np.ndarray] = []
    for p in range(m):
        fill = _NO_TASK_CODE if p == 0 else _NONE_CODE
        xa = np.full(n, fill, dtype=np.int64)
        xb = np.full(n, fill, dtype=np.int64)
        if p < ma:
            xa[pa[p][0]] = pa[p][1]
        if p < mb:
            xb[pb[p][0]] = pb[p][1]
        la.append(xa)
        lb.append(xb)
    names = [NO_TASK, NONE_LABEL, *sorted(codes, key=codes.__getitem__)]
    return seconds, la, lb, names


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def match_fragments(
    reference: Sequence[Fragment], other: Sequence[Fragment], *, warnings: list[str] | None = None
) -> list[MatchedPair]:
    """Each reference fragment's partner: the other observer's most overlapping fragment.

    Candidates c of reference fragment r: c.end > r.start and c.start < r.end; overlap =
    min(ends) - max(starts); ties go to the first candidate in ``other``'s order. A reference
    fragment without any candidate is skipped with a warning (IORapp stops there).
    """
    warn = warnings if warnings is not None else []
    if not reference:
        return []
    rs = np.fromiter((f.start for f in reference), dtype=np.int64, count=len(reference))
    re_ = np.fromiter((f.end for f in reference), dtype=np.int64, count=len(reference))
    cs = np.fromiter((f.start for f in other), dtype=np.int64, count=len(other))
    ce = np.fromiter((f.end for f in other), dtype=np.int64, count=len(other))
    best = np.full(len(reference), -1, dtype=np.int64)
    best_overlap = np.zeros(len(reference), dtype=np.int64)
    if len(other):
        for lo in range(0, len(reference), _MATCH_CHUNK):
            hi = min(lo + _MATCH_CHUNK, len(reference))
            ov = np.minimum(re_[lo:hi, None], ce[None, :]) - np.maximum(
                rs[lo:hi, None], cs[None, :]
            )
            arg = np.argmax(ov, axis=1)  # first maximum = first candidate in row order
            top = ov[np.arange(hi - lo), arg]
            ok = top > 0
            best[lo:hi] = np.where(ok, arg, -1)
            best_overlap[lo:hi] = np.where(ok, top, 0)
    pairs = []
    for k, r in enumerate(reference):
        j = int(best[k])
        if j < 0:
            warn.append(
                f"observer {r.observer}: fragment {r.task}#{r.number} ({r.start} s to {r.end} s) "
                "overlaps nothing of the other observer; left out of NK, NAg and D-CCC"
            )
            continue
        pairs.append(MatchedPair(reference=r, partner=other[j], overlap=int(best_overlap[k])))
    return pairs


def duration_pairs(pairs: Sequence[MatchedPair]) -> list[MatchedPair]:
    """IORapp's D-CCC pairs: same category, each partner used once (first in reference order)."""
    used: set[tuple[str, int]] = set()
    out = []
    for p in pairs:
        if p.reference.category != p.partner.category:
            continue
        key = (p.partner.task, p.partner.number)
        if key in used:
            continue
        used.add(key)
        out.append(p)
    return out


# --------------------------------------------------------------------------------------------
# The composite
# --------------------------------------------------------------------------------------------


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _horizon(a: Session, b: Session, warn: list[str]) -> int:
    lengths = []
    for s in (a, b):
        if s.end is None:
            warn.append(
                f"session {s.source_id or s.key} has no end; its last recorded instant is used"
            )
        lengths.append(session_length(s))
    return min(lengths)


def ior_pair(
    a: Session,
    b: Session,
    *,
    category_of: Callable[[Task], str] = _category,
    fragment_order: FragmentOrder = "iorapp",
) -> IorResult:
    """IORapp-compatible inter-observer reliability of two co-observed sessions.

    Each session's times are taken relative to its own start (no clock alignment); the
    horizon is the shorter session's length, and everything at or after it is dropped.
    ``category_of`` picks the label of a task (default: its main category).

    ``fragment_order`` sets the row order of the fragment table used by the matching and by
    the Needleman-Wunsch sequences: ``"iorapp"`` (default, IORapp-compatible: task id as a
    string) or ``"chronological"`` (an alternative; results then differ from IORapp's).

    The result holds the ten measures (None where undefined) and what they rest on; see
    docs/ior.md for the definitions. Nothing here raises on degenerate input: problems are
    reported in ``warnings``.
    """
    warn: list[str] = []
    sid_a, sid_b = a.source_id or a.key, b.source_id or b.key
    if a.observer is None or b.observer is None:
        warn.append("a session without an observer (self-report) is compared")
    if (a.observer or "") == (b.observer or ""):
        warn.append(
            f"sessions {sid_a} and {sid_b} have the same observer; session {sid_a} is "
            "taken as the smaller observer id"
        )
    if a.participant != b.participant:
        warn.append(f"sessions {sid_a} and {sid_b} are of different participants")
    if not sessions_overlap(a, b):
        warn.append(f"sessions {sid_a} and {sid_b} do not overlap in time")
    horizon = _horizon(a, b, warn)
    if horizon <= 0:
        warn.append(f"the shorter session lasts {horizon} s: nothing to compare")

    # Observer order: the smaller id is "first" (pattern of the alignment, tie winner).
    first, second = (a, b)
    if observer_sort_key(b.observer) < observer_sort_key(a.observer):
        first, second = b, a
    frs_first = session_fragments(first, horizon=horizon, category_of=category_of, warnings=warn)
    frs_second = session_fragments(second, horizon=horizon, category_of=category_of, warnings=warn)
    for f in itertools.chain(frs_first, frs_second):
        if "," in f.category:
            warn.append(
                f"category '{f.category}' contains a comma: it is kept whole here, whereas "
                "IORapp splits per-second labels at commas (its pK/pKm would differ)"
            )
            break

    # §2-4: per-second labels.
    seconds, l1, l2, _ = second_labels(frs_first, frs_second)
    n_seconds = len(seconds)
    m = len(l1)
    pk1 = pag1 = pk2 = pag2 = pkm = None
    if n_seconds == 0:
        warn.append("no second is covered by a task of either observer")
    else:
        k, ag = _fleiss(l1[0], l2[0])
        pk1, pag1 = _num(k), ag
        if pk1 is None:
            warn.append("pK1 undefined: both observers give one same label throughout")
        if m > 1:
            k, ag = _fleiss(l1[1], l2[1])
            pk2, pag2 = _num(k), ag
            if pk2 is None:
                warn.append("pK2 undefined: both observers give one same label throughout")
            do_sum = de_sum = 0.0
            for x, y in zip(l1, l2, strict=True):
                do, de = _own_marginals_disagreement(x, y)
                do_sum += do
                de_sum += de
            if de_sum == 0.0:
                warn.append("pKm undefined: no expected disagreement")
            else:
                pkm = 1.0 - do_sum / de_sum

    # §5: fragment table.
    tab_first = fragment_table(frs_first, fragment_order)
    tab_second = fragment_table(frs_second, fragment_order)

    # §6: reference and matching.
    reference_session, ref, oth = first, tab_first, tab_second
    if len(tab_second) > len(tab_first):
        reference_session, ref, oth = second, tab_second, tab_first
    pairs = match_fragments(ref, oth, warnings=warn)
    nk = nag = None
    if pairs:
        ref_codes = [p.reference.category for p in pairs]
        par_codes = [p.partner.category for p in pairs]
        k, ag = fleiss_kappa_two(ref_codes, par_codes)
        nk, nag = _num(k), ag
        if nk is None:
            warn.append("NK undefined: all matched fragments have one same category")
    elif ref or oth:
        warn.append("no fragment could be matched: NK, NAg and D-CCC are undefined")

    # §7: durations.
    dpairs = duration_pairs(pairs)
    dccc_r = dccc_cb = None
    if dpairs:
        dur_ref = [p.reference.duration for p in dpairs]
        dur_par = [p.partner.duration for p in dpairs]
        rho, cb = lin_ccc(dur_ref, dur_par)
        dccc_r, dccc_cb = _num(rho), _num(cb)
        if dccc_r is None:
            warn.append(
                f"D-CCC undefined: {len(dpairs)} agreeing pair(s)"
                + (" with constant durations" if len(dpairs) >= 2 else "")
            )
        elif dccc_cb is None:
            warn.append("D-CCC bias factor undefined: durations are uncorrelated (r = 0)")
    elif pairs:
        warn.append("D-CCC undefined: no matched pair agrees on the category")

    # §8: sequences.
    nw = None
    if tab_first or tab_second:
        aln = needleman_wunsch([f.category for f in tab_first], [f.category for f in tab_second])
        nw = aln.nw_score
    else:
        warn.append("NW_score undefined: no fragment on either side")

    return IorResult(
        session_a=sid_a,
        session_b=sid_b,
        observer_a=a.observer,
        observer_b=b.observer,
        pK1=pk1,
        pAg1=pag1,
        pK2=pk2,
        pAg2=pag2,
        pKm=pkm,
        NK=nk,
        NAg=nag,
        DCCCr=dccc_r,
        DCCCcb=dccc_cb,
        NW_score=nw,
        n_seconds=n_seconds,
        horizon=horizon,
        n_fragments_a=len(tab_first) if first is a else len(tab_second),
        n_fragments_b=len(tab_second) if first is a else len(tab_first),
        reference_observer=reference_session.observer if (ref or oth) else None,
        reference_session=(reference_session.source_id or reference_session.key)
        if (ref or oth)
        else None,
        M=m,
        n_matched=len(pairs),
        n_duration_pairs=len(dpairs),
        fragment_order=fragment_order,
        warnings=_dedupe(warn),
    )


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------------------------
# Study tables
# --------------------------------------------------------------------------------------------


TABLE_COLUMNS: tuple[str, ...] = (
    "session_a",
    "session_b",
    "observer_a",
    "observer_b",
    *MEASURES,
    "n_seconds",
    "horizon",
    "n_fragments_a",
    "n_fragments_b",
    "reference_observer",
    "reference_session",
    "M",
    "warnings",
)


def ior_table(
    pairs: Iterable[tuple[Session, Session]],
    *,
    category_of: Callable[[Task], str] = _category,
    fragment_order: FragmentOrder = "iorapp",
) -> pd.DataFrame:
    """One row per pair: session and observer ids, the ten measures, sizes, warnings joined.

    Undefined measures are NaN; warnings are joined with "; ".
    """
    rows = []
    for a, b in pairs:
        r = ior_pair(a, b, category_of=category_of, fragment_order=fragment_order)
        d = r.as_dict()
        row = {c: d[c] for c in TABLE_COLUMNS if c != "warnings"}
        row["warnings"] = "; ".join(r.warnings)
        rows.append(row)
    df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for m in MEASURES:
        df[m] = pd.to_numeric(df[m], errors="coerce").astype(float)
    return df


__all__ = [
    "MEASURES",
    "NONE_LABEL",
    "NO_TASK",
    "TABLE_COLUMNS",
    "Fragment",
    "FragmentOrder",
    "IorResult",
    "MatchedPair",
    "duration_pairs",
    "fleiss_kappa_two",
    "fragment_table",
    "ior_pair",
    "ior_table",
    "iota_nominal",
    "lin_ccc",
    "match_fragments",
    "observer_sort_key",
    "second_labels",
    "session_fragments",
    "session_length",
]
