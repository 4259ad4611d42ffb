"""The time budget: per category, its bouts, their total, mean and SD duration, and the share
of observed time (the table BORIS users know as the "time budget").

Two ways to count overlapping tasks of one category are offered, because they answer
different questions:

``sum``    every task is one bout lasting its active time; two tasks of the category running
           at once both count in full (the basis of ``share_observed``, so the percentages
           equal it and can add up past 100 %).
``union``  a bout is a maximal stretch of time during which at least one task of the
           category is active (tasks of the category that overlap or follow each other
           without a gap merge into one bout); each instant counts once per category.

Both read the blocks of `workweave.analysis.metrics.blocks`: ``T`` (tasks with their active
time) and ``CB`` (the union bouts of each category per session).
"""

from __future__ import annotations

from typing import Literal

from workweave.analysis.metrics.blocks import ACTIVE_MS

OVERLAP: tuple[str, ...] = ("sum", "union")
Overlap = Literal["sum", "union"]

COLUMNS: tuple[str, ...] = (
    "category",
    "bouts",
    "total_min",
    "mean_min",
    "sd_min",
    "pct_observed",
    "n_participants",
    "n_sessions",
    "observed_hours",
)
"""The columns of a time budget after the grouping keys."""

DESCRIPTION: dict[str, str] = {
    "bouts": "number of bouts (sum: tasks; union: maximal stretches with a task of the "
    "category active)",
    "total_min": "Σ bout durations, minutes",
    "mean_min": "mean bout duration, minutes",
    "sd_min": "sample standard deviation of bout durations (n − 1), minutes; undefined for "
    "fewer than two bouts",
    "pct_observed": "total ÷ observed time O of the group × 100",
}

ITEMS: dict[str, str] = {
    "sum": "SELECT session_id, cat, active_ms AS len FROM T",
    "union": "SELECT session_id, cat, len FROM CB",
}
LIGHT_SUM = (
    f"SELECT t.session_id, t.cat, {ACTIVE_MS} AS len "
    "FROM T0 t LEFT JOIN XU x ON x.task_id = t.task_id"
)
"""The ``sum`` bouts read straight from the blocks ``T`` is made of (the same active time,
`workweave.analysis.metrics.blocks.ACTIVE_MS`), when ``T`` itself is not built."""
"""The bouts of each way of counting, per session and category number (run by the engine;
the result is ``BI``; ``CNB`` gives the categories' names)."""


def aggregate_sql() -> str:
    """Over the bouts ``BI`` (`ITEMS`), per group (``SG``) and category number found in
    scope: bouts, total, mean and SD (ms). The engine lays these on the grid of every group ×
    every category found (`GROUPS_SQL` gives each group's observed time and counts);
    categories without bouts in a group give 0 bouts."""
    return (
        "SELECT SG.gid, i.cat, count(*) AS bouts, sum(i.len) AS total, avg(i.len) AS mean, "
        "stddev_samp(i.len) AS sd FROM BI i JOIN SG USING (session_id) GROUP BY ALL"
    )


GROUPS_SQL = (
    "SELECT SG.gid, count(DISTINCT S.participant) AS np, count(*) AS ns, "
    "sum(SG.obs_ms) AS obs FROM SG JOIN S USING (session_id) GROUP BY ALL ORDER BY SG.gid"
)
"""Per group: participants, sessions and observed time O (ms)."""


__all__ = ["COLUMNS", "DESCRIPTION", "GROUPS_SQL", "OVERLAP", "Overlap", "aggregate_sql"]
