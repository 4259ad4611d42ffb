"""From audit-log events to work, and shadowing against logs: pure functions.

`spells` and `shifts` state in plain Python what the passive SQL blocks compute
(`workweave.analysis.metrics.passive`: ``LI`` and ``LSH``); tests hold the SQL to them.
`observed_system_ms` is the observed time on the clinical system in each shadowing session
(the template's "How: clinical system" value), and `bland_altman` compares it with the
log-derived active time in the same windows (Bland & Altman 1986, 1999).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

DEFAULT_TIMEOUT_MS = 5 * 60_000
DEFAULT_SHIFT_GAP_MS = 4 * 3_600_000
SYSTEM_VALUE = "clinical system"
"""A 'How' value naming the clinical system contains this (case-insensitive): the default
template's 'clinical system (EHR/RIS)'."""


@dataclass(frozen=True)
class Spell:
    start_ms: int
    end_ms: int
    events: int

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


def spells(ts_ms: Iterable[int], timeout_ms: int = DEFAULT_TIMEOUT_MS) -> list[Spell]:
    """Activity spells of one person: maximal runs of events with no gap longer than the
    timeout. A spell's active time runs from its first to its last event (the gap after the
    last event counts nothing), so a lone event is a spell of length 0."""
    ts = sorted(int(t) for t in ts_ms)
    out: list[Spell] = []
    if not ts:
        return out
    start = prev = ts[0]
    n = 1
    for t in ts[1:]:
        if t - prev > timeout_ms:
            out.append(Spell(start, prev, n))
            start, n = t, 0
        prev = t
        n += 1
    out.append(Spell(start, prev, n))
    return out


def active_ms(ts_ms: Iterable[int], timeout_ms: int = DEFAULT_TIMEOUT_MS) -> int:
    """Total active time of one person: the sum of their spells' lengths."""
    return sum(s.length_ms for s in spells(ts_ms, timeout_ms))


def shifts(ts_ms: Iterable[int], gap_ms: int = DEFAULT_SHIFT_GAP_MS) -> list[tuple[int, int]]:
    """Shifts of one person: (first, last event) of maximal runs of events with no gap longer
    than `gap_ms`; a night shift across midnight stays one shift."""
    return [(s.start_ms, s.end_ms) for s in spells(ts_ms, gap_ms)]


# -- shadowing meets logs ------------------------------------------------------------------------


def observed_system_ms(
    sessions: pd.DataFrame,
    tasks: pd.DataFrame,
    dimensions: pd.DataFrame,
    suspensions: pd.DataFrame,
    how_names: Sequence[str] = ("how", "come"),
    value: str = SYSTEM_VALUE,
) -> pd.DataFrame:
    """Per session: participant, window (start_ms, end_ms) and the observed time on the
    clinical system: Σ active time (elapsed minus suspensions) of the tasks whose 'How'
    dimension carries a value containing `value` (counted as ``share_how`` counts it)."""
    names = {n.lower() for n in how_names}
    d = dimensions[dimensions["dimension"].astype(str).str.lower().isin(names)]
    d = d[d["value"].astype(str).str.lower().str.contains(value.lower(), regex=False)]
    ids = set(d["task_id"])
    t = tasks[tasks["task_id"].isin(ids)].copy()
    end = t["end_ms"].where(t["end_ms"].notna(), t["known_end_ms"])
    t["active"] = (end - t["start_ms"]).clip(lower=0).fillna(0)
    if len(suspensions) and len(t):
        s = suspensions.merge(t[["task_id", "start_ms"]], on="task_id", suffixes=("", "_t"))
        s = s.merge(pd.DataFrame({"task_id": t["task_id"], "task_end": end}), on="task_id")
        s_end = s["end_ms"].where(s["end_ms"].notna(), s["task_end"])
        lost = (np.minimum(s_end, s["task_end"]) - np.maximum(s["start_ms"], s["start_ms_t"])).clip(
            lower=0
        )
        lost_by = lost.groupby(s["task_id"]).sum()
        t["active"] = t["active"] - t["task_id"].map(lost_by).fillna(0)
    by_session = t.groupby("session_id")["active"].sum()
    ses = sessions.copy()
    ses_end = ses["end_ms"].where(ses["end_ms"].notna(), ses["known_end_ms"])
    return pd.DataFrame(
        {
            "session_id": ses["session_id"].to_numpy(),
            "participant": ses["participant"].astype(str).to_numpy(),
            "start_ms": ses["start_ms"].astype("int64").to_numpy(),
            "end_ms": ses_end.astype("int64").to_numpy(),
            "observed_ms": ses["session_id"].map(by_session).fillna(0).astype(float).to_numpy(),
        }
    )


@dataclass(frozen=True)
class Agreement:
    """Bland-Altman agreement of two measures of the same quantity (b − a)."""

    n: int
    bias: float
    sd: float
    loa_low: float
    loa_high: float
    bias_ci: tuple[float, float]
    loa_low_ci: tuple[float, float]
    loa_high_ci: tuple[float, float]
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "bias": self.bias,
            "sd": self.sd,
            "loa_low": self.loa_low,
            "loa_high": self.loa_high,
            "bias_ci_low": self.bias_ci[0],
            "bias_ci_high": self.bias_ci[1],
            "loa_low_ci_low": self.loa_low_ci[0],
            "loa_low_ci_high": self.loa_low_ci[1],
            "loa_high_ci_low": self.loa_high_ci[0],
            "loa_high_ci_high": self.loa_high_ci[1],
            "confidence": self.confidence,
        }


def bland_altman(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Agreement:
    """Bias (mean of b − a), its SD and the 95 % limits of agreement bias ± 1.96 SD, with
    t intervals for the bias (SE = s/√n) and for each limit (SE ≈ s·√(3/n), Bland & Altman
    1986, Lancet i:307-310; 1999, Stat Methods Med Res 8:135-160). Pairs with a missing
    value are dropped; fewer than two pairs give NaN."""
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError("the two measures need the same number of values")
    ok = np.isfinite(x) & np.isfinite(y)
    d = y[ok] - x[ok]
    n = int(d.size)
    nan2 = (math.nan, math.nan)
    if n < 2:
        bias = float(d.mean()) if n else math.nan
        return Agreement(n, bias, math.nan, math.nan, math.nan, nan2, nan2, nan2, confidence)
    bias = float(d.mean())
    sd = float(d.std(ddof=1))
    z = 1.959963984540054
    lo, hi = bias - z * sd, bias + z * sd
    tq = float(student_t.ppf(0.5 + confidence / 2, n - 1))
    se_b = sd / math.sqrt(n)
    se_l = sd * math.sqrt(3.0 / n)
    return Agreement(
        n,
        bias,
        sd,
        lo,
        hi,
        (bias - tq * se_b, bias + tq * se_b),
        (lo - tq * se_l, lo + tq * se_l),
        (hi - tq * se_l, hi + tq * se_l),
        confidence,
    )


__all__ = [
    "DEFAULT_SHIFT_GAP_MS",
    "DEFAULT_TIMEOUT_MS",
    "SYSTEM_VALUE",
    "Agreement",
    "Spell",
    "active_ms",
    "bland_altman",
    "observed_system_ms",
    "shifts",
    "spells",
]
