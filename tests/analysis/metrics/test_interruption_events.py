"""Interruption events, undefined domain measures, uncoded tasks and the time budget, on
sessions drawn by hand.

Session e:1 (one hour, 10:00-11:00). Tasks A and B run in parallel; task X interrupts both at
10:10 (one interruption, two suspensions) until 10:15, and again A alone at 10:40 until 10:45
(a second interruption). Task C is suspended at 10:20 by no recorded task (a third), and an
interruption point event is recorded at 10:50 (a fourth). So 4 interruption events, 4
suspensions, 2 task switches (events naming their interrupting task).
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from tests.factories import TEMPLATE, at, session, task
from workweave.analysis import metrics as M
from workweave.analysis.metrics.engine import NO_DOMAINS
from workweave.domain import Category, PointEvent, Template, ValidationError
from workweave.io.payscales import load_payscale

DAY = "2025-03-03"
PAY = load_payscale("england-2025-26")


def t(clock: str):
    return at(DAY, clock)


def events_session():
    return session(
        "e:1",
        "P1",
        t("10:00"),
        t("11:00"),
        [
            task(
                "A",
                "CLIN-DIRECT",
                t("10:00"),
                t("10:50"),
                seq=1,
                suspensions=[(t("10:10"), t("10:15"), "X"), (t("10:40"), t("10:45"), "X2")],
            ),
            task(
                "B",
                "ADMIN",
                t("10:05"),
                t("10:30"),
                seq=2,
                suspensions=[(t("10:10"), t("10:15"), "X")],
            ),
            task("X", "ADMIN", t("10:10"), t("10:15"), seq=3),
            task(
                "C",
                "CLIN-INDIRECT",
                t("10:15"),
                t("10:35"),
                seq=4,
                suspensions=[(t("10:20"), t("10:22"), None)],
            ),
            task("X2", "ADMIN", t("10:40"), t("10:45"), seq=5),
        ],
        events=[PointEvent("interruption", t("10:50"))],
    )


def compute(sessions, templates=(TEMPLATE,), **kw) -> pd.DataFrame:
    return M.compute(
        M.from_sessions(sessions, templates=templates),
        payscale=PAY,
        default_template=TEMPLATE,
        B=0,
        **kw,
    )


def value(df: pd.DataFrame, metric: str, key: str | None = None) -> float:
    rows = df[df["metric"] == metric]
    rows = rows[rows["key"].isna()] if key is None else rows[rows["key"] == key]
    assert len(rows) == 1, (metric, key)
    return float(rows["estimate"].iloc[0])


def test_one_interrupting_task_at_one_instant_is_one_event():
    s = events_session()
    events = s.interruption_events()
    assert [(e.by, e.suspended) for e in events] == [
        ("X", ("A", "B")),
        (None, ("C",)),
        ("X2", ("A",)),
        (None, ()),
    ]
    assert s.interruption_count() == 4
    assert s.suspension_count() == 4


def test_the_registry_counts_events_and_keeps_suspensions_apart():
    df = compute([events_session()])
    assert value(df, "interruptions_per_hour") == pytest.approx(4.0)
    assert value(df, "suspensions_per_hour") == pytest.approx(4.0)
    assert value(df, "task_switches_per_hour") == pytest.approx(2.0)
    # the same interrupting task at another instant is another event
    s = events_session()
    moved = dataclasses.replace(
        s,
        tasks=tuple(
            dataclasses.replace(
                x, suspensions=(dataclasses.replace(x.suspensions[0], start=t("10:11")),)
            )
            if x.key == "B"
            else x
            for x in s.tasks
        ),
    )
    assert moved.interruption_count() == 5
    df = compute([moved])
    assert value(df, "interruptions_per_hour") == pytest.approx(5.0)
    assert value(df, "task_switches_per_hour") == pytest.approx(3.0)


def test_the_definitions_say_what_is_counted():
    d = M.REGISTRY["interruptions_per_hour"].definition
    assert "one event however many" in d and "same instant" in d
    assert "each task an interruption suspends" in M.REGISTRY["suspensions_per_hour"].definition


NO_DOMAIN_TEMPLATE = Template(
    name="plain",
    version="1",
    title="Plain template without domains",
    categories=tuple(Category(code=c, label=c) for c in ("CLIN-DIRECT", "CLIN-INDIRECT", "ADMIN")),
)


def test_domain_measures_are_undefined_without_a_domain_mapping():
    s = dataclasses.replace(events_session(), template=NO_DOMAIN_TEMPLATE.key)
    df = compute([s], templates=(NO_DOMAIN_TEMPLATE,))
    domain_rows = df[df["metric"].map(lambda m: M.REGISTRY[m].needs_domains)]
    assert len(domain_rows) and domain_rows["estimate"].isna().all()
    assert domain_rows["flag"].str.contains(f"undefined: {NO_DOMAINS}", regex=False).all()
    assert {"mixed_domain_pct", "management_hours_per_fte_year"} <= set(domain_rows["metric"])
    # the established measures are untouched
    assert value(df, "interruptions_per_hour") == pytest.approx(4.0)
    assert not df[df["metric"] == "tasks_per_hour"]["flag"].str.contains("undefined").any()
    # with a mapping (here by override) they are defined again
    df = compute(
        [s],
        templates=(NO_DOMAIN_TEMPLATE,),
        domains={"ADMIN": "managerial", "CLIN-DIRECT": "clinical"},
    )
    assert value(df, "domain_share_observed", "managerial") > 0
    assert value(df, "mixed_domain_pct") > 0


def test_undefined_is_per_group():
    plain = dataclasses.replace(
        events_session(), key="e:2", template=NO_DOMAIN_TEMPLATE.key, site="S2"
    )
    df = compute([events_session(), plain], templates=(TEMPLATE, NO_DOMAIN_TEMPLATE), by="site")
    mixed = df[df["metric"] == "mixed_domain_pct"].set_index("site")
    assert mixed.loc["S1", "estimate"] > 0
    assert mixed.loc["S1", "flag"] == "fewer than 5 participants"
    assert math.isnan(mixed.loc["S2", "estimate"])
    assert NO_DOMAINS in mixed.loc["S2", "flag"]


def test_uncoded_tasks_have_a_named_key():
    s = events_session()
    s = dataclasses.replace(
        s, tasks=tuple(dataclasses.replace(x, category="") if x.key == "C" else x for x in s.tasks)
    )
    df = compute([s], metrics=["share_observed"])
    assert "" not in set(df["key"])
    assert value(df, "share_observed", "(uncoded)") == pytest.approx(18 / 60)


# -- the time budget: the worked example of docs/metrics.md ----------------------------------


def budget_session():
    return session(
        "b:1",
        "P1",
        t("10:00"),
        t("11:00"),
        [
            task("1", "CLIN-DIRECT", t("10:00"), t("10:20"), seq=1),
            task("2", "CLIN-DIRECT", t("10:10"), t("10:30"), seq=2),
            task("3", "CLIN-DIRECT", t("10:40"), t("10:45"), seq=3),
            task(
                "4",
                "ADMIN",
                t("10:30"),
                t("10:40"),
                seq=4,
                suspensions=[(t("10:32"), t("10:34"), None)],
            ),
        ],
    )


def budget(overlap: str, sessions=None, **kw) -> pd.DataFrame:
    engine = M.prepare(
        M.from_sessions(sessions or [budget_session()], templates=(TEMPLATE,)),
        payscale=PAY,
        default_template=TEMPLATE,
    )
    try:
        return engine.time_budget(overlap=overlap, **kw).set_index("category")
    finally:
        engine.close()


def test_time_budget_sum_counts_overlapping_tasks_in_full():
    b = budget("sum")
    c = b.loc["CLIN-DIRECT"]
    assert c["bouts"] == 3
    assert c["total_min"] == pytest.approx(45)
    assert c["mean_min"] == pytest.approx(15)
    assert c["sd_min"] == pytest.approx(8.660254, rel=1e-6)
    assert c["pct_observed"] == pytest.approx(75)
    a = b.loc["ADMIN"]
    assert (a["bouts"], a["total_min"]) == (1, pytest.approx(8))
    assert math.isnan(a["sd_min"])
    assert (c["n_participants"], c["n_sessions"], c["observed_hours"]) == (1, 1, 1.0)
    # the sum basis is share_observed
    df = compute([budget_session()], metrics=["share_observed"])
    assert c["pct_observed"] == pytest.approx(100 * value(df, "share_observed", "CLIN-DIRECT"))


def test_time_budget_union_merges_overlapping_tasks():
    b = budget("union")
    c = b.loc["CLIN-DIRECT"]
    assert c["bouts"] == 2
    assert c["total_min"] == pytest.approx(35)
    assert c["mean_min"] == pytest.approx(17.5)
    assert c["sd_min"] == pytest.approx(17.67767, rel=1e-6)
    assert c["pct_observed"] == pytest.approx(100 * 35 / 60)
    # a suspension splits a task's union bout in two
    a = b.loc["ADMIN"]
    assert (a["bouts"], a["total_min"]) == (2, pytest.approx(8))


def test_time_budget_groups_and_refuses_unknown_overlap():
    other = dataclasses.replace(budget_session(), key="b:2", site="S2")
    b = budget("sum", [budget_session(), other], by="site").reset_index()
    assert set(b["site"]) == {"S1", "S2"} and len(b) == 4
    with pytest.raises(ValidationError, match="overlap"):
        budget("both")
