"""The fold over a capture action log (``workweave.domain.capture``), on hand-written logs:
parallel tasks, an interruption and its resume, undo, and corrections kept as edits. The
shared cases that the browser's fold also runs are in ``fold_cases/``."""

from __future__ import annotations

from typing import Any

from workweave.domain.capture import Action, Header, project

T0 = 1_795_000_000_000  # 2026-11-18, ms
HEADER = Header(
    key="capture:s",
    uuid="s",
    participant="P1",
    site="RAD",
    mode="shadowing",
    observer="OBS-1",
    timezone="Europe/London",
    template="ahp-clinician-manager@1",
)


def act(seq: int, type_: str, t: float, **payload: Any) -> Action:
    return Action(f"a{seq:07d}", "s", seq, type_, int(T0 + t * 1000), payload)


def test_projection_of_parallel_interrupt_resume_and_end() -> None:
    log = [
        act(0, "session_start", 0, participant="P1"),
        act(1, "task_start", 10, task="A", category="CLIN-DIRECT", ends=[], suspends=[]),
        act(2, "task_start", 40, task="B", category="ADMIN", ends=[], suspends=[]),
        act(3, "task_start", 60, task="C", category="STAFF-ROTA", ends=[], suspends=["B"]),
        act(4, "resume", 90, task="B", ends=["C"]),
        act(5, "dims", 95, task="A", dimension="with_whom", values=["patient", "carer/relative"]),
        act(6, "event", 100, kind="demand", subtype="add-on", key="E1"),
        act(7, "note", 110, text=" list re-planned ", key="N1"),
        act(8, "task_start", 120, task="D", category="LIST-MANAGE", ends=["A", "B"], suspends=[]),
        act(9, "session_end", 150),
    ]
    s = project(HEADER, list(reversed(log))).session  # order of arrival does not matter
    tasks = {t.key: t for t in s.tasks}
    assert [t.key for t in s.tasks] == ["A", "B", "C", "D"]
    assert s.complete and (s.end - s.start).total_seconds() == 150
    a, b, c, d = tasks["A"], tasks["B"], tasks["C"], tasks["D"]
    assert (a.elapsed_seconds, a.ended_by) == (110, "D")
    assert dict(a.dimensions) == {"with_whom": ("carer/relative", "patient")}  # a set
    assert {p.other for p in a.parallel} == {"B", "C"}
    assert [(x.by, (x.end - x.start).total_seconds()) for x in b.suspensions] == [("C", 30)]
    assert b.active_seconds == 80 - 30
    assert (c.elapsed_seconds, c.ended_by) == (30, "B")
    assert {p.other for p in c.parallel} == {"A"}
    link = next(p for p in b.parallel if p.other == "A")
    assert (link.start - s.start).total_seconds() == 40
    assert (link.end - s.start).total_seconds() == 120
    assert (d.end - d.start).total_seconds() == 30 and d.ended_by == "session"
    assert [(e.kind, e.subtype, e.key) for e in s.events] == [("demand", "add-on", "E1")]
    assert [(n.text, n.key) for n in s.notes] == [("list re-planned", "N1")]


def test_undo_and_corrections_are_kept_as_edits() -> None:
    log = [
        act(0, "session_start", 0),
        act(1, "task_start", 10, task="A", category="CLIN-DIRECT", ends=[], suspends=[]),
        act(2, "task_start", 20, task="B", category="ADMIN", ends=["A"], suspends=[]),
        act(3, "undo", 21, target="a0000002"),
        act(4, "task_end", 30, task="A"),
        act(5, "dims", 40, task="A", dimension="where", values=["office"]),
        act(6, "edit", 50, target="A", field="category", value="CLIN-INDIRECT"),
        act(7, "edit", 51, target="A", field="end", value=T0 + 5_000),  # before its start
    ]
    p = project(HEADER, log)
    (a,) = p.session.tasks
    assert (a.category, a.elapsed_seconds, dict(a.dimensions)) == (
        "CLIN-INDIRECT",
        20,
        {"where": ("office",)},
    )
    assert not p.session.complete
    edits = {e.field: e for e in p.edits}
    assert edits["undo"].old.startswith("task_start") and edits["undo"].applied
    assert (edits["dims:where"].old, edits["dims:where"].new) == ("[]", '["office"]')
    assert (edits["category"].old, edits["category"].new) == ("CLIN-DIRECT", "CLIN-INDIRECT")
    assert not edits["end"].applied  # refused: it would end the task before it started
