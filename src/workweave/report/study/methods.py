"""The Methods section, written from the metric registry and the study-wide policy: the data
and templates, how estimates and intervals are made, the small-number rule, the pay table,
every parameter and every metric with its definition, unit, denominator and reference.

What a metric, a parameter or a term means is never written here: it is read from the
registry (`workweave.analysis.metrics`), the same text docs/metrics.md is generated from.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from workweave.analysis.metrics import METRICS, PARAMETERS
from workweave.analysis.metrics.docs import (
    SECTIONS,
    TERMS,
    format_value,
    metric_facts,
    parameter_meaning,
)
from workweave.domain.policy import FLAG_BELOW
from workweave.io.payscales import load_payscale
from workweave.report.common import maps_domains
from workweave.report.document import Cell, Para, Section, Table, Terms, md
from workweave.report.study.context import StudyContext

METHOD_TERMS = ("Session", "Active time", "Foreground task", "Domain", "Job-plan intervals")
"""The registry's terms that the Methods section repeats (the rest are about the command
line's groups and filters)."""


def section(ctx: StudyContext) -> None:
    s = ctx.doc.section("methods", "Methods")
    attrs = ctx.est.attrs()
    s.add(Para(md("**Data.** " + _data_sentence(ctx.frames["sessions"]))))
    _templates(ctx, s)
    _statistics(ctx, s, attrs.get("bootstrap", {}))
    _small_numbers(ctx, s)
    _pay(s, attrs.get("payscale", {}), attrs.get("parameters", {}))
    _parameters(s, attrs.get("parameters", {}))
    _definitions(s)


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


def _templates(ctx: StudyContext, s: Section) -> None:
    sessions = ctx.frames["sessions"]
    s.add(Para(md("**Observation template(s).**")))
    tv = (
        sessions.groupby(["template", "template_version"], dropna=False)
        .size()
        .reset_index(name="n")
        if len(sessions)
        else pd.DataFrame(columns=["template", "template_version", "n"])
    )
    items: list[tuple[str, str | Markup]] = []
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


def _statistics(ctx: StudyContext, s: Section, boot: dict[str, Any]) -> None:
    B = boot.get("B", ctx.est.B)
    seed = boot.get("seed", ctx.est.seed)
    conf = boot.get("confidence", 0.95)
    s.add(
        Para(
            md(
                "**Estimates and intervals.** Each estimate for a group (the whole study, a site, "
                "a profession...) is a ratio of sums over the group's sessions, or for "
                "percentiles the percentile of the group's items. "
                + (
                    f"{conf:.0%} confidence intervals come from a cluster bootstrap over "
                    f"participants: participants are resampled with replacement, B = {B:,} "
                    f"replicates, seed {seed}, percentile interval. "
                    if boot.get("interval") == "percentile"
                    else f"{conf:.0%} confidence intervals are cluster-robust t intervals over "
                    "participants: the estimate ± the t quantile on (participants − 1) degrees "
                    "of freedom × a standard error clustered on participants (linearised for "
                    f"ratios; for percentiles from B = {B:,} bootstrap replicates, seed {seed}). "
                )
                + "Beside each estimate the tables "
                "give the number of participants, sessions and observed hours it rests on. "
                f"An interval from fewer than {FLAG_BELOW} participants is flagged † and should "
                "be read with care; with fewer than 2 participants there is no interval."
            )
        )
    )


def _small_numbers(ctx: StudyContext, s: Section) -> None:
    s.add(
        Para(
            md(
                f"**Small-number rule.** No figure or table shows a group of fewer than "
                f"{ctx.suppress_below} participants; where one is left out a note says so. "
                "The illustrative day shows one person's day without their code, site or date."
            )
        )
    )


def _pay(s: Section, pay: dict[str, Any], params: dict[str, Any]) -> None:
    def param(name: str) -> Any:
        return params.get(name, PARAMETERS[name].default)

    pay_name = pay.get("name") or param("payscale")
    s.add(
        Para(
            md(
                f"**Pay table and costs.** Costs use the pay table *{pay.get('title', pay_name)}* "
                f"({pay_name}). Source: {pay.get('source', '—')} On-costs: "
                f"{pay.get('on_costs', '—')} A participant without a recorded pay point is "
                f"costed at the {param('default_pay_point')} point of their band; one full-time "
                f"year is {param('paid_hours_per_year'):,} paid hours; the managerial share used "
                f"for costs is counted on the '{param('share_basis')}' basis."
            )
        )
    )
    table = _pay_table(str(pay_name))
    if table is not None:
        s.add(table)


def _pay_table(name: str) -> Table | None:
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


def _parameters(s: Section, params: dict[str, Any]) -> None:
    s.add(Para(md("**Parameters of the metrics** (as used for this report):")))
    s.add(
        Terms(
            [
                (
                    name,
                    md(
                        f"`{_param_text(params.get(name, p.default))}` {p.unit} — "
                        f"{parameter_meaning(p)}"
                    ),
                )
                for name, p in PARAMETERS.items()
            ],
            compact=True,
        )
    )


def _param_text(v: Any) -> str:
    """A parameter's value as used: the registry's own formatting (a list as a tuple)."""
    return format_value(tuple(v) if isinstance(v, list) else v)


def _definitions(s: Section) -> None:
    s.add(
        Para(
            md(
                "**Metric definitions.** Every metric in this report, as defined in the workweave "
                "metric registry, with the terms they use:"
            )
        )
    )
    s.add(Terms([(term, md(TERMS[term])) for term in METHOD_TERMS], compact=True))
    for sec, title in SECTIONS.items():
        ms = [m for m in METRICS if m.section == sec]
        if not ms:
            continue
        s.add(Para(md(f"*{title}*")))
        s.add(
            Terms(
                [
                    (
                        f"{m.label} ({m.display_id()})",
                        md(
                            f"{m.definition} "
                            + " ".join(f"**{k}:** {_sentence(v)}" for k, v in metric_facts(m))
                            + (f" {m.notes}" if m.notes else "")
                        ),
                    )
                    for m in ms
                ]
            )
        )


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


__all__ = ["section"]
