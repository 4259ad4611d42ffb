"""A year in the life of a service: the followed registry metrics by period for each site,
as trend charts with the site's events drawn on them, the list of events, and the change in
each metric after each event (`workweave.analysis.trends`). A site-period resting on fewer
participants than the small-number rule allows is not drawn."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from workweave.analysis.trends import TREND_METRICS
from workweave.report import charts
from workweave.report.document import Cell, Figure, Note, Para, Table
from workweave.report.estimates import axis_label, display_scale, fmt, fmt_ci
from workweave.report.study.context import StudyContext
from workweave.report.study.findings import LABELS

PERIOD_WORDS = {"month": "month", "quarter": "quarter", "week": "week"}


def section(ctx: StudyContext) -> None:
    period = ctx.options.period
    s = ctx.doc.section("trends", "A year in the life of each service", new_page=False)
    df = ctx.trends()
    events = ctx.events()
    s.add(
        Para(
            f"The followed measures by {PERIOD_WORDS[period]} and site, with their 95 % "
            "confidence intervals (band), so change in the work can be read next to change "
            "in the organisation: the site events recorded for the study are dashed lines, "
            "numbered as in the list below. A site and "
            f"{PERIOD_WORDS[period]} with fewer than {ctx.suppress_below} participants is not "
            "drawn."
        )
    )
    numbered = [(e.site, e.day, str(i)) for i, e in enumerate(events, start=1)]
    if events:
        s.add(
            Table(
                "table-events",
                "Site events",
                ["", "Date", "Site", "Kind", "What happened"],
                [
                    [str(i), Cell(f"{e.day:%d %b %Y}"), e.site, e.kind, e.label]
                    for i, e in enumerate(events, start=1)
                ],
                first_column_wide=False,
            )
        )
    else:
        s.add(
            Note(
                "no site events are recorded for this study (add them with 'workweave event "
                "add' or on the web's Site events page).",
                "info",
            )
        )
    if not len(df):
        s.add(Note("no observed sessions to follow over time.", "missing"))
        return
    hidden = 0
    for metric, key in TREND_METRICS:
        sel = df["metric"] == metric
        sel &= df["key"].isna() if key is None else df["key"] == key
        part = df[sel]
        if not len(part) or part["estimate"].isna().all():
            continue
        unit = str(part["unit"].iloc[0])
        panels: dict[str, Sequence[charts.TrendPoint]] = {}
        for site, rows in part.groupby("site", sort=True):
            pts = []
            for r in rows.sort_values("period_start").itertuples(index=False):
                if int(r.n_participants) < ctx.suppress_below:
                    hidden += int(r.n_participants) > 0
                    continue
                pts.append(
                    charts.TrendPoint(
                        r.period_start, _num(r.estimate), _num(r.ci_low), _num(r.ci_high)
                    )
                )
            if pts:
                panels[str(site)] = pts
        if not panels:
            continue
        scale, _ = display_scale(unit)
        label = LABELS.get((metric, key), metric)
        title = f"{label[0].upper()}{label[1:]} by {PERIOD_WORDS[period]} and site"
        img = charts.trend_chart(panels, numbered, ylabel=axis_label(unit), scale=scale)
        alt = f"Trend chart of {label}: " + "; ".join(
            f"{site}: " + ", ".join(f"{p.start:%b %Y} {fmt(p.estimate, unit)}" for p in pts)
            for site, pts in panels.items()
        )
        s.add(
            Figure(
                f"fig-trend-{metric}",
                title,
                img,
                alt,
                f"Line: {metric}{f'[{key}]' if key else ''} by {PERIOD_WORDS[period]} (at the "
                "period's start); band: 95 % confidence interval; dashed lines: site events.",
            )
        )
    if hidden:
        s.add(
            Note(
                f"{hidden} site-{PERIOD_WORDS[period]}(s) with fewer than {ctx.suppress_below} "
                "participants are not drawn (small-number rule).",
                "suppressed",
            )
        )
    _effects(ctx, s.add)


def _effects(ctx: StudyContext, add: object) -> None:
    eff = ctx.event_effects()
    if not len(eff):
        return
    rows: list[list[Cell | str]] = []
    for r in eff.itertuples(index=False):
        if min(r.n_participants_before, r.n_participants_after) < ctx.suppress_below:
            continue
        rows.append(
            [
                f"{r.site}, {r.date:%d %b %Y}",
                LABELS.get((r.metric, None if r.key != r.key else r.key), r.metric),
                Cell(fmt(r.before, r.unit)),
                Cell(fmt(r.after, r.unit)),
                Cell(fmt(r.difference, r.unit), fmt_ci(r.ci_low, r.ci_high, r.unit)),
            ]
        )
    if rows:
        add(  # type: ignore[operator]
            Table(
                "table-event-effects",
                "Change after each site event: the site's whole periods after it against those "
                "before it (paired cluster bootstrap over the participants)",
                ["Event", "Measure", "Before", "After", "Difference (95 % CI)"],
                rows,
            )
        )


def _num(x: object) -> float | None:
    v = pd.to_numeric(x, errors="coerce")
    return None if pd.isna(v) else float(v)


__all__ = ["section"]
