"""BORIS projects: BORIS's own test project and the WOMBAT sessions converted to BORIS (in
../shared, when present) against the figures BORIS 10.0.2 itself computes
(tests/io/boris_reference*.json, made by bench/boris_reference.py), round trips through our
export, and malformed projects."""

from __future__ import annotations

import contextlib
import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED
from tests.factories import at, drawn_study, session, task
from workweave.analysis.boris_compat import BorisObservation, cohen_kappa
from workweave.domain import ValidationError
from workweave.domain.observation import PointEvent
from workweave.domain.study import Participant
from workweave.io.boris import load_json, parse_project, read_project, to_project
from workweave.services import boris as svc
from workweave.services.studies import init_workspace
from workweave.store import Store

HERE = Path(__file__).parent
BORIS_DIR = SHARED / "data" / "boris"
WOMBAT_BORIS = BORIS_DIR / "wombat-sessions.boris"
TEST_BORIS = BORIS_DIR / "test.boris"
REFERENCE = json.loads((HERE / "boris_reference.json").read_text())
REFERENCE_TEST = json.loads((HERE / "boris_reference_test.json").read_text())
CO_OBSERVED = [
    ("session 52", "session 58"),
    ("session 158", "session 164"),
    ("session 161", "session 167"),
    ("session 238", "session 241"),
]


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} (../shared/data/boris) is not here")
    return path


@pytest.fixture
def study(tmp_path: Path) -> tuple[Store, int]:
    return init_workspace(tmp_path / "ws", study="b", timezone="Europe/Rome")


def _budget_rows(reference: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (obs, row)
        for obs, b in reference["time_budget"].items()
        if "rows" in b
        for row in b["rows"]
    ]


def _na(v: float | None) -> float | str:
    return "NA" if v is None else v


def _check_budget(store: Store, sid: int, reference: dict[str, Any]) -> int:
    mine = {(r.observation, r.subject, r.behaviour): r for r in svc.boris_budget(store, sid)}
    checked = 0
    for obs, row in _budget_rows(reference):
        subj = row["subject"]
        r = (
            mine.get((f"boris:{obs}", subj, row["behavior"]))
            or mine[(f"boris:{obs}:{subj}", subj, row["behavior"])]
        )
        assert (
            _na(r.total_s),
            r.occurrences,
            _na(r.mean_s),
            _na(r.sd_s),
            r.percent_of_observation,
        ) == (
            row["duration"],
            row["number"],
            row["duration_mean"],
            row["duration_stdev"],
            row["percent_of_total_length"],
        ), (obs, subj, row["behavior"])
        checked += 1
    return checked


def test_reference_says_which_boris_made_it() -> None:
    assert REFERENCE["produced_by"].startswith("BORIS 10.0.2")
    assert REFERENCE_TEST["produced_by"].startswith("BORIS 10.0.2")


def test_wombat_sessions_import_with_borises_durations(study: tuple[Store, int]) -> None:
    store, sid = study
    res = svc.import_boris(store, sid, need(WOMBAT_BORIS), timezone="Europe/Rome")
    assert (res.sessions_in_file, res.counts.sessions_added, res.skipped) == (12, 12, [])
    sessions = store.sessions.load(sid)
    assert len(sessions) == 12
    # per-behaviour total durations of the stored tasks equal BORIS's
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for s in sessions:
        for t in s.tasks:
            totals[(s.source_id or "", t.category)] += t.active_seconds
    for obs, row in _budget_rows(REFERENCE):
        assert round(totals[(obs, row["behavior"])], 3) == row["duration"]
    assert _check_budget(store, sid, REFERENCE) == sum(
        len(b["rows"]) for b in REFERENCE["time_budget"].values()
    )
    s52 = next(s for s in sessions if s.source_id == "session 52")
    assert s52.observer == "2" and s52.participant == "co01@2018-05-28"
    assert dict(s52.attributes)["session start"] == "14:23:42"
    assert s52.start.isoformat() == "2018-05-28T12:23:42+00:00"  # 14:23:42 in Rome
    # re-importing changes nothing
    again = svc.import_boris(store, sid, WOMBAT_BORIS, timezone="Europe/Rome")
    assert (again.counts.sessions_added, again.counts.sessions_unchanged) == (0, 12)


def test_wombat_co_observed_kappa_equals_borises(study: tuple[Store, int]) -> None:
    store, sid = study
    svc.import_boris(store, sid, need(WOMBAT_BORIS), timezone="Europe/Rome")
    ref = {tuple(k["observations"]): k["kappa"] for k in REFERENCE["cohen_kappa"]}
    for a, b in CO_OBSERVED:
        expected = ref[tuple(sorted((a, b)))]
        for unit, k in expected.items():
            got = svc.boris_kappa(store, sid, a, b, interval_s=float(unit)).kappa
            assert round(got, 3) == round(k, 3), (a, b, unit)
    # the other same-participant pairs in the reference too
    for (a, b), kappas in ref.items():
        assert svc.boris_kappa(store, sid, a, b, interval_s=1).kappa == kappas["1"]


def test_test_boris_refused_whole_then_imported_observation_by_observation(
    study: tuple[Store, int],
) -> None:
    store, sid = study
    with pytest.raises(ValidationError) as exc:
        svc.import_boris(store, sid, need(TEST_BORIS), timezone="Europe/Rome")
    assert "observation 'live not paired', event 12" in str(exc.value)
    assert "never stopped" in str(exc.value)
    assert store.sessions.load(sid) == []  # nothing changed
    res = svc.import_boris(store, sid, TEST_BORIS, timezone="Europe/Rome", skip_bad=True)
    assert len(res.skipped) == 1 and "live not paired" in res.skipped[0]
    assert res.observations == 12 and len(res.warnings) == 2  # two without events
    stored = store.sessions.load(sid)
    assert {s.source_id for s in stored} == {
        o for o, b in REFERENCE_TEST["time_budget"].items() if b.get("rows")
    }
    assert _check_budget(store, sid, REFERENCE_TEST) > 20
    mods = next(s for s in stored if s.source_id == "modifiers")
    assert mods.tasks[0].dims == {"modif #1": ("m1",)}
    assert {e.subtype for e in mods.events} == {"q|m1", "q|m2", "q|m3"}


def test_test_boris_kappa_with_several_subjects_equals_borises() -> None:
    project = read_project(need(TEST_BORIS), timezone="Europe/Rome", skip_bad=True)
    by_obs: dict[str, BorisObservation] = {}
    for s in project.sessions:
        o = svc.observation_of(s)
        cur = by_obs.setdefault(s.source_id or "", BorisObservation(s.source_id or "", 0))
        cur.bouts.update(o.bouts)
        cur.points.update(o.points)
    checked = 0
    for k in REFERENCE_TEST["cohen_kappa"]:
        a, b = k["observations"]
        if a not in by_obs or b not in by_obs:
            continue
        for unit, expected in k["kappa"].items():
            got = cohen_kappa(by_obs[a], by_obs[b], interval_s=float(unit), subjects=k["subjects"])
            assert got.kappa == expected, (a, b, unit)
            checked += 1
    assert checked >= 40


def _round_trip_sessions() -> tuple[list[Any], list[Participant]]:
    d = "2024-03-04"
    s1 = session(
        "s1",
        "P1",
        at(d, "09:00"),
        at(d, "10:00"),
        [
            task(
                "a",
                "clinical-direct",
                at(d, "09:00"),
                at(d, "09:20"),
                seq=0,
                suspensions=[(at(d, "09:05"), at(d, "09:07:30.250"), "b")],
                dims={"location": ["ward"]},
            ),
            task("b", "admin", at(d, "09:05"), at(d, "09:07:30.250"), seq=1),
            task("c", "admin", at(d, "09:30"), at(d, "09:45:00.5"), seq=2),
        ],
        events=[PointEvent("interruption", at(d, "09:05"), "phone")],
    )
    s2 = session(
        "s2",
        "P2",
        at(d, "13:00"),
        at(d, "14:00"),
        [task("x", "clinical-direct", at(d, "13:10"), at(d, "13:50"), seq=0)],
        observer="O2",
    )
    return [s1, s2], [Participant("P1", "S1"), Participant("P2", "S1")]


def test_round_trip_workweave_boris_workweave(tmp_path: Path) -> None:
    sessions, parts = _round_trip_sessions()
    from workweave.domain.study import Observer

    store, sid = drawn_study(
        tmp_path / "a.sqlite", sessions, parts, observers=[Observer("O1"), Observer("O2")]
    )
    out = tmp_path / "study.boris"
    res = svc.export_boris(store, sid, out)
    assert res.observations == 2
    store2, sid2 = init_workspace(tmp_path / "ws2", study="b", timezone="UTC")
    svc.import_boris(store2, sid2, out, timezone="UTC")
    back = {s.source_id: s for s in store2.sessions.load(sid2)}
    for orig in store.sessions.load(sid):
        got = back[orig.key]
        assert (got.participant, got.observer, got.site, got.timezone) == (
            orig.participant,
            orig.observer,
            orig.site,
            orig.timezone,
        )
        assert (got.start, got.end) == (orig.start, orig.end)

        def shape(s: Any) -> list[Any]:
            return sorted(
                (t.key, t.category, t.start, t.end, t.dimensions, t.active_seconds) for t in s.tasks
            )

        assert shape(got) == shape(orig)
    # and a second export of the re-imported study gives the same events
    again = to_project(store2.sessions.load(sid2), store2.studies.templates(), name="x")
    first = json.loads(out.read_text())
    for obs in first["observations"].values():
        ev = next(o for o in again.project["observations"].values() if o["date"] == obs["date"])[
            "events"
        ]
        assert [e[:3] for e in ev] == [e[:3] for e in obs["events"]]


def _project() -> dict[str, Any]:
    return {
        "project_name": "p",
        "project_date": "2024-01-01T00:00:00",
        "project_format_version": "7.0",
        "subjects_conf": {"0": {"key": "1", "name": "A", "description": ""}},
        "behaviors_conf": {
            "0": {"type": "State event", "key": "s", "code": "walk", "modifiers": {}},
            "1": {"type": "Point event", "key": "p", "code": "call", "modifiers": {}},
        },
        "independent_variables": {},
        "observations": {
            "o1": {
                "type": "LIVE",
                "date": "2024-01-01T09:00:00",
                "time offset": 0.0,
                "independent_variables": {"observer": "X"},
                "events": [
                    [1.0, "A", "walk", "", ""],
                    [2.5, "A", "call", "", "hello"],
                    [10.0, "A", "walk", "", ""],
                ],
            }
        },
    }


def test_small_project_maps_as_documented() -> None:
    p = parse_project(_project(), "p.boris", timezone="UTC")
    (s,) = p.sessions
    assert (s.key, s.participant, s.observer) == ("boris:o1", "A", "X")
    (t,) = s.tasks
    assert (t.category, t.active_seconds) == ("walk", 9.0)
    assert [(e.kind, e.subtype) for e in s.events] == [("behaviour", "call")]
    assert [n.text for n in s.notes] == ["hello"]
    assert (
        s.end - s.start
    ).total_seconds() == 10.0  # BORIS: a live observation ends at its last event


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: p["observations"]["o1"]["events"].pop(), "event 1: state behaviour 'walk'"),
        (lambda p: p["observations"]["o1"]["events"][1].__setitem__(0, "2"), "event 2: time"),
        (
            lambda p: p["observations"]["o1"]["events"][1].__setitem__(2, "fly"),
            "event 2: behaviour 'fly' is not in the ethogram",
        ),
        (lambda p: p["observations"]["o1"]["events"][0].__setitem__(1, 5), "event 1: subject"),
        (lambda p: p["observations"]["o1"].__setitem__("type", "VR"), "type 'VR'"),
        (lambda p: p.__setitem__("behaviors_conf", []), "'behaviors_conf'"),
        (lambda p: p["observations"]["o1"].__setitem__("events", {}), "'events' must be a list"),
    ],
)
def test_malformed_projects_name_observation_and_event(edit: Any, message: str) -> None:
    p = _project()
    edit(p)
    with pytest.raises(ValidationError) as exc:
        parse_project(p, "p.boris", timezone="UTC")
    assert message in str(exc.value)


def test_nan_depth_size_and_nul_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "x.boris"
    f.write_text(json.dumps(_project()).replace("10.0", "NaN"))
    with pytest.raises(ValidationError, match="NaN"):
        load_json(f)
    f.write_text("[" * 100 + "]" * 100)
    with pytest.raises(ValidationError, match="nested deeper"):
        load_json(f)
    f.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValidationError, match="nested deeper"):
        load_json(f)
    f.write_text(json.dumps(_project()))
    with pytest.raises(ValidationError, match="over 10"):
        load_json(f, max_bytes=10)
    f.write_bytes(b'{"a": "\x00"}')
    with pytest.raises(ValidationError):
        load_json(f)


def test_failed_import_changes_nothing(study: tuple[Store, int], tmp_path: Path) -> None:
    store, sid = study
    good = tmp_path / "good.boris"
    good.write_text(json.dumps(_project()))
    svc.import_boris(store, sid, good, timezone="UTC")
    before = store.sessions.load(sid)
    p = _project()
    p["observations"]["o2"] = copy.deepcopy(p["observations"]["o1"])
    p["observations"]["o2"]["events"].append([11.0, "A", "walk", "", ""])
    bad = tmp_path / "bad.boris"
    bad.write_text(json.dumps(p))
    with pytest.raises(ValidationError, match="observation 'o2', event 4"):
        svc.import_boris(store, sid, bad, timezone="UTC")
    assert store.sessions.load(sid) == before


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_projects_give_clean_errors(data: st.DataObject) -> None:
    p = _project()
    # replace one value somewhere in the project by arbitrary JSON
    path: list[Any] = []
    node: Any = p
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        key = data.draw(
            st.sampled_from(list(node.keys()) if isinstance(node, dict) else range(len(node)))
        )
        path.append(key)
        node = node[key]
    if not path:
        return
    target = p
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = data.draw(JSON)
    with contextlib.suppress(ValidationError):  # anything else fails the test
        parse_project(p, "m.boris", timezone="UTC")
