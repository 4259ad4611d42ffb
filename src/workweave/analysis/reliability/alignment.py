"""Needleman-Wunsch global alignment of two sequences, with IORapp's choices and traceback.

IORapp (Guidi, Tanzini & Westbrook, 2021) scores the agreement of two observers' sequences of
task fragments with the R package NameNeedle; :func:`needleman_wunsch` reproduces its
matrix, its tie-breaking and its traceback. The fill is vectorised with NumPy row by row and
keeps only an ``n x m`` byte matrix of choices for the traceback.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

# Traceback choices.
_STOP, _DIAG, _LEFT, _UP = 0, 1, 2, 3


@dataclass(frozen=True)
class NwAlignment:
    """A global alignment: score, length, gap symbols (both rows) and identical pairs."""

    score: int
    length: int
    gaps: int
    matches: int
    pattern_path: tuple[int, ...] = ()  # aligned pattern indices, -1 for a gap (on request)
    subject_path: tuple[int, ...] = ()

    @property
    def nw_score(self) -> float | None:
        """IORapp's normalised score (S + G) / (3L + G); None for two empty sequences."""
        den = 3 * self.length + self.gaps
        return None if den == 0 else (self.score + self.gaps) / den


def needleman_wunsch(
    pattern: Sequence[Hashable] | np.ndarray,
    subject: Sequence[Hashable] | np.ndarray,
    *,
    match: int = 3,
    mismatch: int = 0,
    gap: int = -1,
    keep_path: bool = False,
) -> NwAlignment:
    """Global alignment with a linear gap score, IORapp's choices and traceback (NameNeedle).

    The matrix has one row per subject symbol and one column per pattern symbol; row 0 and
    column 0 hold ``gap * j`` and ``gap * i``. Each cell takes D = diagonal + (match or
    mismatch), U = above + gap, L = left + gap and stores its choice: D if D >= U and D >= L;
    otherwise L if D >= U; otherwise U if U >= L; otherwise L. The traceback starts at the
    bottom-right cell and follows the stored choices (L consumes a pattern symbol against a
    gap, U a subject symbol against a gap).

    Rows are filled with NumPy: the left dependency is a running maximum,
    ``H[j] = max_k<=j (V[k] - gap*k) + gap*j`` with ``V = max(D, U)``, which gives the same
    cell values; the choices are then derived from D, U and L = H[j-1] + gap exactly as
    above. Memory: one byte per cell for the choices, plus two rows.
    """
    if gap >= 0:
        raise ValueError("the gap score must be negative")
    p_codes, s_codes = _codes_any(pattern, subject)
    m, n = len(p_codes), len(s_codes)
    choice = np.empty((n + 1, m + 1), dtype=np.uint8)
    choice[0, 0] = _STOP
    choice[0, 1:] = _LEFT
    choice[1:, 0] = _UP
    cols = np.arange(m + 1, dtype=np.int64)
    ramp = gap * cols  # gap * j
    prev = ramp.copy()  # row 0
    cur = np.empty(m + 1, dtype=np.int64)
    v = np.empty(m + 1, dtype=np.int64)
    # One score row per distinct subject symbol.
    row_scores: dict[int, np.ndarray] = {}
    for i in range(1, n + 1):
        sym = int(s_codes[i - 1])
        sc = row_scores.get(sym)
        if sc is None:
            sc = np.where(p_codes == sym, match, mismatch).astype(np.int64)
            row_scores[sym] = sc
        d = prev[:-1] + sc
        u = prev[1:] + gap
        v[0] = gap * i
        np.maximum(d, u, out=v[1:])
        np.subtract(v, ramp, out=cur)
        np.maximum.accumulate(cur, out=cur)
        cur += ramp
        left = cur[:-1] + gap
        d_ge_u = d >= u
        row = np.where(
            d_ge_u,
            np.where(d >= left, _DIAG, _LEFT),
            np.where(u >= left, _UP, _LEFT),
        )
        choice[i, 1:] = row
        prev, cur = cur, prev
    score = int(prev[m])
    # Traceback.
    i, j = n, m
    length = gaps = matches = 0
    p_path: list[int] = []
    s_path: list[int] = []
    while True:
        c = choice[i, j]
        if c == _STOP:
            break
        length += 1
        if c == _DIAG:
            if p_codes[j - 1] == s_codes[i - 1]:
                matches += 1
            i -= 1
            j -= 1
            if keep_path:
                p_path.append(j)
                s_path.append(i)
        elif c == _LEFT:
            gaps += 1
            j -= 1
            if keep_path:
                p_path.append(j)
                s_path.append(-1)
        else:
            gaps += 1
            i -= 1
            if keep_path:
                p_path.append(-1)
                s_path.append(i)
    return NwAlignment(
        score=score,
        length=length,
        gaps=gaps,
        matches=matches,
        pattern_path=tuple(reversed(p_path)),
        subject_path=tuple(reversed(s_path)),
    )


def _codes_any(
    a: Sequence[Hashable] | np.ndarray, b: Sequence[Hashable] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    index: dict[Hashable, int] = {}
    x = np.fromiter((index.setdefault(v, len(index)) for v in a), dtype=np.int64)
    y = np.fromiter((index.setdefault(v, len(index)) for v in b), dtype=np.int64)
    return x, y


__all__ = ["NwAlignment", "needleman_wunsch"]
