"""Co-observer calibration (``workweave.services.calibration``): the measures of a pair and
the pass/fail rule on synthetic pairs, the side-by-side timeline's disagreements, finding the
co-observed partner, recording passes, the study settings and the rule at a session's start."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.factories import capture_actor, switch_log
from tests.factories import seed_users_study as seed
from workweave.domain.calibration import DEFAULT_THRESHOLD, CalibrationSettings
from workweave.domain.capture import Actor
from workweave.domain.errors import ValidationError
from workweave.domain.observation import Session, Task
from workweave.services import calibration, capture
from workweave.store import Store

T0 = 1_795_000_000_000  # ms
START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
DAY = [("ADMIN", 0, 600), ("DCC", 600, 1500), ("MEET", 1500, 2100), ("ADMIN", 2100, 2400)]


def session(key: str, observer: str, spec: list[tuple[str, int, int]]) -> Session:
    tasks = tuple(
        Task(
            f"{key}-t{i}",
            cat,
            START + timedelta(seconds=a),
            START + timedelta(seconds=b),
            seq=i,
        )
        for i, (cat, a, b) in enumerate(spec)
    )
    end = START + timedelta(seconds=max(b for _, _, b in spec))
    return Session(key, "P1", "RAD", START, end, observer=observer, tasks=tasks)


# -- the measures and the rule, without a store ---------------------------------------------------


def test_identical_records_agree_fully_and_pass() -> None:
    c = calibration.compare(session("a", "OBS-1", DAY), session("b", "OBS-2", DAY))
    assert c.kappa.kappa == pytest.approx(1.0)
    assert c.measure == "time_sliced_kappa" and c.passed
    assert c.ior.pK1 == pytest.approx(1.0) and c.ior.pAg1 == pytest.approx(100.0)
    assert c.disagreements == [] and c.disagreement_seconds == 0
    assert [(p.category, p.start, p.end) for p in c.track_a] == DAY
    assert c.track_a == c.track_b and c.horizon == 2400
    assert set(c.measures()) >= {"pK1", "NK", "NW_score", "time_sliced_kappa"}


def test_shifted_record_fails_and_its_disagreements_are_the_shifts() -> None:
    shifted = [("ADMIN", 0, 780), ("DCC", 780, 1680), ("MEET", 1680, 2280), ("ADMIN", 2280, 2400)]
    c = calibration.compare(session("a", "OBS-1", DAY), session("b", "OBS-2", shifted))
    assert c.kappa.kappa is not None and c.kappa.kappa < DEFAULT_THRESHOLD and not c.passed
    got = [(d.start, d.end, d.a, d.b) for d in c.disagreements]
    assert got == [
        (600, 780, "DCC", "ADMIN"),
        (1500, 1680, "MEET", "DCC"),
        (2100, 2280, "ADMIN", "MEET"),
    ]
    assert c.disagreement_seconds == 540
    assert c.kappa.agreement == pytest.approx(100 * (2400 - 540) / 2400)


def test_recoded_record_fails() -> None:
    recoded = [("ADMIN", 0, 600), ("MEET", 600, 1500), ("MEET", 1500, 2100), ("ADMIN", 2100, 2400)]
    c = calibration.compare(session("a", "OBS-1", DAY), session("b", "OBS-2", recoded))
    assert not c.passed and c.kappa.kappa is not None and c.kappa.kappa < 0.8
    assert [(d.start, d.end, d.a, d.b) for d in c.disagreements] == [(600, 1500, "DCC", "MEET")]
    # a lower threshold lets the same pair pass: the rule compares the time-sliced kappa
    lenient = CalibrationSettings(threshold=c.kappa.kappa)
    assert calibration.compare(
        session("a", "OBS-1", DAY), session("b", "OBS-2", recoded), lenient
    ).passed


def test_gaps_and_parallel_work_on_the_timeline() -> None:
    # B records nothing for 5 minutes; A has a parallel task that becomes the foreground
    a = [("ADMIN", 0, 1200), ("DCC", 300, 600), ("MEET", 1200, 2400)]
    b = [("ADMIN", 0, 1200), ("DCC", 300, 600), ("MEET", 1500, 2400)]
    c = calibration.compare(session("a", "OBS-1", a), session("b", "OBS-2", b))
    assert [(p.start, p.end, p.category) for p in c.track_a] == [
        (0, 300, "ADMIN"),
        (300, 600, "DCC"),
        (600, 1200, "ADMIN"),
        (1200, 2400, "MEET"),
    ]
    assert [(d.start, d.end, d.a, d.b) for d in c.disagreements] == [(1200, 1500, "MEET", None)]


def test_undefined_kappa_never_passes() -> None:
    one = [("ADMIN", 0, 600)]
    c = calibration.compare(session("a", "OBS-1", one), session("b", "OBS-2", one))
    assert c.kappa.kappa is None and not c.passed
    assert c.as_dict()["kappa"] is None and c.warnings


def test_threshold_is_validated() -> None:
    from workweave.domain.calibration import check_threshold

    assert check_threshold("0.75") == 0.75 and check_threshold(1) == 1.0
    for bad in (math.nan, math.inf, 0, -0.1, 1.01, "x", True, None, [0.8]):
        with pytest.raises(ValidationError):
            check_threshold(bad)


# -- on a store, with captured sessions ------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st = Store.create(tmp_path / "w.sqlite")
    seed(st)
    return st


def actor(store: Store, name: str) -> Actor:
    return capture_actor(store, name)


def record(
    store: Store,
    who: str,
    spec: list[tuple[str, int, int]],
    *,
    participant: str = "P1",
    offset: int = 0,
    end: bool = True,
    **start: Any,
) -> capture.SyncReport:
    """Capture a session as `who`: consecutive tasks (switches), then the end."""
    actions = switch_log(spec, T0 + offset * 1000, participant=participant, end=end, **start)
    return capture.ingest(store, store.studies.id("s1"), actor(store, who), actions)


def key_of(report: capture.SyncReport) -> str:
    assert not report.rejected, report.rejected
    return str(report.sessions[0]["key"])


def test_partners_evaluate_and_record(store: Store) -> None:
    sid = store.studies.id("s1")
    a = key_of(record(store, "obs1", DAY))
    b = key_of(record(store, "obs2", DAY, offset=20))  # started 20 s later
    other = key_of(record(store, "obs2", DAY, participant="P2"))
    later = key_of(record(store, "obs2", DAY, offset=4000))
    assert calibration.partners(store, sid, a) == [b]
    assert calibration.partners(store, sid, b) == [a]
    assert calibration.partners(store, sid, other) == []
    assert calibration.partners(store, sid, later) == []
    assert calibration.partners(store, sid, later, tolerance_seconds=3600) == [a]
    with pytest.raises(ValidationError):
        calibration.partners(store, sid, a, tolerance_seconds=math.nan)

    c = calibration.evaluate(store, sid, a, b)
    assert c.passed and c.complete and c.recorded == []
    assert calibration.passed_calibrations(store, sid) == []  # nothing recorded unless asked
    c = calibration.evaluate(store, sid, a, b, record=True, by=None)
    assert sorted(c.recorded) == ["OBS-1", "OBS-2"]
    again = calibration.evaluate(store, sid, b, a, record=True)
    assert again.recorded == []  # once per observer and pair
    passed = calibration.passed_calibrations(store, sid, "OBS-1")
    assert [(p.partner, p.session_key, p.partner_session_key) for p in passed] == [("OBS-2", a, b)]
    assert passed[0].kappa == pytest.approx(1.0) and passed[0].threshold == DEFAULT_THRESHOLD
    assert passed[0].measure == "time_sliced_kappa"
    with pytest.raises(ValidationError, match="not co-observed"):
        calibration.evaluate(store, sid, a, other)
    with pytest.raises(ValidationError):
        calibration.evaluate(store, sid, a, a)


def test_failed_or_unfinished_pairs_are_not_recorded(store: Store) -> None:
    sid = store.studies.id("s1")
    recoded = [("ADMIN", 0, 600), ("MEET", 600, 1500), ("MEET", 1500, 2100), ("ADMIN", 2100, 2400)]
    a = key_of(record(store, "obs1", DAY))
    b = key_of(record(store, "obs2", recoded))
    c = calibration.evaluate(store, sid, a, b, record=True)
    assert not c.passed and c.recorded == [] and c.disagreements
    p = key_of(record(store, "obs1", DAY, participant="P2"))
    q = key_of(record(store, "obs2", DAY, participant="P2", end=False))
    c = calibration.evaluate(store, sid, p, q, record=True)
    assert not c.complete and c.recorded == []
    assert calibration.passed_calibrations(store, sid) == []


def test_settings(store: Store) -> None:
    sid = store.studies.id("s1")
    assert calibration.settings(store, sid) == CalibrationSettings(0.8, False)
    assert calibration.set_settings(store, sid, required=True) == CalibrationSettings(0.8, True)
    assert calibration.set_settings(store, sid, threshold="0.9") == CalibrationSettings(0.9, True)
    with pytest.raises(ValidationError):
        calibration.set_settings(store, sid, threshold=float("nan"))
    assert calibration.settings(store, sid) == CalibrationSettings(0.9, True)
    other = store.studies.id("s1")
    assert other == sid


def test_a_study_can_require_a_passed_calibration(store: Store) -> None:
    sid = store.studies.id("s1")
    calibration.set_settings(store, sid, required=True)
    refused = record(store, "obs1", DAY)
    assert refused.rejected and "calibration" in refused.rejected[0]["reason"]
    assert "0.80" in refused.rejected[0]["reason"]
    assert store.sessions.load(sid) == []  # nothing of the refused session was projected
    bad = record(store, "obs1", DAY, calibration="yes")
    assert bad.rejected[0]["reason"] == "'calibration' must be true or false"
    # calibration sessions are allowed, and researchers are not held to the rule
    a = key_of(record(store, "obs1", DAY, calibration=True))
    b = key_of(record(store, "obs2", DAY, calibration=True))
    key_of(record(store, "res", DAY, participant="P2"))
    assert calibration.started_as_calibration(store, sid, a)
    assert calibration.evaluate(store, sid, a, b).calibration_b
    # once the pair has passed (and been recorded), both observers record real sessions
    calibration.evaluate(store, sid, a, b, record=True)
    key_of(record(store, "obs1", DAY, participant="P3"))
    key_of(record(store, "obs2", DAY, participant="P3", offset=9000))
    # their pass reached kappa 1, so even the strictest threshold admits them
    calibration.set_settings(store, sid, threshold=1.0)
    key_of(record(store, "obs1", DAY, participant="P3", offset=20000))
    calibration.set_settings(store, sid, required=False)
    key_of(record(store, "obs1", DAY, participant="P2", offset=30000))


def test_raising_the_threshold_asks_for_a_new_calibration(store: Store) -> None:
    sid = store.studies.id("s1")
    nearly = [("ADMIN", 0, 660), ("DCC", 660, 1500), ("MEET", 1500, 2100), ("ADMIN", 2100, 2400)]
    a = key_of(record(store, "obs1", DAY, calibration=True))
    b = key_of(record(store, "obs2", nearly, calibration=True))
    c = calibration.evaluate(store, sid, a, b, record=True)
    assert c.passed and c.kappa.kappa is not None and c.kappa.kappa < 0.99
    calibration.set_settings(store, sid, required=True, threshold=0.99)
    assert not calibration.has_passed(store, sid, "OBS-1")
    assert record(store, "obs1", DAY, participant="P3").rejected
    calibration.set_settings(store, sid, threshold=0.8)
    assert calibration.has_passed(store, sid, "OBS-1")
