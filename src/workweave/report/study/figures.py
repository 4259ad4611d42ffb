"""The figure sections of the study report: a shadowed day, where the observed time goes, the
job plan against what happened, management leakage, interruptions and switching, clinical
stretches and management episodes, and the cost of the hidden management.

Each chart is drawn per chosen breakdown with the whole study as its first row, applying the
small-number rule (`ReportOptions.suppress_below`).
"""

from __future__ import annotations

from collections.abc import Sequence

from workweave.domain.study import Participant
from workweave.report import charts
from workweave.report.common import (
    OBSERVED_MODES,
    Item,
    colour_key,
    day_counts,
    day_figure,
    days_of,
    group_chart,
    illustrative_day,
    maps_domains,
)
from workweave.report.document import Cell, Figure, Note, Para, Section, Table, md
from workweave.report.estimates import BREAKDOWN_LABELS, fmt, key_label, value
from workweave.report.palette import DOMAIN_STYLES, series_style
from workweave.report.study.context import StudyContext


def day_section(ctx: StudyContext) -> None:
    s = ctx.doc.section("day", "A shadowed day")
    picked = illustrative_day(ctx.observed_sessions())
    if picked is None:
        s.add(Note("the study has no observed sessions to draw yet.", "missing"))
        return
    (code, day), sessions, dropped = picked
    people = {p.code: p for p in ctx.store.studies.participants(ctx.study_id)}
    person: Participant | None = people.get(code)
    key = colour_key(ctx.templates, ctx.sessions())
    plan = person.job_plan if person and person.job_plan.sessions else None
    who = (
        f"one {person.profession}" if person and person.profession != "other" else "one participant"
    )
    caption = (
        "The participant-day with the most observed time in the study, shown without the "
        "person's code, site or date. Each bar is a task; a task started while another was "
        "running goes in the next lane down (*parallel*). Dashed outlines are stretches when a "
        "task was paused by an interruption. ▼ marks an interruption, ◇ a demand event (a "
        "cancellation, add-on, emergency or staff absence). The shaded background is the time "
        "observed."
    )
    if plan:
        caption += (
            " The bottom band is the person's job plan for that weekday: what the day was "
            "planned to hold."
        )
    else:
        caption += " No job plan is recorded for this participant, so none is drawn."
    if dropped:
        caption += (
            f" The day was also shadowed by a second observer; only one observer's record is "
            f"drawn ({dropped} session(s) left out)."
        )
    if not key.by_domain:
        caption += (
            " The study's template maps no category to a work domain, so bars are coloured by "
            "the most frequent categories instead."
        )
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    title = f"A shadowed {weekday[day.weekday()]} of {who}"
    s.add(
        Para(
            "What a clinician-manager's day looks like as a record: clinical and managerial "
            "tasks interleave, run in parallel and are broken up by interruptions."
        )
    )
    s.add(
        day_figure(
            "fig-day",
            sessions,
            key,
            job_plan=plan,
            title=title,
            caption=caption,
            who=who,
        )
    )


def _charts(
    ctx: StudyContext,
    section: Section,
    fig_id: str,
    title: str,
    items: Sequence[Item],
    unit: str,
    caption: str,
    *,
    bars: bool = True,
) -> None:
    """One figure per chosen breakdown, each with the whole study as its first row."""
    overall = ctx.est.table(None)
    for i, b in enumerate(ctx.by):
        frames = [("study", overall), (b, ctx.est.table(b))]
        label = BREAKDOWN_LABELS.get(b, b)
        res = group_chart(
            f"{fig_id}-{b}",
            f"{title}, by {label}",
            frames,
            items,
            unit,
            suppress_below=ctx.suppress_below,
            caption=caption,
            bars=bars,
            what=f"{label}s",
        )
        printed = i == 0  # in print, the first breakdown's figures (screen: every one)
        if res.figure:
            res.figure.in_print = printed
            section.add(res.figure)
        for n in res.notes:
            n.in_print = printed
        section.add(*res.notes)
    if not ctx.by:
        res = group_chart(
            fig_id,
            title,
            [("study", overall)],
            items,
            unit,
            suppress_below=ctx.suppress_below,
            caption=caption,
            bars=bars,
        )
        if res.figure:
            section.add(res.figure)
        section.add(*res.notes)


def self_report_section(ctx: StudyContext) -> None:
    """Days participants logged themselves: counted and described here, never drawn or
    counted with the observed days (a participant's own log is not observation)."""
    mine = ctx.self_reported_sessions()
    if not mine:
        return
    s = ctx.doc.section("self-report", "Self-reported days", new_page=False)
    n_observed, n_self = day_counts(ctx.sessions())
    people = len({x.participant for x in mine})
    s.add(
        Para(
            f"Besides the {n_observed} observed participant-days, participants logged "
            f"{n_self} day(s) themselves ({len(mine)} session(s), by {people} "
            f"participant(s)). A participant's own log is not observation: it is "
            f"recorded differently (from memory, or as they went), so it is kept out of every "
            f"figure and table of this report, which use only observed sessions "
            f"({', '.join(OBSERVED_MODES)})."
        )
    )
    rows: list[list[Cell | str]] = []
    by_source: dict[str, list] = {}
    for x in mine:
        by_source.setdefault(x.source or "capture", []).append(x)
    for source, group in sorted(by_source.items()):
        rows.append(
            [
                SOURCE_LABELS.get(source, source),
                Cell(f"{len(days_of(group))}"),
                Cell(f"{len(group)}"),
                Cell(f"{sum(x.observed_seconds for x in group) / 3600:,.1f}"),
                Cell(f"{sum(len(x.tasks) for x in group):,}"),
            ]
        )
    s.add(
        Table(
            "table-self-report",
            "Self-reported days by how they were logged",
            ["Logged with", "Days", "Sessions", "Hours logged", "Tasks"],
            rows,
        )
    )


SOURCE_LABELS = {"diary": "end-of-day diary", "capture": "the capture app, as they went"}


def domain_section(ctx: StudyContext) -> None:
    s = ctx.doc.section("domains", "Where the observed time goes", new_page=False)
    if maps_domains(ctx.templates.values()):
        items = [
            Item("domain_share_observed", d, DOMAIN_STYLES[d])
            for d in ("clinical", "managerial", "professional", "personal")
        ]
        s.add(
            Para(
                "Share of observed time spent in clinical, managerial, professional (teaching, "
                "own development, research) and personal (breaks, transit) tasks."
            )
        )
        _charts(
            ctx,
            s,
            "fig-domains",
            "Share of observed time by domain",
            items,
            "proportion",
            "Bars: share of observed time (domain_share_observed); whiskers: 95 % confidence "
            "interval. Tasks that overlap each count in full, so shares can add up to more "
            "than 100 %.",
        )
        return
    s.add(
        Note(
            "the study's template maps no category to a work domain (clinical, managerial...), "
            "so this section shows the most frequent categories instead of domains.",
            "missing",
        )
    )
    overall = ctx.est.table(None)
    cats = overall[(overall["metric"] == "share_observed") & overall["estimate"].notna()]
    top = list(cats.sort_values("estimate", ascending=False)["key"].head(5))
    items = [Item("share_observed", c, series_style(i, str(c))) for i, c in enumerate(top)]
    if items:
        _charts(
            ctx,
            s,
            "fig-categories",
            "Share of observed time, five most frequent categories",
            items,
            "proportion",
            "Bars: share of observed time (share_observed); whiskers: 95 % confidence interval.",
        )


def _needs_plan(ctx: StudyContext, s: Section) -> bool:
    if ctx.has_job_plans:
        return True
    s.add(
        Note(
            "no participant in this study has a job plan recorded, so the planned sessions "
            "cannot be set against what happened. Import job plans ('workweave import jobplan') "
            "to fill this section.",
            "missing",
        )
    )
    return False


def _needs_domains(ctx: StudyContext, s: Section, what: str) -> bool:
    if maps_domains(ctx.templates.values()):
        return True
    s.add(
        Note(
            f"{what} need the template to sort categories into clinical and managerial work, "
            "and the study's template does not; they are left out here (the tables list them "
            "for completeness).",
            "missing",
        )
    )
    return False


def jobplan_section(ctx: StudyContext) -> None:
    s = ctx.doc.section("jobplan", "Job plan and what happened", new_page=False)
    s.add(
        Para(
            "A job plan divides the week into planned sessions: direct clinical care (DCC), "
            "management, supporting professional activities (SPA) and others. These figures "
            "set the plan against the observed record inside the same hours (see also the "
            "job-plan band under the shadowed day)."
        )
    )
    if not _needs_plan(ctx, s):
        return
    _charts(
        ctx,
        s,
        "fig-plan",
        "Management kept in its planned sessions, and clinical time given to management",
        [
            Item(
                "compartmentalisation",
                None,
                series_style(0, "managerial time inside planned management sessions"),
            ),
            Item(
                "clinical_displacement",
                None,
                series_style(1, "planned clinical time spent on management"),
            ),
        ],
        "proportion",
        "Compartmentalisation: share of managerial time that fell inside planned management "
        "sessions (100 % = the job plan holds). Clinical displacement: share of planned "
        "clinical time in which a managerial task was active. Whiskers: 95 % confidence "
        "interval.",
    )
    _charts(
        ctx,
        s,
        "fig-takeover",
        "Management done for each hour of management planned",
        [Item("takeover_ratio", None, series_style(2, "take-over ratio"))],
        "ratio",
        "Take-over ratio: managerial time ÷ planned management time, both inside the observed "
        "hours. 1 means as much management as planned; 2 means twice as much. Whiskers: 95 % "
        "confidence interval.",
        bars=False,
    )


def leakage_section(ctx: StudyContext) -> None:
    s = ctx.doc.section("leakage", "Management leakage", new_page=False)
    s.add(
        Para(
            "Where managerial work happened, relative to the job plan: inside planned "
            "management sessions, or leaking into planned clinical sessions, other planned "
            "sessions, or outside contracted hours."
        )
    )
    if not _needs_plan(ctx, s):
        return
    _charts(
        ctx,
        s,
        "fig-leakage",
        "Where managerial time was spent",
        [
            Item("compartmentalisation", None, series_style(0, "in planned management sessions")),
            Item("leakage", "clinical", series_style(1, key_label("leakage", "clinical"))),
            Item(
                "leakage",
                "other_planned",
                series_style(2, key_label("leakage", "other_planned")),
            ),
            Item(
                "leakage",
                "outside_contracted",
                series_style(3, key_label("leakage", "outside_contracted")),
            ),
        ],
        "proportion",
        "Shares of all managerial active time (the four add up to 100 %). Whiskers: 95 % "
        "confidence interval.",
    )


def interruptions_section(ctx: StudyContext) -> None:
    s = ctx.doc.section("interruptions", "Interruptions and switching", new_page=False)
    s.add(
        Para(
            "How often work was broken into: interruptions (one interrupting task at one "
            "instant, however many running tasks it suspends, or an interruption recorded) "
            "and switches between clinical and managerial work in the "
            "task in the foreground, per observed hour."
        )
    )
    items = [Item("interruptions_per_hour", None, series_style(0, "interruptions per hour"))]
    title = "Interruptions per hour"
    if _needs_domains(ctx, s, "Clinical-managerial switches"):
        items.append(
            Item(
                "domain_switches_per_hour",
                None,
                series_style(1, "clinical-managerial switches per hour"),
            )
        )
        title = "Interruptions and clinical-managerial switches per hour"
    _charts(
        ctx,
        s,
        "fig-interruptions",
        title,
        items,
        "per hour",
        "Counts per observed hour; whiskers: 95 % confidence interval.",
    )


def stretches_section(ctx: StudyContext) -> None:
    s = ctx.doc.section(
        "stretches", "Uninterrupted clinical time and management episodes", new_page=False
    )
    s.add(
        Para(
            "An undivided clinical stretch is a period in which exactly one task was running "
            "and it was clinical. A management episode is a run of managerial tasks in the "
            "foreground, ended by other work or a gap. The metric registry gives the 10th "
            "percentile, median and 90th percentile of stretch lengths and the median "
            "episode length, drawn here; it does not publish individual stretches."
        )
    )
    if not _needs_domains(ctx, s, "Clinical stretches and management episodes"):
        return
    overall = ctx.est.table(None)
    for i, b in enumerate(ctx.by):
        frames = [("study", overall), (b, ctx.est.table(b))]
        groups: list[str] = []
        rows: list[tuple[float | None, float | None, float | None]] = []
        hidden: list[str] = []
        for _lbl, df in frames:
            for g in list(dict.fromkeys(df["group"].astype(str))):
                vals = [value(df, g, f"clinical_stretch_{q}") for q in ("p10", "median", "p90")]
                if any(v is None for v in vals) or vals[1] is None:
                    continue
                if vals[1].n_participants < ctx.suppress_below:
                    if vals[1].n_participants > 0:
                        hidden.append(g)
                    continue
                if all(v.estimate is None for v in vals):  # type: ignore[union-attr]
                    continue
                groups.append(g)
                rows.append(tuple(v.estimate for v in vals))  # type: ignore[arg-type,union-attr]
        label = BREAKDOWN_LABELS.get(b, b)
        title = f"Undivided clinical stretches (minutes), by {label}"
        if groups:
            img = charts.range_chart(groups, rows, xlabel="minutes")
            alt = f"Range chart of {title.lower()}: " + "; ".join(
                f"{g}: median {fmt(r[1], 'minutes')} min, 10th to 90th percentile "
                f"{fmt(r[0], 'minutes')} to {fmt(r[2], 'minutes')} min"
                for g, r in zip(groups, rows, strict=True)
            )
            s.add(
                Figure(
                    f"fig-stretch-{b}",
                    title,
                    img,
                    alt,
                    md(
                        "Line: from the 10th to the 90th percentile of stretch lengths "
                        "(clinical_stretch_p10, clinical_stretch_p90); marker: the median "
                        "(clinical_stretch_median)."
                    ),
                    in_print=i == 0,
                )
            )
        else:
            s.add(Note(f"{title}: no undivided clinical stretch to show.", "missing"))
        if hidden:
            s.add(
                Note(
                    f"{len(hidden)} group(s) with fewer than {ctx.suppress_below} participants "
                    f"are left out (small-number rule): {', '.join(hidden)}.",
                    "suppressed",
                )
            )
    _charts(
        ctx,
        s,
        "fig-episodes",
        "Median management episode (minutes)",
        [Item("management_episode_median", None, series_style(1, "median episode"))],
        "minutes",
        "Marker: median length of management episodes (management_episode_median); whiskers: "
        "95 % confidence interval.",
        bars=False,
    )


def cost_section(ctx: StudyContext) -> None:
    s = ctx.doc.section(
        "cost", "Hidden management: hours and cost per full-time year", new_page=False
    )
    s.add(
        Para(
            "The managerial share of observed working time scaled to one full-time year, and "
            "what that time costs at each participant's Agenda for Change band and pay point "
            "with employer on-costs (pay table in Methods)."
        )
    )
    if not _needs_domains(ctx, s, "Management hours and costs"):
        return
    _charts(
        ctx,
        s,
        "fig-hours",
        "Management hours per full-time year",
        [Item("management_hours_per_fte_year", None, series_style(1, "hours per FTE-year"))],
        "hours per FTE-year",
        "Bars: management_hours_per_fte_year; whiskers: 95 % confidence interval.",
    )
    _charts(
        ctx,
        s,
        "fig-cost",
        "Cost of management time per full-time year (£)",
        [Item("management_cost_per_fte_year", None, series_style(0, "£ per FTE-year"))],
        "£ per FTE-year",
        "Bars: management_cost_per_fte_year, in pounds; whiskers: 95 % confidence interval. "
        "Only participants whose band is in the pay table are costed.",
    )


__all__ = [
    "cost_section",
    "day_section",
    "domain_section",
    "interruptions_section",
    "jobplan_section",
    "leakage_section",
    "stretches_section",
]


DISTRIBUTIONS = (
    ("task_duration_median", "Task durations (active time)", "tasks"),
    ("clinical_stretch_median", "Undivided clinical stretches", "stretches"),
    ("management_episode_median", "Management episodes", "episodes"),
)
"""Distributions drawn as histograms: the items a quantile metric of the registry is taken
over (one row per task, stretch or episode: ``Metrics.items``)."""


def distributions_section(ctx: StudyContext) -> None:
    s = ctx.doc.section(
        "distributions", "How long things last: tasks, clinical stretches, episodes", new_page=False
    )
    s.add(
        Para(
            "Histograms of every task, undivided clinical stretch (exactly one task running, "
            "and it clinical) and management episode (a run of managerial tasks in the "
            "foreground), on a logarithmic scale of minutes: the same items the medians and "
            "percentiles in the tables are taken over."
        )
    )
    b = ctx.by[0] if ctx.by else None
    for metric, title, what in DISTRIBUTIONS:
        if metric != "task_duration_median" and not maps_domains(ctx.templates.values()):
            continue
        items = ctx.est.items(metric)
        if not len(items):
            s.add(Note(f"{title}: none recorded.", "missing"))
            continue
        panels: dict[str, Sequence[float]] = {}
        if items["participant"].nunique() >= ctx.suppress_below:
            panels["All participants"] = items["value"].tolist()
        hidden: list[str] = []
        if b is not None and b in items:
            for g, part in items.groupby(b, sort=True):
                if part["participant"].nunique() < ctx.suppress_below:
                    hidden.append(str(g))
                    continue
                panels[str(g)] = part["value"].tolist()
        if not panels:
            s.add(Note(f"{title}: too few participants to draw (small-number rule).", "suppressed"))
            continue
        label = BREAKDOWN_LABELS.get(b, b) if b else ""
        img = charts.histogram(panels, xlabel="minutes (log scale)", bins=28, log=True)
        alt = f"Histograms of {what}: " + "; ".join(
            f"{g}: {len(v):,} {what}" for g, v in panels.items()
        )
        s.add(
            Figure(
                f"fig-dist-{what}",
                f"{title} (minutes)" + (f", by {label}" if label else ""),
                img,
                alt,
                md(
                    f"Counts of {what} by length; the registry's `{metric}` is the median of "
                    f"these. Lengths of 0 are not drawn on the log scale."
                ),
            )
        )
        if hidden:
            s.add(
                Note(
                    f"{len(hidden)} group(s) with fewer than {ctx.suppress_below} participants "
                    f"are not drawn (small-number rule): {', '.join(hidden)}.",
                    "suppressed",
                )
            )
