"""The study drawn on paper that the metric tests work out by hand (see ``test_fixtures``):
participants P1 (with a job plan) and P2, and three sessions."""

from __future__ import annotations

from datetime import datetime

from tests.factories import at, plan, session, task
from workweave.domain import Participant, PointEvent, Session

# -- the study drawn on paper --------------------------------------------------------------------
# P1 works Monday 09:00-12:00 DCC, 12:00-13:00 management, 13:00-14:00 SPA, and Saturday
# 00:00-01:00 management. Band 7, pay point 3 (£54,710 in England 2025/26).
P1 = Participant(
    "P1",
    "S1",
    "physiotherapist",
    band="7",
    pay_point=3,
    job_plan=plan(
        (0, "09:00", "12:00", "DCC"),
        (0, "12:00", "13:00", "management"),
        (0, "13:00", "14:00", "SPA"),
        (5, "00:00", "01:00", "management"),
    ),
)
# P2 has no job plan and no band.
P2 = Participant("P2", "S1", "radiographer")

MON = "2025-01-06"  # a Monday in winter: London time is UTC


def paper_session_1() -> Session:
    """Monday 08:30-13:30 (300 minutes), thirteen tasks; see test_metrics_fixtures."""

    def m(clock: str) -> datetime:
        return at(MON, clock)

    tasks = [
        task(
            "t1",
            "CLIN-DIRECT",
            m("08:30"),
            m("09:30"),
            seq=1,
            suspensions=[(m("09:00"), m("09:10"), "t2")],
            dims={"with_whom": ["patient"], "where": ["clinical area"], "how": ["face to face"]},
        ),
        task("t2", "LIST-MANAGE", m("09:00"), m("09:10"), seq=2),
        task(
            "t3",
            "CLIN-INDIRECT",
            m("09:30"),
            m("10:00"),
            seq=3,
            dims={"with_whom": ["alone"], "where": ["office"]},
        ),
        task(
            "t4",
            "ADMIN",
            m("09:50"),
            m("10:20"),
            seq=4,
            dims={"how": ["email/messaging"], "where": ["office"]},
        ),
        task("t5", "BREAK", m("10:30"), m("10:45"), seq=5),
        task(
            "t6",
            "CLIN-DIRECT",
            m("10:45"),
            m("11:55"),
            seq=6,
            suspensions=[(m("11:00"), m("11:05"), None), (m("11:30"), m("11:35"), None)],
            dims={"with_whom": ["patient", "carer/relative"]},
        ),
        task("t7", "STAFF-ROTA", m("11:55"), m("12:20"), seq=7),
        task(
            "t8",
            "MEETING",
            m("12:20"),
            m("13:30"),
            seq=8,
            suspensions=[(m("13:00"), None, "t9")],
        ),
        task("t9", "CLIN-ADVICE", m("13:00"), m("13:20"), seq=9),
        task("t10", "ADMIN", m("10:25"), m("10:26"), seq=10),
        task("t11", "BUDGET", m("13:20"), m("13:25"), seq=11),
        task("t12", "ADMIN", m("08:32"), m("08:37"), seq=12),
        task("t13", "SUPERVISE", m("13:25"), m("13:30"), seq=13),
    ]
    events = [
        PointEvent("interruption", m("10:35"), "phone"),
        PointEvent("demand", m("10:22"), "add-on"),
        PointEvent("demand", m("11:50"), "list cancellation"),
        PointEvent("demand", m("13:25"), "emergency"),
    ]
    return session("paper:1", "P1", m("08:30"), m("13:30"), tasks, events=events, source_id="1")


def paper_session_2() -> Session:
    """Friday 31 January 23:30 to Saturday 00:30: a nested interruption across midnight and
    across the start of P1's Saturday 00:00-01:00 management session."""
    fri, sat = "2025-01-31", "2025-02-01"
    tasks = [
        task(
            "u1",
            "ADMIN",
            at(fri, "23:45"),
            at(sat, "00:15"),
            seq=1,
            suspensions=[(at(fri, "23:50"), at(sat, "00:05"), "u2")],
        ),
        task(
            "u2",
            "CLIN-ADVICE",
            at(fri, "23:50"),
            at(sat, "00:05"),
            seq=2,
            suspensions=[(at(fri, "23:55"), at(sat, "00:00"), "u3")],
        ),
        task("u3", "STAFF-ROTA", at(fri, "23:55"), at(sat, "00:00"), seq=3),
    ]
    return session("paper:2", "P1", at(fri, "23:30"), at(sat, "00:30"), tasks, source_id="2")


def paper_session_3() -> Session:
    """An empty hour: observed, nothing recorded (P2, no job plan)."""
    day = "2025-01-07"
    return session("paper:3", "P2", at(day, "09:00"), at(day, "10:00"), [], source_id="3")


def paper_sessions() -> list[Session]:
    return [paper_session_1(), paper_session_2(), paper_session_3()]


def paper_participants() -> list[Participant]:
    return [P1, P2]
