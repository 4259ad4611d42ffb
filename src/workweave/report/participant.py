"""A personal feedback report, written for the participant: their own days, their job plan set
against what happened, the management they did and how often it arrived during clinical time,
compared with the study as a whole (never with another person).

Every number about work comes from the metric registry (their own values from the engine's
per-participant breakdown, the study's from its whole-study estimate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from workweave.domain.errors import NotFoundError, ValidationError
from workweave.domain.study import WEEKDAYS, Participant
from workweave.domain.template import Template
from workweave.report import charts
from workweave.report.common import (
    MODES_STATEMENT,
    OBSERVED_MODES,
    colour_key,
    day_figure,
    days_of,
    days_phrase,
    maps_domains,
    observed,
    observed_frame,
    one_observer,
    self_reported,
    study_templates,
)
from workweave.report.document import (
    Cell,
    Document,
    Figure,
    KeyFigures,
    Note,
    Para,
    Section,
    Table,
    Terms,
    md,
    slug,
)
from workweave.report.estimates import (
    Estimates,
    Progress,
    Value,
    fmt,
    fmt_with_unit,
    metric_info,
    value,
)
from workweave.report.options import ReportOptions
from workweave.report.output import Report
from workweave.report.palette import DOMAIN_STYLES, Style
from workweave.report.pdf import require_chromium
from workweave.services.audit import audited
from workweave.store import Store

MAX_DAYS = 20
"""Days drawn one by one; a longer record shows the first ones and says how many more."""

YOU = "You"
STUDY = "Whole study"
YOU_STYLE = Style("#D55E00", "////", "s", YOU)
STUDY_STYLE = Style("#0072B2", "", "o", STUDY)

PLAN_NAMES = {
    "DCC": "direct clinical care (DCC)",
    "management": "management",
    "SPA": "supporting professional activities (SPA)",
    "ANR": "additional NHS responsibilities (ANR)",
    "ED": "external duties (ED)",
}

GLOSSARY: list[tuple[str, str]] = [
    (
        "Session",
        "One stretch of time in which someone shadowed you (or you logged your own work), "
        "from when recording started to when it stopped.",
    ),
    ("Observed time", "The total length of all your observed sessions."),
    (
        "Self-reported day",
        "A day you logged yourself, in the app or in the end-of-day diary, rather than one "
        "on which someone shadowed you. It is listed in the report but not measured with the "
        "observed days.",
    ),
    ("Task", "One piece of work that was recorded, with the time it started and ended."),
    (
        "Domain",
        "The broad kind of work a task belongs to: clinical (care of patients, directly or "
        "indirectly), managerial (running the service: staff, rotas, lists, budgets, "
        "meetings, email...), professional (teaching, your own learning, research) or "
        "personal (breaks, travel between places).",
    ),
    (
        "Share of observed time",
        "Out of all the time observed, the part spent on one kind of work. When two tasks "
        "ran at once, both count, so shares can add up to more than 100 %.",
    ),
    (
        "Parallel task",
        "A task started while another one was still going on (for example a phone call "
        "about a rota during a clinic).",
    ),
    (
        "Interruption",
        "Something that broke into what you were doing: the task you were on was paused "
        "while you dealt with it, or the observer noted an interruption.",
    ),
    (
        "Demand event",
        "Something that changed the plan for the day: a cancellation, a patient not "
        "attending, an extra patient added on, an emergency or a staff absence.",
    ),
    (
        "Job plan",
        "Your agreed weekly timetable: which sessions are for direct clinical care (DCC), "
        "for management, for supporting professional activities (SPA: teaching, training, "
        "audit), and any other duties.",
    ),
    ("Contracted hours", "The hours your job plan covers; anything else is outside them."),
    (
        "Management kept in its sessions",
        "The part of your management work that happened inside the sessions your job plan "
        "sets aside for it (100 % would mean the plan held exactly).",
    ),
    (
        "Management leakage",
        "Management work done outside the sessions set aside for it: during planned "
        "clinical sessions, during other planned sessions, or outside contracted hours.",
    ),
    (
        "Clinical time used for management",
        "The part of your planned clinical time in which a management task was going on.",
    ),
    (
        "Take-over ratio",
        "How much management you did for each hour your job plan gives it, counting only "
        "the hours observed: 1 means as planned, 2 means twice as much.",
    ),
    (
        "Switch",
        "A change from clinical to managerial work, or back, in what you were mainly doing.",
    ),
    (
        "Management episode",
        "An unbroken run of management work; it ends when other work or a gap comes "
        "between. A fragment is an episode shorter than 2 minutes.",
    ),
    (
        "Full-time year (FTE-year)",
        "One full-time equivalent year: 37.5 hours a week, 1,955.4 paid hours a year under "
        "Agenda for Change.",
    ),
    (
        "On-costs",
        "What an employer pays on top of salary: employer pension contributions and "
        "National Insurance.",
    ),
    (
        "95 % confidence interval",
        "For the study-wide figures: a range that shows how precise the figure is. If other, "
        "similar people had been observed, the figure would most likely fall in this range.",
    ),
]


@audited("report.participant", lambda *a, **k: f"participant:{a[2]}")
def participant_report(
    store: Store,
    study_id: int,
    participant_code: str,
    options: ReportOptions | None = None,
    *,
    progress: Progress | None = None,
) -> Report:
    """Build one participant's report (nothing is written: call ``.html()`` or
    ``.write(folder)``). Of the options, `by` does not apply: the report compares the
    participant with the study as a whole only."""
    opts = options or ReportOptions()
    if opts.pdf:
        require_chromium()  # fail before the work, not after it
    say = progress or (lambda _s: None)
    info = store.studies.get(study_id)
    people = {p.code: p for p in store.studies.participants(study_id)}
    person = people.get(participant_code)
    if person is None:
        raise NotFoundError(
            f"no participant '{participant_code}' in study '{info.name}'"
            + (f" (participants: {_some(sorted(people))})" if people else "")
        )
    gone = set(store.analytic.withdrawn(study_id))
    if participant_code in gone:
        raise ValidationError(
            f"participant '{participant_code}' has withdrawn consent: their records are no "
            "longer reported (erase them with 'workweave participants erase')"
        )
    say("reading your records")
    sessions_frame = store.analytic.frame("sessions", study_id)
    if not len(sessions_frame):
        raise ValidationError(
            f"study '{info.name}' has no sessions yet: import or record some before reporting"
        )
    templates = study_templates(store, sessions_frame)
    all_sessions = [s for s in store.sessions.load(study_id) if s.participant not in gone]
    everything_mine = [s for s in all_sessions if s.participant == participant_code]
    mine = observed(everything_mine)  # a participant's own log is not observation
    own_log = self_reported(everything_mine)
    doc = Document(
        title=f"Your work, seen: a personal report for {participant_code}",
        subtitle=info.title or info.name,
        synthetic=info.synthetic,
        generated=datetime.now(UTC),
        kind="participant",
        footer=(
            "This report is for you. It shows only your own records and figures for the study "
            "as a whole; it never names or shows anyone else. Produced by workweave."
        ),
    )
    report = Report(doc, f"{slug(info.name)}-{slug(participant_code)}-report", options=opts)
    observed_only = {"mode": list(OBSERVED_MODES)}  # self-reports are shown apart
    with Estimates(
        store,
        study_id,
        seed=opts.seed,
        B=opts.B,
        progress=say,
        observers=opts.observers,
        filter=observed_only,
    ) as est:
        you_df = est.table("participant")
        you_df = you_df[you_df["participant"].astype(str) == participant_code].copy()
        you_df["group"] = YOU
        study_df = est.table(None).copy()
        study_df["group"] = STUDY
        seen = observed_frame(sessions_frame)
        n_study = int(seen["participant"].nunique()) if len(seen) else 0
        ctx = _Ctx(
            person,
            mine,
            templates,
            you_df,
            study_df,
            opts.suppress_below,
            n_study,
            est,
            info.synthetic,
            own_log,
        )
        _intro(doc, ctx)
        say("drawing your days")
        _days(doc, ctx, all_sessions)
        _own_log(doc, ctx)
        say("comparing your job plan with what happened")
        _plan(doc, ctx)
        _management(doc, ctx)
        _arrival(doc, ctx)
        _worth(doc, ctx)
        _glossary(doc, ctx)
    return report


def _some(codes: Sequence[str], n: int = 10) -> str:
    return ", ".join(codes[:n]) + (f" and {len(codes) - n} more" if len(codes) > n else "")


@dataclass
class _Ctx:
    person: Participant
    sessions: list
    templates: dict[str, Template]
    you: pd.DataFrame
    study: pd.DataFrame
    suppress_below: int
    n_study: int
    est: Estimates
    synthetic: bool
    own_log: list  # the sessions the participant logged themselves (self-report)

    def mine(self, metric: str, key: str | None = None) -> Value | None:
        v = value(self.you, YOU, metric, key)
        return v if v is not None and v.n_participants > 0 else None

    def theirs(self, metric: str, key: str | None = None) -> Value | None:
        """The study-wide value, unless too few people stand behind it to show it without
        revealing someone (the small-number rule)."""
        v = value(self.study, STUDY, metric, key)
        if v is None or v.n_participants < max(self.suppress_below, 2):
            return None
        return v

    @property
    def has_plan(self) -> bool:
        return bool(self.person.job_plan.sessions)


# -- sections -----------------------------------------------------------------------------------


def _intro(doc: Document, ctx: _Ctx) -> None:
    s = doc.section("about", "About this report", new_page=False)
    p = ctx.person
    s.add(
        Para(
            md(
                "This report shows what the observation study recorded about **your** work: "
                "what your days looked like, how they compared with your job plan, the "
                "management work you did and how often it arrived in the middle of clinical "
                "work. Where it helps, your figures are set beside the figure for **the study "
                "as a whole** (everyone observed, together). No other person is shown or named."
            )
        )
    )
    s.add(Para(MODES_STATEMENT))
    if ctx.synthetic:
        s.add(
            Note(
                "this study is SYNTHETIC: the person, the days and the numbers are invented by "
                "a simulator, to show what a real report would look like.",
                "warning",
            )
        )
    n_days = len(days_of(ctx.sessions))
    n_own = len(days_of(ctx.own_log))
    facts = [
        ("days observed", f"{n_days}"),
        ("days self-reported", f"{n_own}"),
        ("sessions observed", f"{len(ctx.sessions)}"),
        ("hours observed", f"{sum(x.observed_seconds for x in ctx.sessions) / 3600:.1f}"),
        ("tasks recorded", f"{sum(len(x.tasks) for x in ctx.sessions):,}"),
    ]
    s.add(KeyFigures(facts))
    s.add(
        Para(
            f"{days_phrase(n_days, n_own)}."
            + (
                " The days you logged yourself are listed in their own section; they are not "
                "in the pictures or the figures, which show observed days only."
                if n_own
                else ""
            )
        )
    )
    who = [f"profession: {p.profession}"]
    if p.band:
        who.append(
            f"Agenda for Change band {p.band}"
            + (f", pay point {p.pay_point}" if p.pay_point else "")
        )
    if p.weekly_hours:
        who.append(f"{p.weekly_hours:.1f} contracted hours a week")
    s.add(Para("What the study holds about you: " + "; ".join(who) + "."))
    s.add(
        Para(
            "Words in bold or in the figures are explained at the end, under 'Words used in "
            "this report'."
        )
    )


def _days(doc: Document, ctx: _Ctx, all_sessions: list) -> None:
    s = doc.section("days", "Your days")
    days = days_of(ctx.sessions)
    if not days:
        s.add(
            Note(
                "no observed session of yours has been recorded yet"
                + (" (the days you logged yourself are listed below)." if ctx.own_log else "."),
                "missing",
            )
        )
        return
    key = colour_key(ctx.templates, all_sessions)
    s.add(
        Para(
            md(
                "Each picture is one day as it was recorded. Each bar is a **task**; when a "
                "task started while another was still going on, it is drawn in the next row "
                "down (**parallel** tasks). A dashed outline shows a task **paused** by an "
                "interruption. ▼ marks an **interruption** and ◇ a **demand event**."
                + (
                    " The band at the bottom is your **job plan** for that weekday, so you "
                    "can see what the time was planned for."
                    if ctx.has_plan
                    else ""
                )
            )
        )
    )
    if not key.by_domain:
        s.add(
            Note(
                "the study's recording template does not sort its categories into clinical "
                "and managerial work, so the bars are coloured by the most frequent "
                "categories instead."
            )
        )
    plan = ctx.person.job_plan if ctx.has_plan else None
    ordered = sorted(days)
    for i, k in enumerate(ordered[:MAX_DAYS]):
        kept, dropped = one_observer(days[k])
        d = k[1]
        title = f"{d:%A %d %B %Y}"
        last = max(x.known_end for x in kept).astimezone(ZoneInfo(kept[0].timezone))
        if last.date() != d:  # a night: say when it ended
            title += f", until {last:%A %H:%M}"
        caption = ""
        if dropped:
            caption = (
                "Two observers shadowed you at the same time on this day (to check that "
                "observers agree); one observer's record is drawn."
            )
        s.add(
            day_figure(
                f"fig-day-{i + 1}",
                kept,
                key,
                job_plan=plan,
                title=title,
                caption=caption,
                who="your day",
            )
        )
    if len(ordered) > MAX_DAYS:
        s.add(
            Note(f"you were observed on {len(ordered)} days; the first {MAX_DAYS} are drawn here.")
        )


def _own_log(doc: Document, ctx: _Ctx) -> None:
    """The days the participant logged themselves: listed, not drawn or measured."""
    if not ctx.own_log:
        return
    s = doc.section("own-log", "Days you logged yourself", new_page=False)
    s.add(
        Para(
            "These days come from your own log (the app's self-report screen or the end-of-day "
            "diary), not from someone shadowing you. They are kept apart: the pictures and "
            "figures in this report use observed days only."
        )
    )
    rows: list[list[Cell | str]] = []
    for (_, d), group in sorted(days_of(ctx.own_log).items()):
        zone = ZoneInfo(group[0].timezone)
        first = min(x.start for x in group).astimezone(zone)
        last = max(x.known_end for x in group).astimezone(zone)
        clock = "%a %H:%M" if last.date() != first.date() else "%H:%M"
        sources = sorted({OWN_LOG_SOURCES.get(x.source or "", "the app") for x in group})
        rows.append(
            [
                f"{d:%A %d %B %Y}",
                Cell(f"{first.strftime(clock)} to {last.strftime(clock)}", numeric=False),
                Cell(f"{sum(len(x.tasks) for x in group)}"),
                Cell(f"{sum(x.observed_seconds for x in group) / 3600:.1f}"),
                Cell(", ".join(sources), numeric=False),
            ]
        )
    s.add(
        Table(
            "table-own-log",
            "Days you logged yourself",
            ["Day", "From", "Tasks", "Hours logged", "Logged with"],
            rows,
            first_column_wide=False,
        )
    )


OWN_LOG_SOURCES = {"diary": "end-of-day diary", "capture": "the app"}


def _plan(doc: Document, ctx: _Ctx) -> None:
    s = doc.section("plan", "Your job plan and what happened")
    if not ctx.has_plan:
        s.add(
            Note(
                "the study holds no job plan for you, so your days cannot be set against "
                "one. If you share your job plan with the study team, this part of the report "
                "will show how your management work fitted it.",
                "missing",
            )
        )
        return
    rows: list[list[Cell | str]] = []
    for js in ctx.person.job_plan.sessions:
        rows.append(
            [
                WEEKDAYS[js.weekday],
                Cell(f"{js.start:%H:%M} to {js.end:%H:%M}", numeric=False),
                Cell(PLAN_NAMES.get(js.category, js.category), numeric=False),
                Cell(f"{js.hours:.2f}"),
            ]
        )
    s.add(
        Table(
            "table-plan",
            "Your job plan: the planned sessions of your week",
            ["Day", "Time", "Planned for", "Hours"],
            rows,
            first_column_wide=False,
        )
    )
    s.add(
        Para(
            "Inside the hours you were observed, this is how your management work fitted the plan:"
        )
    )
    items = [
        ("compartmentalisation", None, "Management kept in its planned sessions"),
        ("leakage", "clinical", "Management done in planned clinical sessions"),
        ("leakage", "other_planned", "Management done in other planned sessions"),
        ("leakage", "outside_contracted", "Management done outside contracted hours"),
        ("clinical_displacement", None, "Planned clinical time used for management"),
    ]
    _compare(
        s,
        ctx,
        "fig-plan",
        "Where your management work happened, against your job plan",
        items,
        "proportion",
        "The first four bars are shares of all your management time (they add up to 100 %); "
        "the last is a share of your planned clinical time.",
    )
    _compare_table(
        s,
        ctx,
        "table-plan-more",
        "Against the plan: more figures",
        [
            ("takeover_ratio", None, "Take-over ratio: management done per hour planned for it"),
            (
                "management_outside_hours_per_8h",
                None,
                "Management outside contracted hours, hours per 8 contracted hours",
            ),
        ],
    )


def _management(doc: Document, ctx: _Ctx) -> None:
    s = doc.section("management", "The management work you did")
    if maps_domains(ctx.templates.values()):
        _compare(
            s,
            ctx,
            "fig-domains",
            "How your observed time was shared between kinds of work",
            [
                ("domain_share_observed", d, DOMAIN_STYLES[d].label)
                for d in ("clinical", "managerial", "professional", "personal")
            ],
            "proportion",
            "Share of observed time in each domain; tasks running at once both count.",
        )
    managerial = _managerial_categories(ctx)
    if not managerial:
        s.add(
            Note(
                "the study's template does not mark which categories are managerial, so the "
                "kinds of management cannot be told apart.",
                "missing",
            )
        )
        return
    labels = _category_labels(ctx)
    items = [
        ("share_observed", code, labels.get(code, code))
        for code in managerial
        if (v := ctx.mine("share_observed", code)) is not None and (v.estimate or 0) > 0
    ]
    if not items:
        s.add(Note("no managerial task of yours was recorded.", "missing"))
        return
    s.add(
        Para(
            "The kinds of management work recorded in your sessions, as a share of your "
            "observed time, beside the same share for the study as a whole:"
        )
    )
    _compare(
        s,
        ctx,
        "fig-management",
        "Kinds of management work",
        items,
        "proportion",
        "Share of observed time in each kind of management task.",
    )


def _arrival(doc: Document, ctx: _Ctx) -> None:
    s = doc.section("arrival", "How management arrived during clinical work")
    s.add(
        Para(
            "Management work rarely waits for the sessions set aside for it. These figures "
            "show how often it broke into or ran alongside clinical work."
        )
    )
    _compare_table(
        s,
        ctx,
        "table-arrival",
        "How often management arrived during clinical work",
        [
            (
                "leakage",
                "clinical",
                "Share of your management done in planned clinical sessions",
            ),
            (
                "mixed_domain_pct",
                None,
                "Share of observed time with clinical and management work at once",
            ),
            (
                "domain_switches_per_hour",
                None,
                "Switches between clinical and management work, per hour",
            ),
            ("interruptions_per_hour", None, "Interruptions per hour"),
            ("management_episodes_per_hour", None, "Management episodes per hour"),
            ("management_episode_median", None, "Typical (median) management episode, minutes"),
            (
                "management_in_fragments_pct",
                None,
                "Share of management time in fragments under 2 minutes",
            ),
            (
                "demand_response",
                None,
                "Demand events followed by management within 15 minutes",
            ),
            (
                "clinical_stretch_median",
                None,
                "Typical (median) undivided clinical stretch, minutes",
            ),
        ],
    )
    _compare(
        s,
        ctx,
        "fig-rates",
        "Interruptions and switches per hour",
        [
            ("interruptions_per_hour", None, "interruptions"),
            ("domain_switches_per_hour", None, "clinical-management switches"),
            ("management_episodes_per_hour", None, "management episodes"),
        ],
        "per hour",
        "Counts per observed hour.",
    )


def _worth(doc: Document, ctx: _Ctx) -> None:
    s = doc.section("worth", "What your management time adds up to")
    s.add(
        Para(
            md(
                "If the share of your time that went on management held for a whole year, "
                "this is what it would come to for one **full-time year**, and what that time "
                "costs the employer at your Agenda for Change band with **on-costs**."
            )
        )
    )
    _compare_table(
        s,
        ctx,
        "table-worth",
        "Management in a full-time year",
        [
            ("management_hours_per_fte_year", None, "Hours of management per full-time year"),
            ("management_cost_per_fte_year", None, "Cost of that time per full-time year"),
        ],
    )
    if ctx.mine("management_cost_per_fte_year") is None:
        s.add(
            Note(
                "your Agenda for Change band is not recorded (or not in the pay table), so "
                "the cost of your management time cannot be worked out.",
                "missing",
            )
        )
    attrs = ctx.est.attrs()
    pay = attrs.get("payscale", {})
    if pay:
        s.add(Para(f"Pay table used: {pay.get('title', pay.get('name', ''))}."))


def _glossary(doc: Document, ctx: _Ctx) -> None:
    s = doc.section("words", "Words used in this report")
    s.add(Terms([(t, d) for t, d in GLOSSARY]))
    s = doc.section("how", "How these figures were made", new_page=False)
    attrs = ctx.est.attrs()
    boot = attrs.get("bootstrap", {})
    s.add(
        Para(
            "Every figure comes from the study's records through workweave's metric registry, "
            "the same definitions used in the study report. Your figures are worked out from "
            "your sessions alone; the study's figures from everyone's sessions together, with "
            + (
                f"95 % confidence intervals from {boot.get('B', ctx.est.B):,} resamples of the "
                f"participants (seed {boot.get('seed', ctx.est.seed)}). "
                if boot.get("interval") == "percentile"
                else "95 % confidence intervals that allow for how much people differ from "
                "each other (cluster-robust t intervals over participants). "
            )
            + f"A study-wide figure resting on fewer than {ctx.suppress_below} people is not "
            "shown, so that it cannot reveal anyone else's figures."
        )
    )


# -- comparisons --------------------------------------------------------------------------------


def _compare(
    s: Section,
    ctx: _Ctx,
    fig_id: str,
    title: str,
    items: Sequence[tuple[str, str | None, str]],
    unit: str,
    caption: str,
) -> None:
    """A chart of the participant's values beside the study's, one row per item."""
    labels: list[str] = []
    mine: list[Value | None] = []
    theirs: list[Value | None] = []
    for metric, key, label in items:
        a, b = ctx.mine(metric, key), ctx.theirs(metric, key)
        if (a is None or a.estimate is None) and (b is None or b.estimate is None):
            continue
        labels.append(label)
        mine.append(a)
        theirs.append(b)
    if not labels:
        s.add(Note(f"{title}: nothing recorded to show.", "missing"))
        return
    series = [
        charts.Series(
            YOU_STYLE,
            [v.estimate if v else None for v in mine],
            [None] * len(mine),
            [None] * len(mine),
        )
    ]
    hidden_study = all(v is None for v in theirs)
    if not hidden_study:
        series.append(
            charts.Series(
                STUDY_STYLE,
                [v.estimate if v else None for v in theirs],
                [v.low if v else None for v in theirs],
                [v.high if v else None for v in theirs],
            )
        )
    percent = unit.lower() in ("proportion",)
    img = charts.interval_chart(
        _wrap(labels),
        series,
        xlabel="per cent (%)" if percent else unit,
        percent=percent,
        value_format="{:.1f} %" if percent else "{:.2f}",
    )
    alt_parts = []
    for lab, a, b in zip(labels, mine, theirs, strict=True):
        part = f"{lab}: you {fmt(a.estimate if a else None, unit)}"
        if b is not None:
            part += f", whole study {fmt(b.estimate, unit)}"
            if b.low is not None and b.high is not None:
                part += f" (95 % confidence interval {fmt(b.low, unit)} to {fmt(b.high, unit)})"
        alt_parts.append(part)
    alt = f"Bar chart: {title.lower()}. " + "; ".join(alt_parts) + "."
    cap = caption + (
        " Orange hatched bars: you. Blue bars: the whole study, with its 95 % confidence "
        "interval as a whisker."
        if not hidden_study
        else " Only your figures are shown: too few people took part to show the study's "
        "without revealing someone."
    )
    s.add(Figure(fig_id, title, img, alt, md(cap)))


def _compare_table(
    s: Section,
    ctx: _Ctx,
    table_id: str,
    caption: str,
    items: Sequence[tuple[str, str | None, str]],
) -> None:
    rows: list[list[Cell | str]] = []
    for metric, key, label in items:
        unit = metric_info(metric).unit
        a, b = ctx.mine(metric, key), ctx.theirs(metric, key)
        if a is None and b is None:
            continue
        study = "not shown" if b is None else fmt_with_unit(b.estimate, unit)
        rng = (
            ""
            if b is None or b.low is None or b.high is None
            else f"{fmt(b.low, unit)} to {fmt(b.high, unit)}"
        )
        rows.append(
            [
                label,
                Cell(fmt_with_unit(a.estimate if a else None, unit)),
                Cell(study, rng),
            ]
        )
    if not rows:
        s.add(Note(f"{caption}: nothing recorded to show.", "missing"))
        return
    s.add(
        Table(
            table_id,
            caption,
            ["", YOU, STUDY],
            rows,
            column_notes=["", "", "95 % confidence interval underneath"],
        )
    )


def _managerial_categories(ctx: _Ctx) -> list[str]:
    out: list[str] = []
    for t in ctx.templates.values():
        for c in t.categories:
            if c.domain == "managerial" and c.code not in out:
                out.append(c.code)
    return out


def _category_labels(ctx: _Ctx) -> dict[str, str]:
    return {c.code: c.label for t in ctx.templates.values() for c in t.categories}


def _wrap(labels: list[str], width: int = 28) -> list[str]:
    import textwrap

    return ["\n".join(textwrap.wrap(lab, width)) or lab for lab in labels]


__all__ = ["participant_report"]
