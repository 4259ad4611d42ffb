"""The study summary: sessions, tasks, observed hours and interruptions by site, participant
and observer. Observed time is the sum of session lengths (an incomplete session counts up to
the last instant recorded in it); interruptions are interruption events as counted by the
metric `interruptions_per_hour` (one interrupting task at one instant is one event however many
tasks it suspends; interruption point events count one each), and suspensions the suspended
tasks (rates and every other measure come from the metric registry: `workweave metrics`).

Co-observed sessions (`workweave.analysis.coobservation`) are counted once by default
(``observers="primary"``: one record per co-observation group, as the metrics count them);
``observers="all"`` counts every record. Either way the totals say how many hours are distinct
observation and how many more were recorded by second observers of the same time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from workweave.analysis import coobservation, duck

GROUPS = ("site", "participant", "observer")

_SQL = """
WITH s AS (
    SELECT session_id, site, participant, coalesce(observer, '(self)') AS observer,
           (known_end_ms - start_ms) / 3600000.0 AS hours, complete
    FROM sessions
),
t AS (SELECT session_id, count(*) AS n FROM tasks GROUP BY session_id),
x AS (
    SELECT t.session_id, x.by_key, x.start_ms FROM suspensions x JOIN tasks t USING (task_id)
),
i AS (
    SELECT session_id, count(*) AS n FROM (
        SELECT DISTINCT session_id, by_key, start_ms FROM x WHERE by_key IS NOT NULL
        UNION ALL
        SELECT session_id, NULL, NULL FROM x WHERE by_key IS NULL
        UNION ALL
        SELECT session_id, NULL, NULL FROM point_events WHERE kind = 'interruption'
    ) GROUP BY session_id
),
xs AS (SELECT session_id, count(*) AS n FROM x GROUP BY session_id)
SELECT {key} AS "group",
       count(*) AS sessions,
       sum(CASE WHEN s.complete THEN 0 ELSE 1 END) AS incomplete_sessions,
       coalesce(sum(t.n), 0) AS tasks,
       sum(s.hours) AS observed_hours,
       coalesce(sum(i.n), 0) AS interruptions,
       coalesce(sum(xs.n), 0) AS suspensions
FROM s LEFT JOIN t USING (session_id) LEFT JOIN i USING (session_id)
LEFT JOIN xs USING (session_id)
GROUP BY ALL ORDER BY 1
"""


def summarise(frames: Mapping[str, Any], *, observers: str | None = None) -> dict[str, Any]:
    """Totals and per-group rows from the canonical tables (sessions, tasks, suspensions,
    point_events), counting co-observed sessions as ``observers`` says ('primary' or 'all')."""
    observers = coobservation.check_observers(observers)
    sessions = coobservation.to_pandas(frames["sessions"])
    groups = coobservation.groups(sessions)
    hours = (
        sessions["known_end_ms"].astype("float64") - sessions["start_ms"].astype("float64")
    ).clip(lower=0).to_numpy() / 3_600_000.0
    counted = groups["counted"].to_numpy(dtype=bool)
    in_group = groups["group_size"].to_numpy() > 1
    con = duck.connect()
    for name in ("tasks", "suspensions", "point_events"):
        con.register(name, frames[name])
    con.register(
        "sessions", sessions[counted].reset_index(drop=True) if observers == "primary" else sessions
    )
    out: dict[str, Any] = {"observers": observers}
    total = con.execute(_SQL.format(key="'all'")).df()
    out["total"] = _rows(total)[0] if len(total) else _rows(_empty())[0]
    out["total"].update(
        {
            "distinct_observed_hours": round(float(hours[counted].sum()), 4),
            "co_observed_hours": round(float(hours[~counted].sum()), 4),
            "observed_hours_all": round(float(hours.sum()), 4),
            "sessions_all": len(sessions),
            "co_observation_groups": int(groups.loc[in_group, "group_id"].nunique()),
            "co_observed_sessions": int(in_group.sum()),
        }
    )
    for g in GROUPS:
        out[f"by_{g}"] = _rows(con.execute(_SQL.format(key=f"s.{g}")).df())
    con.close()
    return out


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for r in df.fillna(0).to_dict("records"):
        hours = float(r["observed_hours"])
        rows.append(
            {
                "group": r["group"],
                "sessions": int(r["sessions"]),
                "incomplete_sessions": int(r["incomplete_sessions"]),
                "tasks": int(r["tasks"]),
                "observed_hours": round(hours, 4),
                "interruptions": int(r["interruptions"]),
                "suspensions": int(r["suspensions"]),
            }
        )
    return rows


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "group": "all",
                "sessions": 0,
                "incomplete_sessions": 0,
                "tasks": 0,
                "observed_hours": 0.0,
                "interruptions": 0,
                "suspensions": 0,
            }
        ]
    )
