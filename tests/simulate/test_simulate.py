"""The synthetic study generator: validity, determinism, scaling and the planted rates."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import TEMPLATE
from workweave.domain import Session
from workweave.simulate import (
    CONTEXTS,
    InfeasibleProfile,
    SimulatedStudy,
    SimulationConfig,
    simulate,
)
from workweave.simulate.profiles import INSTANT_BASIS_CONTEXTS
from workweave.simulate.schedule import bank_holidays, easter_sunday, session_bounds

MANAGERIAL = {c.code for c in TEMPLATE.categories if c.domain == "managerial"}
DIMENSIONS = {d.key: d for d in TEMPLATE.dimensions}
CODE = re.compile(r"\b[A-Z]{2,3}-\d+\b")
EVENT_SUBTYPES = {p.key: set(p.subtypes) for p in TEMPLATE.point_events}


@pytest.fixture(scope="module")
def base() -> tuple[SimulatedStudy, list[Session]]:
    sim = simulate()
    return sim, list(sim.iter_sessions())


@pytest.fixture(scope="module")
def large() -> tuple[SimulatedStudy, list[Session]]:
    """About 120,000 tasks: enough observed hours per site to see the planted rates."""
    sim = simulate(SimulationConfig(seed=11, target_tasks=120_000))
    return sim, [s for s in sim.iter_sessions() if not is_second_observer(s)]


def is_second_observer(s: Session) -> bool:
    return s.observer_role == "second"


# --- one session at a time ----------------------------------------------------------------


def check_session(sim: SimulatedStudy, s: Session) -> None:
    """Every invariant a simulated session must satisfy."""
    participants = {p.code: p for p in sim.participants}
    observers = {o.code for o in sim.observers}
    p = participants[s.participant]
    number = s.key.removeprefix("sim:")
    assert s.key == f"sim:{number}" and number.isdigit()
    assert s.source == "simulated" and s.source_id == number
    assert s.template == sim.template_key == "ahp-clinician-manager@1"
    assert s.mode == "shadowing" and s.complete and s.observer in observers
    assert s.site == p.site and s.timezone == "Europe/London"
    assert s.start.tzinfo is UTC and s.end is not None and s.end.tzinfo is UTC
    local = s.start.astimezone(ZoneInfo(s.timezone))
    assert local.weekday() < 5 and local.date() not in bank_holidays(local.year)
    assert any(j.weekday == local.weekday() for j in p.job_plan.sessions)
    # job plans are local times: the window sits around them whatever the season
    lo, hi = session_bounds(p.job_plan, local.weekday(), dict(s.attributes)["day"])
    local_end = s.end.astimezone(ZoneInfo(s.timezone))
    assert local_end.date() == local.date()
    assert lo <= local.hour * 60 + local.minute
    assert local_end.hour * 60 + local_end.minute <= hi

    tasks = {t.key: t for t in s.tasks}
    assert len(tasks) == len(s.tasks)
    assert [t.seq for t in s.tasks] == list(range(1, len(s.tasks) + 1))
    assert all(t.key == f"{number}_{t.seq}" for t in s.tasks)
    starts = [t.start for t in s.tasks]
    assert starts == sorted(starts), "recording order follows start times"
    for t in s.tasks:
        assert t.end is not None and s.start <= t.start <= t.end <= s.end
        assert TEMPLATE.category(t.category) is not None
        for key, values in t.dimensions:
            dim = DIMENSIONS[key]
            assert values and set(values) <= set(dim.options), (key, values)
            assert dim.multi or len(values) == 1
            if dim.domains:
                assert TEMPLATE.domain_of(t.category) in dim.domains
        for susp in t.suspensions:
            assert t.start <= susp.start <= t.end
            assert susp.end is None or susp.start <= susp.end <= t.end
            by = tasks[susp.by]
            assert by.start == susp.start, "the interrupting task starts at the suspension"
            assert by.key != t.key
            if susp.end is None:
                assert susp.start == t.end, "a task never resumed ends when it was suspended"
        for link in t.parallel:
            other = tasks[link.other]
            assert link.start is not None and link.end is not None
            assert max(t.start, other.start) <= link.start < link.end <= min(t.end, other.end)
            back = [x for x in other.parallel if x.other == t.key]
            assert len(back) == 1 and (back[0].start, back[0].end) == (link.start, link.end)
    for e in s.events:
        assert s.start <= e.at <= s.end
        assert e.subtype in EVENT_SUBTYPES[e.kind]
    for n in s.notes:
        assert s.start <= n.at <= s.end and n.text and n.key
        # pseudonymous: the only person named is the participant, by code
        assert set(CODE.findall(n.text)) <= {s.participant}


def check_study(sim: SimulatedStudy, sessions: Iterable[Session]) -> dict[str, int]:
    """Whole-study invariants; returns counts."""
    sessions = list(sessions)
    keys = [s.key for s in sessions]
    assert len(set(keys)) == len(keys)
    by_participant: dict[str, list[Session]] = defaultdict(list)
    by_observer: dict[str, list[Session]] = defaultdict(list)
    for s in sessions:
        check_session(sim, s)
        by_participant[s.participant].append(s)
        by_observer[s.observer].append(s)
    pairs = 0
    for mine in by_participant.values():
        mine.sort(key=lambda s: s.start)
        for a, b in itertools.pairwise(mine):
            if b.start < a.end:  # only a co-observed pair may overlap
                attrs_a, attrs_b = dict(a.attributes), dict(b.attributes)
                assert attrs_a["co_observed_with"] == b.key
                assert attrs_b["co_observed_with"] == a.key
                assert a.observer != b.observer and a.start == b.start and a.end == b.end
                assert len(a.tasks) == len(b.tasks)
                pairs += 1
    for mine in by_observer.values():
        mine.sort(key=lambda s: s.start)
        for a, b in itertools.pairwise(mine):
            assert b.start >= a.end, f"observer {a.observer} is in two places at once"
    return {"sessions": len(sessions), "pairs": pairs, "tasks": sum(len(s.tasks) for s in sessions)}


# --- set-up ---------------------------------------------------------------------------------


def test_study_setup_is_synthetic_and_pseudonymous(base) -> None:
    sim, _ = base
    assert sim.study.synthetic and "SYNTHETIC" in sim.study.title
    assert [s.code for s in sim.sites] == ["TH-RAD", "CP-PHYS", "AC-OT", "MH-ART"]
    assert {s.timezone for s in sim.sites} == {"Europe/London"}
    counts = Counter(p.site for p in sim.participants)
    assert all(3 <= counts[s.code] <= 6 for s in sim.sites)
    assert len({p.profession for p in sim.participants}) >= 5
    assert {p.band for p in sim.participants} == {"6", "7", "8a", "8b"}
    assert 2 <= len(sim.observers) <= 3
    for p in sim.participants:
        prefix = {"TH-RAD": "RAD", "CP-PHYS": "PHY", "AC-OT": "OT", "MH-ART": "ART"}[p.site]
        assert p.code.startswith(prefix + "-")
        assert p.pay_point is not None and 1 <= p.pay_point <= 3
        plan = p.job_plan
        assert all(abs(j.hours - 3.75) < 1e-9 for j in plan.sessions)
        assert 7 * 3.75 <= plan.weekly_hours <= 37.5
        cats = plan.hours_by_category()
        assert cats.get("management", 0) >= 3.75 and cats.get("DCC", 0) >= 3.75
        assert all(j.weekday < 5 for j in plan.sessions)


def test_planted_parameters_are_exposed_per_site(base) -> None:
    sim, _ = base
    assert set(sim.planted) == {s.code for s in sim.sites}
    for code in sim.planted:
        rates = sim.planted[code]
        assert 2 <= rates.interruptions_per_hour <= 7
        assert rates.problems() == []
        assert rates.mgmt_share("management") > rates.mgmt_share("DCC")
        assert set(rates.metric_targets()) == {"interruptions_per_hour", "clinical_displacement"}
    rows = sim.planted.rows()
    assert [r["site"] for r in rows] == [s.code for s in sim.sites]
    # the sites differ: leakage into clinical sessions is site-specific
    assert len({sim.planted[c].mgmt_share_clinical for c in sim.planted}) == 4


def test_calendar() -> None:
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert bank_holidays(2026) == {
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 28),
    }


# --- validity -------------------------------------------------------------------------------


def test_base_study_is_valid(base) -> None:
    sim, sessions = base
    counts = check_study(sim, sessions)
    assert 8_000 <= counts["tasks"] <= 20_000
    assert counts["pairs"] >= 5, "some sessions are co-observed"
    assert all(date(2026, 1, 1) <= s.start.date() < date(2026, 7, 1) for s in sessions)
    kinds = Counter(dict(s.attributes)["day"] for s in sessions)
    assert kinds["full"] > 0 and kinds["am"] + kinds["pm"] > 0
    hours = [s.observed_seconds / 3600 for s in sessions]
    assert min(hours) >= 2.5 and max(hours) <= 12
    assert sum(len(s.notes) for s in sessions) > len(sessions)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_a_valid_study(seed: int) -> None:
    sim = simulate(SimulationConfig(seed=seed, target_tasks=2_500))
    counts = check_study(sim, sim.iter_sessions())
    assert abs(counts["tasks"] - 2_500) <= 0.03 * 2_500


def test_interruptions_multitasking_and_demand(base) -> None:
    sim, sessions = base
    per_site: dict[str, Counter] = defaultdict(Counter)
    window = timedelta(minutes=sim.planted.demand_response_window_minutes)
    for s in sessions:
        c = per_site[s.site]
        c["hours"] += s.observed_seconds / 3600
        c["interruptions"] += s.interruption_count()
        c["suspensions"] += sum(len(t.suspensions) for t in s.tasks)
        c["never_resumed"] += sum(1 for t in s.tasks for x in t.suspensions if x.end is None)
        c["parallel"] += sum(1 for t in s.tasks if t.parallel)
        lists = sorted(t.start for t in s.tasks if t.category == "LIST-MANAGE")
        for e in s.events:
            if e.kind == "demand":
                c["demand"] += 1
                i = bisect.bisect_left(lists, e.at)
                c["answered"] += i < len(lists) and lists[i] <= e.at + window
    for code, c in per_site.items():
        rate = c["interruptions"] / c["hours"]
        assert 2 <= rate <= 7, (code, rate)
        assert 0 < c["never_resumed"] < c["suspensions"] * 0.3
        assert c["parallel"] > 0
        assert c["answered"] / c["demand"] >= 0.5, "demand is mostly answered within minutes"


# --- determinism and scale ------------------------------------------------------------------


def test_same_seed_same_data_and_other_seed_other_data() -> None:
    a = list(simulate(seed=5, target_tasks=3_000).iter_sessions())
    b = list(simulate(seed=5, target_tasks=3_000).iter_sessions())
    c = list(simulate(seed=6, target_tasks=3_000).iter_sessions())
    assert a == b
    assert [s.tasks for s in a] != [s.tasks for s in c]
    sim = simulate(seed=5, target_tasks=3_000)
    assert list(sim.iter_sessions()) == list(sim.iter_sessions()), "iteration can be repeated"


@pytest.mark.parametrize("target", [1_000, 4_000, 30_000])
def test_target_tasks_is_reached_closely(target: int) -> None:
    sim = simulate(seed=3, target_tasks=target)
    total = sum(len(s.tasks) for s in sim.iter_sessions())
    assert abs(total - target) <= max(10, 0.02 * target)
    assert sim.estimated_tasks == target


def test_scaling_adds_participants_and_observers() -> None:
    small, big = simulate(seed=3), simulate(seed=3, target_tasks=200_000)
    assert len(big.participants) > len(small.participants)
    assert len(big.observers) > len(small.observers)
    assert {p.site for p in big.participants} == {s.code for s in big.sites}
    assert len({p.code for p in big.participants}) == len(big.participants)


def test_when_the_period_runs_out_the_next_one_follows() -> None:
    sim = simulate(seed=2, months=1, target_tasks=40_000)
    one = replace(sim, cohorts=sim.cohorts[:1])  # far too few sessions in one month
    sessions = list(one.iter_sessions())
    assert abs(sum(len(s.tasks) for s in sessions) - 40_000) <= 400
    assert min(s.start for s in sessions) < datetime(2026, 2, 1, tzinfo=UTC)
    assert max(s.start for s in sessions) >= datetime(2026, 2, 1, tzinfo=UTC)
    check_study(one, sessions)


def test_sessions_are_generated_lazily() -> None:
    sim = simulate(seed=1, target_tasks=10_000_000)
    stream = sim.iter_sessions()
    first = next(stream)
    assert first.key == "sim:1" and first.tasks
    assert len(sim.participants) > 1000  # the set-up is known up front, the data are not


def test_batches() -> None:
    sim = simulate(seed=4, target_tasks=2_000)
    batches = list(sim.iter_batches(10))
    assert all(len(b) == 10 for b in batches[:-1]) and 0 < len(batches[-1]) <= 10
    assert [s for b in batches for s in b] == list(sim.iter_sessions())


# --- planted rates -----------------------------------------------------------------------


def context_times(
    sim: SimulatedStudy, sessions: list[Session], instants: bool = False
) -> tuple[Counter, Counter]:
    """Observed time and managerial active time (seconds) per (site, job-plan context), from
    the data and the job plans alone; with `instants`, time with at least one managerial
    task active (overlapping managerial tasks counted once)."""
    participants = {p.code: p for p in sim.participants}
    observed: Counter = Counter()
    managerial: Counter = Counter()
    for s in sessions:
        zone = ZoneInfo(s.timezone)
        plan = participants[s.participant].job_plan
        day0 = datetime.combine(s.start.astimezone(zone).date(), time(0), tzinfo=zone)
        today = sorted(plan.intervals(day0, day0 + timedelta(days=1), zone))
        segments, cursor = [], s.start
        for a, b, cat in today:
            a, b = max(a, s.start), min(b, s.end)
            if b <= a:
                continue
            if a > cursor:
                segments.append((cursor, a, "outside" if cursor < today[0][0] else "lunch"))
            segments.append((a, b, cat))
            cursor = b
        if cursor < s.end:
            segments.append((cursor, s.end, "outside" if cursor >= today[-1][1] else "lunch"))
        for a, b, ctx in segments:
            observed[s.site, ctx] += (b - a).total_seconds()
        pieces = [
            (x, y) for t in s.tasks if t.category in MANAGERIAL for x, y in t.active_intervals()
        ]
        if instants:
            merged: list[list[datetime]] = []
            for x, y in sorted(pieces):
                if merged and x <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], y)
                else:
                    merged.append([x, y])
            pieces = [(x, y) for x, y in merged]
        for x, y in pieces:
            for a, b, ctx in segments:
                overlap = (min(y, b) - max(x, a)).total_seconds()
                if overlap > 0:
                    managerial[s.site, ctx] += overlap
    return observed, managerial


@pytest.mark.slow
def test_planted_managerial_shares_are_recovered(large) -> None:
    sim, sessions = large
    observed, managerial = context_times(sim, sessions)
    _, any_managerial = context_times(sim, sessions, instants=True)
    shares = {k: managerial[k] / v for k, v in observed.items() if v >= 150 * 3600}
    assert {ctx for _, ctx in shares} >= {"DCC", "management", "lunch", "outside"}
    for (site, ctx), share in shares.items():
        assert ctx in CONTEXTS
        planted = sim.planted[site].mgmt_share(ctx)
        if ctx in INSTANT_BASIS_CONTEXTS:  # instants with a managerial task active
            instant_share = any_managerial[site, ctx] / observed[site, ctx]
            assert abs(instant_share - planted) < 0.02, (site, ctx, instant_share, planted)
            assert share > instant_share  # overlapping managerial tasks count in full
        else:
            assert abs(share - planted) < 0.04, (site, ctx, share, planted)


@pytest.mark.slow
def test_expected_compartmentalisation_matches_the_data(large) -> None:
    sim, sessions = large
    observed, managerial = context_times(sim, sessions)
    for site in sim.planted:
        exposure = {ctx: t for (code, ctx), t in observed.items() if code == site}
        mine = {ctx: t for (code, ctx), t in managerial.items() if code == site}
        actual = mine.get("management", 0) / sum(mine.values())
        expected = sim.planted[site].expected_compartmentalisation(exposure)
        assert abs(actual - expected) < 0.03, (site, actual, expected)


@pytest.mark.slow
def test_planted_interruption_rates_are_recovered(large) -> None:
    sim, sessions = large
    hours: Counter = Counter()
    interruptions: Counter = Counter()
    for s in sessions:
        hours[s.site] += s.observed_seconds / 3600
        interruptions[s.site] += s.interruption_count()
    for site, h in hours.items():
        planted = sim.planted[site].interruptions_per_hour
        assert abs(interruptions[site] / h - planted) < 0.05 * planted, site


@pytest.mark.slow
def test_planted_demand_answers_are_recovered(large) -> None:
    sim, sessions = large
    window = timedelta(minutes=sim.planted.demand_response_window_minutes)
    demand: Counter = Counter()
    answered: Counter = Counter()
    for s in sessions:
        answers = sorted(
            t.start
            for t in s.tasks
            if t.category == "LIST-MANAGE" and ("initiated_by", ("demand event",)) in t.dimensions
        )
        for e in s.events:
            if e.kind == "demand":
                demand[s.site] += 1
                i = bisect.bisect_left(answers, e.at)
                answered[s.site] += i < len(answers) and answers[i] <= e.at + window
    for site, n in demand.items():
        share = answered[site] / n
        assert abs(share - sim.planted[site].demand_response_share) < 0.06, (site, share)


def test_summer_time_keeps_local_hours() -> None:
    sim = simulate(seed=8)
    plans = {p.code: p.job_plan for p in sim.participants}
    zone = ZoneInfo("Europe/London")
    offsets = set()
    for s in sim.iter_sessions():
        local = s.start.astimezone(zone)
        offsets.add(local.utcoffset())
        assert 6 <= local.hour <= 14
        first = min(j.start for j in plans[s.participant].sessions if j.weekday == local.weekday())
        if dict(s.attributes)["day"] != "pm":
            assert local.time() <= first
    assert offsets == {timedelta(0), timedelta(hours=1)}


def test_changed_rates_change_the_data() -> None:
    cfg = SimulationConfig(seed=9, target_tasks=15_000).with_rates(
        "TH-RAD", interruptions_per_hour=2.0, mgmt_share_clinical=0.35
    )
    sim = simulate(cfg)
    assert sim.planted["TH-RAD"].interruptions_per_hour == 2.0
    assert sim.planted["AC-OT"].interruptions_per_hour == 6.5
    sessions = [s for s in sim.iter_sessions() if s.site == "TH-RAD"]
    rate = sum(s.interruption_count() for s in sessions) / sum(
        s.observed_seconds / 3600 for s in sessions
    )
    assert 1.6 < rate < 2.4


def test_impossible_rates_are_refused() -> None:
    with pytest.raises(InfeasibleProfile, match="managerial share"):
        simulate(SimulationConfig().with_rates("TH-RAD", mgmt_share_clinical=0.01))
    with pytest.raises(InfeasibleProfile, match="must be"):
        simulate(SimulationConfig().with_rates("AC-OT", not_resumed_share=1.5))
    with pytest.raises(KeyError):
        SimulationConfig().with_rates("NOPE", interruptions_per_hour=3)
    with pytest.raises(ValueError, match="co_observed_share"):
        simulate(co_observed_share=1.5)
    with pytest.raises(ValueError, match="seed"):
        simulate(seed=-1)
