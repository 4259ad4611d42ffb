from __future__ import annotations

from pathlib import Path

import pytest

from workweave.domain import Template, ValidationError
from workweave.io.templates import (
    builtin_template,
    builtin_template_names,
    read_template,
    write_template,
)

# code, domain, job-plan category, as in the default template's specification
EXPECTED = [
    ("CLIN-DIRECT", "clinical", "DCC"),
    ("CLIN-INDIRECT", "clinical", "DCC"),
    ("CLIN-ADVICE", "clinical", "DCC"),
    ("CLIN-PREP", "clinical", "DCC"),
    ("LIST-MANAGE", "managerial", "management"),
    ("STAFF-ROTA", "managerial", "management"),
    ("HR-CASEWORK", "managerial", "management"),
    ("RECRUIT", "managerial", "management"),
    ("SUPERVISE", "managerial", "SPA"),
    ("BUDGET", "managerial", "management"),
    ("SERVICE-PLAN", "managerial", "management"),
    ("DATA-REPORT", "managerial", "management"),
    ("GOVERNANCE", "managerial", "management"),
    ("MEETING", "managerial", "management"),
    ("ADMIN", "managerial", "management"),
    ("ESTATES-IT", "managerial", "management"),
    ("EDUCATION", "professional", "SPA"),
    ("OWN-CPD", "professional", "SPA"),
    ("RESEARCH", "professional", "SPA"),
    ("EXTERNAL", "professional", "ED"),
    ("TRANSIT", "personal", None),
    ("BREAK", "personal", None),
    ("OTHER", "other", None),
]


def test_default_template_is_loadable_by_name_and_matches_the_specification() -> None:
    assert "ahp-clinician-manager" in builtin_template_names()
    t = builtin_template("ahp-clinician-manager")
    assert t.key == "ahp-clinician-manager@1"
    assert [(c.code, c.domain, c.job_plan) for c in t.categories] == EXPECTED
    dims = {d.key: d for d in t.dimensions}
    assert dims["with_whom"].multi and len(dims["with_whom"].options) == 9
    assert dims["how"].multi and "clinical system (EHR/RIS)" in dims["how"].options
    assert not dims["where"].multi and len(dims["where"].options) == 7
    assert dims["initiated_by"].options == ("planned", "self", "interruption", "demand event")
    assert dims["mintzberg_role"].domains == ("managerial",)
    assert len(dims["mintzberg_role"].options) == 10
    events = {p.key: p.subtypes for p in t.point_events}
    assert events["interruption"] == ("person in person", "phone", "bleep/pager", "message", "self")
    assert "staff absence" in events["demand"]
    assert t.domain_of("LIST-MANAGE") == "managerial"
    assert t.domain_of("not a category") == "other"
    assert t.default_session_hours == 3.75


def test_template_round_trips_through_yaml_and_json(tmp_path: Path) -> None:
    t = builtin_template()
    for name in ("t.yaml", "t.json"):
        write_template(t, tmp_path / name)
        assert read_template(tmp_path / name) == t


def test_user_template_errors_are_all_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: mine\n"
        "categories:\n"
        "  - {code: A, domain: clinical}\n"
        "  - {code: A, domain: clinicle}\n"
        "  - {code: B, job_plan: lunch}\n"
        "dimensions:\n"
        "  - {key: where, options: []}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as exc:
        read_template(bad)
    text = str(exc.value)
    assert "version" in text
    assert "appears twice" in text
    assert "clinicle" in text
    assert "lunch" in text
    assert "options" in text
    assert all(p.source == str(bad) for p in exc.value.problems)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\ncategories: [\n  - oops: [\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="line"):
        read_template(bad)


def test_merging_adds_options_and_categories() -> None:
    a = Template.from_dict(
        {
            "name": "w",
            "version": "1",
            "categories": [{"code": "A"}],
            "dimensions": [{"key": "where", "options": ["x"]}],
        }
    )
    b = Template.from_dict(
        {
            "name": "w",
            "version": "1",
            "categories": [{"code": "B"}],
            "dimensions": [{"key": "where", "options": ["y", "x"]}],
        }
    )
    m = a.merged_with(b)
    assert [c.code for c in m.categories] == ["A", "B"]
    assert m.dimension("where").options == ("x", "y")
