"""The study report: summary, methods, figures and tables of every registry metric by group,
and inter-observer reliability when sessions were co-observed.

Every metric shown comes from the registry's engine (`workweave.analysis.metrics`); the
counts on the summary page come from the study summary service. The small-number rule: a
figure or table never shows a group of fewer than `min_participants` participants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from workweave.analysis.metrics.engine import RESULT_COLUMNS
from workweave.analysis.metrics.registry import ELIGIBILITY
from workweave.domain.errors import ValidationError
from workweave.domain.study import Participant
from workweave.report import charts
from workweave.report.common import (
    Item,
    colour_key,
    day_figure,
    group_chart,
    illustrative_day,
    local_dates,
    maps_domains,
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
    Subhead,
    Table,
    Terms,
    md,
    render_html,
    slug,
)
from workweave.report.estimates import (
    BREAKDOWN_LABELS,
    FLAG_BELOW,
    OVERALL,
    Estimates,
    Progress,
    all_metrics,
    fmt,
    key_label,
    parameters,
    value,
)
from workweave.report.palette import DOMAIN_STYLES, series_style
from workweave.services import studies as svc
from workweave.store.repository import Store

BREAKDOWNS = ("site", "profession", "band", "observer", "mode", "month")
"""What the study report can break results down by (each gets its own figures and table)."""
FLOWING = ("domains", "jobplan", "leakage", "interruptions", "stretches", "cost")
"""Figure sections: each starts a new printed page when it has a figure."""
CATEGORY_METRICS = ("share_observed", "share_task_time", "share_time_sliced")
GROUPS_PER_TABLE = 4
"""Group columns per printed table: wider tables are split so nothing is clipped on A4."""

SECTION_TITLES = {
    "A": "Established time-and-motion measures",
    "B": "How clinical and managerial work intertwine",
    "C": "Cost of the hidden management",
}


@dataclass
class StudyReport:
    """A built study report: its document, and the tables behind its CSV files."""

    document: Document
    csv: dict[str, pd.DataFrame] = field(default_factory=dict)  # file name -> table
    stem: str = "study-report"

    def html(self) -> str:
        return render_html(self.document)


CsvHref = Callable[[str], str | None]


def prepare_study_report(
    store: Store,
    study_id: int,
    *,
    by: Sequence[str] = ("site", "profession"),
    min_participants: int = 3,
    seed: int | None = None,
    B: int | None = None,
    progress: Progress | None = None,
    csv_href: CsvHref | None = None,
) -> StudyReport:
    """Assemble the study report (nothing is written). `csv_href` turns a CSV file name into
    the link the report shows (default: the name itself, for files written beside it; return
    None to show no link)."""
    by = _check_by(by)
    if min_participants < 1:
        raise ValidationError("min_participants must be at least 1")
    say = progress or (lambda _s: None)
    href = csv_href or (lambda name: name)
    info = store.study(study_id)
    stem = f"{slug(info.name)}-study-report"
    say("reading the study")
    frames = {n: store.frame(n, study_id) for n in ("sessions", "participants", "job_plans")}
    if not len(frames["sessions"]):
        raise ValidationError(
            f"study '{info.name}' has no sessions yet: import or record some before reporting"
        )
    summary = svc.summary(store, study_id)
    templates = study_templates(store, frames["sessions"])
    doc = Document(
        title=info.title or info.name,
        subtitle="Study report: clinical and managerial work of clinician-managers",
        synthetic=info.synthetic,
        generated=datetime.now(UTC),
        kind="study",
        footer=(
            "Produced by workweave from the study's records. Every metric is computed by the "
            "workweave metric registry; definitions are in the Methods section."
        ),
    )
    report = StudyReport(doc, stem=stem)
    ctx = _Context(store, study_id, by, min_participants, frames, summary, templates, report, href)
    with Estimates(store, study_id, seed=seed, B=B, progress=say) as est:
        ctx.est = est
        _summary_section(ctx)
        say("writing the methods")
        _methods_section(ctx)
        say("drawing a shadowed day")
        _day_section(ctx)
        say("drawing figures")
        _domain_section(ctx)
        _jobplan_section(ctx)
        _leakage_section(ctx)
        _interruptions_section(ctx)
        _stretches_section(ctx)
        _cost_section(ctx)
        say("tabulating every metric")
        _tables_section(ctx)
    say("checking inter-observer reliability")
    _ior_section(ctx)
    # in print, a section with figures starts on a new page; one with notes only flows on
    for sec in doc.sections:
        if sec.id in FLOWING:
            sec.new_page = any(isinstance(b, Figure) for b in sec.blocks)
    return report


def render_study_report_html(
    store: Store,
    study_id: int,
    *,
    by: Sequence[str] = ("site", "profession"),
    min_participants: int = 3,
    seed: int | None = None,
    B: int | None = None,
    csv_href: CsvHref | None = None,
    progress: Progress | None = None,
) -> str:
    """The study report as one self-contained HTML page (for serving, e.g. by the web app)."""
    return prepare_study_report(
        store,
        study_id,
        by=by,
        min_participants=min_participants,
        seed=seed,
        B=B,
        csv_href=csv_href,
        progress=progress,
    ).html()


def build_study_report(
    store: Store,
    study_id: int,
    out_dir: str | Path,
    *,
    by: Sequence[str] = ("site", "profession"),
    pdf: bool = False,
    min_participants: int = 3,
    seed: int | None = None,
    B: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the study report into `out_dir`: ``<study>-study-report.html`` with its CSV tables
    beside it (and ``.pdf`` when asked). Returns the HTML file's path."""
    from workweave.report.pdf import html_to_pdf, require_chromium

    if pdf:
        require_chromium()  # fail before the work, not after it
    report = prepare_study_report(
        store,
        study_id,
        by=by,
        min_participants=min_participants,
        seed=seed,
        B=B,
        progress=progress,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("writing files")
    for name, df in report.csv.items():
        _write_atomic(out / name, df.to_csv(index=False))
    html_path = out / f"{report.stem}.html"
    _write_atomic(html_path, report.html())
    if pdf:
        if progress:
            progress("printing to PDF")
        html_to_pdf(
            html_path,
            html_path.with_suffix(".pdf"),
            title=report.document.title,
            synthetic=report.document.synthetic,
        )
    return html_path


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _check_by(by: Sequence[str] | str) -> tuple[str, ...]:
    items = [by] if isinstance(by, str) else list(by)
    out: list[str] = []
    for item in items:
        for k in str(item).split(","):
            k = k.strip()
            if not k:
                continue
            if k not in BREAKDOWNS:
                raise ValidationError(
                    f"the study report cannot break down by '{k}' (choose from: "
                    f"{', '.join(BREAKDOWNS)}; participants are never shown one by one)"
                )
            if k not in out:
                out.append(k)
    return tuple(out)


@dataclass
class _Context:
    store: Store
    study_id: int
    by: tuple[str, ...]
    min_participants: int
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    templates: dict[str, Any]
    report: StudyReport
    href: CsvHref
    est: Estimates = None  # type: ignore[assignment]
    _sessions: list[Any] | None = None

    @property
    def doc(self) -> Document:
        return self.report.document

    def sessions(self) -> list[Any]:
        if self._sessions is None:
            self._sessions = self.store.load_sessions(self.study_id)
        return self._sessions

    def breakdowns(self) -> list[tuple[str, pd.DataFrame]]:
        """(label, computed table) for the whole study and each chosen breakdown."""
        return [("study", self.est.table(None))] + [(b, self.est.table(b)) for b in self.by]

    @property
    def has_job_plans(self) -> bool:
        return len(self.frames["job_plans"]) > 0

    @property
    def n_participants(self) -> int:
        return int(self.frames["sessions"]["participant"].nunique())


# -- summary ------------------------------------------------------------------------------------


def _summary_section(ctx: _Context) -> None:
    s = ctx.doc.section("summary", "Summary", new_page=False)
    info = ctx.store.study(ctx.study_id)
    tot = ctx.summary["total"]
    sessions = ctx.frames["sessions"]
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
    s.add(
        KeyFigures(
            [
                ("participants observed", f"{ctx.n_participants}"),
                ("sites", f"{n_sites}"),
                ("sessions", f"{tot['sessions']:,}"),
                ("observed hours", f"{tot['observed_hours']:,.1f}"),
                ("tasks recorded", f"{tot['tasks']:,}"),
                ("dates", span),
            ]
        )
    )
    if tot["incomplete_sessions"]:
        s.add(
            Para(
                f"{tot['incomplete_sessions']} session(s) stopped before their end was recorded; "
                "they count up to the last instant recorded in them."
            )
        )
    sites = ctx.frames["participants"]
    site_names = {}
    site_frame = ctx.store.frame("sites", ctx.study_id)
    for r in site_frame.itertuples(index=False):
        site_names[str(r.site)] = str(r.name or "")
    for key, title in (("site", "Sites"), ("profession", "Professions")):
        rows, hidden = _count_rows(sessions, key, ctx.min_participants)
        if not rows:
            if hidden:
                s.add(
                    Note(
                        f"{title}: every group has fewer than {ctx.min_participants} participants, "
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
                    f"{len(hidden)} {key}(s) with fewer than {ctx.min_participants} participants "
                    f"are not listed (small-number rule); they are included in the totals above.",
                    "suppressed",
                )
            )
    del sites


def _count_rows(
    sessions: pd.DataFrame, key: str, min_participants: int
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
        if r["participants"] < min_participants:
            hidden.append(str(g))
            continue
        rows.append((str(g), int(r["participants"]), int(r["sessions"]), float(r["hours"])))
    return rows, hidden


# -- methods ------------------------------------------------------------------------------------


def _methods_section(ctx: _Context) -> None:
    s = ctx.doc.section("methods", "Methods")
    sessions = ctx.frames["sessions"]
    attrs = ctx.est.attrs()
    boot = attrs.get("bootstrap", {})
    params = attrs.get("parameters", {})
    pay = attrs.get("payscale", {})
    s.add(Para(md("**Data.** " + _data_sentence(sessions))))
    # templates
    s.add(Para(md("**Observation template(s).**")))
    tv = (
        sessions.groupby(["template", "template_version"], dropna=False)
        .size()
        .reset_index(name="n")
        if len(sessions)
        else pd.DataFrame(columns=["template", "template_version", "n"])
    )
    items: list[tuple[str, Any]] = []
    for r in tv.itertuples(index=False):
        name = "(none recorded)" if pd.isna(r.template) else f"{r.template}"
        version = "" if pd.isna(r.template_version) else f", version {r.template_version}"
        t = ctx.templates.get(f"{r.template}@{r.template_version}")
        mapping = ""
        if t is not None:
            by_domain: dict[str, list[str]] = {}
            for c in t.categories:
                by_domain.setdefault(c.domain, []).append(c.code)
            mapping = "Categories by domain: " + "; ".join(
                f"{d}: {', '.join(codes)}" for d, codes in by_domain.items()
            )
            if not maps_domains([t]):
                mapping += (
                    ". This template maps no category to the clinical or managerial domain, so "
                    "measures by domain cannot separate clinical from managerial work here."
                )
        items.append((f"{name}{version} ({r.n} sessions)", mapping or "—"))
    s.add(Terms(items, compact=True))
    # statistics
    B = boot.get("B", ctx.est.B)
    seed = boot.get("seed", ctx.est.seed)
    conf = boot.get("confidence", 0.95)
    s.add(
        Para(
            md(
                "**Estimates and intervals.** Each estimate for a group (the whole study, a site, "
                "a profession...) is a ratio of sums over the group's sessions, or for "
                "percentiles the percentile of the group's items. "
                f"{conf:.0%} confidence intervals come from a cluster bootstrap over "
                f"participants: participants are resampled with replacement, B = {B:,} "
                f"replicates, seed {seed}, percentile interval. Beside each estimate the tables "
                "give the number of participants, sessions and observed hours it rests on. "
                f"An interval from fewer than {FLAG_BELOW} participants is flagged † and should "
                "be read with care; with fewer than 2 participants there is no interval."
            )
        )
    )
    s.add(
        Para(
            md(
                f"**Small-number rule.** No figure or table shows a group of fewer than "
                f"{ctx.min_participants} participants; where one is left out a note says so. "
                "The illustrative day shows one person's day without their code, site or date."
            )
        )
    )
    # pay
    pay_name = pay.get("name") or params.get("payscale")
    pay_text = (
        f"**Pay table and costs.** Costs use the pay table *{pay.get('title', pay_name)}* "
        f"({pay_name}). Source: {pay.get('source', '—')} On-costs: {pay.get('on_costs', '—')} "
        f"A participant without a recorded pay point is costed at the "
        f"{params.get('default_pay_point', 'top')} point of their band; one full-time year is "
        f"{params.get('paid_hours_per_year', 1955.4):,} paid hours; the managerial share used "
        f"for costs is counted on the '{params.get('share_basis', 'time_sliced')}' basis."
    )
    s.add(Para(md(pay_text)))
    pay_table = _pay_table(str(pay_name))
    if pay_table is not None:
        s.add(pay_table)
    # parameters
    defs = parameters()
    s.add(Para(md("**Parameters of the metrics** (as used for this report):")))
    s.add(
        Terms(
            [
                (
                    name,
                    md(f"`{_param_text(params.get(name, p.default))}` {p.unit} — {p.description}"),
                )
                for name, p in defs.items()
            ],
            compact=True,
        )
    )
    # metric definitions
    s.add(
        Para(
            md(
                "**Metric definitions.** Every metric in this report, as defined in the workweave "
                "metric registry. *O* is observed time, the sum of session lengths; a task's "
                "active time is its elapsed time less the time it was suspended."
            )
        )
    )
    for sec in ("A", "B", "C"):
        ms = [m for m in all_metrics() if m.section == sec]
        if not ms:
            continue
        s.add(Para(md(f"*{SECTION_TITLES[sec]}*")))
        s.add(
            Terms(
                [
                    (
                        f"{m.label} ({m.display_id()})",
                        md(
                            f"{m.definition} **Unit:** {m.unit}. **Denominator:** {m.denominator}. "
                            f"**Applies to:** {ELIGIBILITY.get(m.eligible, m.eligible)}. "
                            f"**Reference:** {m.reference}." + (f" {m.notes}" if m.notes else "")
                        ),
                    )
                    for m in ms
                ]
            )
        )


def _data_sentence(sessions: pd.DataFrame) -> str:
    if not len(sessions):
        return "The study has no sessions yet."
    modes = sessions["mode"].value_counts()
    sources = sessions["source"].fillna("unknown").value_counts()
    observers = sessions["observer"].dropna().nunique()
    mode_text = ", ".join(f"{n} {m}" for m, n in modes.items())
    source_text = ", ".join(f"{n} from {src}" for src, n in sources.items())
    return (
        f"{len(sessions)} sessions ({mode_text}; {source_text}) by {observers} observer(s). "
        "A session is one continuous observation of one participant; a task is one recorded "
        "activity with its start, end, category and any interruptions."
    )


def _param_text(v: Any) -> str:
    if v is None:
        return "from the pay table"
    if isinstance(v, list | tuple):
        return " / ".join(str(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}"
    return str(v)


def _pay_table(name: str) -> Table | None:
    from workweave.io.payscales import load_payscale

    try:
        ps = load_payscale(name)
    except Exception:
        return None
    n = max((len(v) for v in ps.bands.values()), default=0)
    cols = ["Band"] + [f"Pay point {i + 1}" for i in range(n)]
    rows: list[list[Cell | str]] = []
    for band, points in ps.bands.items():
        rows.append(
            [f"Band {band}"]
            + [Cell(f"£{p:,.0f}") for p in points]
            + [Cell("") for _ in range(n - len(points))]
        )
    return Table(
        "pay-table",
        f"{ps.title}: annual full-time salary by band and pay point",
        cols,
        rows,
        first_column_wide=False,
    )


# -- figures ------------------------------------------------------------------------------------


def _day_section(ctx: _Context) -> None:
    s = ctx.doc.section("day", "A shadowed day")
    picked = illustrative_day(ctx.sessions())
    if picked is None:
        s.add(Note("the study has no sessions to draw yet.", "missing"))
        return
    (code, day), sessions, dropped = picked
    people = {p.code: p for p in ctx.store.participants(ctx.study_id)}
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
    ctx: _Context,
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
    for b in ctx.by:
        frames = [("study", overall), (b, ctx.est.table(b))]
        label = BREAKDOWN_LABELS.get(b, b)
        res = group_chart(
            f"{fig_id}-{b}",
            f"{title}, by {label}",
            frames,
            items,
            unit,
            min_participants=ctx.min_participants,
            caption=caption,
            bars=bars,
            what=f"{label}s",
        )
        if res.figure:
            section.add(res.figure)
        section.add(*res.notes)
    if not ctx.by:
        res = group_chart(
            fig_id,
            title,
            [("study", overall)],
            items,
            unit,
            min_participants=ctx.min_participants,
            caption=caption,
            bars=bars,
        )
        if res.figure:
            section.add(res.figure)
        section.add(*res.notes)


def _domain_section(ctx: _Context) -> None:
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


def _needs_plan(ctx: _Context, s: Section) -> bool:
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


def _needs_domains(ctx: _Context, s: Section, what: str) -> bool:
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


def _jobplan_section(ctx: _Context) -> None:
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


def _leakage_section(ctx: _Context) -> None:
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


def _interruptions_section(ctx: _Context) -> None:
    s = ctx.doc.section("interruptions", "Interruptions and switching", new_page=False)
    s.add(
        Para(
            "How often work was broken into: interruptions (a task suspended, or an "
            "interruption recorded) and switches between clinical and managerial work in the "
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


def _stretches_section(ctx: _Context) -> None:
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
    for b in ctx.by:
        frames = [("study", overall), (b, ctx.est.table(b))]
        groups: list[str] = []
        rows: list[tuple[float | None, float | None, float | None]] = []
        hidden: list[str] = []
        for _lbl, df in frames:
            for g in list(dict.fromkeys(df["group"].astype(str))):
                vals = [value(df, g, f"clinical_stretch_{q}") for q in ("p10", "median", "p90")]
                if any(v is None for v in vals) or vals[1] is None:
                    continue
                if vals[1].n_participants < ctx.min_participants:  # type: ignore[union-attr]
                    if vals[1].n_participants > 0:  # type: ignore[union-attr]
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
                )
            )
        else:
            s.add(Note(f"{title}: no undivided clinical stretch to show.", "missing"))
        if hidden:
            s.add(
                Note(
                    f"{len(hidden)} group(s) with fewer than {ctx.min_participants} participants "
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


def _cost_section(ctx: _Context) -> None:
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


# -- tables -------------------------------------------------------------------------------------

CSV_COLUMNS = ("breakdown", "group", *RESULT_COLUMNS)


def _tables_section(ctx: _Context) -> None:
    s = ctx.doc.section("tables", "Tables of every metric")
    s.add(
        Para(
            md(
                "Every registry metric for the whole study and for each group, with its 95 % "
                "confidence interval underneath. † marks an interval from fewer than "
                f"{FLAG_BELOW} participants; — an estimate that is undefined (e.g. no "
                "managerial time to divide by). Each table is also a CSV file beside this "
                "report, with the numbers of participants, sessions and observed hours behind "
                "every estimate."
            )
        )
    )
    for b, df in [("study", ctx.est.table(None))] + [(b, ctx.est.table(b)) for b in ctx.by]:
        label = "the whole study" if b == "study" else f"by {BREAKDOWN_LABELS.get(b, b)}"
        n_part = _participants_per_group(df)
        visible = [g for g, n in n_part.items() if n >= ctx.min_participants]
        hidden = [g for g, n in n_part.items() if n < ctx.min_participants]
        shown = df[df["group"].isin(visible)].copy()
        # a single estimate resting on fewer participants than the rule allows is blanked too
        few = shown["n_participants"] < ctx.min_participants
        blank = few & (shown["n_participants"] > 0)
        for c in ("estimate", "ci_low", "ci_high"):
            shown.loc[blank, c] = float("nan")
        shown.loc[blank, "flag"] = f"not shown: fewer than {ctx.min_participants} participants"
        csv_name = f"{ctx.report.stem}-metrics-{b}.csv"
        out = shown.assign(breakdown=b)
        ctx.report.csv[csv_name] = out[[c for c in CSV_COLUMNS if c in out.columns]]
        if hidden:
            s.add(
                Note(
                    f"Tables {label}: {len(hidden)} group(s) with fewer than "
                    f"{ctx.min_participants} participants are not shown (small-number rule)"
                    + (f": {', '.join(hidden)}." if b != "study" else "."),
                    "suppressed",
                )
            )
        if not visible:
            continue
        for i in range(0, len(visible), GROUPS_PER_TABLE):
            chunk = visible[i : i + GROUPS_PER_TABLE]
            part = (
                ""
                if len(visible) <= GROUPS_PER_TABLE
                else f" (part {i // GROUPS_PER_TABLE + 1} of "
                f"{-(-len(visible) // GROUPS_PER_TABLE)})"
            )
            s.add(
                _metric_table(
                    f"table-{b}-{i // GROUPS_PER_TABLE + 1}",
                    shown,
                    chunk,
                    f"Every metric, {label}{part}",
                    ctx.href(csv_name),
                    n_part,
                    _category_labels(ctx),
                )
            )


def _category_labels(ctx: _Context) -> dict[str, str]:
    """Category code → 'label (code)' from the study's templates, for table rows."""
    out: dict[str, str] = {}
    for t in ctx.templates.values():
        for c in t.categories:
            if c.label and c.label != c.code:
                out.setdefault(c.code, f"{c.label} ({c.code})")
    return out


def _participants_per_group(df: pd.DataFrame) -> dict[str, int]:
    """Participants per group: the most of any metric (those computed on all sessions)."""
    return {
        str(g): int(n) for g, n in df.groupby("group", sort=False)["n_participants"].max().items()
    }


def _metric_table(
    table_id: str,
    df: pd.DataFrame,
    groups: list[str],
    caption: str,
    csv_href: str | None,
    n_part: dict[str, int],
    categories: dict[str, str] | None = None,
) -> Table:
    """Metrics as rows (a metric with keys gets a heading row and one row per key), groups as
    columns; for the whole study alone, the interval and the counts behind it as columns."""
    order = {m.id: i for i, m in enumerate(all_metrics())}
    sub = df[df["group"].isin(groups)]
    index = {
        (str(r.group), r.metric, None if pd.isna(r.key) else str(r.key)): r
        for r in sub.itertuples(index=False)
    }
    keys = (
        sub[["metric", "key", "label", "unit"]]
        .drop_duplicates(subset=["metric", "key"])
        .assign(o=lambda d: d["metric"].map(order))
        .sort_values(["o"], kind="stable")
    )
    single = groups == [OVERALL]
    rows: list[list[Cell | str] | Subhead] = []
    current = None
    for r in keys.itertuples(index=False):
        k = None if pd.isna(r.key) else str(r.key)
        unit = str(r.unit)
        heading = f"{r.label} ({_unit_short(unit)})"
        if k is not None:
            if current != r.metric:
                rows.append(Subhead(heading))
                current = r.metric
            label = "  " + (
                (categories or {}).get(k, k)
                if r.metric in CATEGORY_METRICS
                else key_label(r.metric, k)
            )
        else:
            current = None
            label = heading
        row: list[Cell | str] = [label]
        for g in groups:
            x = index.get((g, r.metric, k))
            if x is None:
                row.append(Cell("—"))
                if single:
                    row.extend([Cell(""), Cell(""), Cell(""), Cell("")])
                continue
            est = None if pd.isna(x.estimate) else float(x.estimate)
            lo = None if pd.isna(x.ci_low) else float(x.ci_low)
            hi = None if pd.isna(x.ci_high) else float(x.ci_high)
            ci = f"{fmt(lo, unit)} to {fmt(hi, unit)}" if lo is not None and hi is not None else ""
            flagged = est is not None and 0 < int(x.n_participants) < FLAG_BELOW
            if single:
                row.extend(
                    [
                        Cell(fmt(est, unit), flag=flagged),
                        Cell(ci),
                        Cell(f"{int(x.n_participants)}"),
                        Cell(f"{int(x.n_sessions)}"),
                        Cell(f"{float(x.observed_hours):,.1f}"),
                    ]
                )
            else:
                row.append(Cell(fmt(est, unit), ci, flagged))
        rows.append(row)
    if single:
        return Table(
            table_id,
            caption,
            ["Metric (unit)", "Estimate", "95 % CI", "Participants", "Sessions", "Hours"],
            rows,
            csv_href=csv_href,
        )
    return Table(
        table_id,
        caption,
        ["Metric (unit)", *groups],
        rows,
        csv_href=csv_href,
        column_notes=["", *[f"{n_part.get(g, 0)} participants" for g in groups]],
    )


def _unit_short(unit: str) -> str:
    u = unit.strip().lower()
    return "%" if u in ("proportion", "%") else unit


# -- inter-observer reliability ---------------------------------------------------------------


def _ior_section(ctx: _Context) -> None:
    try:
        from workweave.analysis.reliability import MEASURES, detect_pairs, ior_table
    except ImportError:  # the reliability module is optional for the report
        return
    sessions = ctx.sessions()
    pairs = detect_pairs(sessions)
    if not pairs:
        return
    s = ctx.doc.section("ior", "Inter-observer reliability")
    table = ior_table(pairs)
    s.add(
        Para(
            md(
                f"{len(pairs)} pair(s) of sessions were co-observed: the same participant "
                "shadowed by two observers at the same time. Their records are compared with "
                "the IORapp-compatible composite of Lopetegui et al. (2014) as implemented for "
                "WOMBAT data by Guidi, Tanzini & Westbrook (2021): agreement per second on the "
                "task category (pK1/pAg1 on the first label, pK2/pAg2 on the second, pKm over "
                "all), agreement of matched tasks' naming (NK, NAg), of their durations (Lin's "
                "concordance DCCCr and its bias correction DCCCcb), and of the order of tasks "
                "(Needleman–Wunsch score NW_score). Kappas and concordances run from −1 to 1, "
                "agreements (pAg, NAg) are percentages, NW_score runs from 0 to 1."
            )
        )
    )
    measures = list(MEASURES)
    desc_rows: list[list[Cell | str]] = []
    for m in measures:
        col = pd.to_numeric(table[m], errors="coerce").dropna()
        if not len(col):
            desc_rows.append([m, Cell("0"), Cell("—"), Cell("—"), Cell("—")])
            continue
        desc_rows.append(
            [
                m,
                Cell(f"{len(col)}"),
                Cell(f"{col.median():.3g}"),
                Cell(f"{col.min():.3g}"),
                Cell(f"{col.max():.3g}"),
            ]
        )
    csv_name = f"{ctx.report.stem}-ior.csv"
    cols = [c for c in table.columns if c != "warnings"] + ["warnings"]
    ctx.report.csv[csv_name] = table[cols]
    s.add(
        Table(
            "table-ior-summary",
            "Agreement between observers: each measure over the co-observed pairs",
            ["Measure", "Pairs with a value", "Median", "Lowest", "Highest"],
            desc_rows,
            csv_href=ctx.href(csv_name),
            first_column_wide=False,
        )
    )
    img = _ior_figure(table, measures)
    if img is not None:
        s.add(
            Figure(
                "fig-ior",
                "Agreement measures of each co-observed pair",
                img,
                "Dot plot of the ten inter-observer agreement measures, one dot per co-observed "
                "pair: "
                + "; ".join(
                    f"{r[0]} median {r[2].main}, range {r[3].main} to {r[4].main}"
                    for r in desc_rows
                    if isinstance(r[2], Cell)
                ),
                md(
                    "Each dot is one pair of sessions; percentages (pAg1, pAg2, NAg) are "
                    "shown divided by 100 to share the axis. The vertical mark is the median."
                ),
            )
        )
    if len(table) <= 30:
        rows: list[list[Cell | str]] = []
        for r in table.itertuples(index=False):
            rows.append(
                [f"{r.session_a} / {r.session_b}"]
                + [
                    Cell("—" if pd.isna(getattr(r, m)) else f"{getattr(r, m):.3g}")
                    for m in measures
                ]
            )
        s.add(
            Table(
                "table-ior",
                "Each co-observed pair (session keys of the two observers' records)",
                ["Sessions", *measures],
                rows,
                first_column_wide=False,
            )
        )
    warn = int((table["warnings"].astype(str) != "").sum())
    if warn:
        s.add(
            Note(
                f"{warn} pair(s) came with warnings (e.g. tasks never resumed, too few "
                "matched tasks for a concordance); they are listed in the CSV file."
            )
        )


def _ior_figure(table: pd.DataFrame, measures: list[str]) -> charts.Image | None:
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    data = []
    for m in measures:
        col = pd.to_numeric(table[m], errors="coerce").dropna()
        if m in ("pAg1", "pAg2", "NAg"):
            col = col / 100.0
        data.append(col.to_numpy())
    if not any(len(d) for d in data):
        return None
    import numpy as np

    with matplotlib.rc_context(charts.RC):
        fig = MplFigure(figsize=(charts.WIDTH_IN, 0.6 + 0.3 * len(measures)), layout="constrained")
        ax = fig.add_subplot()
        rng = np.random.default_rng(0)  # jitter only, for legibility
        for i, d in enumerate(data):
            if not len(d):
                continue
            y = i + rng.uniform(-0.18, 0.18, len(d))
            ax.plot(d, y, "o", markersize=3.5, color="#0072B2", alpha=0.6, markeredgewidth=0)
            ax.plot([np.median(d)] * 2, [i - 0.32, i + 0.32], color="#000000", lw=2)
        ax.set_yticks(range(len(measures)), measures)
        ax.set_ylim(len(measures) - 0.5, -0.5)
        ax.set_xlim(min(-0.05, min((d.min() for d in data if len(d)), default=0) - 0.05), 1.05)
        ax.axvline(0, color="#888888", lw=0.6)
        ax.set_xlabel("agreement (kappa, concordance, score; percentages ÷ 100)")
        ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
        return charts.to_image(fig)


__all__ = [
    "BREAKDOWNS",
    "StudyReport",
    "build_study_report",
    "prepare_study_report",
    "render_study_report_html",
]
