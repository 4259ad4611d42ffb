"""The summary page: the study at a glance, and who was observed where (small-number rule
applied to the lists, never to the totals)."""

from __future__ import annotations

import pandas as pd

from workweave.report.common import MODES_STATEMENT, day_counts, days_phrase, local_dates
from workweave.report.document import Cell, KeyFigures, Note, Para, Table
from workweave.report.study.context import StudyContext


def section(ctx: StudyContext) -> None:
    s = ctx.doc.section("summary", "Summary", new_page=False)
    info = ctx.store.studies.get(ctx.study_id)
    tot = ctx.summary["total"]
    sessions = ctx.observed_frame
    dates = local_dates(sessions)
    span = "—"
    if dates:
        span = (
            f"{dates[0]:%d %b %Y}"
            if dates[0] == dates[1]
            else f"{dates[0]:%d %b %Y} to {dates[1]:%d %b %Y}"
        )
    n_sites = int(sessions["site"].nunique()) if len(sessions) else 0
    if info.description:
        s.add(Para(info.description))
    if info.synthetic:
        s.add(
            Note(
                "This is a SYNTHETIC study made by workweave's simulator: the people, sites and "
                "records are invented, with rates planted on purpose. Use it to learn the "
                "method and the report, never as evidence.",
                "warning",
            )
        )
    s.add(Para(MODES_STATEMENT))
    if ctx.summary.get("excluded_withdrawn"):
        n = int(ctx.summary["excluded_withdrawn"])
        s.add(Note(f"{n} participant(s) excluded after withdrawing consent.", "info"))
    seen = ctx.observed_sessions()
    n_observed, n_self = day_counts(ctx.sessions())
    s.add(
        KeyFigures(
            [
                ("participants observed", f"{ctx.n_participants}"),
                ("sites", f"{n_sites}"),
                ("sessions observed", f"{len(seen):,}"),
                ("observed hours", f"{sessions_hours(sessions):,.1f}"),
                ("tasks recorded", f"{sum(len(x.tasks) for x in seen):,}"),
                ("dates", span),
                ("days observed", f"{n_observed:,}"),
                ("days self-reported", f"{n_self:,}"),
            ]
        )
    )
    if tot.get("co_observation_groups"):
        counted = (
            "Every record is counted in the figures below (observers: all)."
            if ctx.summary.get("observers") == "all"
            else "Rates and shares count one record per group: the primary observer's, else "
            "the earliest stored (observers: primary)."
        )
        s.add(
            Para(
                f"Observed: {tot['distinct_observed_hours']:,.1f} h distinct; "
                f"{tot['co_observed_hours']:,.1f} h more by second observers. "
                f"{tot['co_observed_sessions']} sessions form {tot['co_observation_groups']} "
                "co-observation groups (the same participant shadowed by several observers at "
                f"once, for inter-observer reliability). {counted}"
            )
        )
    if n_self:
        s.add(
            Para(
                f"{days_phrase(n_observed, n_self)}: the self-reported days are described in "
                "their own section and are not in the figures or tables."
            )
        )
    if tot["incomplete_sessions"]:
        s.add(
            Para(
                f"{tot['incomplete_sessions']} session(s) stopped before their end was recorded; "
                "they count up to the last instant recorded in them."
            )
        )
    site_names = {}
    site_frame = ctx.store.analytic.frame("sites", ctx.study_id)
    for r in site_frame.itertuples(index=False):
        site_names[str(r.site)] = str(r.name or "")
    for key, title in (("site", "Sites"), ("profession", "Professions")):
        rows, hidden = _count_rows(sessions, key, ctx.suppress_below)
        if not rows:
            if hidden:
                s.add(
                    Note(
                        f"{title}: every group has fewer than {ctx.suppress_below} participants, "
                        "so none is listed (small-number rule).",
                        "suppressed",
                    )
                )
            continue
        table_rows: list[list[Cell | str]] = []
        for g, n_p, n_s, hours in rows:
            label = g
            if key == "site" and site_names.get(g):
                label = f"{g} — {site_names[g]}"
            table_rows.append([label, Cell(f"{n_p}"), Cell(f"{n_s:,}"), Cell(f"{hours:,.1f}")])
        s.add(
            Table(
                f"summary-{key}",
                f"{title}: participants, sessions and observed hours",
                [key.capitalize(), "Participants", "Sessions", "Observed hours"],
                table_rows,
            )
        )
        if hidden:
            s.add(
                Note(
                    f"{len(hidden)} {key}(s) with fewer than {ctx.suppress_below} participants "
                    f"are not listed (small-number rule); they are included in the totals above.",
                    "suppressed",
                )
            )


def sessions_hours(sessions: pd.DataFrame) -> float:
    if not len(sessions):
        return 0.0
    return float((sessions["known_end_ms"] - sessions["start_ms"]).sum() / 3_600_000.0)


def _count_rows(
    sessions: pd.DataFrame, key: str, suppress_below: int
) -> tuple[list[tuple[str, int, int, float]], list[str]]:
    if not len(sessions):
        return [], []
    df = sessions.assign(
        hours=(sessions["known_end_ms"] - sessions["start_ms"]) / 3_600_000.0,
        g=sessions[key].fillna("(not recorded)").astype(str),
    )
    agg = df.groupby("g").agg(
        participants=("participant", "nunique"),
        sessions=("session_id", "count"),
        hours=("hours", "sum"),
    )
    rows, hidden = [], []
    for g, r in agg.iterrows():
        if r["participants"] < suppress_below:
            hidden.append(str(g))
            continue
        rows.append((str(g), int(r["participants"]), int(r["sessions"]), float(r["hours"])))
    return rows, hidden


__all__ = ["section"]
