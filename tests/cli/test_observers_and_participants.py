"""`--observers`, observer roles at import, and `workweave participants ...`, driven as a user
would in a temporary workspace."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_study import ww
from tests.factories import WOMBAT_ROWS as ROWS
from tests.factories import wombat_edit as edit
from tests.factories import write_wombat as write


def second_observer_rows(observer: str = "3", session: str = "58") -> list[str]:
    """The same session of the same participant recorded by another observer."""
    rows = []
    for r in ROWS:
        r = edit(edit(r, "observer id", observer), "session id", session)
        rows.append(r.replace("2_52_", f"{observer}_{session}_"))
    return rows


def metric_row(out: str) -> dict:
    data = json.loads(out)
    return data["groups"][0]["metrics"]["tasks_per_hour"]


def test_observers_option_and_roles_at_import(workspace: Path) -> None:
    a, b = write(workspace, ROWS), write(workspace, second_observer_rows(), name="b.csv")
    code, out = ww("import", "wombat", str(a), str(b), "--primary-observer", "3")
    assert code == 0, out
    code, out = ww("summary", "--json")
    tot = json.loads(out)["total"]
    assert tot["sessions"] == 1 and tot["sessions_all"] == 2 and tot["co_observation_groups"] == 1
    assert tot["distinct_observed_hours"] == tot["co_observed_hours"] == round(10 / 60, 4)
    code, out = ww("summary")
    assert "observed: 0.2 h distinct; 0.2 h more by second observers" in out
    args = ("metrics", "--metric", "tasks_per_hour", "--boot", "0", "--format", "json")
    code, out = ww(*args, "--by", "session")
    data = json.loads(out)
    assert data["observers"] == "primary"
    assert [g["group"]["session"] for g in data["groups"]] == ["wombat:58"]  # the primary one
    code, out = ww(*args, "--observers", "all")
    assert metric_row(out)["n_sessions"] == 2
    code, out = ww(*args, "--observers", "some")
    assert code == 2 and "observers must be one of primary, all" in out
    # a role mapping file on re-import sets the roles of sessions already stored
    roles = workspace / "roles.csv"
    roles.write_text("session,role\n52,primary\n58,second\n", encoding="utf-8")
    code, out = ww("import", "wombat", str(a), str(b), "--roles", str(roles))
    assert code == 0 and "observer role set on 2 session(s)" in out
    code, out = ww(*args, "--by", "session")
    assert [g["group"]["session"] for g in json.loads(out)["groups"]] == ["wombat:52"]
    code, out = ww("import", "wombat", str(a), "--primary-observer", "99")
    assert code == 2 and "no observer '99'" in out
    roles.write_text("observer,role\n2,chief\n", encoding="utf-8")
    code, out = ww("import", "wombat", str(a), "--roles", str(roles))
    assert code == 2 and "roles.csv, row 1, column 'role'" in out


def test_participants_list_merge_unmerge(workspace: Path) -> None:
    typo = [
        edit(edit(r, "location id", "1"), "participant id", "CO1") for r in second_observer_rows()
    ]
    ww("import", "wombat", str(write(workspace, ROWS)), str(write(workspace, typo, name="t.csv")))
    code, out = ww("participants", "list", "--format", "json")
    assert code == 0, out
    people = {p["code"]: p for p in json.loads(out)["participants"]}
    assert people["01:co01"]["likely_duplicates"] == ["1:CO1"]
    assert people["1:CO1"]["sessions"] == 1 and people["1:CO1"]["session_sites"] == ["1"]
    code, out = ww("participants", "list")
    assert code == 0 and "likely the same" in out and "2 participant code(s) look like" in out
    code, out = ww("participants", "list", "--format", "csv")
    assert out.splitlines()[0].startswith("code,site,sessions,hours")
    args = ("metrics", "--metric", "tasks_per_hour", "--boot", "0", "--format", "json")
    before = metric_row(ww(*args, "--observers", "all")[1])["n_participants"]
    assert before == 2
    code, out = ww("participants", "merge", "01:co01", "1:CO1", "--by", "tester")
    assert code == 0 and "1 session(s) moved" in out and "unmerge 1:CO1" in out
    after = metric_row(ww(*args, "--observers", "all")[1])
    assert after["n_participants"] == 1 and after["n_sessions"] == 2
    # now one person at one site, the two records are co-observed: counted once
    assert metric_row(ww(*args)[1])["n_sessions"] == 1
    code, out = ww("participants", "list")
    assert "merged into 01:co01" in out
    code, out = ww("participants", "unmerge", "1:CO1")
    assert code == 0 and "moved back" in out
    assert metric_row(ww(*args, "--observers", "all")[1])["n_participants"] == 2
    code, out = ww("participants", "unmerge", "1:CO1")
    assert code == 2 and "not merged" in out
    code, out = ww("participants", "merge", "01:co01", "nobody")
    assert code == 2 and "no participant 'nobody'" in out
    code, out = ww("participants", "list", "--format", "xml")
    assert code == 2 and "unknown format" in out


def test_report_options_take_observers() -> None:
    import pytest

    from workweave.domain import ValidationError
    from workweave.report import ReportOptions

    assert ReportOptions().observers == "primary"
    assert ReportOptions(observers="all").observers == "all"
    with pytest.raises(ValidationError, match="observers must be one of"):
        ReportOptions(observers="both")
