"""Job-plan files: a file cut short is refused, and an existing plan is replaced only when
asked, after saying what would change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import seed_users_study
from workweave.domain import ValidationError
from workweave.io.jobplan import read_job_plans
from workweave.services.studies import import_job_plans
from workweave.store import Store

PLAN = (
    "participant,weekday,start,end,category\n"
    "P1,Mon,09:00,12:00,DCC\n"
    "P1,Mon,13:00,17:00,management\n"
    "P1,Tue,09:00,17:00,DCC\n"
)


def _file(tmp_path: Path, text: str, name: str = "plan.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_file_cut_in_the_middle_of_a_row_is_refused(tmp_path: Path) -> None:
    assert read_job_plans(_file(tmp_path, PLAN))["P1"].weekly_hours == 15
    for cut in (PLAN[:-1], PLAN[:-8]):
        with pytest.raises(ValidationError, match="cut short"):
            read_job_plans(_file(tmp_path, cut))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (PLAN.replace("P1,Tue", "P\x001,Tue"), "NUL"),
        (PLAN.replace("P1,Tue", "P" * 65 + ",Tue"), "64 characters"),
        (b"\xff\xfe\x00".decode("latin-1") + PLAN, "UTF-8"),
    ],
)
def test_bad_text_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_bytes(text.encode("latin-1") if reason == "UTF-8" else text.encode("utf-8"))
    with pytest.raises(ValidationError, match=reason):
        read_job_plans(p)


def test_replacing_a_different_plan_needs_replace(tmp_path: Path) -> None:
    st = Store.create(tmp_path / "w.sqlite")
    sid = seed_users_study(st)
    partial = "\n".join(PLAN.splitlines()[:2]) + "\n"  # cut at a row boundary
    with pytest.raises(ValidationError) as exc:
        import_job_plans(st, sid, _file(tmp_path, partial))
    text = exc.value.describe()
    assert "participant P1 has a job plan of 2 session(s), 7.25 h/week" in text
    assert "the file gives 1 session(s), 3.00 h/week" in text and "--replace" in text
    (p1,) = [p for p in st.studies.participants(sid) if p.code == "P1"]
    assert len(p1.job_plan.sessions) == 2  # unchanged
    assert import_job_plans(st, sid, _file(tmp_path, partial), replace=True) == {"P1": 3.0}
    # the same plan again, and a plan for someone who has none, need no --replace
    assert import_job_plans(st, sid, _file(tmp_path, partial)) == {"P1": 3.0}
    assert import_job_plans(st, sid, _file(tmp_path, PLAN.replace("P1", "P2")))["P2"] == 15
