"""The study summary: sessions, tasks, observed hours and interruptions by site, participant
and observer. Observed time is the sum of session lengths (an incomplete session counts up to
the last instant recorded in it); interruptions are interruption events as counted by the
metric `interruptions_per_hour` (one interrupting task at one instant is one event however many
tasks it suspends; interruption point events count one each), and suspensions the suspended
tasks (rates and every other measure come from the metric registry: `workweave metrics`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

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


def summarise(frames: Mapping[str, Any]) -> dict[str, Any]:
    """Totals and per-group rows from the canonical tables (sessions, tasks, suspensions,
    point_events)."""
    con = duckdb.connect()
    for name in ("sessions", "tasks", "suspensions", "point_events"):
        con.register(name, frames[name])
    out: dict[str, Any] = {}
    total = con.execute(_SQL.format(key="'all'")).df()
    out["total"] = _rows(total)[0] if len(total) else _rows(_empty())[0]
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
