"""Background builds (services/builds.py): one build per key however many ask, progress while
it runs, errors kept until retried, results cached in memory and on disk until the study's
data version moves on."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.analysis.metrics.paper import paper_participants, paper_session_3, paper_sessions
from tests.factories import add_to_study, at, drawn_study, session
from workweave import report
from workweave.domain.errors import ValidationError
from workweave.services import participants, setup
from workweave.services.builds import (
    DONE,
    FAILED,
    Build,
    BuildKey,
    Builds,
    cache_dir_for,
    content_version,
    report_key,
)
from workweave.store import Store


def key(version: str = "v1", kind: str = "page", scope: str = "store#1") -> BuildKey:
    return BuildKey(scope=scope, kind=kind, options=(("B", 0),), version=version)


class Gate:
    """A builder that reports two stages, then waits until released; counts its runs."""

    def __init__(self, result: object = b"<html>built</html>") -> None:
        self.release = threading.Event()
        self.reached = threading.Event()
        self.runs = 0
        self.result = result

    def __call__(self, progress):  # type: ignore[no-untyped-def]
        self.runs += 1
        progress("reading")
        progress("computing")
        self.reached.set()
        assert self.release.wait(30)
        return self.result


def finished(build: Build) -> Build:
    assert build.wait(900)  # a loaded machine: no timing is asserted
    return build


def test_concurrent_requests_join_one_build_that_reports_progress(tmp_path: Path) -> None:
    builds = Builds(tmp_path)
    gate = Gate()
    first = builds.start(key(), gate)
    assert gate.reached.wait(30)
    joined = [builds.start(key(), gate) for _ in range(5)]
    assert all(j is first for j in joined)
    assert first.status == "running" and first.stage == "computing"
    assert 0 < first.percent < 100 and first.describe()["step"] == 2
    gate.release.set()
    assert finished(first).status == DONE and first.result == b"<html>built</html>"
    assert gate.runs == 1 and builds.builds_started == 1
    again = builds.get(key())
    assert again is not None and again.ready and again.cached and again.percent == 100


def test_a_second_build_waits_for_the_first(tmp_path: Path) -> None:
    builds = Builds(tmp_path, workers=1)
    gate, other = Gate(), Gate(b"other")
    first = builds.start(key(kind="a"), gate)
    assert gate.reached.wait(30)
    second = builds.start(key(kind="b"), other)
    assert second.status == "queued" and second.percent == 0
    gate.release.set()
    other.release.set()
    assert finished(second).result == b"other" and finished(first).ready


def test_a_failed_build_keeps_its_error_until_retried(tmp_path: Path) -> None:
    builds = Builds(tmp_path)
    runs = []

    def failing(progress):  # type: ignore[no-untyped-def]
        runs.append(1)
        if len(runs) == 1:
            raise ValidationError("study 'x' has no sessions yet")
        return b"fine"

    build = finished(builds.start(key(), failing))
    assert build.status == FAILED and build.error == "study 'x' has no sessions yet"
    assert builds.start(key(), failing) is build and len(runs) == 1
    retried = finished(builds.start(key(), failing, retry=True))
    assert retried.ready and retried.result == b"fine" and len(runs) == 2

    def broken(progress):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    crashed = finished(builds.start(key(kind="other"), broken))
    assert crashed.failed and "RuntimeError: disk on fire" in (crashed.error or "")


def test_a_restart_reuses_the_disk_cache_and_new_data_drop_it(tmp_path: Path) -> None:
    first = Builds(tmp_path)
    gate = Gate()
    gate.release.set()
    finished(first.start(key("v1"), gate))
    first.shutdown()
    restarted = Builds(tmp_path)
    found = restarted.get(key("v1"))
    assert found is not None and found.ready and found.result == b"<html>built</html>"
    assert restarted.start(key("v1"), gate).ready and gate.runs == 1
    # the data moved on: the old result is dropped from memory and disk
    assert restarted.get(key("v2")) is None
    assert restarted.get(key("v1")) is None
    assert Builds(tmp_path).get(key("v1")) is None
    # another study's results stay
    other = Gate()
    other.release.set()
    finished(restarted.start(key("v1", scope="store#2"), other))
    assert restarted.get(key("v9")) is None
    assert restarted.get(key("v1", scope="store#2")) is not None


def test_the_memory_cache_is_bounded(tmp_path: Path) -> None:
    builds = Builds(None, memory_items=2)
    for kind in ("a", "b", "c"):
        gate = Gate(kind.encode())
        gate.release.set()
        finished(builds.start(key(kind=kind), gate))
    assert builds.get(key(kind="a")) is None  # evicted, and no disk cache
    assert builds.get(key(kind="c")) is not None


def test_cache_folder_beside_a_workspace_store_or_in_the_temporary_folder(
    tmp_path: Path,
) -> None:
    assert cache_dir_for(str(tmp_path / "workweave.sqlite")) == (
        tmp_path / ".workweave-cache" / "builds"
    )
    url = cache_dir_for("postgresql://u@h/db")
    assert "workweave-builds" in str(url) and url != cache_dir_for("postgresql://u@h/other")


@pytest.fixture
def study(store_location: str):  # type: ignore[no-untyped-def]
    store, sid = drawn_study(store_location, paper_sessions()[:2], paper_participants())
    yield store, sid
    store.close()


def test_the_data_version_moves_with_every_change(study: tuple[Store, int]) -> None:
    store, sid = study
    seen = {content_version(store, sid)}
    assert content_version(store, sid) in seen  # stable while nothing changes

    def changed() -> bool:
        v = content_version(store, sid)
        new = v not in seen
        seen.add(v)
        return new

    add_to_study(store, sid, sessions=[paper_session_3()])
    assert changed()  # a session imported
    setup.set_observer_role(store, sid, "paper:3", "second")
    assert changed()  # its observer role
    before = content_version(store, sid)
    participants.merge(store, sid, "P1", "P2", by="test")
    assert changed()  # a merge moves sessions
    participants.unmerge(store, sid, "P2")
    assert content_version(store, sid) == before  # the same data again: the same version
    day = "2025-01-08"
    with store.transaction() as conn:
        replaced = session("paper:3", "P2", at(day, "09:00"), at(day, "11:00"), source_id="3")
        store.sessions.write(sid, [replaced], conn, replace=True)
    assert changed()  # a session replaced by a corrected one


def test_the_study_report_is_built_once_then_rebuilt_when_a_session_is_imported(
    study: tuple[Store, int], tmp_path: Path
) -> None:
    store, sid = study
    builds = Builds(tmp_path / "cache", process_above=0)  # in a process, as a large study
    options = report.ReportOptions(B=0)
    build = finished(builds.study_report(store, sid, options))
    assert build.ready, build.error
    assert build.result.startswith(b"<!doctype html") or b"<html" in build.result[:200]
    assert build.steps >= 1 and builds.builds_started == 1
    again = builds.study_report(store, sid, options)
    assert again.ready and again.cached and builds.builds_started == 1
    other = builds.study_report(store, sid, report.ReportOptions(B=5))  # other options
    assert other is not build and not other.cached
    finished(other)
    add_to_study(store, sid, sessions=[paper_session_3()])
    rebuilt = builds.study_report(store, sid, options)
    assert not rebuilt.cached
    assert finished(rebuilt).ready
    assert builds.builds_started == 3
    assert report_key(store, sid, options).version == content_version(store, sid)
    builds.shutdown()
