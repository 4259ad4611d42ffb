"""Properties of the metric engine on random sessions (Hypothesis).

Times are whole minutes, so a plain per-minute reading of the domain objects (which tasks are
active in minute m, which one is in the foreground, which job-plan session is in force) is an
exact, independent oracle for the interval metrics computed in SQL.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import TEMPLATE, at, plan, session, task
from workweave.analysis import metrics as M
from workweave.domain import Participant, Session, Task
from workweave.services import metrics as metrics_service

pytestmark = pytest.mark.slow  # Hypothesis runs the engine on many random studies

BASE = at("2025-01-06", "08:00")  # a Monday; London is UTC in January
CATEGORIES = {
    "CLIN-DIRECT": "clinical",
    "CLIN-INDIRECT": "clinical",
    "ADMIN": "managerial",
    "MEETING": "managerial",
    "SUPERVISE": "managerial",
    "EDUCATION": "professional",
    "BREAK": "personal",
    "OTHER": "other",
}
JOB_PLAN = {"CLIN-DIRECT": 1, "CLIN-INDIRECT": 1, "ADMIN": 5, "MEETING": 5, "SUPERVISE": 2}
PLAN_ROWS = ((0, "08:10", "08:40", "DCC"), (0, "08:40", "09:00", "management"))
PLAN_CODE = {"DCC": 1, "SPA": 2, "ANR": 3, "ED": 4, "management": 5}
FAST = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def minute(m: int) -> datetime:
    return BASE + timedelta(minutes=m)


@st.composite
def task_lists(draw: st.DrawFn, length: int, offset: int = 0, inside: bool = False) -> list[Task]:
    n = draw(st.integers(0, 6))
    out = []
    for i in range(n):
        lo, hi = (offset, offset + length - 1) if inside else (offset - 5, offset + length + 5)
        start = draw(st.integers(lo, max(lo, hi)))
        dur = draw(st.integers(0, 30))
        if inside:
            dur = min(dur, offset + length - 1 - start)
        cat = draw(st.sampled_from(sorted(CATEGORIES)))
        susp = []
        for _ in range(draw(st.integers(0, 2))):
            a = draw(st.integers(start, start + dur))
            open_ = draw(st.booleans()) and draw(st.booleans())
            b = None if open_ else draw(st.integers(a, start + dur))
            susp.append((minute(a), None if b is None else minute(b), None))
        out.append(
            task(f"k{offset}_{i}", cat, minute(start), minute(start + dur), seq=i, suspensions=susp)
        )
    return out


@st.composite
def studies(draw: st.DrawFn) -> tuple[list[Session], list[Participant]]:
    """One or two participants (P1 with a job plan), one or two sessions each."""
    sessions = []
    for p in ("P1", "P2")[: draw(st.integers(1, 2))]:
        for s in range(draw(st.integers(1, 2))):
            length = draw(st.integers(1, 70))
            offset = s * 100
            tasks = draw(task_lists(length, offset))
            sessions.append(session(f"{p}:{s}", p, minute(offset), minute(offset + length), tasks))
    people = [
        Participant("P1", "S1", band="7", pay_point=1, job_plan=plan(*PLAN_ROWS)),
        Participant("P2", "S1", band="8a"),
    ]
    return sessions, people


def compute(sessions: list[Session], people: list[Participant], **kw: object) -> pd.DataFrame:
    tables = M.from_sessions(sessions, people, templates=[TEMPLATE])
    kw.setdefault("B", 0)
    return metrics_service.compute(tables, **kw)  # type: ignore[arg-type]


def est(df: pd.DataFrame, metric: str, key: str | None = None) -> float:
    rows = df[df["metric"] == metric]
    rows = rows[rows["key"].isna()] if key is None else rows[rows["key"] == key]
    if rows.empty:
        return 0.0 if key is not None else math.nan
    return float(rows["estimate"].iloc[0])


# -- the oracle ----------------------------------------------------------------------------------


@dataclass
class Minutes:
    """Per-minute reading of a study's sessions."""

    observed: int = 0
    busy: int = 0
    multi: int = 0
    mixed: int = 0
    by_category: dict[str, int] | None = None
    sliced: dict[str, float] | None = None
    clinical: int = 0
    undivided: int = 0
    switches: int = 0
    episodes: list[int] | None = None
    stretches: list[int] | None = None
    managerial: int = 0
    in_own_plan: int = 0
    multitask_starts: int = 0


def active_minutes(t: Task, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for a, b in t.active_intervals():
        ma = int((a - BASE).total_seconds() // 60)
        mb = int((b - BASE).total_seconds() // 60)
        out.update(m for m in range(ma, mb) if lo <= m < hi)
    return out


def read_minutes(sessions: list[Session], planned: bool = True) -> Minutes:
    r = Minutes(by_category={}, sliced={}, episodes=[], stretches=[])
    assert r.by_category is not None and r.sliced is not None
    assert r.episodes is not None and r.stretches is not None
    for s in sessions:
        lo = int((s.start - BASE).total_seconds() // 60)
        hi = int((s.known_end - BASE).total_seconds() // 60)
        r.observed += hi - lo
        act = {t.key: active_minutes(t, lo, hi) for t in s.tasks}
        info = {t.key: t for t in s.tasks}
        for t in s.tasks:  # started while another task stays active
            first = max(int((t.start - BASE).total_seconds() // 60), lo)
            if first < hi and any(first in ms for k, ms in act.items() if k != t.key):
                r.multitask_starts += 1
        prev_cm = None
        episode = stretch = 0
        for m in range(lo, hi):
            on = [k for k, ms in act.items() if m in ms]
            doms = [CATEGORIES[info[k].category] for k in on]
            k = len(on)
            r.busy += k > 0
            r.multi += k >= 2
            r.mixed += "clinical" in doms and "managerial" in doms
            r.clinical += doms.count("clinical")
            for key in on:
                c = info[key].category
                r.by_category[c] = r.by_category.get(c, 0) + 1
                r.sliced[c] = r.sliced.get(c, 0.0) + 1 / k
            alone_clin = k == 1 and doms[0] == "clinical"
            r.undivided += alone_clin
            code = plan_code(m) if planned and s.participant == "P1" else 0
            for key in on:
                if CATEGORIES[info[key].category] == "managerial":
                    r.managerial += 1
                    own = JOB_PLAN.get(info[key].category, 0)
                    r.in_own_plan += code == 5 or (code > 0 and code == own)
            fg = max(on, key=lambda q: (info[q].start, info[q].seq)) if on else None
            fdom = CATEGORIES[info[fg].category] if fg else None
            if fdom in ("clinical", "managerial"):
                if prev_cm is not None and prev_cm != fdom:
                    r.switches += 1
                prev_cm = fdom
            if fdom == "managerial":
                episode += 1
            elif episode:
                r.episodes.append(episode)
                episode = 0
            if alone_clin:
                stretch += 1
            elif stretch:
                r.stretches.append(stretch)
                stretch = 0
        if episode:
            r.episodes.append(episode)
        if stretch:
            r.stretches.append(stretch)
    return r


def plan_code(m: int) -> int:
    clock = (BASE + timedelta(minutes=m)).strftime("%H:%M")
    day = (BASE + timedelta(minutes=m)).weekday()
    for wd, a, b, cat in PLAN_ROWS:
        if wd == day and a <= clock < b:
            return PLAN_CODE[cat]
    return 0


# -- properties ----------------------------------------------------------------------------------


@FAST
@given(studies())
def test_engine_matches_a_minute_by_minute_reading(study):
    sessions, people = study
    df = compute(sessions, people)
    r = read_minutes(sessions)
    o = r.observed
    for c in CATEGORIES:
        assert est(df, "share_observed", c) == pytest_approx(r.by_category.get(c, 0) / o)
        assert est(df, "share_time_sliced", c) == pytest_approx(r.sliced.get(c, 0.0) / o)
    assert est(df, "multitasking_pct") == pytest_approx(100 * r.multi / o)
    assert est(df, "mixed_domain_pct") == pytest_approx(100 * r.mixed / o)
    assert est(df, "domain_switches_per_hour") == pytest_approx(60 * r.switches / o)
    assert est(df, "multitask_starts_per_hour") == pytest_approx(60 * r.multitask_starts / o)
    assert est(df, "management_episodes_per_hour") == pytest_approx(60 * len(r.episodes) / o)
    assert_same(est(df, "management_episode_median"), median(r.episodes))
    assert_same(est(df, "clinical_stretch_median"), median(r.stretches))
    assert_same(
        est(df, "undivided_clinical_pct"), 100 * r.undivided / r.clinical if r.clinical else None
    )
    p1 = [s for s in sessions if s.participant == "P1"]
    r1 = read_minutes(p1)
    assert_same(
        est(df, "compartmentalisation"), r1.in_own_plan / r1.managerial if r1.managerial else None
    )


@FAST
@given(studies())
def test_shares_are_bounded_and_sliced_shares_sum_to_the_busy_fraction(study):
    sessions, people = study
    df = compute(sessions, people)
    for metric in (
        "share_task_time",
        "share_time_sliced",
        "domain_share_task_time",
        "compartmentalisation",
        "leakage",
        "clinical_displacement",
        "demand_response",
    ):
        v = df.loc[df["metric"] == metric, "estimate"].dropna()
        assert ((v >= -1e-12) & (v <= 1 + 1e-12)).all(), metric
    pct = df.loc[df["metric"].str.endswith("_pct"), "estimate"].dropna()
    assert ((pct >= -1e-9) & (pct <= 100 + 1e-9)).all()
    r = read_minutes(sessions)
    sliced = df.loc[df["metric"] == "share_time_sliced", "estimate"].sum()
    assert sliced == pytest_approx(r.busy / r.observed)
    task_time = df.loc[df["metric"] == "share_task_time", "estimate"].dropna()
    if len(task_time):
        assert task_time.sum() == pytest_approx(1.0)
    comp = est(df, "compartmentalisation")
    if not math.isnan(comp):
        leak = df.loc[df["metric"] == "leakage", "estimate"].sum()
        assert comp + leak == pytest_approx(1.0)


@FAST
@given(studies(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(study, rnd: random.Random):
    sessions, people = study
    a = compute(sessions, people, by="session", seed=3, B=50)
    shuffled = [
        replace(s, tasks=tuple(rnd.sample(s.tasks, len(s.tasks))))
        for s in rnd.sample(sessions, len(sessions))
    ]
    b = compute(shuffled, list(reversed(people)), by="session", seed=3, B=50)
    pd.testing.assert_frame_equal(a, b)


@FAST
@given(
    st.integers(2, 60),
    st.integers(1, 60),
    st.data(),
)
def test_splitting_a_session_changes_nothing(first: int, second: int, data: st.DataObject):
    """One session of P1, or the same work recorded as two sessions split at an idle minute.
    Switches are counted within sessions, so they are left out; P2's session gives the
    bootstrap a second participant."""
    early = data.draw(task_lists(first - 1, 0, inside=True))
    late = data.draw(task_lists(second, first, inside=True))
    other = data.draw(task_lists(30, 500))
    people = [
        Participant("P1", "S1", band="7", job_plan=plan(*PLAN_ROWS)),
        Participant("P2", "S1", band="6"),
    ]
    p2 = session("P2:0", "P2", minute(500), minute(530), other)
    whole = [
        session("P1:0", "P1", minute(0), minute(first + second), early + late),
        p2,
    ]
    split = [
        session("P1:a", "P1", minute(0), minute(first), early),
        session("P1:b", "P1", minute(first), minute(first + second), late),
        p2,
    ]
    skip = ["domain_switches_per_hour", "demand_response"]
    a = compute(whole, people, seed=5, B=40)
    b = compute(split, people, seed=5, B=40)
    a = a[~a["metric"].isin(skip)].drop(columns="n_sessions").reset_index(drop=True)
    b = b[~b["metric"].isin(skip)].drop(columns="n_sessions").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)


@FAST
@given(studies())
def test_without_management_compartmentalisation_is_undefined(study):
    sessions, people = study
    clinical_only = [
        replace(s, tasks=tuple(t for t in s.tasks if CATEGORIES[t.category] != "managerial"))
        for s in sessions
    ]
    df = compute(clinical_only, people)
    for metric in ("compartmentalisation", "leakage"):
        rows = df[df["metric"] == metric]
        assert rows["estimate"].isna().all(), metric
        assert rows["flag"].str.contains("undefined").all()


def median(values: list[int]) -> float | None:
    return float(np.median(values)) if values else None


def assert_same(got: float, expected: float | None) -> None:
    if expected is None:
        assert math.isnan(got)
    else:
        assert got == pytest_approx(expected)


def pytest_approx(v: float):
    import pytest

    return pytest.approx(v, rel=1e-9, abs=1e-12)
