"""Participant identity: likely duplicate codes are flagged; a merge makes one person one
bootstrap cluster, and an unmerge undoes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.test_roles_and_merges import snapshot, two_codes
from workweave.domain import ValidationError
from workweave.services import participants as svc
from workweave.services.metrics import compute


@pytest.mark.parametrize(
    ("a", "b"),
    [("p1", "p01"), ("1", "01"), ("c1", "c01"), ("C2:Ilaria", "c2:ilaria"), ("RAD-01", "rad 1")],
)
def test_codes_typed_two_ways_have_one_normal_form(a: str, b: str) -> None:
    assert svc.normal_form(a) == svc.normal_form(b)


@pytest.mark.parametrize(("a", "b"), [("p1", "p11"), ("10", "1"), ("p1:1", "p11"), ("c1", "c2")])
def test_different_codes_stay_different(a: str, b: str) -> None:
    assert svc.normal_form(a) != svc.normal_form(b)


def test_list_flags_merge_and_unmerge(tmp_path: Path) -> None:
    store, sid = two_codes(str(tmp_path / "s.sqlite"))
    lines = {x.code: x for x in svc.participant_list(store, sid)}
    assert lines["RAD-01"].duplicate_of == ("RAD-1",)
    assert lines["RAD-1"].duplicate_of == ("RAD-01",)
    assert lines["RAD-1"].session_sites == ("th",) and lines["RAD-1"].sessions == 2

    def n_participants() -> int:
        df = compute(store, study_id=sid, metrics="tasks_per_hour", B=0)
        return int(df["n_participants"].iloc[0])

    before, tables = n_participants(), snapshot(store)
    assert before == 2
    svc.merge(store, sid, "RAD-01", "RAD-1", by="a researcher", note="same radiographer")
    assert n_participants() == before - 1
    lines = {x.code: x for x in svc.participant_list(store, sid)}
    assert lines["RAD-1"].merged_into == "RAD-01" and not lines["RAD-01"].duplicate_of
    assert lines["RAD-1"].as_dict()["merged_into"] == "RAD-01"
    svc.unmerge(store, sid, "RAD-1")
    assert n_participants() == before and snapshot(store) == tables
    with pytest.raises(ValidationError, match="participant code"):
        svc.merge(store, sid, "RAD-01", "x" * 65, by="me")
    with pytest.raises(ValidationError, match="participant code"):
        svc.unmerge(store, sid, "  ")
    with pytest.raises(ValidationError, match="note"):
        svc.merge(store, sid, "RAD-01", "RAD-1", by="me", note="a\x00b")
    assert snapshot(store) == tables
    store.close()
